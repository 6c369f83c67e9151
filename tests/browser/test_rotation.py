"""Rotation (``/wall?rotate=SECONDS``) on the screen, not in the URL: each step
changes the title, the module's panel and the map's layers to the next module's;
a click on a tab moves the rotation there and it goes on from there one period
later; the URL and the screen always name the same module."""
from __future__ import annotations

import time

import pytest

from callbacks import ids
from callbacks.i18n import LABELS, MODULE_IDS
from layers import modules as M
from tests.browser import town_full
from tests.browser.conftest import MAP_STATE
from tests.browser.test_wall import open_wall

full_town = town_full.full_town
served_full = town_full.served_full

pytestmark = pytest.mark.browser

PERIOD_S = 3

#: What the screen shows, read in one go: the URL's module, the title, the active tab,
#: the module's KPI tile ids in the left panel, and the map's layers shown (by slot).
SCREEN_JS = f"""
const st = {MAP_STATE};
const tab = document.querySelector('#{ids.MODULE_BAR} .module-tab.is-active');
return {{
  url: new URLSearchParams(location.search).get('module'),
  title: document.getElementById('{ids.PAGE_NAME}').textContent,
  tab: tab ? tab.id : null,
  tiles: [...document.querySelectorAll('#{ids.MODULE_PANEL} [id^="module-kpi-"]')].map(e => e.id),
  slots: st ? [...new Set(st.layers.filter(l => l.visible && l.onMap).map(l => l.slot))] : [],
}};
"""


def screen(duo) -> dict:
    return duo.driver.execute_script(SCREEN_JS)


def expected_screen(module_id: str) -> dict:
    """What the screen of ``module_id`` shows (the map's base slots and one of the
    module's own; the fixture town has no data of the modules' extension layers)."""
    module = M.get(module_id)
    return {"url": module_id, "title": LABELS["en"][f"module.{module_id}"], "tab": ids.module_tab(module_id),
            "tiles": [ids.module_kpi(k) for k in module.kpis]}


def shows(duo, module_id: str) -> bool:
    """The whole screen — title, tab, panel, map — is on ``module_id``."""
    now = screen(duo)
    want = expected_screen(module_id)
    if any(now[k] != v for k, v in want.items()):
        return False
    layers = set(M.get(module_id).layers)
    # the map shows only the module's layers: the enforcement module draws the
    # professional grids and no comprehensive grids, the others the reverse
    return ("pro_grids" in now["slots"]) == ("pro_grids" in layers) and \
        ("grids" in now["slots"]) == ("grids" in layers)


def wait_for_module(duo, module_id: str, timeout: float) -> float:
    t0 = time.monotonic()
    duo._wait_for(lambda d: shows(duo, module_id), timeout=timeout,
                  msg=f"the screen never showed {module_id}: {screen(duo)}")
    return time.monotonic() - t0


def test_rotation_changes_the_screen_and_resumes_after_a_click(served_full):
    duo = served_full
    order = list(MODULE_IDS)
    open_wall(duo, f"?module=admin&rotate={PERIOD_S}&lang=en")
    assert shows(duo, "admin"), screen(duo)
    # 1. the rotation steps the whole screen: admin -> enforcement -> transport
    wait_for_module(duo, "enforcement", timeout=PERIOD_S + 5)
    assert "rotate=3" in duo.driver.current_url and "lang=en" in duo.driver.current_url
    wait_for_module(duo, order[(order.index("enforcement") + 1) % len(order)], timeout=PERIOD_S + 5)
    # 2. a click takes over: the screen goes to the tab clicked, the rotation's
    # position with it, and its period starts again from the click
    duo.find_element(f"#{ids.module_tab('ecology')}").click()
    clicked = time.monotonic()
    wait_for_module(duo, "ecology", timeout=5)
    # it stays for (nearly) a whole period, URL and screen agreeing all the time
    while time.monotonic() - clicked < PERIOD_S - 1:
        now = screen(duo)
        assert now["url"] == "ecology" and now["title"] == LABELS["en"]["module.ecology"], now
        time.sleep(0.2)
    # 3. then it goes on from the module clicked, not from its own count
    wait_for_module(duo, "livelihood", timeout=PERIOD_S + 5)
    assert time.monotonic() - clicked >= PERIOD_S - 0.5
    assert duo.get_logs() == []


def test_rotation_from_the_overview_starts_at_the_first_module(served_full):
    duo = served_full
    open_wall(duo, f"?rotate={PERIOD_S}&lang=en")
    wait_for_module(duo, MODULE_IDS[0], timeout=PERIOD_S + 6)
    # Back in the browser is a change of the URL like a click: the screen follows
    duo.driver.back()
    duo._wait_for(lambda d: screen(duo)["url"] is None and screen(duo)["title"] == "", timeout=5,
                  msg="Back did not bring the overview back")
    assert duo.get_logs() == []
