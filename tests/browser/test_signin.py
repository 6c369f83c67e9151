"""Signing in, in a real Chromium, as a new user would (issue 16): the one-time
password, the new password, the second factor's QR code for a leader, the page
asked for, sign-out — in Chinese and English, with a clean console and a CSP
that Dash's own scripts pass."""
from __future__ import annotations

import re

import pyotp
import pytest
from dash.testing.wait import until
from selenium.webdriver.common.by import By

from tests.browser.conftest import free_port, set_viewport

pytestmark = pytest.mark.browser


def fill(driver, **fields):
    for name, value in fields.items():
        el = driver.find_element(By.ID, f"tb-{name}")
        el.clear()
        el.send_keys(value)
    driver.find_element(By.ID, "tb-submit").click()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_new_leader_signs_in_changes_the_password_enrols_totp_and_reaches_the_console(dash_duo, wall_app, lang,
                                                                                          tmp_path):
    access = wall_app.server.extensions["townbrain_access"]
    name = f"lin-{lang}"
    one_time = access.accounts.create(name, "leader", "town", by="os:test")
    dash_duo.start_server_signed_out(wall_app, port=free_port())
    set_viewport(dash_duo.driver, 1920, 1080)
    d, base = dash_duo.driver, dash_duo.server.url
    q = "?lang=en" if lang == "en" else ""
    d.get(f"{base}/console{q}")
    until(lambda: "/login" in d.current_url, timeout=10)
    assert d.find_element(By.TAG_NAME, "h1").text == ("Sign in" if lang == "en" else "登录")
    assert d.find_element(By.TAG_NAME, "html").get_attribute("lang") == ("en" if lang == "en" else "zh-CN")
    d.save_screenshot(str(tmp_path / f"login-{lang}.png"))
    fill(d, name=name, password="not-it")
    assert d.find_element(By.ID, "tb-error").text == ("Account or password is wrong." if lang == "en"
                                                      else "账号或口令不正确。")
    d.get_log("browser")  # Chrome notes the 401 of the refused sign-in; that is the page's answer
    fill(d, name=name, password=one_time)
    until(lambda: "/login/password" in d.current_url, timeout=10)
    fill(d, current=one_time, new="short", again="short")
    assert "8" in d.find_element(By.ID, "tb-error").text
    fill(d, current=one_time, new="Leader-2026", again="Leader-2026")
    until(lambda: "/login/enrol" in d.current_url, timeout=10)
    assert d.find_element(By.CSS_SELECTOR, "#tb-qr svg").is_displayed()
    d.save_screenshot(str(tmp_path / f"enrol-{lang}.png"))
    secret = d.find_element(By.ID, "tb-secret").text
    assert d.find_element(By.ID, "tb-uri").text.startswith("otpauth://totp/")
    fill(d, code=pyotp.TOTP(secret).now())
    until(lambda: d.current_url.startswith(f"{base}/console"), timeout=10)
    dash_duo.wait_for_element("#console", timeout=20)
    assert dash_duo.get_logs() == []  # no CSP violation, no error: Dash runs under the policy
    d.get(f"{base}/logout{q}")
    until(lambda: "/login" in d.current_url, timeout=10)
    d.get(f"{base}/console")
    until(lambda: "/login?next=/console" in d.current_url, timeout=10)
    actions = access.audit.list(user=name)["action"].tolist()
    assert actions == ["sign_in_failed", "password_change", "password_change", "totp_enrol", "sign_in", "sign_out"]
    assert access.audit.verify().ok
