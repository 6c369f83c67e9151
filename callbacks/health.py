"""``/health``: a plain Flask route, no login (contract: "The screen and the API").

Always 200 — the body says whether the store is reachable — so a load balancer
keeps sending the wall to a server whose database blinked, and a monitor can
still read why it is degraded.
"""
from __future__ import annotations

from flask import jsonify


def register_health(server, data) -> None:
    """Add ``GET /health`` to the Flask ``server``; ``data`` is a ``ScreenData``."""

    @server.route("/health")
    def health():  # noqa: D401 - Flask view
        resp = jsonify(data.health())
        resp.headers["Cache-Control"] = "no-store"
        return resp
