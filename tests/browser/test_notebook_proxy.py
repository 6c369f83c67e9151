"""The notebook's inline wall behind JupyterHub: opened in Chromium through a
jupyter-server-proxy path prefix, it draws — its callbacks (POSTs, the gate's
Origin check) go through the proxy — and asks nothing of any other host."""
from __future__ import annotations

import pytest

from callbacks import ids
from callbacks.i18n import LABELS
from tests.browser.conftest import MAP_READY_JS, TOWN_NAME
from tests.notebook.proxy import dashboard_behind_hub, town_copy


@pytest.fixture
def town(fixture_town, tmp_path):
    yield from town_copy(fixture_town, tmp_path)


def test_the_notebook_wall_draws_through_a_jupyterhub_path_prefix(dash_duo, town):
    with dashboard_behind_hub(town) as (d, hub, prefix):
        driver = dash_duo.driver
        driver.get_log("performance")
        driver.get(d.url)   # the one-time address, through the proxy; the cookie is set for the prefix
        dash_duo.wait_for_element(f"#{ids.WALL_MAP}.leaflet-container canvas", timeout=30)
        dash_duo._wait_for(lambda dr: dr.execute_script(MAP_READY_JS), timeout=30, msg="the map was never drawn")
        # what callbacks wrote: the town's name, the module's title, a ticking clock
        dash_duo.wait_for_text_to_equal(f"#{ids.TOWN_NAME}", TOWN_NAME, timeout=30)
        dash_duo.wait_for_contains_text(f"#{ids.CLOCK_TIME}", ":", timeout=30)
        dash_duo.wait_for_text_to_equal(f"#{ids.PAGE_NAME}", LABELS["zh"]["module.public"], timeout=30)
        assert driver.current_url.startswith(hub + prefix + "wall")
        # every request went to the hub's address under the prefix: none straight to the app, none elsewhere
        urls = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        assert any("_dash-update-component" in u for u in urls)
        assert [u for u in urls if not u.startswith(hub + prefix)] == []
        assert [e for e in dash_duo.get_logs() if "403" in e.get("message", "")] == []
        # a module tab is followed in the page, and the address stays under the prefix: a reload draws it
        driver.execute_script("window.__same_page = true")
        dash_duo.find_element(f"#{ids.module_tab('ecology')}").click()
        dash_duo.wait_for_text_to_equal(f"#{ids.PAGE_NAME}", LABELS["zh"]["module.ecology"], timeout=30)
        assert driver.current_url.startswith(hub + prefix + "wall?") and "module=ecology" in driver.current_url
        assert driver.execute_script("return window.__same_page === true"), "the tab loaded a page"
        driver.refresh()
        dash_duo.wait_for_text_to_equal(f"#{ids.PAGE_NAME}", LABELS["zh"]["module.ecology"], timeout=30)
