"""GeoReport v2 errors: every refusal is ``[{"code": N, "description": "..."}]``
(in XML ``<errors><error>…</error></errors>`` when the URL ends in ``.xml``).

A 4xx says what to fix; 503 carries ``Retry-After`` (the store is away, retry
with the same idempotency key); a 500 is a bug, logged with its traceback.
"""
from __future__ import annotations

import logging

from flask import request
from werkzeug.exceptions import HTTPException

from geodata.frames import StoreUnavailable
from intake.formats import georeport_error, json_response

__all__ = ["ApiError", "georeport_error", "json_response", "register_error_pages", "guarded"]

log = logging.getLogger("townbrain.intake")
PREFIX = "/open311/"


class ApiError(Exception):
    """An answer that is not a success: status, description, extra headers."""

    def __init__(self, status: int, description: str, headers: dict | None = None, quarantine: bool = True):
        super().__init__(description)
        self.status, self.description = status, description
        self.headers = headers or {}
        self.quarantine = quarantine


def register_error_pages(server) -> None:
    """404 / 405 under /open311/ answer in GeoReport form; elsewhere as before."""

    def _routing_error(exc: HTTPException):
        if not request.path.startswith(PREFIX):
            return exc
        desc = {404: f"no such endpoint {request.path}; see /open311/v2/openapi.json",
                405: f"{request.method} is not allowed on {request.path}"}.get(exc.code, exc.description)
        return georeport_error(exc.code or 500, desc)

    server.register_error_handler(404, _routing_error)
    server.register_error_handler(405, _routing_error)


def guarded(blueprint):
    """``blueprint`` with a handler that logs an unexpected exception of its views
    and answers 500 in GeoReport form (a bug, never the client's fault)."""

    @blueprint.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return georeport_error(exc.code or 500, exc.description or exc.name)
        if isinstance(exc, StoreUnavailable):  # the store is away, not a bug: 503, one log line
            from intake.runtime import unavailable
            err = unavailable(str(exc))
            return georeport_error(err.status, err.description, err.headers)
        log.exception("unexpected error on %s %s", request.method, request.path)
        return georeport_error(500, f"internal error ({type(exc).__name__}); it is logged")
    return blueprint
