"""The wall inline in a notebook: ``town.dashboard(module="public")``.

The app is the server's own (``app.create_app``) run by Dash's Jupyter support on a
free port of this machine, in a thread of the kernel, and shown in an iframe.

**Who is signed in.** Every page and Dash endpoint needs a signed-in session
(access/gate.py). A notebook kernel runs as the operator of a local store — it can
read the store's file whole, as the ``townbrain`` command can — so the library signs
the inline app in for the operator without a password: it keeps one ``analyst``
account per operating-system user (``nb-<user>``, grants = the town's scope) and
creates a session for it, audited as ``notebook_session`` under ``os:<user>``. The
browser gets that session by opening a one-time sign-in address
(``…/_tb_notebook/<nonce>``) that only this kernel knows; it sets the session cookie
(``HttpOnly``, ``SameSite=None; Secure`` — browsers treat 127.0.0.1 and localhost as
secure — with ``Path`` = the app's prefix, so other servers behind the same hub never
see it) and goes on to ``wall?module=…``. The analyst role may open the wall only
(access/roles.py), so the console is not offered here.

**Behind JupyterHub** (jupyter-server-proxy), the browser reaches the app at
``/user/<name>/proxy/<port>/``; the proxy strips that prefix and forwards to
``127.0.0.1:<port>``. Dash must then write that prefix into the page's URLs:
``requests_pathname_prefix="/user/<name>/proxy/{port}/"`` (``{port}`` is filled in),
and the iframe's address is the hub's: ``jupyter_server_url="https://hub.example"``.
When ``$JUPYTERHUB_SERVICE_PREFIX`` is set (JupyterHub sets it in every single-user
server) the prefix defaults to ``$JUPYTERHUB_SERVICE_PREFIX + "proxy/{port}/"`` and the
iframe's address is relative to the page, so nothing needs typing.
"""
from __future__ import annotations

import html
import os
import re
import secrets
import socket
from dataclasses import dataclass, field

__all__ = ["dashboard", "Dashboard", "free_port", "SIGNIN_PATH"]

SIGNIN_PATH = "/_tb_notebook/"
ACCOUNT_PREFIX = "nb-"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@dataclass
class Dashboard:
    """A running inline app: ``url`` is where the iframe points (the one-time sign-in);
    ``local_url`` the app on this machine; :meth:`stop` ends its server."""

    url: str
    local_url: str
    port: int
    prefix: str
    account: str
    width: str = "100%"
    height: int = 720
    _server: object = field(default=None, repr=False)

    def _repr_html_(self) -> str:
        return (f'<iframe src="{html.escape(self.url, quote=True)}" style="width:{self.width};'
                f'height:{self.height}px;border:0" title="TownBrain"></iframe>')

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server = None


class _NotebookSignIn:
    """WSGI in front of the app: the one-time sign-in and Dash's liveness probe (which
    the access gate would refuse, as it refuses everything unsigned)."""

    def __init__(self, app, nonce: str, token: str, prefix: str, landing: str, alive_path: str):
        self.app, self.nonce, self.token, self.prefix = app, nonce, token, prefix
        self.landing, self.alive_path = landing, alive_path

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == self.alive_path:
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"Alive"]
        if path.startswith(SIGNIN_PATH):
            given = path[len(SIGNIN_PATH):]
            if self.nonce and secrets.compare_digest(given, self.nonce):
                self.nonce = ""  # one time only
                cookie = (f"tb_session={self.token}; Path={self.prefix}; HttpOnly; SameSite=None; Secure")
                start_response("302 Found", [("Location", self.prefix + self.landing), ("Set-Cookie", cookie),
                                             ("Cache-Control", "no-store")])
                return [b""]
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"This sign-in address has been used or is unknown; run town.dashboard() again."]
        return self.app(environ, start_response)


def _operator_name() -> str:
    from access.service import operator
    return operator()


def notebook_session(access, scope, by: str) -> tuple[str, str]:
    """(account name, session token) of the operator's notebook analyst account,
    created on first use with the town's scope as its grants."""
    user = re.sub(r"[^A-Za-z0-9._-]", "_", by.removeprefix("os:"))[:60] or "operator"
    name = ACCOUNT_PREFIX + user
    grants = ["town"] if scope.is_town else sorted(
        set().union(*(getattr(scope, u) or () for u in ("districts", "grids", "pro_grids"))))
    if access.accounts.get(name) is None:
        access.accounts.create(name, "analyst", grants, by=by, source="notebook",
                               password=secrets.token_urlsafe(24), must_change=False)
    token = access.sessions.create(name, "signed_in", "notebook")
    access.audit.record("notebook_session", user=by, source="notebook", object=name,
                        detail="inline dashboard of the notebook library")
    return name, token


def dashboard(town, module: str = "public", *, page: str = "wall", lang: str = "zh", port: int | None = None,
              host: str = "127.0.0.1", requests_pathname_prefix: str | None = None,
              jupyter_server_url: str | None = None, mode: str = "inline", width: str = "100%",
              height: int = 720) -> Dashboard:
    """Run the wall of ``town`` for this notebook and return it (shown inline).

    Parameters
    ----------
    module : str
        The wall module (``public``, ``ecology`` …).
    page : "wall"
        The page; the notebook's analyst account may open the wall only.
    port : int, optional
        Default: a free port.
    requests_pathname_prefix : str, optional
        The path the browser reaches the app under, e.g. ``"/user/ana/proxy/{port}/"``
        behind JupyterHub's jupyter-server-proxy. Default ``/``, or
        ``$JUPYTERHUB_SERVICE_PREFIX`` + ``proxy/{port}/`` under JupyterHub.
    jupyter_server_url : str, optional
        The browser's address of the Jupyter server (``https://hub.example``) when the
        app is reached through it; default ``http://<host>:<port>`` locally, and a
        path relative to the page under JupyterHub.
    mode : "inline" or "external"
        ``"external"`` shows the address instead of the iframe.
    """
    from dash._jupyter import JupyterDash, jupyter_dash

    from app import create_app
    if page != "wall":
        raise ValueError("the notebook's analyst account may open the wall only (access/roles.py)")
    port = port or free_port(host)
    hub = os.environ.get("JUPYTERHUB_SERVICE_PREFIX")
    if requests_pathname_prefix is None and hub:
        requests_pathname_prefix = hub.rstrip("/") + "/proxy/{port}/"
    prefix = (requests_pathname_prefix or "/").format(port=port)
    prefix = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"
    app = create_app(town.url)
    # read-only after Dash's constructor; set the way Dash's own Jupyter runner sets it
    # (dash/_jupyter.py run_app: "Jupyter needs some unusual behavior"), and run_app reads it back
    dict.__setitem__(app.config, "requests_pathname_prefix", prefix)
    access = app.server.extensions["townbrain_access"]
    account, token = notebook_session(access, town.scope, _operator_name())
    nonce = secrets.token_urlsafe(24)
    landing = f"wall?module={module}&lang={lang}"
    alive = f"/_alive_{JupyterDash.alive_token}"
    app.server.wsgi_app = _NotebookSignIn(app.server.wsgi_app, nonce, token, prefix, landing, alive)
    # Dash starts the server in a thread and waits for it; we show our own iframe (the
    # one-time sign-in), so Dash displays nothing ("_none")
    # (app.run would do the same inside a kernel, and block outside one: a test, a script)
    jupyter_dash.run_app(app, mode="_none", host=host, port=port)
    base = (jupyter_server_url.rstrip("/") if jupyter_server_url else ("" if hub else f"http://{host}:{port}"))
    server = getattr(jupyter_dash, "_servers", {}).get((host, port))
    d = Dashboard(url=f"{base}{prefix}{SIGNIN_PATH.lstrip('/')}{nonce}", local_url=f"http://{host}:{port}{prefix}",
                  port=port, prefix=prefix, account=account, width=width, height=height, _server=server)
    if mode == "external":
        d.height = 0
    return d
