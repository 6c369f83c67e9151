"""The wall enrolled as a device, in a real Chromium (issue 16, Deliver 4): the
operator's one-time code typed into the real ``/enroll`` page, the wall drawn without
any sign-in, the console refused, a server restart (a new app on the same store)
survived without anyone typing, and a revocation that sends the wall back to /enroll."""
from __future__ import annotations

import os
import uuid

import pytest
from dash.testing.wait import until
from selenium.webdriver.common.by import By

from callbacks import ids
from tests.browser.conftest import free_port, set_viewport

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("TOWNBRAIN_KIOSK_SHOTS")  # a folder to keep the screenshots in, when set


def _shot(d, tmp_path, name):
    d.save_screenshot(str(tmp_path / name))
    if SHOTS:
        d.save_screenshot(os.path.join(SHOTS, name))


def test_a_wall_enrols_with_its_code_survives_a_restart_and_is_refused_once_revoked(dash_duo, fixture_town,
                                                                                     tmp_path):
    from access.service import Access
    from app import create_app
    app = create_app(fixture_town)
    access = app.server.extensions["townbrain_access"]
    name = f"wall-{uuid.uuid4().hex[:6]}"
    code = access.devices.issue(name, by="os:browser-tests")   # `townbrain kiosk enroll --name`
    dash_duo.start_server_signed_out(app, port=free_port())
    set_viewport(dash_duo.driver, 1920, 1080)
    d, base = dash_duo.driver, dash_duo.server.url

    # English first, for the picture; then the Chinese default, where the code is typed
    d.get(f"{base}/enroll?lang=en")
    assert d.find_element(By.TAG_NAME, "h1").text == "Enrol this wall"
    _shot(d, tmp_path, "enroll-en.png")
    d.get(f"{base}/wall")  # a browser with nothing goes to sign in …
    until(lambda: "/login" in d.current_url, timeout=10)
    d.get(f"{base}/enroll")  # … a wall to /enroll
    assert d.find_element(By.TAG_NAME, "h1").text == "大屏终端注册"
    assert d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"
    d.find_element(By.ID, "tb-code").send_keys("AAAA-BBBB-CCCC")
    d.find_element(By.ID, "tb-submit").click()
    until(lambda: d.find_elements(By.ID, "tb-error"), timeout=10)
    assert d.find_element(By.ID, "tb-error").text == "注册码不正确。"
    d.get_log("browser")  # Chrome notes the 401 of the refused code: that is the page's answer
    d.find_element(By.ID, "tb-code").send_keys(code.lower())
    _shot(d, tmp_path, "enroll-zh.png")
    d.find_element(By.ID, "tb-submit").click()
    until(lambda: d.current_url.startswith(f"{base}/wall"), timeout=10)
    dash_duo.wait_for_element(f"#{ids.WALL}", timeout=30)
    dash_duo.wait_for_element(f"#{ids.WALL_MAP}.leaflet-container canvas", timeout=30)
    cookie = next(c for c in d.get_cookies() if c["name"] == "tb_device")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and code not in d.current_url
    assert not any(c["name"] == "tb_session" for c in d.get_cookies())  # a device, not a person
    assert dash_duo.get_logs() == []

    # the kiosk may not open the console
    d.get(f"{base}/console")
    assert d.find_element(By.ID, "tb-refused").is_displayed()
    d.get_log("browser")

    # a restart: a new app on the same store, nothing kept in memory; nobody types
    d.get("about:blank")  # the old server stops by an async SystemExit: leave it idle first
    dash_duo.server.stop()
    dash_duo.server.started = False
    dash_duo.start_server_signed_out(create_app(fixture_town), port=free_port())
    base = dash_duo.server.url  # cookies are per host, not per port: the wall's cookie goes along
    d.get(f"{base}/wall")
    dash_duo.wait_for_element(f"#{ids.WALL_MAP}.leaflet-container canvas", timeout=30)
    assert d.current_url.startswith(f"{base}/wall")
    assert dash_duo.get_logs() == []

    # revoked from the command line: the next request goes back to /enroll
    Access(access.store).devices.revoke(name, by="os:browser-tests")
    d.get(f"{base}/wall")
    until(lambda: "/enroll" in d.current_url, timeout=10)
    assert d.find_element(By.ID, "tb-note").text == "此大屏已被吊销,请输入新的注册码。"
    actions = Access(access.store).audit.list()
    mine = actions[actions["object"].astype(str).str.contains(name)]
    assert {"device_code", "device_enroll", "device_revoke"} <= set(mine["action"])
    d.get("about:blank")
