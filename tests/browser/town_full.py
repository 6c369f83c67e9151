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


def assign_points(points: gpd.GeoDataFrame, grids: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``grid_id`` and ``district_id`` of each point, as ``townbrain assign`` writes them."""
    j = gpd.sjoin(points, grids[["grid_id", "district_id", "geometry"]], how="left", predicate="within")
    j = j[~j.index.duplicated()]
    return points.assign(grid_id=j["grid_id"].to_numpy(), district_id=j["district_id"].to_numpy())


def build_full_town(now: pd.Timestamp, seed: int = 11) -> dict[str, gpd.GeoDataFrame]:
    town = build_fixture_town(now)
    rng = np.random.default_rng(seed)
    grids = town["grids"]
    x0, y0, x1, y1 = town["districts"].total_bounds

    def assign(points: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        return assign_points(points, grids)

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


def town_file(tmp_path_factory, folder: str, town: dict) -> str:
    """Write ``town`` through the store into a fresh GeoPackage; its URL."""
    from geodata.demo import write_town
    from geodata.store import open_store
    url = str(tmp_path_factory.mktemp(folder) / "town.gpkg")
    store = open_store(url)
    write_town(store, town)
    store.close()
    return url


@pytest.fixture(scope="session")
def full_town(tmp_path_factory) -> str:
    """URL of a GeoPackage holding the fuller fixture town."""
    return town_file(tmp_path_factory, "full_town", build_full_town(pd.Timestamp.now(tz=TZ)))


def serve_town(dash_duo, url: str):
    """Start the app on ``url`` in ``dash_duo``; after the test, let callbacks in flight
    finish and leave the page (a generator for a fixture to ``yield from``)."""
    from dash.testing.errors import TestingTimeoutError
    from dash.testing.wait import until

    from app import create_app
    dash_duo.start_server(create_app(url), port=free_port())
    yield dash_duo
    try:
        until(dash_duo._wait_for_callbacks, timeout=10, poll=0.2)
    except TestingTimeoutError:
        pass
    dash_duo.driver.get("about:blank")


@pytest.fixture
def served_full(dash_duo, full_town):
    """``dash_duo`` with the app on the fuller fixture town."""
    yield from serve_town(dash_duo, full_town)


# ---- the modules' own layers (key projects, cameras, approvals …) -------------------------------------
def build_themed_town(now: pd.Timestamp, seed: int = 13) -> dict[str, pd.DataFrame]:
    """The fuller town plus every layer the modules draw of their own: the record
    layers come from the demo's own generators (``geodata.demo.services``), the
    facilities are a handful of hand-placed points and two bus lines inside the town."""
    from geodata.demo.services import build_approvals, build_medical_insurance, build_tasks
    town = build_full_town(now)
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = town["districts"].total_bounds

    def points(n: int, **cols) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(cols, geometry=gpd.points_from_xy(rng.uniform(x0 + 0.002, x1 - 0.002, n),
                                                                 rng.uniform(y0 + 0.002, y1 - 0.002, n)), crs=4326)

    def local(df: pd.DataFrame, *cols) -> pd.DataFrame:
        for col in cols:
            df[col] = pd.to_datetime(df[col]).dt.tz_localize(TZ)
        return df
    today = now.normalize()
    town["key_projects"] = points(
        5, project_id=[f"KP{i}" for i in range(5)], name=[f"项目{i}" for i in range(5)],
        kind=["industry", "infrastructure", "livelihood", "ecology", "industry"],
        investment_wan=[50000.0, 8000.0, 12000.0, 5000.0, 3000.0], planned_progress=[60.0, 50.0, 100.0, 30.0, 0.0],
        actual_progress=[70.0, 35.0, 100.0, 30.0, 0.0], status=["in_progress", "in_progress", "completed",
                                                               "in_progress", "planned"],
        started_at=[today - pd.Timedelta(days=300)] * 4 + [today + pd.Timedelta(days=30)],
        planned_end=[today + pd.Timedelta(days=200)] * 5, lead_unit="economy", updated_at=today)
    town["tasks"] = local(build_tasks(rng, pd.DataFrame(town["key_projects"]), np.array(["沈家村"]), now),
                          "issued_at", "deadline", "completed_at")
    town["cameras"] = points(24, camera_id=[f"CAM{i}" for i in range(24)],
                             kind=rng.choice(["public_security", "traffic", "river"], 24),
                             status=["offline"] * 3 + ["online"] * 21, installed_at=today - pd.Timedelta(days=900),
                             updated_at=now)
    town["approvals"] = local(build_approvals(rng, now), "submitted_at", "deadline", "completed_at")
    n_op = 40
    published = now - pd.to_timedelta(rng.uniform(0.5, 20, n_op), unit="D")
    negative = np.arange(n_op) % 3 == 0
    town["opinion_items"] = points(
        n_op, item_id=[f"OP{i}" for i in range(n_op)], platform=rng.choice(["weibo", "wechat", "douyin"], n_op),
        title="网友反映", topic="市容环境", sentiment=np.where(negative, "negative", "neutral"),
        heat=rng.integers(10, 5000, n_op), published_at=published,
        handled_at=pd.Series(published + pd.Timedelta(hours=3)).where(negative & (np.arange(n_op) % 2 == 0)),
        status=np.where(negative, "handled", "archived"))
    town["parking"] = points(4, lot_id=["P1", "P2", "P3", "P4"], name=["甲停车场", "乙停车场", "丙路内泊位", "丁医院停车场"],
                             kind=["public", "public", "on_street", "hospital"], spaces=[200, 80, 40, 300],
                             occupied=[150, 20, 39, 290], updated_at=now)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    town["bus_routes"] = gpd.GeoDataFrame(
        {"route_id": ["BUS1", "BUS2"], "name": ["镇区1路", "村村通1路"], "kind": ["town", "village"],
         "stops": [9, 6], "daily_trips": [60, 20]},
        geometry=[shapely.LineString([(x0 + 0.003, cy), (cx, cy + 0.004), (x1 - 0.003, cy)]),
                  shapely.LineString([(cx, cy), (cx + 0.01, y0 + 0.004)])], crs=4326)
    town["schools"] = points(3, school_id=["S1", "S2", "S3"], name=["实验小学", "中心幼儿园", "青澜中学"],
                             level=["primary", "kindergarten", "junior_middle"], ownership="public",
                             places=[1800, 360, 1500], enrolled=[1750, 330, 1400], applications=[420, 100, 480],
                             intake_places=[300, 120, 500])
    per_grid = town["residents"]["grid_id"].value_counts().reindex(town["grids"]["grid_id"], fill_value=0)
    floating = (town["residents"]["household"] == "floating").groupby(town["residents"]["grid_id"]).sum()
    town["medical_insurance"] = build_medical_insurance(rng, per_grid.index.to_numpy(), per_grid.to_numpy(),
                                                        floating.reindex(per_grid.index, fill_value=0).to_numpy(),
                                                        now)
    for name in ("key_projects", "cameras", "opinion_items", "parking", "schools"):
        town[name] = assign_points(town[name], town["grids"])
    return town


@pytest.fixture(scope="session")
def themed_town(tmp_path_factory) -> str:
    """URL of a GeoPackage holding the fuller town with the modules' own layers."""
    return town_file(tmp_path_factory, "themed_town", build_themed_town(pd.Timestamp.now(tz=TZ)))


@pytest.fixture
def served_themed(dash_duo, themed_town):
    """``dash_duo`` with the app on the town with the modules' own layers."""
    yield from serve_town(dash_duo, themed_town)
