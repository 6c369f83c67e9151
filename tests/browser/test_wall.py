"""The wall, the console and the offline promise, in a real Chromium."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pandas as pd
import pytest
from dash.testing import errors as dash_errors
from dash.testing.wait import until

from callbacks import ids
from callbacks.i18n import LABELS, MODULE_IDS
from tests.browser.conftest import (MAP_READY_JS, TOWN_NAME, TZ, netlog_page_urls, off_host,
                                    page_request_urls, set_viewport, shown_slots)

pytestmark = pytest.mark.browser

def visible_layers(duo) -> list[str]:
    """The layers drawn, in drawing order: each layer's uid is "tb-<slot>-<k>"
    (callbacks/wall_map.py); the live feed's own overlays are not among them."""
    return shown_slots(duo.driver)


def expected_kpis(url: str) -> dict[str, str]:
    """The oracle: the panel's numbers by plain pandas on the same store, formatted
    as the wall formats them. accepted = registered_at set; disposed = accepted and
    closed_at set; open = accepted and not closed; rate = disposed / accepted."""
    from geodata.store import open_store
    cases = open_store(url).read("cases", columns=["registered_at", "closed_at"])
    now = pd.Timestamp.now(tz=TZ)
    start = pd.Timestamp(year=now.year, month=1, day=1, tz=TZ)
    end = pd.Timestamp(year=now.year + 1, month=1, day=1, tz=TZ)
    periods = {"all": cases["registered_at"].notna(),
               "year": (cases["registered_at"] >= start) & (cases["registered_at"] < end)}
    out = {}
    for period, accepted in periods.items():
        disposed = accepted & cases["closed_at"].notna()
        n_acc, n_disp = int(accepted.sum()), int(disposed.sum())
        out[ids.kpi_value(period, "accepted")] = f"{n_acc:,}"
        out[ids.kpi_value(period, "disposed")] = f"{n_disp:,}"
        out[ids.kpi_value(period, "open")] = f"{n_acc - n_disp:,}"
        out[ids.kpi_value(period, "disposal_rate")] = f"{100 * n_disp / n_acc:.1f}%" if n_acc else "—"
    return out


def open_wall(duo, query: str = "") -> None:
    duo.wait_for_page(f"{duo.server_url}/wall{query}")
    duo.wait_for_element(f"#{ids.WALL}")
    duo.wait_for_element(f"#{ids.WALL_MAP}.leaflet-container canvas", timeout=20)
    duo._wait_for(lambda d: d.execute_script(MAP_READY_JS), timeout=20,
                  msg="the map was never drawn")


def test_wall_shows_town_map_and_kpis_from_the_store(served, fixture_town):
    open_wall(served)
    assert served.find_element(f"#{ids.TOWN_NAME}").text == TOWN_NAME
    for elem_id, text in expected_kpis(fixture_town).items():
        served.wait_for_text_to_equal(f"#{elem_id}", text)
    # the four base layers are drawn (the grids coloured by open cases over their
    # outlines), the other layers wait hidden; and they are counted in the side panel
    assert visible_layers(served) == ["districts", "grids", "grid_kpi", "rivers", "roads"]
    # record counts: the fixture's layers, empty layers as 0, the town layer not counted
    served.wait_for_text_to_equal(f"#{ids.base_count('cases')}", "50")
    for layer, n in {"districts": "2", "grids": "4", "roads": "1", "rivers": "1",
                     "enterprises": "0", "total": "58"}.items():
        assert served.find_element(f"#{ids.base_count(layer)}").text == n, layer
    # clock ticking in the town's zone, data-as-of stamped
    served.wait_for_contains_text(f"#{ids.CLOCK_TIME}", ":")
    assert served.find_element(f"#{ids.DATA_AS_OF}").text != "—"
    # Chinese by default: the eight modules in the contract's order
    tabs = [served.find_element(f"#{ids.module_tab(m)}").text for m in MODULE_IDS]
    assert tabs == [LABELS["zh"][f"module.{m}"] for m in MODULE_IDS]
    assert served.get_logs() == []


def test_lang_en_switches_every_label(served):
    open_wall(served, "?lang=en")
    served.wait_for_text_to_equal(f"#{ids.module_tab('transport')}", "Transport")
    tabs = [served.find_element(f"#{ids.module_tab(m)}").text for m in MODULE_IDS]
    assert tabs == [LABELS["en"][f"module.{m}"] for m in MODULE_IDS]
    assert "Accepted" in served.find_element(f"#{ids.WALL}").text
    text = served.find_element(f"#{ids.WALL}").text
    assert not [ch for ch in text if "\u4e00" <= ch <= "\u9fff" and ch not in TOWN_NAME], text
    assert served.get_logs() == []


def test_module_click_sets_query_and_highlights_without_redrawing_map(served):
    open_wall(served, "?lang=en")
    map_elem = served.find_element(f"#{ids.WALL_MAP}")
    served.find_element(f"#{ids.module_tab('ecology')}").click()
    served.wait_for_class_to_equal(f"#{ids.module_tab('ecology')}", "module-tab is-active")
    assert "module=ecology" in served.driver.current_url and "lang=en" in served.driver.current_url
    served.wait_for_text_to_equal(f"#{ids.PAGE_NAME}", "Ecology")
    assert served.find_element(f"#{ids.module_tab('transport')}").get_attribute("class") == "module-tab"
    assert map_elem.is_displayed()  # same element: the router did not rebuild the page
    assert served.get_logs() == []


def test_module_in_url_is_highlighted_on_load(served):
    open_wall(served, "?module=transport")
    assert served.find_element(f"#{ids.module_tab('transport')}").get_attribute("class") == "module-tab is-active"
    assert served.find_element(f"#{ids.PAGE_NAME}").text == LABELS["zh"]["module.transport"]
    assert served.get_logs() == []


def test_no_request_leaves_the_host(served):
    served.driver.get_log("performance")  # drop anything from before this test
    open_wall(served)
    served.wait_for_contains_text(f"#{ids.CLOCK_TIME}", ":")
    served.wait_for_text_to_equal(f"#{ids.TOWN_NAME}", TOWN_NAME)
    time.sleep(1)  # let the NetLog writer catch up
    page_log = page_request_urls(served.driver)
    timing = served.driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    netlog = netlog_page_urls()
    # each record really is recording: Dash's renderer and Leaflet came from our server
    for urls in (page_log, timing, netlog):
        assert any("dash_renderer" in u and "_dash-component-suites" in u for u in urls), urls
        assert any("assets/vendor/leaflet/leaflet.js" in u for u in urls), urls
    assert off_host(page_log + timing + netlog) == []
    assert served.get_logs() == []


def test_wall_fits_1920x1080_without_scrolling(served):
    set_viewport(served.driver, 1920, 1080)
    open_wall(served)
    inner = served.driver.execute_script("return [window.innerWidth, window.innerHeight]")
    assert inner == [1920, 1080]
    scroll = served.driver.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    assert scroll[0] <= inner[0] and scroll[1] <= inner[1], (inner, scroll)
    graph = served.find_element(f"#{ids.WALL_MAP}")
    assert graph.size["width"] > 0.45 * inner[0] and graph.size["height"] > 0.6 * inner[1]
    shots = os.environ.get("TOWNBRAIN_SCREENSHOTS")
    if shots:  # e.g. TOWNBRAIN_SCREENSHOTS=/tmp to look at the wall
        Path(shots).mkdir(parents=True, exist_ok=True)
        served.driver.save_screenshot(str(Path(shots) / "wall.png"))
    assert served.get_logs() == []


# ---- a store that fails: the last numbers stay ------------------------------------------------------
REFRESH_SEEN_JS = """
window.__tbRefreshes = 0;
const fetch0 = window.fetch;
window.fetch = function (url, opts) {
    const answer = fetch0.apply(this, arguments);
    if (opts && typeof opts.body === 'string' && opts.body.includes('%s.children')) {
        answer.then(() => { window.__tbRefreshes += 1; });
    }
    return answer;
};
""" % ids.kpi_value("year", "accepted")


def test_kpis_stay_on_screen_when_a_refresh_cannot_reach_postgis(dash_duo, pg_schema_url):
    """The wall's own re-count (every 30 s, or when the live feed says something
    changed) meets an unreachable store: the numbers on screen stay, the stamp turns
    stale, as the live layer's banner says — never a wall of dashes."""
    from app import create_app
    from tests.browser.conftest import free_port
    from tests.browser.test_live import banner_shown, gated_town, text_of
    gate, gated = gated_town(pg_schema_url)
    numbers = [ids.kpi_value(p, n) for p in ("year", "all") for n in ("accepted", "disposed", "disposal_rate", "open")]
    numbers += [ids.base_count(layer) for layer in ("total", "cases", "grids")]
    try:
        dash_duo.start_server(create_app(gated), port=free_port())
        open_wall(dash_duo)
        accepted = ids.kpi_value("all", "accepted")
        dash_duo._wait_for(lambda d: text_of(dash_duo, accepted) not in (None, "—"), timeout=10,
                           msg="KPIs never drawn")
        shown = {i: text_of(dash_duo, i) for i in numbers}
        assert "—" not in shown.values(), shown
        dash_duo.driver.execute_script(REFRESH_SEEN_JS)
        gate.cut()
        dash_duo._wait_for(lambda d: banner_shown(dash_duo), timeout=8, msg="no stale banner")
        # re-count now, as the 30 s timer would
        dash_duo.driver.execute_script(
            "window.dash_clientside.set_props(arguments[0], {n_intervals: 1000})", ids.WALL_REFRESH)
        dash_duo._wait_for(lambda d: d.execute_script("return window.__tbRefreshes") >= 1, timeout=10,
                           msg="the wall never tried to re-count")
        time.sleep(0.5)  # let the answer reach the screen
        assert {i: text_of(dash_duo, i) for i in numbers} == shown
        assert "is-stale" in dash_duo.find_element(f"#{ids.DATA_AS_OF}").get_attribute("class")
        gate.restore()
        dash_duo._wait_for(lambda d: not banner_shown(dash_duo), timeout=10, msg="the banner stayed after recovery")
        assert dash_duo.get_logs() == []
    finally:
        try:
            until(dash_duo._wait_for_callbacks, timeout=5, poll=0.2)
        except dash_errors.TestingTimeoutError:
            pass
        dash_duo.driver.get("about:blank")
        gate.close()


def _change(now: float | None, before: float | None, rate: bool) -> str | None:
    """The oracle's arrow text: a rate in percentage points, a count relative (or absolute from 0)."""
    if now is None or before is None:
        return None
    d = now - before
    arrow = "▲" if d > 0 else "▼" if d < 0 else "＝"
    if rate:
        return f"{arrow}{abs(d) * 100:.1f}pp"
    return f"{arrow}{abs(d) / before:.0%}" if before else f"{arrow}{abs(d):,.0f}"


def expected_year_trends(url: str) -> dict[str, dict[str, str | None]]:
    """{figure: {"mom"/"yoy": arrow text}} by plain pandas: cases registered in the
    year (month) to date, against those registered in last year's (month's) to the
    same moment, each side counted as of its own end (a case closed later was open then)."""
    from geodata.store import open_store
    cases = open_store(url).read("cases", columns=["registered_at", "closed_at"])
    now = pd.Timestamp.now(tz=TZ)
    year0 = pd.Timestamp(year=now.year, month=1, day=1, tz=TZ)
    month0 = now.normalize().replace(day=1)
    windows = {"yoy": ((year0, now), (year0 - pd.DateOffset(years=1), now - pd.DateOffset(years=1))),
               "mom": ((month0, now), (month0 - pd.DateOffset(months=1), now - pd.DateOffset(months=1)))}

    def figures(start, end):
        acc = (cases["registered_at"] >= start) & (cases["registered_at"] < end)
        if not acc.any():
            return None
        disp = acc & (cases["closed_at"] < end)
        a, d = int(acc.sum()), int(disp.sum())
        return {"accepted": a, "disposed": d, "open": a - d, "disposal_rate": d / a}
    out: dict[str, dict[str, str | None]] = {n: {} for n in ("accepted", "disposed", "disposal_rate", "open")}
    for which, (this, before) in windows.items():
        f_now, f_before = figures(*this), figures(*before)
        for name in out:
            out[name][which] = _change(f_now and f_now[name], f_before and f_before[name], name == "disposal_rate")
    return out


def test_the_years_figures_carry_their_target_and_arrows(served, fixture_town):
    """Issue 15: targets, month-on-month and year-on-year arrows on the headline figures —
    on screen, equal to a pandas count of the same store."""
    open_wall(served)
    want = expected_year_trends(fixture_town)
    assert any(v for lines in want.values() for v in lines.values()), "the fixture has no comparison at all"
    for name, lines in want.items():
        box = f"#{ids.kpi_trend(name)}"
        for which, text in lines.items():
            label = LABELS["zh"][f"trend.{which}"]
            if text is None:
                assert label not in served.find_element(box).text, (name, which)
            else:
                served.wait_for_contains_text(box, f"{label}{text}")
    # the disposal rate against the brief's target (98.6 %), coloured by whether it is met
    served.wait_for_contains_text(f"#{ids.kpi_trend('disposal_rate')}", "目标≥98.6%")
    rate = served.find_element(f"#{ids.kpi_value('year', 'disposal_rate')}").text
    target = served.find_element(f"#{ids.kpi_trend('disposal_rate')} .kpi-target")
    met = rate != "—" and float(rate.rstrip("%")) >= 98.6
    assert ("is-met" if met else "is-missed") in target.get_attribute("class")
    # the panel of all time has none: a comparison of all time with itself says nothing
    assert served.find_elements(f".kpi-period-all .kpi-trend") == []
    assert served.get_logs() == []
