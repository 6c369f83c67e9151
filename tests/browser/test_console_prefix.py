"""The duty console reached under a path prefix (a reverse proxy, or JupyterHub's
jupyter-server-proxy, that strips ``/tb/`` before the app sees a request; the app's
requests prefix says it, as callbacks/paths.py ``local_path`` takes it): a link in the
console's table is followed in the page, and the address stays under the prefix, so a
reload or a shared link still reaches the app."""
from __future__ import annotations

import shutil
from urllib.parse import urlsplit

import pytest

from callbacks import ids
from tests.browser.conftest import free_port, set_viewport
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
    dash_duo.start_server(app, port=port)          # signs in; the cookie (path /) holds for the proxy's port too
    set_viewport(dash_duo.driver, 1920, 1080)
    proxy, proxy_port = prefix_proxy(port, PREFIX)
    hub = f"http://localhost:{proxy_port}"   # the host the browser signed in at (the cookie is per host)
    try:
        driver = dash_duo.driver
        driver.get_log("browser")   # the direct address's page (its scripts are under the prefix) is not the test's
        driver.get(f"{hub}{PREFIX}console?sort=case_id&dir=asc")
        dash_duo.wait_for_element(f"#{ids.CONSOLE_TABLE} .case-link", timeout=30)
        driver.execute_script("window.__same_page = true")   # gone if the browser loads a page
        link = dash_duo.find_element(f"#{ids.CONSOLE_TABLE} .case-link")
        case_id = link.text
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
        assert [e for e in dash_duo.get_logs() if e.get("level") == "SEVERE"] == []
    finally:
        proxy.shutdown()
