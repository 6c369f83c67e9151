"""The modules' own layers go through both stores unchanged, and the wall's snapshot
reads them back to the very numbers the frames give (PostGIS and GeoPackage alike)."""
from __future__ import annotations

import pandas as pd
import pytest

from tests.browser.town_full import build_themed_town

TZ = "Asia/Shanghai"
MODULE_LAYERS = ("key_projects", "tasks", "cameras", "approvals", "opinion_items", "parking", "bus_routes",
                 "schools", "medical_insurance")


@pytest.fixture(scope="module")
def themed():
    return build_themed_town(pd.Timestamp.now(tz=TZ).floor("s"))


def test_module_layers_round_trip_through_the_store(store, themed):
    from geodata.demo import write_town
    write_town(store, {k: themed[k] for k in ("districts", "grids", *MODULE_LAYERS)})
    for name in MODULE_LAYERS:
        back = store.read(name)
        frame = themed[name]
        assert len(back) == len(frame), name
        id_col = back.columns[0]
        assert set(back[id_col]) == set(frame[id_col]), name
    a = store.read("approvals", geometry=False).set_index("approval_id").sort_index()
    src = themed["approvals"].set_index("approval_id").sort_index()
    assert (a.index == src.index).all()
    same = (a["completed_at"].to_numpy() == src["completed_at"].dt.floor("s").to_numpy()) \
        | (a["completed_at"].isna().to_numpy() & src["completed_at"].isna().to_numpy())
    assert same.all()   # times come back to the second, in the configured zone
    assert (a["visits"] == src["visits"]).all()


def test_the_wall_snapshot_gives_the_numbers_of_the_frames(store, themed):
    from callbacks.module_data import ModuleData
    from geodata.demo import write_town
    from layers.layer_stats import layer_stats
    write_town(store, {k: themed[k] for k in ("districts", "grids", *MODULE_LAYERS)})
    snap = ModuleData(store, TZ).snapshot()
    assert set(snap.theme_frames) == set(MODULE_LAYERS)
    expected = layer_stats({k: themed[k] for k in MODULE_LAYERS}, snap.year_start, snap.year_end, snap.now)
    got = snap.layer_stats()
    assert set(got) == set(expected)
    for key, value in expected.items():
        if isinstance(value, float):
            assert got[key] == pytest.approx(value, rel=1e-9), key
        else:
            assert got[key] == value, key
    # the map shows the last 30 days of opinion items, with their topic named
    recent = snap.layer_frame("opinion_items", "zh")
    assert len(recent) == int((themed["opinion_items"].published_at >= snap.now - pd.Timedelta(days=30)).sum())
