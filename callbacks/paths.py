"""Paths of the browser's address as the app knows them, whatever prefix the app is
reached under (issue 18: the notebook's wall behind JupyterHub)."""
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
