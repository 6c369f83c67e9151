"""town.dashboard(): the wall served for the notebook, signed in by a one-time address,
reachable straight and through a jupyter-server-proxy-like path prefix."""
from __future__ import annotations

import json
import re
import shutil

import pytest
import requests

import townbrain as tb
from townbrain.nb_dashboard import free_port
from tests.notebook.proxy import dashboard_behind_hub, town_copy as copied_town


@pytest.fixture
def town_copy(themed_town, tmp_path):
    yield from copied_town(themed_town, tmp_path)


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


def test_behind_a_path_prefix_the_layout_is_reached_through_it_signed_in(town_copy):
    with dashboard_behind_hub(town_copy) as (d, hub, prefix):
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
        # the proxy keeps the browser's Host, so the gate's Origin check holds behind it too
        foreign = requests.post(hub + prefix + "_dash-update-component", cookies=cookies, json={}, timeout=30,
                                headers={"Origin": "http://elsewhere.example"})
        assert foreign.status_code == 403


def test_the_console_is_not_offered_to_the_notebook_analyst(town_copy):
    with pytest.raises(ValueError, match="wall only"):
        town_copy.dashboard(page="console")
