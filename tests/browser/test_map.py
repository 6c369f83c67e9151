"""The wall's map: a click on a grid opens its card with the right numbers, layers
toggle, residents never leave the server, and no request leaves the host."""
from __future__ import annotations

import time

import pandas as pd
import pytest
from selenium.webdriver.common.actions.action_builder import ActionBuilder

from callbacks import ids
from tests.browser import town_full
from tests.browser.conftest import TZ, netlog_page_urls, off_host, page_request_urls
from tests.browser.test_wall import open_wall

# the fuller fixture town (tests/browser/town_full.py), as fixtures of this module
full_town = town_full.full_town
served_full = town_full.served_full

pytestmark = pytest.mark.browser

# The layers shown: every layer is in the figure from the start, hidden until switched on
# (callbacks/wall_map.py); buildings count once their footprints have arrived.
TRACE_NAMES_JS = (f"return document.querySelector('#{ids.WALL_MAP} .js-plotly-plot').data"
                  ".filter(t => t.visible !== false && (t.locations || t.lon || []).length)"
                  ".map(t => t.legendgroup || t.name)")

# A point of the grid that the pointer can really reach (not under the legend, a
# panel or the live ticker): try points inside the grid until one hits the canvas.
CLICK_POINT_JS = """
const [pts] = arguments;
const gd = document.querySelector('#%s .js-plotly-plot');
const map = gd._fullLayout.map._subplot.map;
const box = map.getCanvas().getBoundingClientRect();
for (const [lon, lat] of pts) {
  const p = map.project([lon, lat]);
  const x = box.left + p.x, y = box.top + p.y;
  const el = document.elementFromPoint(x, y);
  if (el && el.classList.contains('maplibregl-canvas')) return [Math.round(x), Math.round(y)];
}
return null;
""" % ids.WALL_MAP


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
        xy = duo.driver.execute_script(CLICK_POINT_JS, pts)
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
    time.sleep(0.5)  # MapLibre answers pointer events once idle
    gid = click_grid(duo, full_town)
    # the card is in the page from the start, hidden: the click fills and shows it
    duo._wait_for(lambda d: d.find_element("id", ids.GRID_CARD).is_displayed(), timeout=10,
                  msg="the grid card did not open")
    for key, text in grid_oracle(full_town, gid).items():
        duo.wait_for_text_to_equal(f"#{ids.grid_card_value(key)}", text)
    from geodata.store import open_store
    name = open_store(full_town).read("grids", columns=["grid_id", "name"]).set_index("grid_id")["name"][gid]
    duo.wait_for_text_to_equal(f"#{ids.GRID_CARD_TITLE}", name)
    # the trend chart is drawn with this grid's months (bars of the last 12), sized to the
    # card, and × closes the card
    assert duo.find_elements(f"#{ids.GRID_CARD} .card-trend .main-svg")
    bars, width = duo.driver.execute_script(
        f"const gd = document.querySelector('#{ids.GRID_CARD_TREND} .js-plotly-plot');"
        "return [gd.data[0].y.length, gd._fullLayout.width]")
    card_width = duo.find_element(f"#{ids.GRID_CARD}").size["width"]
    assert bars == 12 and 0.5 * card_width < width <= card_width
    duo.find_element(f"#{ids.GRID_CARD_CLOSE}").click()
    duo._wait_for(lambda d: not d.find_element("id", ids.GRID_CARD).is_displayed(), timeout=10,
                  msg="the grid card did not close")
    assert duo.get_logs() == []


def test_layer_toggles_add_and_remove_map_layers(served_full):
    duo = served_full
    open_wall(duo, "?module=ecology&lang=en")
    names = duo.driver.execute_script(TRACE_NAMES_JS)
    assert "roads" in names and "buildings" not in names
    assert not duo.find_element(f"#{ids.LAYER_TOGGLES}").is_displayed()  # folded by default
    duo.find_element(".map-control > .map-control-title").click()  # unfold
    for value in ("roads", "buildings"):
        duo.find_element(f"#{ids.LAYER_TOGGLES} input[value='{value}']").click()
    duo._wait_for(lambda d: "buildings" in d.execute_script(TRACE_NAMES_JS), timeout=15,
                  msg="buildings never appeared")
    names = duo.driver.execute_script(TRACE_NAMES_JS)
    assert "roads" not in names
    # the grid KPI switch recolours the grids: the colour bar is titled by the KPI
    duo.find_element(f"#{ids.GRID_KPI} input[value='disposal_rate']").click()
    duo._wait_for(lambda d: d.execute_script(
        f"return document.querySelector('#{ids.WALL_MAP} .js-plotly-plot').data"
        ".some(t => t.colorbar && t.colorbar.title && t.colorbar.title.text === 'Disposal rate')"),
        timeout=15, msg="the grids were not recoloured")
    assert duo.get_logs() == []


def test_population_is_sent_as_h3_counts_never_as_residents(served_full, full_town):
    from geodata.store import open_store
    duo = served_full
    open_wall(duo, "?module=livelihood")
    data = duo.driver.execute_script(
        f"return document.querySelector('#{ids.WALL_MAP} .js-plotly-plot').data"
        ".map(t => ({type: t.type, group: t.legendgroup, n: (t.lon || t.locations || []).length,"
        " z: t.z ? Array.from(t.z) : null, loc: t.locations ? Array.from(t.locations) : null}))")
    res = open_store(full_town).read("residents", geometry=False)
    counts = res["h3"].value_counts()
    counts = counts[counts >= 5]
    pop = [t for t in data if t["group"] == "population"]
    assert len(pop) == 1
    assert dict(zip(pop[0]["loc"], pop[0]["z"])) == counts.to_dict()
    assert all(t["n"] < len(res) for t in data)  # no trace carries one element per resident
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
