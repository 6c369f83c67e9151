"""A fuller fixture town for the module and map tests: the tiny town of
``conftest.build_fixture_town`` plus everything the modules draw — professional
grids, staff, enterprises, residents (with H3 cells), buildings and patrol tracks,
and cases assigned to their grid as ``townbrain assign`` would. Still small enough
that pandas over the store is the oracle.
"""
from __future__ import annotations

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
import shapely

from tests.browser.conftest import TZ, build_fixture_town, free_port


def build_full_town(now: pd.Timestamp, seed: int = 11) -> dict[str, gpd.GeoDataFrame]:
    town = build_fixture_town(now)
    rng = np.random.default_rng(seed)
    grids = town["grids"]
    x0, y0, x1, y1 = town["districts"].total_bounds

    def assign(points: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        j = gpd.sjoin(points, grids[["grid_id", "district_id", "geometry"]], how="left", predicate="within")
        j = j[~j.index.duplicated()]
        return points.assign(grid_id=j["grid_id"].to_numpy(), district_id=j["district_id"].to_numpy())

    town["cases"] = assign(town["cases"])
    town["pro_grids"] = gpd.GeoDataFrame(
        {"pro_grid_id": ["PG1", "PG2"], "name": ["西专网", "东专网"]},
        geometry=[shapely.box(x0, y0, (x0 + x1) / 2, y1), shapely.box((x0 + x1) / 2, y0, x1, y1)], crs=4326)
    n_ent = 30
    ent = gpd.GeoDataFrame({
        "enterprise_id": [f"E{i:02d}" for i in range(n_ent)],
        "name": [f"企业{i}" for i in range(n_ent)],
        "industry": rng.choice(["dyeing", "textile", "machinery", "plastics"], n_ent),
        "employees": rng.integers(5, 200, n_ent),
        "credit": rng.choice(["green", "yellow", "red"], n_ent, p=[0.6, 0.25, 0.15]),
    }, geometry=gpd.points_from_xy(rng.uniform(x0, x1, n_ent), rng.uniform(y0, y1, n_ent)), crs=4326)
    ent = assign(ent)
    ent["pro_grid_id"] = np.where(ent.geometry.x < (x0 + x1) / 2, "PG1", "PG2")
    town["enterprises"] = ent
    n_res = 400
    lon, lat = rng.uniform(x0, x1, n_res), rng.uniform(y0, y1, n_res)
    res = gpd.GeoDataFrame({
        "resident_id": [f"R{i:03d}" for i in range(n_res)],
        "building_id": [None] * n_res,
        "age_band": rng.choice(["0-6", "7-17", "18-34", "35-59", "60-79", "80+"], n_res),
        "household": rng.choice(["registered", "floating"], n_res, p=[0.6, 0.4]),
        "h3": [h3.latlng_to_cell(b, a, 9) for a, b in zip(lon, lat)],
    }, geometry=gpd.points_from_xy(lon, lat), crs=4326)
    town["residents"] = assign(res)
    town["staff"] = pd.DataFrame({
        "staff_id": [f"S{i}" for i in range(9)],
        "role": ["inspector", "inspector", "inspector", "inspector", "inspector", "handler", "officer",
                 "officer", "dispatcher"],
        "grid_id": ["G1", "G1", "G2", "G3", "G4", "G1", None, None, None],
        "pro_grid_id": [None, None, None, None, None, None, "PG1", "PG2", None],
    })
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    town["buildings"] = gpd.GeoDataFrame(
        {"building_id": ["B1", "B2"], "use": ["residential", "industrial"], "floors": [6, 2], "residents": [40, 0]},
        geometry=[shapely.box(cx - 0.002, cy - 0.002, cx - 0.001, cy - 0.001),
                  shapely.box(cx + 0.001, cy + 0.001, cx + 0.002, cy + 0.002)], crs=4326)
    start = now - pd.Timedelta(hours=3)
    town["patrols"] = gpd.GeoDataFrame(
        {"patrol_id": ["PT1", "PT2"], "staff_id": ["S0", "S3"], "started_at": [start, start],
         "ended_at": [start + pd.Timedelta(hours=2)] * 2},
        geometry=[shapely.LineString([(x0 + 0.005, y0 + 0.005), (cx, cy), (x1 - 0.005, y0 + 0.01)]),
                  shapely.LineString([(x0 + 0.01, y1 - 0.005), (cx, y1 - 0.01)])], crs=4326)
    return town


@pytest.fixture(scope="session")
def full_town(tmp_path_factory) -> str:
    """URL of a GeoPackage holding the fuller fixture town."""
    from geodata.demo import write_town
    from geodata.store import open_store
    url = str(tmp_path_factory.mktemp("full_town") / "town.gpkg")
    store = open_store(url)
    write_town(store, build_full_town(pd.Timestamp.now(tz=TZ)))
    store.close()
    return url


@pytest.fixture
def served_full(dash_duo, full_town):
    """``dash_duo`` with the app on the fuller fixture town."""
    from dash.testing.errors import TestingTimeoutError
    from dash.testing.wait import until

    from app import create_app
    dash_duo.start_server(create_app(full_town), port=free_port())
    yield dash_duo
    try:
        until(dash_duo._wait_for_callbacks, timeout=10, poll=0.2)
    except TestingTimeoutError:
        pass
    dash_duo.driver.get("about:blank")
