"""Every module of the wall renders — tiles, charts, map, "not loaded" panel — in
both languages, with a clean browser console."""
from __future__ import annotations

import pytest

from callbacks import ids
from callbacks.i18n import LABELS
from layers import modules as M
from tests.browser import town_full
from tests.browser.conftest import MAP_STATE
from tests.browser.test_wall import open_wall

# the fuller fixture town (tests/browser/town_full.py), as fixtures of this module
full_town = town_full.full_town
served_full = town_full.served_full

pytestmark = pytest.mark.browser

# Layers really drawn on the wall map (assets/map.js).
N_TRACES_JS = f"const st = {MAP_STATE}; return st ? st.layers.filter(l => l.onMap).length : 0;"


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_module_renders_with_a_clean_console(served_full, lang):
    duo = served_full
    for module in M.MODULES:
        query = f"?module={module.id}" + ("&lang=en" if lang == "en" else "")
        open_wall(duo, query)
        assert duo.find_element(f"#{ids.PAGE_NAME}").text == LABELS[lang][f"module.{module.id}"]
        assert "has-module" in duo.find_element(f"#{ids.WALL}").get_attribute("class")
        # the module's own tiles, each with a number (or an honest dash)
        for name in module.kpis:
            text = duo.find_element(f"#{ids.module_kpi(name)}").text
            assert text and text != "", (module.id, name)
        panel = duo.find_element(f"#{ids.MODULE_PANEL}").text
        assert LABELS[lang][f"metric.{module.kpis[0]}"].replace("\n", " ") in panel.replace("\n", " ")
        if lang == "en":
            assert not _has_cjk(panel), (module.id, panel)
        # its charts, drawn
        charts = duo.find_elements(f"#{ids.MODULE_CHARTS} .module-chart")
        assert len(charts) == len(module.charts), module.id
        # the fixture town has none of the extension layers: the panel says so
        needs = duo.find_element(f"#{ids.MODULE_NEEDS}")
        assert needs.is_displayed() == bool(module.needs), module.id
        if module.needs:
            assert LABELS[lang]["needs.title"] in needs.text
        assert duo.driver.execute_script(N_TRACES_JS) > 0
        assert duo.get_logs() == [], module.id


def test_overview_hides_module_panels_and_keeps_the_base_counts(served_full):
    open_wall(served_full)
    assert not served_full.find_element(f"#{ids.MODULE_PANEL}").is_displayed()
    assert served_full.find_element(f"#{ids.base_count('cases')}").is_displayed()
    assert served_full.get_logs() == []


def test_module_link_switches_panels_without_reloading(served_full):
    duo = served_full
    open_wall(duo, "?module=ecology&lang=en")
    wall = duo.find_element(f"#{ids.WALL}")
    duo.find_element(f"#{ids.module_tab('enforcement')}").click()
    duo.wait_for_text_to_equal(f"#{ids.PAGE_NAME}", "Enforcement")
    duo.wait_for_element(f"#{ids.module_kpi('red_cards')}")
    duo._wait_for(lambda d: "module-is-enforcement" in wall.get_attribute("class"), timeout=10,
                  msg="the wall did not switch to the enforcement module")
    value = duo.driver.execute_script(f"return document.getElementById('{ids.LAYER_TOGGLES}') && "
                                      "[...document.querySelectorAll('#layer-toggles input:checked')]"
                                      ".map(i => i.value)")
    assert set(value) == set(M.get("enforcement").layers)
    assert duo.get_logs() == []


def test_the_live_feeds_map_trace_survives_a_module_switch(dash_duo, fixture_town, tmp_path):
    """A new case glows on the map (assets/live.js adds its own overlay); switching
    modules patches the map spec instead of replacing it, so the glow stays until it
    fades, not until the next poll happens to redraw it."""
    import shutil

    from app import create_app
    from geodata.store import open_store
    from tests.browser.conftest import free_port
    from tests.browser.test_live import _leave, new_case, ticker_ids
    town = tmp_path / "town.gpkg"
    shutil.copy(fixture_town, town)
    duo = dash_duo
    duo.start_server(create_app(str(town)), port=free_port())
    try:
        open_wall(duo, "?lang=en")
        duo._wait_for(lambda d: ticker_ids(duo), timeout=10, msg="the feed never answered")
        open_store(str(town)).append("cases", new_case("GLOW-1"))
        duo._wait_for(lambda d: d.execute_script(LIVE_TRACES_JS) == 1, timeout=6, msg="the new case never glowed")
        # no more changes: from now on only a module switch could touch the trace
        for module in ("ecology", "livelihood", "enforcement"):
            duo.find_element(f"#{ids.module_tab(module)}").click()
            duo.wait_for_text_to_equal(f"#{ids.PAGE_NAME}", LABELS["en"][f"module.{module}"])
            want = sorted(set(M.get(module).layers) & set(duo.driver.execute_script(ALL_LAYERS_JS)))
            duo._wait_for(lambda d: d.execute_script(VISIBLE_LAYERS_JS) == want, timeout=10,
                          msg=lambda *_: f"the map shows {duo.driver.execute_script(VISIBLE_LAYERS_JS)}, "
                                         f"not {module}'s {want}")
            assert duo.driver.execute_script(LIVE_TRACES_JS) == 1, module
        assert duo.get_logs() == []
    finally:
        _leave(duo)


# The live feed's glowing cells: the map overlay "tb-live" (assets/live.js).
_STATE = f"const st = {MAP_STATE};"
LIVE_TRACES_JS = _STATE + " return st && st.overlays['tb-live'] !== undefined ? 1 : 0;"
# The map's layers (ids of the layer checklist), sorted; "grid_kpi" is the grids' colouring.
_LAYERS_JS = (_STATE + " return st ? [...new Set(st.layers.filter(l => %s).map(l => l.slot)"
              ".filter(l => l !== 'grid_kpi'))].sort() : [];")
# shown: flagged visible and drawn (a layer still waiting for its data does not count yet)
VISIBLE_LAYERS_JS = _LAYERS_JS % "l.visible && (l.onMap || (l.n === 0 && l.rev !== 'empty'))"
ALL_LAYERS_JS = _LAYERS_JS % "true"
