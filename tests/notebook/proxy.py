"""A stand-in for jupyter-server-proxy at ``/user/<name>/proxy/<port>/``, as its
``ProxyHandler`` behaves (jupyter_server_proxy/handlers.py: ``proxy_request_headers``
copies the browser's headers — Host and Origin as the browser sent them —
``_build_proxy_request`` adds X-Forwarded-Context, X-ProxyContextPath and
X-Forwarded-Prefix, and the prefix is stripped from the path). JupyterHub's own
proxy in front keeps the Host too, so the app sees the address the browser used."""
from __future__ import annotations

import contextlib
import shutil
import threading

import requests

import townbrain as tb

from townbrain.nb_dashboard import free_port


def prefix_proxy(port_app: int, prefix: str):
    """(server, port) of a proxy forwarding ``prefix…`` to 127.0.0.1:``port_app``."""
    from werkzeug.serving import make_server
    from werkzeug.wrappers import Request, Response

    @Request.application
    def proxy(req: Request):
        if not req.path.startswith(prefix):
            return Response("not under the prefix", 404)
        rest = req.full_path[len(prefix):] if req.query_string else req.path[len(prefix):]
        headers = {k: v for k, v in req.headers.items() if k.lower() != "content-length"}
        context = prefix.rstrip("/")
        headers.update({"X-Forwarded-Context": context, "X-ProxyContextPath": context,
                        "X-Forwarded-Prefix": context})
        r = requests.request(req.method, f"http://127.0.0.1:{port_app}/{rest}", headers=headers,
                             data=req.get_data(), allow_redirects=False, timeout=60, stream=True)
        # the body as the app sent it, compressed or not (decompress_response=False)
        out = Response(r.raw.read(decode_content=False), r.status_code)
        for k, v in r.raw.headers.items():
            if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                out.headers.add(k, v)
        return out

    port = free_port()
    server = make_server("127.0.0.1", port, proxy, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, port


def town_copy(url: str, tmp_path):
    """A connected Town on a copy of the GeoPackage at ``url`` (a dashboard writes its
    session and audit records); closed when the generator is."""
    path = tmp_path / "town.gpkg"
    shutil.copy(url, path)
    town = tb.connect(path)
    try:
        yield town
    finally:
        town.close()


@contextlib.contextmanager
def dashboard_behind_hub(town, module: str = "public"):
    """(dashboard, hub address, prefix) of ``town.dashboard(module)`` reached through
    :func:`prefix_proxy` at ``/user/ana/proxy/<port>/``; both stopped afterwards."""
    app_port = free_port()
    prefix = f"/user/ana/proxy/{app_port}/"
    server, proxy_port = prefix_proxy(app_port, prefix)
    hub = f"http://127.0.0.1:{proxy_port}"
    d = town.dashboard(module, port=app_port, requests_pathname_prefix="/user/ana/proxy/{port}/",
                       jupyter_server_url=hub)
    try:
        yield d, hub, prefix
    finally:
        d.stop()
        server.shutdown()
