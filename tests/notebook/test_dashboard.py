"""town.dashboard(): the wall served for the notebook, signed in by a one-time address,
reachable straight and through a jupyter-server-proxy-like path prefix."""
from __future__ import annotations

import json
import re
import shutil
import threading

import pytest
import requests

import townbrain as tb
from townbrain.nb_dashboard import free_port


@pytest.fixture
def town_copy(themed_town, tmp_path):
    path = tmp_path / "town.gpkg"
    shutil.copy(themed_town, path)
    t = tb.connect(path)
    yield t
    t.close()


def cookie_of(resp) -> str:
    m = re.match(r"tb_session=([^;]+)", resp.headers["Set-Cookie"])
    assert m, resp.headers
    return m.group(1)


def test_the_inline_wall_signs_in_once_and_serves_the_layout(town_copy):
    d = town_copy.dashboard("public")
    try:
        assert d._repr_html_().startswith("<iframe src=\"http://127.0.0.1:")
        assert requests.get(d.local_url + "_dash-layout", timeout=30).status_code == 401   # the gate holds
        r = requests.get(d.url, allow_redirects=False, timeout=30)
        assert r.status_code == 302 and r.headers["Location"] == "/wall?module=public&lang=zh"
        assert "HttpOnly" in r.headers["Set-Cookie"] and "Path=/;" in r.headers["Set-Cookie"]
        cookies = {"tb_session": cookie_of(r)}
        assert requests.get(d.url, allow_redirects=False, timeout=30).status_code == 404     # one time only
        page = requests.get(d.local_url + "wall?module=public", cookies=cookies, timeout=60)
        assert page.status_code == 200 and "_dash-renderer" in page.text
        layout = requests.get(d.local_url + "_dash-layout", cookies=cookies, timeout=60,
                              headers={"Referer": d.local_url + "wall?module=public"})
        assert layout.status_code == 200 and layout.json()
        audit = town_copy.store.read("audit_log", columns=["action", "object"], geometry=False)
        assert (audit["action"] == "notebook_session").any()
        assert town_copy.store.read("users", where={"name": d.account}, columns=["role"])["role"].tolist() == ["analyst"]
    finally:
        d.stop()


def _prefix_proxy(port_app: int, prefix: str):
    """What jupyter-server-proxy does at ``/user/<name>/proxy/<port>/``: strip the
    prefix and forward to 127.0.0.1:<port>, headers and body as they came."""
    from werkzeug.serving import make_server
    from werkzeug.wrappers import Request, Response

    @Request.application
    def proxy(req: Request):
        if not req.path.startswith(prefix):
            return Response("not under the prefix", 404)
        rest = req.full_path[len(prefix):] if req.query_string else req.path[len(prefix):]
        headers = {k: v for k, v in req.headers.items() if k.lower() not in ("host", "content-length")}
        r = requests.request(req.method, f"http://127.0.0.1:{port_app}/{rest}", headers=headers,
                             data=req.get_data(), allow_redirects=False, timeout=60)
        out = Response(r.content, r.status_code)
        for k, v in r.raw.headers.items():
            if k.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                out.headers.add(k, v)
        return out

    port = free_port()
    server = make_server("127.0.0.1", port, proxy, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, port


def test_behind_a_path_prefix_the_layout_is_reached_through_it_signed_in(town_copy):
    app_port = free_port()
    prefix = f"/user/ana/proxy/{app_port}/"
    server, proxy_port = _prefix_proxy(app_port, prefix)
    hub = f"http://127.0.0.1:{proxy_port}"
    d = town_copy.dashboard("public", port=app_port, requests_pathname_prefix="/user/ana/proxy/{port}/",
                            jupyter_server_url=hub)
    try:
        assert d.url.startswith(hub + prefix)
        r = requests.get(d.url, allow_redirects=False, timeout=30)
        assert r.status_code == 302 and r.headers["Location"] == prefix + "wall?module=public&lang=zh"
        assert f"Path={prefix};" in r.headers["Set-Cookie"]
        cookies = {"tb_session": cookie_of(r)}
        page = requests.get(hub + prefix + "wall?module=public", cookies=cookies, timeout=60)
        assert page.status_code == 200
        config = json.loads(re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>',
                                      page.text, re.S).group(1))
        assert config["requests_pathname_prefix"] == prefix   # the browser's requests go through the proxy
        assert f'src="{prefix}_dash-component-suites/' in page.text
        layout = requests.get(hub + prefix + "_dash-layout", cookies=cookies, timeout=60,
                              headers={"Referer": hub + prefix + "wall?module=public"})
        assert layout.status_code == 200 and layout.json()
        assert requests.get(hub + prefix + "_dash-layout", timeout=30).status_code == 401
    finally:
        d.stop()
        server.shutdown()


def test_the_console_is_not_offered_to_the_notebook_analyst(town_copy):
    with pytest.raises(ValueError, match="wall only"):
        town_copy.dashboard(page="console")
