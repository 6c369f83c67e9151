"""The gate on the real app (Flask's test client): every route and every callback
refused without a session, roles kept to their pages, foreign origins refused,
idle time-out on a moved clock, revocation, TOTP for the privileged roles."""
from __future__ import annotations

import re

import pyotp
import pytest

from access.pages import CALLBACK_PAGES, callback_modules
from tests.access.conftest import Clock

#: Rules open without a session, and why. A new rule must be added here or be closed.
OPEN_RULES = {
    "/health": "status only", "/login": "sign-in", "/login/style.css": "the sign-in pages' style",
    "/login/password": "sign-in step", "/login/totp": "sign-in step", "/login/enroll": None,
    "/login/enrol": "sign-in step", "/logout": "sign-out", "/enroll": "a wall trades its one-time code",
}
PW = "Gate-Test-2026"


@pytest.fixture
def app(tmp_path):
    from app import create_app
    from tests.browser.conftest import build_fixture_town
    from geodata.demo import write_town
    from geodata.store import open_store
    import pandas as pd
    url = str(tmp_path / "town.gpkg")
    write_town(open_store(url), build_fixture_town(pd.Timestamp.now(tz="Asia/Shanghai")))
    app = create_app(url)
    access = app.server.extensions["townbrain_access"]
    access.clock = Clock(pd.Timestamp.now(tz="UTC"))
    return app


def _account(app, name, role, grants="town", secret=None):
    acc = app.server.extensions["townbrain_access"]
    acc.accounts.create(name, role, grants if role not in ("sysadmin", "security_admin", "auditor") else "",
                        by="os:test", password=PW, must_change=False, totp_secret=secret)
    return acc


def signed_in(app, name, role, secret=None):
    """A test client signed in as a new account; under a path prefix as a proxy would
    forward it (the app is asked without the prefix, its addresses carry it)."""
    base = app.config.requests_pathname_prefix.rstrip("/")
    acc = _account(app, name, role, secret=secret)
    c = app.server.test_client()
    r = c.post("/login", data={"name": name, "password": PW})
    if secret:
        assert r.headers["Location"] == base + "/login/totp"
        behind_the_proxy(c, r)
        r = c.post("/login/totp", data={"code": pyotp.TOTP(secret).at(int(acc.now().timestamp()))})
    assert r.status_code == 303 and not r.headers["Location"].startswith(base + "/login"), r.headers.get("Location")
    behind_the_proxy(c, r)
    return c


def behind_the_proxy(client, resp, name: str = "tb_session") -> None:
    """The browser sends a cookie to every address under the path prefix (its ``Path``);
    the proxy strips the prefix, so the app sees it at its own paths: the test client is
    given the cookie ``resp`` set at ``/`` (nothing when ``resp`` sets none)."""
    for h in resp.headers.getlist("Set-Cookie"):
        if h.startswith(name + "="):
            client.set_cookie(name, h.split(";", 1)[0].split("=", 1)[1], path="/")


def _sample(rule) -> str:
    path = re.sub(r"<(?:[^:>]+:)?fmt>", "json", rule.rule)
    path = re.sub(r"<[^>]+>", "x", path)
    return path


def test_every_rule_of_the_url_map_is_open_by_decision_or_refused_without_a_session(app):
    c = app.server.test_client()
    checked = 0
    for rule in app.server.url_map.iter_rules():
        path = _sample(rule)
        if rule.rule.startswith("/open311/"):
            continue  # the API's own rules (intake/, tests/intake)
        if rule.rule in OPEN_RULES:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            r = c.open(path, method=method)
            assert r.status_code in (401, 303), (rule.rule, method, r.status_code)
            if r.status_code == 303:
                assert r.headers["Location"].startswith("/login?next="), rule.rule
            checked += 1
    assert checked >= 10


def test_every_server_callback_is_classified_and_refused_without_a_session(app):
    modules = callback_modules(app)
    assert modules, "no server callbacks found"
    unclassified = {m for m in modules.values() if m not in CALLBACK_PAGES}
    assert not unclassified, f"classify these callback modules in access/pages.py: {unclassified}"
    anon = app.server.test_client()
    auditor = signed_in(app, "aud", "auditor", secret=pyotp.random_base32())
    # analysts see the wall, not the console (access/roles.py; planners open it to export)
    analyst = signed_in(app, "ana", "analyst", secret=pyotp.random_base32())
    for output, module in modules.items():
        body = {"output": output, "outputs": [], "inputs": [], "changedPropIds": []}
        assert anon.post("/_dash-update-component", json=body).status_code == 401, output
        assert auditor.post("/_dash-update-component", json=body).status_code == 403, output
        if CALLBACK_PAGES[module] == "/console":
            assert analyst.post("/_dash-update-component", json=body).status_code == 403, output
    # the router asked for a page the role may not open
    router = next(k for k, m in modules.items() if m == "callbacks.routes")
    body = {"output": router, "inputs": [], "changedPropIds": [],
            "state": [{"id": "url", "property": "pathname", "value": "/console"}]}
    assert analyst.post("/_dash-update-component", json=body).status_code == 403
    assert analyst.get("/_dash-layout", headers={"Referer": "http://localhost/console"}).status_code == 403
    assert analyst.get("/console").status_code == 403
    for path in ("/_dash-layout", "/_dash-dependencies", "/assets/wall.css", "/wall"):
        assert auditor.get(path).status_code == 403, path
    assert auditor.get("/audit").status_code == 200
    log = app.server.extensions["townbrain_access"].audit.list()
    assert (log["action"] == "refused").sum() >= 2 * len(modules)


def test_a_signed_in_duty_officer_reaches_wall_console_and_dash_and_the_headers_hold(app):
    c = signed_in(app, "duty", "duty_officer")
    for path in ("/wall", "/console", "/_dash-layout", "/_dash-dependencies", "/assets/wall.css", "/health"):
        assert c.get(path).status_code == 200, path
    h = c.get("/wall").headers
    assert "frame-ancestors 'none'" in h["Content-Security-Policy"] and "unsafe-eval" not in h["Content-Security-Policy"]
    assert h["X-Content-Type-Options"] == "nosniff" and h["Referrer-Policy"] == "same-origin"
    cookie = app.server.test_client()
    r = cookie.post("/login", data={"name": "duty", "password": PW})
    set_cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie


def test_under_a_proxy_prefix_the_pages_a_role_may_not_open_stay_closed(app):
    # the notebook's wall behind JupyterHub: the router reads pages under the prefix
    # (callbacks/paths.py), so the gate must too — /user/…/console is the console
    prefix = "/user/ana/proxy/8050/"
    dict.__setitem__(app.config, "requests_pathname_prefix", prefix)   # as townbrain/nb_dashboard.py does
    analyst = signed_in(app, "ana", "analyst", secret=pyotp.random_base32())
    router = next(k for k, m in callback_modules(app).items() if m == "callbacks.routes")
    for path, status in ((prefix + "console", 403), (prefix + "wall", 200)):
        body = {"output": router, "outputs": {"id": "page", "property": "children"}, "inputs": [],
                "changedPropIds": [], "state": [{"id": "url", "property": "pathname", "value": path}]}
        r = analyst.post("/_dash-update-component", json=body)
        assert r.status_code == status if status == 403 else r.status_code != 403, (path, r.status_code)
        r = analyst.get("/_dash-layout", headers={"Referer": f"http://localhost{path}"})
        assert r.status_code == status, (path, r.status_code)
    # a body that is no JSON object is refused as a bad request, never a server error
    for body in ([1, 2], "text", 3):
        assert analyst.post("/_dash-update-component", json=body).status_code == 400, body


def test_a_callback_from_a_foreign_origin_is_refused(app):
    c = signed_in(app, "duty", "duty_officer")
    router = next(k for k, m in callback_modules(app).items() if m == "callbacks.routes")
    body = {"output": router, "inputs": [], "changedPropIds": []}
    r = c.post("/_dash-update-component", json=body, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    r = c.post("/_dash-update-component", json=body, headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403
    log = app.server.extensions["townbrain_access"].audit.list(user="duty")
    assert log["detail"].str.contains("foreign origin").any()


def test_idle_30_minutes_ends_the_session_and_timers_do_not_keep_it_alive(app):
    c = signed_in(app, "duty", "duty_officer")
    clock = app.server.extensions["townbrain_access"].clock
    router = next(k for k, m in callback_modules(app).items() if m == "callbacks.live")
    timer = {"output": router, "inputs": [], "changedPropIds": ["live-poll.n_intervals"]}
    clock.advance(minutes=20)
    c.post("/_dash-update-component", json=timer)  # a timer: not a person
    clock.advance(minutes=11)
    r = c.get("/wall")
    assert r.status_code == 303 and r.headers["Location"].startswith("/login")
    assert "timeout" in app.server.extensions["townbrain_access"].audit.list(user="duty")["action"].tolist()
    # activity within 30 minutes keeps it
    c = signed_in(app, "duty2", "duty_officer")
    for _ in range(3):
        clock.advance(minutes=20)
        assert c.get("/wall").status_code == 200


def test_a_session_revoked_elsewhere_or_signed_out_is_refused_and_its_cookie_is_worthless(app):
    from access.service import Access
    c = signed_in(app, "duty", "duty_officer")
    acc = app.server.extensions["townbrain_access"]
    cli = Access(acc.store, clock=acc.clock)  # as `townbrain user revoke` in another process
    assert cli.sessions.revoke_user("duty", by="os:test") == 1
    acc.clock.advance(seconds=6)
    assert c.get("/_dash-layout").status_code == 401
    c = signed_in(app, "duty3", "duty_officer")
    token = next(ck.value for ck in c._cookies.values() if ck.key == "tb_session")
    assert c.get("/logout").status_code == 303
    replay = app.server.test_client()
    replay.set_cookie("tb_session", token)
    assert replay.get("/_dash-layout").status_code == 401


def test_totp_is_required_for_the_privileged_roles(app):
    _account(app, "ops", "sysadmin")
    c = app.server.test_client()
    r = c.post("/login", data={"name": "ops", "password": PW})
    assert r.headers["Location"] == "/login/enrol"  # no second factor yet: enrol it first
    assert c.get("/account").status_code == 303      # not signed in before that
    page = c.get("/login/enrol").get_data(as_text=True)
    assert "<svg" in page and "otpauth://totp/" in page
    secret = re.search(r'id="tb-secret">([A-Z2-7]+)<', page).group(1)
    assert c.post("/login/enrol", data={"code": "000000"}).status_code == 200  # wrong code
    now = int(app.server.extensions["townbrain_access"].now().timestamp())
    assert c.post("/login/enrol", data={"code": pyotp.TOTP(secret).at(now)}).headers["Location"] == "/account"
    assert c.get("/account").status_code == 200


def test_five_failed_sign_ins_lock_out_and_are_audited(app):
    _account(app, "duty", "duty_officer")
    c = app.server.test_client()
    for _ in range(5):
        assert c.post("/login", data={"name": "duty", "password": "nope"}).status_code == 401
    r = c.post("/login", data={"name": "duty", "password": PW})
    assert r.status_code == 401 and "锁定" in r.get_data(as_text=True)
    actions = app.server.extensions["townbrain_access"].audit.list(user="duty")["action"].tolist()
    assert actions.count("lockout") == 1


def test_next_is_followed_only_to_a_local_page_the_role_may_open(app):
    _account(app, "duty", "duty_officer")
    c = app.server.test_client()
    r = c.post("/login?next=//evil.example/x", data={"name": "duty", "password": PW})
    assert r.headers["Location"] == "/console"


def test_a_requests_scope_comes_with_its_session_and_a_grant_change_holds_from_the_next_request(app):
    """The scope of a request is read with its session (at most once a revalidation),
    not once more per request: a callback's gate cost no store read of its own
    (bench/access measured 14 ms a callback for that read). A grant changed in this
    process holds from the next request all the same."""
    from tests.access.conftest import as_reader
    acc = _account(app, "officer", "duty_officer")
    c = app.server.test_client()
    assert c.post("/login", data={"name": "officer", "password": PW}).status_code == 303
    token = next(ck.value for ck in c._cookies.values() if ck.key == "tb_session")
    reads = []
    real = acc.accounts.get
    acc.accounts.get = lambda name: reads.append(name) or real(name)

    def scope_of_a_request():
        with as_reader(app, token) as scope:
            return scope

    assert all(scope_of_a_request().town for _ in range(5))
    assert reads == ["officer"]             # once, as the session was loaded: its grants came with it
    acc.accounts.set_grants("officer", "D1", by="os:test")
    reads.clear()
    s = scope_of_a_request()
    assert not s.town and s.districts == {"D1"} and reads == ["officer"]   # the session loaded again, once
    assert scope_of_a_request().districts == {"D1"} and reads == ["officer"]
