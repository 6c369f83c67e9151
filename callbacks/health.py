"""``/health``: a plain Flask route, open without sign-in (contract: "The screen and the API").

Always 200 — the body says whether the store is reachable — so a load balancer
keeps sending the wall to a server whose database blinked. Without a signed-in
session the body is the status alone; the store's details (its path or address,
a driver's error) only for the system administrator, whose job they are (issue 16:
"/health says ok or not, no paths or driver text, to anyone without a role").
"""
from __future__ import annotations

import flask
from flask import jsonify

#: Roles that see the store's details in /health.
DETAIL_ROLES = frozenset({"sysadmin"})


def register_health(server, data) -> None:
    """Add ``GET /health`` to the Flask ``server``; ``data`` is a ``ScreenData``."""

    @server.route("/health")
    def health():  # noqa: D401 - Flask view
        body = data.health()
        sess = flask.g.get("tb_session")
        if sess is None or not sess.signed_in or sess.role not in DETAIL_ROLES:
            body = {"status": body["status"]}
        resp = jsonify(body)
        resp.headers["Cache-Control"] = "no-store"
        return resp
