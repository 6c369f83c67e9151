"""The intake's town context: loaded once, refreshed in the background, never
making a request wait for a reload (a reload rebuilds the grids' raster index,
seconds for a real town)."""
from __future__ import annotations

import time

import pandas as pd


from geodata.intake_town import TownContext
from tests.intake.conftest import INSIDE, handmade_town


def _wait_for(predicate, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_first_use_loads_the_town_and_builds_the_grid_index(store):
    handmade_town(store)
    town = TownContext(store).fresh()
    assert town.name == "青澜镇"
    assert town.grids.assign_one(INSIDE["lon"], INSIDE["lat"])["grid_id"] == "G02"
    # the index was built before the grids were handed out, not on the first request
    assert all("index" in system.__dict__ for system in town.grids.systems)


def test_a_refresh_runs_in_the_background_and_keeps_unchanged_grids(store):
    handmade_town(store)
    town = TownContext(store, refresh_s=0.0).fresh()
    grids_before = town.grids
    cats = store.read("categories")
    store.write("categories", pd.concat([cats, pd.DataFrame({
        "code": ["greening"], "parent": [None], "name": ["园林绿化"], "name_en": ["Greening"],
        "time_limit_h": [24.0]})], ignore_index=True))
    assert town.fresh() is town  # answers at once with the state it has
    assert _wait_for(lambda: "greening" in town.fresh().parent)
    assert town.limits["greening"] == 24.0
    assert town.grids is grids_before  # same polygons: no index rebuilt


def test_changed_grid_polygons_are_swapped_in_by_the_refresh(store):
    handmade_town(store)
    town = TownContext(store, refresh_s=0.0).fresh()
    grids = store.read("grids")
    grids.loc[grids["grid_id"] == "G02", "grid_id"] = "G99"
    store.write("grids", grids)
    assert _wait_for(lambda: town.fresh().grids.assign_one(INSIDE["lon"], INSIDE["lat"])["grid_id"] == "G99")


def test_a_failed_refresh_keeps_the_last_good_state_and_retries(tmp_path):
    from geodata.store import open_store
    path = tmp_path / "town.gpkg"
    store = open_store(str(path))
    store.create_schema()
    handmade_town(store)
    town = TownContext(store, refresh_s=0.0).fresh()
    path.rename(tmp_path / "away.gpkg")  # the store is gone: every read fails for real
    town.fresh()
    time.sleep(0.3)
    assert _wait_for(lambda: not town._lock.locked())
    assert town.name == "青澜镇" and "street_order" in town.parent  # the last good state
    assert town.grids.assign_one(INSIDE["lon"], INSIDE["lat"])["grid_id"] == "G02"
    (tmp_path / "away.gpkg").rename(path)
    store.write("town", store.read("town").assign(name=["青澜新镇"]))
    assert _wait_for(lambda: town.fresh().name == "青澜新镇")  # the next refresh recovers
