"""Paths of the browser's address as the app knows them, whatever prefix the app is
reached under (issue 18: the notebook's wall behind JupyterHub; a reverse proxy).

The prefix is Dash's ``requests_pathname_prefix``: the path under which the browser
reaches the app, which the proxy strips before the app sees a request. The
notebook sets it on the app (townbrain/nb_dashboard.py); ``townbrain serve`` behind a
reverse proxy takes it from Dash's own ``DASH_REQUESTS_PATHNAME_PREFIX``. Requests
arrive without it (:func:`local_path` takes it off an address the browser reports);
every address the server writes for the browser — a link, a form's action, a
redirect — carries it (:func:`app_href`).
"""
from __future__ import annotations


def local_path(pathname: str | None, prefix: str | None = "/") -> str:
    """The app's own path of a browser address's ``pathname``: the requests prefix
    under which the browser reaches the app (``/user/<name>/proxy/<port>/`` behind
    JupyterHub's jupyter-server-proxy, which strips it before the app sees a request)
    taken off, and no trailing slash.

    >>> local_path("/user/ana/proxy/8050/wall", "/user/ana/proxy/8050/"), local_path("/wall/"), local_path(None)
    ('/wall', '/wall', '/')
    >>> local_path("/user/ana/proxy/8050/", "/user/ana/proxy/8050/"), local_path("/elsewhere", "/user/ana/")
    ('/', '/elsewhere')
    """
    path = pathname or "/"
    base = (prefix or "/").rstrip("/")
    if base and (path == base or path.startswith(base + "/")):
        path = path[len(base):]
    return path.rstrip("/") or "/"


def request_prefix() -> str:
    """The requests prefix of the app answering the current Flask request (read per
    request: the notebook sets it after the app is made); ``/`` outside a request or
    for a server without a Dash app registered (access/gate.py ``install_gate``)."""
    import flask
    if not flask.has_request_context():
        return "/"
    dash_app = flask.current_app.extensions.get("townbrain_dash")
    config = getattr(dash_app, "config", None)
    return (config.requests_pathname_prefix if config is not None else None) or "/"


def app_href(path: str, prefix: str | None = None) -> str:
    """The app's own address ``path`` (``/console?…``) as the browser reaches it: under
    ``prefix`` (default: the current request's, :func:`request_prefix`).

    >>> app_href("/console?case=C1", "/user/ana/proxy/8050/"), app_href("/login", "/"), app_href("/wall")
    ('/user/ana/proxy/8050/console?case=C1', '/login', '/wall')
    """
    base = (request_prefix() if prefix is None else prefix or "/").rstrip("/")
    return base + path
