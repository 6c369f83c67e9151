"""The duty console reached under a path prefix (a reverse proxy, or JupyterHub's
jupyter-server-proxy, that strips ``/tb/`` before the app sees a request; the app's
requests prefix says it, as callbacks/paths.py ``local_path`` takes it): the sign-in
it sends a browser without a session to, and back, stays under the prefix; a link in
the console's table is followed in the page, and the address stays under the prefix,
so a reload, a shared link or the link opened in a new tab still reaches the app."""
from __future__ import annotations

import shutil
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By

from callbacks import ids
from dash.testing.wait import until

from tests.browser.conftest import BROWSER_PASSWORD, BROWSER_ROLE, BROWSER_USER, free_port, set_viewport
from tests.notebook.proxy import prefix_proxy

pytestmark = pytest.mark.browser

PREFIX = "/tb/"


def test_a_console_link_under_a_path_prefix_is_followed_in_the_page_and_stays_under_it(dash_duo, fixture_town,
                                                                                       tmp_path):
    from app import create_app
    url = str(tmp_path / "town.gpkg")
    shutil.copy(fixture_town, url)   # the app writes sessions and audit records
    app = create_app(url)
    dict.__setitem__(app.config, "requests_pathname_prefix", PREFIX)   # as townbrain/nb_dashboard.py sets it
    port = free_port()
    dash_duo.start_server_signed_out(app, port=port)
    set_viewport(dash_duo.driver, 1920, 1080)
    app.server.extensions["townbrain_access"].accounts.create(BROWSER_USER, BROWSER_ROLE, "town", by="os:test",
                                                               password=BROWSER_PASSWORD, must_change=False)
    proxy, proxy_port = prefix_proxy(port, PREFIX)
    hub = f"http://localhost:{proxy_port}"
    try:
        driver = dash_duo.driver
        # without a session: to the sign-in under the prefix, styled, and back to the console asked for
        driver.get(f"{hub}{PREFIX}console?sort=case_id&dir=asc")
        until(lambda: urlsplit(driver.current_url).path == f"{PREFIX}login", timeout=15)
        assert "next=/console" in driver.current_url
        assert driver.execute_script("return getComputedStyle(document.body).display") == "flex"   # its stylesheet
        driver.find_element(By.ID, "tb-name").send_keys(BROWSER_USER)
        driver.find_element(By.ID, "tb-password").send_keys(BROWSER_PASSWORD)
        driver.find_element(By.ID, "tb-submit").click()
        until(lambda: urlsplit(driver.current_url).path == f"{PREFIX}console", timeout=15)
        assert urlsplit(driver.current_url).query == "sort=case_id&dir=asc"
        dash_duo.wait_for_element(f"#{ids.CONSOLE_TABLE} .case-link", timeout=30)
        driver.execute_script("window.__same_page = true")   # gone if the browser loads a page
        link = dash_duo.find_element(f"#{ids.CONSOLE_TABLE} .case-link")
        case_id = link.text
        href = link.get_attribute("href")   # what a new tab, or a copied link, opens
        assert href.startswith(f"{hub}{PREFIX}console?") and f"case={case_id}" in href, href
        link.click()
        dash_duo.wait_for_contains_text(f"#{ids.CONSOLE_DETAIL} .detail-id", case_id, timeout=30)
        where = urlsplit(driver.current_url)
        assert where.path == f"{PREFIX}console", driver.current_url
        assert f"case={case_id}" in where.query
        assert driver.execute_script("return window.__same_page === true"), "the link loaded a page"
        # a sort link (data-patch: only what it changes) keeps the prefix too, and the case
        dash_duo.find_element(f"#{ids.CONSOLE_TABLE} th a.sort-link").click()
        dash_duo._wait_for(lambda d: urlsplit(d.current_url).query != where.query, timeout=15,
                           msg="the sort was not followed")
        assert urlsplit(driver.current_url).path == f"{PREFIX}console", driver.current_url
        assert f"case={case_id}" in urlsplit(driver.current_url).query
        assert driver.execute_script("return window.__same_page === true")
        # the address works as it is: a reload draws the console with the case
        driver.refresh()
        dash_duo.wait_for_contains_text(f"#{ids.CONSOLE_DETAIL} .detail-id", case_id, timeout=30)
        # and so does the link's own address, opened in a new tab
        driver.switch_to.new_window("tab")
        driver.get(href)
        dash_duo.wait_for_contains_text(f"#{ids.CONSOLE_DETAIL} .detail-id", case_id, timeout=30)
        assert urlsplit(driver.current_url).path == f"{PREFIX}console"
        assert [e for e in dash_duo.get_logs() if e.get("level") == "SEVERE"] == []
    finally:
        proxy.shutdown()
