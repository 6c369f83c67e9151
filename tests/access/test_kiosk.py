"""The wall as an enrolled device (issue 16, Deliver 4): the one-time code, the device
cookie, the kiosk role kept to the wall, no idle time-out, a restart survived, a
revocation that holds at the next request — each audited. Devices on both stores; the
gate on the real app (Flask's test client); the command line through typer."""
from __future__ import annotations

import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from access.devices import CODE_MINUTES, TOUCH_SECONDS
from access.pages import callback_modules
from tests.access.test_gate import app  # noqa: F401 - the fixture: the real app on a fixture town

runner = CliRunner()


# ---- devices in the store, on both backends ------------------------------------------------
def test_a_code_is_traded_once_for_a_token_and_only_hashes_are_stored(access):
    code = access.devices.issue("wall-1", by="os:test")
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    token, why = access.devices.enroll(code.lower().replace("-", " "), source="10.0.0.9")  # as a person types it
    assert why == "ok" and token
    sess, refused = access.devices.check(token)
    assert refused is None and sess.role == "kiosk" and sess.name == "kiosk:wall-1" and sess.device
    stored = access.store.read("devices").astype(str).to_string()
    assert code not in stored and code.replace("-", "") not in stored and token not in stored
    # the same code again: refused and audited
    assert access.devices.enroll(code, source="10.0.0.66") == (None, "used")
    log = access.audit.list()
    assert log["action"].tolist()[-3:] == ["device_code", "device_enroll", "device_enroll_failed"]
    assert log.iloc[-1]["outcome"] == "refused" and log.iloc[-1]["source"] == "10.0.0.66"


def test_an_expired_or_unknown_code_is_refused_and_audited(access, clock):
    code = access.devices.issue("wall-1", by="os:test")
    clock.advance(minutes=CODE_MINUTES, seconds=1)
    assert access.devices.enroll(code, source="10.0.0.9") == (None, "expired")
    assert access.devices.enroll("AAAA-BBBB-CCCC", source="10.0.0.9") == (None, "unknown")
    assert access.devices.enroll("", source="10.0.0.9") == (None, "unknown")
    failed = access.audit.list()
    failed = failed[failed["action"] == "device_enroll_failed"]
    assert failed["detail"].tolist() == ["expired code", "unknown code", "unknown code"]
    assert access.devices.list().loc[0, "state"] == "code_expired"
    # an expired code's name may be issued again; a pending one may not
    code2 = access.devices.issue("wall-1", by="os:test")
    with pytest.raises(ValueError, match="revoke it first"):
        access.devices.issue("wall-1", by="os:test")
    assert access.devices.enroll(code2, source="10.0.0.9")[1] == "ok"


def test_a_revoked_device_is_refused_at_its_next_check_and_last_seen_is_throttled(access, clock):
    token, _ = access.devices.enroll(access.devices.issue("wall-1", by="os:test"), source=None)
    first = access.devices.get("wall-1")["last_seen"]
    clock.advance(seconds=TOUCH_SECONDS / 2)
    access.devices.check(token)
    assert access.devices.get("wall-1")["last_seen"] == first  # not written twice a minute
    clock.advance(seconds=TOUCH_SECONDS)
    access.devices.check(token)
    assert pd.Timestamp(access.devices.get("wall-1")["last_seen"]) == clock()
    access.devices.revoke("wall-1", by="os:test")
    assert access.devices.check(token) == (None, "revoked device kiosk:wall-1")
    assert access.devices.list().loc[0, "state"] == "revoked"
    assert access.audit.list()["action"].tolist()[-1] == "device_revoke"
    with pytest.raises(ValueError, match="revoked already"):
        access.devices.revoke("wall-1", by="os:test")


# ---- the command line ------------------------------------------------------------------------
def test_kiosk_enroll_list_revoke_from_the_command_line(tmp_path):
    from access.service import Access
    from geodata.store import open_store
    from townbrain.cli import app as cli
    db = str(tmp_path / "t.gpkg")
    open_store(db).create_schema()
    r = runner.invoke(cli, ["kiosk", "enroll", "--name", "command-room", "--db", db])
    assert r.exit_code == 0, r.output
    code = re.search(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b", r.output).group(0)
    assert Access(open_store(db)).devices.enroll(code, source="10.0.0.9")[1] == "ok"
    r = runner.invoke(cli, ["kiosk", "list", "--json", "--db", db])
    assert r.exit_code == 0 and '"state": "enrolled"' in r.output and '"last_seen": "2' in r.output
    assert code not in r.output
    r = runner.invoke(cli, ["kiosk", "revoke", "command-room", "--db", db])
    assert r.exit_code == 0 and "revoked" in r.output
    r = runner.invoke(cli, ["kiosk", "list", "--db", db])
    assert "revoked" in r.output
    for args, says in ((["kiosk", "revoke", "nope"], "no wall 'nope'"),
                       (["kiosk", "enroll", "--name", "bad name!"], "must be 1-64")):
        r = runner.invoke(cli, [*args, "--db", db])
        assert r.exit_code == 1 and says in r.output and "Traceback" not in r.output
    r = runner.invoke(cli, ["user", "create", "--name", "w", "--role", "kiosk", "--db", db])
    assert r.exit_code == 1 and "kiosk enroll" in r.output


# ---- the gate, on the real app ---------------------------------------------------------------
def enrolled(app, name="wall-1"):  # noqa: F811
    acc = app.server.extensions["townbrain_access"]
    code = acc.devices.issue(name, by="os:test")
    c = app.server.test_client()
    r = c.post("/enroll", data={"code": code})
    assert r.status_code == 303 and r.headers["Location"] == "/wall", r.status_code
    return c, r


def _token(c) -> str:
    return next(ck.value for ck in c._cookies.values() if ck.key == "tb_device")


def test_enroll_sets_a_strict_httponly_long_lived_cookie_and_the_wall_opens(app):  # noqa: F811
    c, r = enrolled(app)
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("tb_device=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Max-Age=34560000" in cookie and "Secure" not in cookie  # no TLS here
    assert _token(c) not in r.headers["Location"]
    for path in ("/wall", "/", "/_dash-layout", "/_dash-dependencies", "/assets/wall.css"):
        assert c.get(path).status_code == 200, path
    assert c.get("/enroll").headers["Location"] == "/wall"  # already a wall


def test_the_enroll_page_refuses_a_wrong_code_in_both_languages(app):  # noqa: F811
    c = app.server.test_client()
    zh = c.get("/enroll").get_data(as_text=True)
    assert "大屏终端注册" in zh and 'name="code"' in zh and "<script" not in zh
    r = c.post("/enroll?lang=en", data={"code": "AAAA-BBBB-CCCC"})
    assert r.status_code == 401 and "The code is wrong." in r.get_data(as_text=True)
    assert "tb_device" not in r.headers.get("Set-Cookie", "")
    # from another site: refused before the code is even looked at
    assert c.post("/enroll", data={"code": "x"}, headers={"Origin": "http://evil.example"}).status_code == 403


def test_the_kiosk_reaches_the_wall_only_not_the_console_nor_its_callbacks(app):  # noqa: F811
    c, _ = enrolled(app)
    assert c.get("/console").status_code == 403
    assert c.get("/_dash-layout", headers={"Referer": "http://localhost/console"}).status_code == 403
    assert c.get("/audit").status_code == 403
    modules = callback_modules(app)
    console = [k for k, m in modules.items() if m == "callbacks.console"]
    assert console
    for output in console:
        body = {"output": output, "outputs": [], "inputs": [], "changedPropIds": []}
        assert c.post("/_dash-update-component", json=body).status_code == 403, output
    router = next(k for k, m in modules.items() if m == "callbacks.routes")
    body = {"output": router, "inputs": [], "changedPropIds": [],
            "state": [{"id": "url", "property": "pathname", "value": "/console"}]}
    assert c.post("/_dash-update-component", json=body).status_code == 403
    refused = app.server.extensions["townbrain_access"].audit.list(user="kiosk:wall-1")
    assert (refused["action"] == "refused").sum() >= len(console) + 3
    # /logout does not end a wall
    assert c.get("/logout").headers["Location"] == "/wall" and c.get("/wall").status_code == 200


def test_the_wall_has_no_idle_timeout_and_survives_a_restart(app):  # noqa: F811
    from app import create_app
    c, _ = enrolled(app)
    clock = app.server.extensions["townbrain_access"].clock
    clock.advance(days=3)  # a weekend without anyone touching it
    assert c.get("/wall").status_code == 200
    token = _token(c)
    again = create_app(app.server.extensions["townbrain_access"].store.url)  # a restart: nothing in memory
    c2 = again.server.test_client()
    c2.set_cookie("tb_device", token)
    assert c2.get("/wall").status_code == 200 and c2.get("/_dash-layout").status_code == 200


def test_a_revoked_wall_is_refused_at_its_next_request(app):  # noqa: F811
    from access.service import Access
    c, _ = enrolled(app)
    acc = app.server.extensions["townbrain_access"]
    Access(acc.store, clock=acc.clock).devices.revoke("wall-1", by="os:test")  # as the CLI in another process
    r = c.get("/wall")
    assert r.status_code == 303 and r.headers["Location"] == "/enroll?revoked=1"
    assert c.get("/_dash-layout").status_code == 401
    page = c.get("/enroll?revoked=1").get_data(as_text=True)
    assert "此大屏已被吊销" in page
    log = acc.audit.list(user="kiosk:wall-1")
    assert log["detail"].str.contains("revoked device kiosk:wall-1").sum() == 2


def test_a_wall_and_a_session_checked_before_an_outage_go_on_through_it_a_new_one_does_not(tmp_path, clock):
    """While the store is away (its file gone), the enrolled wall and a signed-in person
    already checked keep their standing — the wall shows its last numbers as stale instead
    of error pages — but nothing unknown is let in, and a revocation holds once it is readable."""
    import os
    from access.service import Access
    from geodata.frames import StoreUnavailable
    from geodata.store import open_store
    from tests.access.conftest import small_town
    path = tmp_path / "t.gpkg"
    setup = open_store(str(path))
    small_town(setup)
    acc = Access(setup, clock=clock)
    acc.accounts.create("duty", "duty_officer", "town", by="os:test", password="Duty-2026-ok", must_change=False)
    token, _ = acc.devices.enroll(acc.devices.issue("wall-1", by="os:test"), source=None)
    stranger, _ = acc.devices.enroll(acc.devices.issue("wall-2", by="os:test"), source=None)
    setup.close()
    served = Access(open_store(str(path), create=False), clock=clock)   # as the server opens it
    sid = served.sessions.create("duty", "signed_in", None)
    assert served.devices.check(token)[0].name == "kiosk:wall-1"
    assert served.sessions.resolve(sid).name == "duty"
    os.rename(path, tmp_path / "away.gpkg")
    clock.advance(seconds=TOUCH_SECONDS + 1)       # past revalidation and the last-seen touch
    sess, refused = served.devices.check(token)
    assert refused is None and sess.name == "kiosk:wall-1" and sess.role == "kiosk"
    assert served.sessions.resolve(sid).name == "duty"
    with pytest.raises(StoreUnavailable):
        served.devices.check(stranger)              # never checked: cannot be let in blind
    assert not (tmp_path / "t.gpkg").exists()       # and nothing created the file again
    os.rename(tmp_path / "away.gpkg", path)
    served.devices.revoke("wall-1", by="os:test")
    assert served.devices.check(token) == (None, "revoked device kiosk:wall-1")
