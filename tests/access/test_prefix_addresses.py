"""The server's own addresses under a path prefix (a reverse proxy, JupyterHub's proxy:
callbacks/paths.py): the app is asked without the prefix (the proxy strips it), and every
address it writes for the browser — the sign-in redirect and its pages' links and forms,
the enrolment page, the console's links — carries the prefix, as does the cookie's
``Path``. The browser under a real proxy: tests/browser/test_console_prefix.py."""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from tests.access.test_gate import app as _app  # noqa: F401 - the real app on the fixture town
from tests.access.test_gate import behind_the_proxy

PREFIX = "/tb/"
PW = "Prefix-Test-2026"
CONSOLE = re.compile(rf"^{PREFIX}console(\?|$)")


@pytest.fixture
def app(_app):  # noqa: F811
    dict.__setitem__(_app.config, "requests_pathname_prefix", PREFIX)   # as townbrain/nb_dashboard.py sets it
    return _app


def cookie_path(resp, name: str) -> str | None:
    for header in resp.headers.getlist("Set-Cookie"):
        if header.startswith(name + "="):
            m = re.search(r"Path=([^;]+)", header)
            return m.group(1) if m else None
    return None


def hrefs(html: str) -> list[str]:
    return re.findall(r'(?:href|action)="([^"]*)"', html)


def test_the_sign_in_is_asked_for_under_the_prefix_and_leads_back_under_it(app):
    acc = app.server.extensions["townbrain_access"]
    acc.accounts.create("officer", "duty_officer", "town", by="os:test", password=PW, must_change=False)
    client = app.server.test_client()
    # a page without a session: to the sign-in, under the prefix; ``next`` is the app's own path
    r = client.get("/console?case=C-7")
    assert r.status_code == 303
    assert r.headers["Location"] == f"{PREFIX}login?next=" + quote("/console?case=C-7", safe="/")
    login = r.headers["Location"][len(PREFIX) - 1:]            # as the proxy forwards it
    page = client.get(login).get_data(as_text=True)
    assert f'href="{PREFIX}login/style.css"' in page
    assert f'action="{PREFIX}login?next=' in page
    assert all(h.startswith((PREFIX, "?", "data:")) for h in hrefs(page)), hrefs(page)
    # signed in: back to the page asked for, under the prefix; the cookie is the prefix's alone
    r = client.post(login, data={"name": "officer", "password": PW})
    assert r.status_code == 303 and r.headers["Location"] == f"{PREFIX}console?case=C-7"
    assert cookie_path(r, "tb_session") == PREFIX
    behind_the_proxy(client, r)
    account = client.get("/account").get_data(as_text=True)
    assert f'href="{PREFIX}console?' in account and f'href="{PREFIX}logout?' in account
    assert all(h.startswith((PREFIX, "?", "data:")) for h in hrefs(account)), hrefs(account)
    r = client.get("/logout")
    assert r.headers["Location"] == f"{PREFIX}login?out=1" and cookie_path(r, "tb_session") == PREFIX
    # a first sign-in goes to the password change, under the prefix too
    acc.accounts.create("new", "duty_officer", "town", by="os:test", password=PW, must_change=True)
    r = app.server.test_client().post("/login?lang=en", data={"name": "new", "password": PW})
    assert r.headers["Location"] == f"{PREFIX}login/password?lang=en"


def test_the_wall_enrols_under_the_prefix_and_a_revoked_wall_is_sent_back_under_it(app):
    acc = app.server.extensions["townbrain_access"]
    client = app.server.test_client()
    page = client.get("/enroll").get_data(as_text=True)
    assert f'action="{PREFIX}enroll?' in page and f'href="{PREFIX}login/style.css"' in page
    code = acc.devices.issue("wall-1", by="os:test")
    r = client.post("/enroll", data={"code": code})
    assert r.status_code == 303 and r.headers["Location"] == f"{PREFIX}wall"
    assert cookie_path(r, "tb_device") == PREFIX
    behind_the_proxy(client, r, "tb_device")
    assert client.get("/enroll").headers["Location"] == f"{PREFIX}wall"
    acc.devices.revoke("wall-1", by="os:test")
    r = client.get("/wall")
    assert r.status_code == 303 and r.headers["Location"] == f"{PREFIX}enroll?revoked=1"


def test_the_consoles_links_carry_the_prefix(app):
    from callbacks import ids as I
    from tests.access.test_grid_isolation import call
    acc = app.server.extensions["townbrain_access"]
    acc.accounts.create("officer", "duty_officer", "town", by="os:test", password=PW, must_change=False)
    client = app.server.test_client()
    r = client.post("/login", data={"name": "officer", "password": PW})
    assert r.status_code == 303
    behind_the_proxy(client, r)
    status, resp = call(app, client, "callbacks.console", "render", {I.CONSOLE_URL: "?sort=case_id&dir=asc"})
    assert status == 200
    links = [h for v in resp.values() for h in re.findall(r'href="([^"]*)"', str(v.get("data", "")))]
    assert len(links) > 20 and all(CONSOLE.match(h) for h in links), links[:5]
    # the page's own links (dcc.Link pushes its href as it is)
    chips = layout_links(client)
    assert {f"{PREFIX}console", f"{PREFIX}console?lang=en", f"{PREFIX}wall"} <= set(chips), chips


def layout_links(client) -> list[str]:
    """Every ``href`` of the console page as Dash's layout carries it (JSON: ``/`` may be escaped)."""
    layout = client.get("/_dash-layout", headers={"Referer": "http://localhost/tb/console"}).get_data(as_text=True)
    return [h.replace("\\u002f", "/") for h in re.findall(r'"href":\s*"([^"]*)"', layout)]


def test_every_link_of_the_console_page_carries_the_prefix(app):
    acc = app.server.extensions["townbrain_access"]
    acc.accounts.create("officer", "duty_officer", "town", by="os:test", password=PW, must_change=False)
    client = app.server.test_client()
    behind_the_proxy(client, client.post("/login", data={"name": "officer", "password": PW}))
    links = layout_links(client)
    assert links and all(h.startswith(PREFIX) for h in links), links


def test_every_link_of_the_wall_and_of_the_page_not_found_carries_the_prefix(app):
    """The wall's module tabs and the 404 page's ways out are ``dcc.Link``s too: without
    the prefix a tab took the address bar out from under the proxy (a reload then
    missed the app)."""
    acc = app.server.extensions["townbrain_access"]
    acc.accounts.create("officer", "duty_officer", "town", by="os:test", password=PW, must_change=False)
    client = app.server.test_client()
    behind_the_proxy(client, client.post("/login", data={"name": "officer", "password": PW}))
    for page, wanted in (("wall?module=public", f"{PREFIX}wall?module=ecology"), ("nope", f"{PREFIX}console")):
        layout = client.get("/_dash-layout", headers={"Referer": f"http://localhost{PREFIX}{page}"})
        assert layout.status_code == 200
        links = [h.replace("\\u002f", "/") for h in re.findall(r'"href":\s*"([^"]*)"', layout.get_data(as_text=True))]
        assert wanted in links and all(h.startswith(PREFIX) for h in links), links
