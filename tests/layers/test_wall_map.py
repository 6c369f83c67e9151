"""The wall map's spec as data (callbacks/wall_map.py, drawn by assets/map.js): every
layer once, tagged and in drawing order, each module's layers visible, the grid
colours of every module and KPI alongside."""
from __future__ import annotations

import pandas as pd
import pytest

from callbacks.data import ScreenData
from callbacks.i18n import LABELS
from callbacks.module_data import ModuleData
from callbacks.wall_map import SLOTS, grid_view_key, slot_visible, wall_map
from layers import modules as M
from tests.browser import town_full
from tests.browser.conftest import TZ

full_town = town_full.full_town


@pytest.fixture(scope="module")
def town_data(full_town):
    from geodata.store import open_store
    store = open_store(full_town)
    return ScreenData(store, tz=TZ).base_layers(), ModuleData(store, tz=TZ).snapshot()


def _slot(layer: dict) -> str:
    return layer["uid"].removeprefix("tb-").rsplit("-", 1)[0]


def _has_data(layer: dict) -> bool:
    return bool(layer.get("lon") or (layer.get("geojson") or {}).get("features"))


@pytest.mark.parametrize("module", [M.OVERVIEW, *M.MODULES], ids=lambda m: m.id)
def test_every_layer_is_drawn_once_and_the_modules_are_visible(town_data, module):
    base, snap = town_data
    spec, view = wall_map(base, snap, module, "en")
    data = spec["layers"]
    # each slot's layers where the store says, in drawing order, tagged by their slot
    assert [i for idx in view["slots"].values() for i in idx] == list(range(len(data)))
    assert [_slot(t) for t in data] == [s for s in SLOTS for _ in view["slots"].get(s, [])]
    assert [t["slot"] for t in data] == [_slot(t) for t in data]
    assert len({t["uid"] for t in data}) == len(data)
    assert {t["kind"] for t in data} <= {"polygons", "lines", "points", "heat"}
    for t in data:
        assert t["visible"] == slot_visible(_slot(t), module.layers, module.choropleth), t["uid"]
    shown = {_slot(t) for t in data if t["visible"]}
    assert shown - {"grid_kpi"} == set(module.layers) & {_slot(t) for t in data}
    # the hidden layers wait without their data, sent when first shown (load_layers)
    assert set(view["loaded"]) == shown
    for t in data:
        if not t["visible"]:
            assert not _has_data(t) and t["rev"] == "empty", t["uid"]
        else:
            assert t["rev"] != "empty", t["uid"]
    assert spec["bounds"][0][0] < spec["bounds"][1][0] and spec["bounds"][0][1] < spec["bounds"][1][1]
    assert spec["note"] is None
    # the grid colours are the module's KPI, one colour per grid in the grids' order
    grid_kpi = data[view["slots"]["grid_kpi"][0]]
    if not grid_kpi["visible"]:
        return
    key = grid_view_key(module.choropleth, module.id)
    assert grid_kpi["meta"] == f"{key}@0"
    assert grid_kpi["fill"] == view["grids"][key]["fill"]
    assert len(grid_kpi["fill"]) == len(base["grids"])
    assert grid_kpi["ids"] == base["grids"]["grid_id"].astype(str).tolist()
    assert grid_kpi["scale"]["title"] == LABELS["en"][f"grid_kpi.{module.choropleth}"]


def test_the_grid_colours_are_the_snapshots_kpis(town_data):
    base, snap = town_data
    _, view = wall_map(base, snap, M.OVERVIEW, "zh")
    ids_ = base["grids"]["grid_id"].astype(str).tolist()
    for kpi in M.GRID_KPIS:
        for module in (M.OVERVIEW, *M.MODULES):
            values = snap.grid_values(kpi, module)
            z = view["grids"][grid_view_key(kpi, module.id)]["z"]
            expected = [None if values.get(g) is None or pd.isna(values.get(g)) else float(values[g]) for g in ids_]
            assert z == expected, (kpi, module.id)
    # the open cases now do not depend on the module: one entry, not nine
    assert "open_now" in view["grids"] and "open_now:ecology" not in view["grids"]


def test_population_hides_the_grid_colours_and_buildings_wait_in_an_empty_slot(town_data):
    base, snap = town_data
    spec, view = wall_map(base, snap, M.get("livelihood"), "en")
    assert not spec["layers"][view["slots"]["grid_kpi"][0]]["visible"]
    assert spec["layers"][view["slots"]["grids"][0]]["visible"]
    buildings = spec["layers"][view["slots"]["buildings"][0]]
    assert not _has_data(buildings) and not buildings["visible"] and "buildings" not in view["loaded"]


def test_an_empty_store_says_so():
    spec, view = wall_map({}, None, M.get("ecology"), "en")
    assert [_slot(t) for t in spec["layers"]] == ["buildings"]
    assert spec["note"] == LABELS["en"]["map.empty"]


def test_a_newer_snapshot_is_patched_into_the_map_in_place(town_data):
    """``refresh_map_data``: nothing for the snapshot the map was drawn from; for a newer
    one, the data of the layers it changes merged into their layers — never their
    ``visible`` flag, never the base layers — and the grid colours re-stamped."""
    import dataclasses

    import dash
    from dash.exceptions import PreventUpdate

    from callbacks.wall_map import REFRESHED, register_wall_map
    base, snap = town_data

    class Town:  # what the callback reads: the app's ScreenData and ModuleData
        current = snap

        def base_layers(self):
            return base

        def period_of(self, search):
            return None  # live: no ?as_of= in the URLs below

        def snapshot(self, period=None):
            return self.current

        def base_layers_for(self, scope):   # the test's reader sees the whole town
            return base

        def snapshot_for(self, scope, period=None):
            return self.current
    town = Town()
    app = dash.Dash(__name__)
    register_wall_map(app, town, town)
    refresh = next(c["callback"].__wrapped__ for c in app.callback_map.values()  # (clientside ones have none)
                   if getattr(c.get("callback"), "__name__", None) == "refresh_map_data")
    fig, view = wall_map(base, snap, M.get("public"), "en")
    with pytest.raises(PreventUpdate):
        refresh(1, view, "?module=public&lang=en")
    town.current = dataclasses.replace(snap, now=snap.now + pd.Timedelta(minutes=1), heat=snap.heat.iloc[:1],
                                       _memo={})
    fig_patch, view_patch = refresh(2, view, "?module=public&lang=en")
    ops = fig_patch.to_plotly_json()["operations"]
    merged = {op["location"][1]: op["params"]["value"] for op in ops}
    assert {op["operation"] for op in ops} == {"Merge"}
    # what the public module shows of them: the patrol tracks and the case heat
    assert set(merged) == {i for s in ("patrols", "case_heat") for i in view["slots"][s]}
    assert set(REFRESHED) & set(view["loaded"]) == {"patrols", "case_heat"}
    assert all("visible" not in v for v in merged.values())
    heat = merged[view["slots"]["case_heat"][0]]
    assert len(heat["lon"]) == 1 and heat["uid"] == fig["layers"][view["slots"]["case_heat"][0]]["uid"]
    assert heat["rev"] != fig["layers"][view["slots"]["case_heat"][0]]["rev"]  # the map redraws it
    store = {op["location"][0]: op["params"]["value"] for op in view_patch.to_plotly_json()["operations"]}
    assert store["rev"] == 1 and store["snap"] != view["snap"] and set(store["grids"]) == set(view["grids"])
