"""Names are data: a town's file may carry markup in a grid's, district's,
enterprise's or project's name, and the wall must show it as text (issue 16,
"every value put into HTML or a tooltip is escaped").

The themed fixture town gets a hostile name in every ``name`` column of every
layer; the wall is opened on each module and every tooltip on its map is opened.
The check reads the page's DOM, not whether a script ran: the wall's CSP would
stop an inline handler anyway, and the escaping must not depend on it."""
from __future__ import annotations

import pandas as pd
import pytest

from layers.modules import MODULES
from tests.browser.conftest import TZ
from tests.browser.test_wall import open_wall
from tests.browser.town_full import build_themed_town, serve_town, town_file

pytestmark = pytest.mark.browser

HOSTILE = '<img src="x" class="tb-hostile" onerror="window.__tbXss=1">'

#: Open every tooltip bound on the wall's map, shown layers and hidden; return (tooltips
#: opened, their HTML, hostile elements found in them while open and in the page, ran).
OPEN_TIPS_JS = """
var m = window.TownMap && window.TownMap.get(arguments[0]);
if (!m) { return null; }
var html = [], hostile = 0;
m.map.eachLayer(function (l) {
    var t = l.getTooltip && l.getTooltip();
    if (!t) { return; }
    if (l.getLatLng) { l.openTooltip(); }
    else if (l.getBounds) { l.openTooltip(l.getBounds().getCenter()); }
    var el = t.getElement && t.getElement();
    if (el) { html.push(el.innerHTML); hostile += el.querySelectorAll('.tb-hostile').length; }
    l.closeTooltip();
});
if (m.map.eachLayer && m.layers) {
    Object.keys(m.layers).forEach(function (uid) {
        var e = m.layers[uid], obj = e.obj;
        if (!obj || !obj.eachLayer) { return; }
        obj.eachLayer(function (l) {
            var t = l.getTooltip && l.getTooltip();
            if (!t) { return; }
            l.openTooltip(l.getLatLng ? l.getLatLng() : l.getBounds().getCenter());
            var el = t.getElement && t.getElement();
            if (el) { html.push(el.innerHTML); hostile += el.querySelectorAll('.tb-hostile').length; }
            l.closeTooltip();
        });
    });
}
return [html.length, html, hostile + document.querySelectorAll('.tb-hostile').length, !!window.__tbXss];
"""


@pytest.fixture(scope="module")
def hostile_town(tmp_path_factory) -> str:
    town = build_themed_town(pd.Timestamp.now(tz=TZ))
    named = 0
    for frame in town.values():
        if "name" in frame.columns:
            frame["name"] = [f"{HOSTILE}{i}" for i in range(len(frame))]
            named += 1
    assert named >= 6, "the themed town has fewer named layers than the test expects"
    return town_file(tmp_path_factory, "hostile_town", town)


@pytest.fixture
def served_hostile(dash_duo, hostile_town):
    yield from serve_town(dash_duo, hostile_town)


def test_hostile_names_show_as_text_in_every_tooltip_of_every_module(served_hostile):
    from callbacks import ids
    seen_hostile_text = 0
    for module in [m.id for m in MODULES]:
        open_wall(served_hostile, f"?module={module}")
        got = served_hostile.driver.execute_script(OPEN_TIPS_JS, ids.WALL_MAP)
        assert got is not None, f"no map on the {module} module"
        n, tips, hostile_elements, ran = got
        assert hostile_elements == 0, f"{module}: a name became an element: {[t for t in tips if 'tb-hostile' in t][:2]}"
        assert not ran
        seen_hostile_text += sum("&lt;img" in t for t in tips)
    # the names were really there, as text (not silently dropped)
    assert seen_hostile_text > 0
    assert served_hostile.driver.find_elements("css selector", ".tb-hostile") == []
