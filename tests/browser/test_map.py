"""The wall's map: a click on a grid opens its card with the right numbers, layers
toggle, residents never leave the server, and no request leaves the host."""
from __future__ import annotations

import time

import pandas as pd
import pytest
from selenium.webdriver.common.actions.action_builder import ActionBuilder

from callbacks import ids
from tests.browser import town_full
from tests.browser.conftest import (TZ, canvas_point, map_spec, map_state, netlog_page_urls, off_host,
                                    page_request_urls, shown_slots)
from tests.browser.test_wall import open_wall

# the fuller fixture town (tests/browser/town_full.py), as fixtures of this module
full_town = town_full.full_town
served_full = town_full.served_full

pytestmark = pytest.mark.browser

def grid_oracle(url: str, grid_id: str) -> dict[str, str]:
    """The card's numbers by plain pandas on the same store, formatted as the card does."""
    from geodata.store import open_store
    store = open_store(url)
    now = pd.Timestamp.now(tz=TZ)
    staff = store.read("staff")
    ent = store.read("enterprises")
    res = store.read("residents", geometry=False)
    cases = store.read("cases", geometry=False)
    g = cases[cases["grid_id"] == grid_id]
    open_ = g["registered_at"].notna() & g["closed_at"].isna()
    year = (g["registered_at"] >= pd.Timestamp(year=now.year, month=1, day=1, tz=TZ)) & \
        (g["registered_at"] < pd.Timestamp(year=now.year + 1, month=1, day=1, tz=TZ))
    disposed = year & g["closed_at"].notna() & (g["closed_at"] < now)
    out = {
        "inspectors": str(int(((staff["role"] == "inspector") & (staff["grid_id"] == grid_id)).sum())),
        "enterprises": str(int((ent["grid_id"] == grid_id).sum())),
        "residents": str(int((res["grid_id"] == grid_id).sum())),
        "open": str(int(open_.sum())),
        "overdue": str(int((open_ & (g["deadline"] < now)).sum())),
        "accepted": str(int(year.sum())),
        "disposal_rate": f"{100 * disposed.sum() / year.sum():.1f}%" if year.sum() else "—",
    }
    return out


def click_grid(duo, url: str) -> str:
    """Click inside some grid of the map; return its id."""
    from geodata.store import open_store
    grids = open_store(url).read("grids")
    for gid, geom in zip(grids["grid_id"], grids.geometry):
        c = geom.representative_point()
        minx, miny, maxx, maxy = geom.bounds
        pts = [[c.x, c.y]] + [[minx + fx * (maxx - minx), miny + fy * (maxy - miny)]
                              for fx in (0.3, 0.7) for fy in (0.3, 0.7)]
        xy = canvas_point(duo.driver, pts)
        if xy:
            ab = ActionBuilder(duo.driver)
            ab.pointer_action.move_to_location(*xy)
            ab.pointer_action.click()
            ab.perform()
            return gid
    raise AssertionError("no grid of the fixture town is reachable by the pointer")


def test_click_on_a_grid_opens_its_card_with_numbers_from_the_store(served_full, full_town):
    duo = served_full
    open_wall(duo, "?module=public&lang=en")
    gid = click_grid(duo, full_town)
    # the card is in the page from the start, hidden: the click fills and shows it
    duo._wait_for(lambda d: d.find_element("id", ids.GRID_CARD).is_displayed(), timeout=10,
                  msg="the grid card did not open")
    for key, text in grid_oracle(full_town, gid).items():
        duo.wait_for_text_to_equal(f"#{ids.grid_card_value(key)}", text)
    from geodata.store import open_store
    name = open_store(full_town).read("grids", columns=["grid_id", "name"]).set_index("grid_id")["name"][gid]
    from callbacks.i18n_names import romanise
    duo.wait_for_text_to_equal(f"#{ids.GRID_CARD_TITLE}", romanise(name))  # the English wall romanises names
    # the trend chart is drawn with this grid's months (bars of the last 12, the
    # store's counts; on a dense axis each value is on its bar's hover), inside the
    # card, and × closes the card
    months = duo.driver.execute_script(
        f"return [...document.querySelectorAll('#{ids.GRID_CARD_TREND} .bar-col .bar-seg')]"
        ".map(e => Number(e.title.split(': ').pop()))")
    assert len(months) == 12 and months[-1] >= 0
    cases = open_store(full_town).read("cases", geometry=False)
    reg = cases.loc[cases["grid_id"] == gid, "registered_at"].dropna().dt.tz_convert(TZ)
    this_month = pd.Timestamp.now(tz=TZ).tz_localize(None).to_period("M")
    assert months[-1] == int((reg.dt.tz_localize(None).dt.to_period("M") == this_month).sum())
    trend = duo.find_element(f"#{ids.GRID_CARD_TREND}")
    card_width = duo.find_element(f"#{ids.GRID_CARD}").size["width"]
    assert 0.5 * card_width < trend.size["width"] <= card_width and trend.size["height"] > 100
    duo.find_element(f"#{ids.GRID_CARD_CLOSE}").click()
    duo._wait_for(lambda d: not d.find_element("id", ids.GRID_CARD).is_displayed(), timeout=10,
                  msg="the grid card did not close")
    assert duo.get_logs() == []


def test_layer_toggles_add_and_remove_map_layers(served_full):
    duo = served_full
    open_wall(duo, "?module=ecology&lang=en")
    names = shown_slots(duo.driver)
    assert "roads" in names and "buildings" not in names
    assert not duo.find_element(f"#{ids.LAYER_TOGGLES}").is_displayed()  # folded by default
    duo.find_element(".map-control > .map-control-title").click()  # unfold
    for value in ("roads", "buildings"):
        duo.find_element(f"#{ids.LAYER_TOGGLES} input[value='{value}']").click()
    duo._wait_for(lambda d: "buildings" in shown_slots(d), timeout=15, msg="buildings never appeared")
    names = shown_slots(duo.driver)
    assert "roads" not in names
    footprints = [layer for layer in map_state(duo.driver)["layers"] if layer["slot"] == "buildings"]
    assert footprints and all(layer["n"] > 0 and layer["kind"] == "polygons" for layer in footprints)
    # the grid KPI switch recolours the grids: the legend's colour ramp is titled by the KPI
    duo.find_element(f"#{ids.GRID_KPI} input[value='disposal_rate']").click()
    duo.wait_for_text_to_equal(f"#{ids.WALL_MAP_LEGEND} .map-legend-title", "Disposal rate", timeout=15)
    kpi = [layer for layer in map_state(duo.driver)["layers"] if layer["slot"] == "grid_kpi"]
    assert kpi and kpi[0]["onMap"] and kpi[0]["meta"].startswith("disposal_rate@")
    assert duo.get_logs() == []


def test_population_is_sent_as_h3_counts_never_as_residents(served_full, full_town):
    from geodata.store import open_store
    duo = served_full
    open_wall(duo, "?module=livelihood")
    layers = map_spec(duo.driver)["layers"]  # everything the page was sent for the map
    res = open_store(full_town).read("residents", geometry=False)
    counts = res["h3"].value_counts()
    counts = counts[counts >= 5]
    pop = [t for t in layers if t["slot"] == "population"]
    assert len(pop) == 1 and pop[0]["kind"] == "polygons"
    # one hexagon per H3 cell of 5 residents or more, its tooltip the cell's count
    assert pop[0]["ids"] == [f["id"] for f in pop[0]["geojson"]["features"]]
    assert sorted(pop[0]["ids"]) == sorted(counts.index)
    for cell, tip in zip(pop[0]["ids"], pop[0]["tips"]):
        assert tip.split()[0].replace(",", "") == str(counts[cell]), (cell, tip)

    def n(t):
        return len(t.get("lon") or []) + len((t.get("geojson") or {}).get("features") or [])
    assert all(n(t) < len(res) for t in layers)  # no layer carries one element per resident
    assert duo.get_logs() == []


def test_module_maps_make_no_request_off_the_host(served_full):
    duo = served_full
    duo.driver.get_log("performance")
    for module in ("public", "enforcement", "livelihood"):
        open_wall(duo, f"?module={module}")
    time.sleep(1)
    page_log = page_request_urls(duo.driver)
    timing = duo.driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert page_log and off_host(page_log + timing + netlog_page_urls()) == []
    assert duo.get_logs() == []
