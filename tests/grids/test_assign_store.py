"""``assign_store`` (``townbrain assign``) on both store backends."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from grids.assign import assign_store, point_layers
from grids.synthetic import synthetic_town
from grids.systems import TownGrids


def points(prefix, id_field, n, seed, bounds):
    rng = np.random.default_rng(seed)
    x = bounds[0] - 0.005 + rng.random(n) * (bounds[2] - bounds[0] + 0.01)
    y = bounds[1] - 0.005 + rng.random(n) * (bounds[3] - bounds[1] + 0.01)
    return gpd.GeoDataFrame({id_field: [f"{prefix}{i:04d}" for i in range(n)]},
                            geometry=gpd.points_from_xy(x, y), crs=4326)


def test_assign_store_writes_the_four_columns_and_counts_unassigned(store):
    t = synthetic_town(seed=6)
    for name in ("districts", "grids", "pro_grids"):
        store.upsert(name, t[name])
    b = t["grids"].total_bounds
    ent = points("E", "enterprise_id", 300, 1, b)
    cases = points("C", "case_id", 500, 2, b)
    cases["reported_at"] = pd.Timestamp("2018-03-01", tz="Asia/Shanghai")
    store.upsert("enterprises", ent)
    store.upsert("cases", cases)
    from geodata.schema import POINT_LAYERS
    # the schema creates every dictionary layer (empty ones too); each point layer is found
    assert [n for n, _ in point_layers(store)] == sorted(n for n in POINT_LAYERS if store.has_layer(n))
    assert {"cases", "enterprises", "residents"} <= {n for n, _ in point_layers(store)}

    counts = assign_store(store)
    town = TownGrids.from_frames(**t)
    for name, frame, id_field in (("enterprises", ent, "enterprise_id"), ("cases", cases, "case_id")):
        want = pd.concat([frame[[id_field]], town.assign_xy(frame.geometry.x, frame.geometry.y)], axis=1)
        got = store.read(name, columns=[id_field, "district_id", "grid_id", "pro_grid_id", "h3"])
        got = pd.DataFrame(got.drop(columns="geometry")).sort_values(id_field).reset_index(drop=True)
        for col in ("district_id", "grid_id", "pro_grid_id", "h3"):
            g = got[col].astype(object).where(got[col].notna(), None).tolist()
            assert g == want[col].tolist(), (name, col)
        assert counts[name]["total"] == len(frame)
        assert counts[name]["unassigned"] == int(want["grid_id"].isna().sum()) > 0
        assert store.count(name) == len(frame)  # nothing dropped
    assert counts["residents"] == {"total": 0, "assigned": 0, "unassigned": 0,
                                   "seconds": counts["residents"]["seconds"]}


def test_a_batch_of_new_cases_is_assigned_without_touching_the_rest(store):
    g = gpd.GeoDataFrame({"grid_id": ["G1"], "district_id": ["D1"]},
                         geometry=[shapely.box(120.5, 31.0, 120.6, 31.1)], crs=4326)
    store.upsert("grids", g)
    old = gpd.GeoDataFrame({"case_id": ["A", "B"], "reported_at": pd.Timestamp("2018-01-01", tz="Asia/Shanghai")},
                           geometry=gpd.points_from_xy([120.55, 120.56], [31.05, 31.05]), crs=4326)
    store.upsert("cases", old)
    assign_store(store, layers=["cases"])
    new = gpd.GeoDataFrame({"case_id": ["C"], "reported_at": pd.Timestamp("2018-01-02", tz="Asia/Shanghai")},
                           geometry=gpd.points_from_xy([120.57], [31.05]), crs=4326)
    store.upsert("cases", new)
    counts = assign_store(store, layers=["cases"], where={"case_id": ["C"]})
    assert counts["cases"]["total"] == 1
    got = store.read("cases", columns=["case_id", "grid_id"]).sort_values("case_id")
    assert got["grid_id"].tolist() == ["G1", "G1", "G1"]


def test_a_users_own_point_layer_is_assigned_too(store):
    store.upsert("grids", gpd.GeoDataFrame({"grid_id": ["G1"]},
                                           geometry=[shapely.box(120.5, 31.0, 120.6, 31.1)], crs=4326))
    store.write("hydrants", gpd.GeoDataFrame({"id": ["H1", "H2"]},
                                             geometry=gpd.points_from_xy([120.55, 121.0], [31.05, 31.05]),
                                             crs=4326))
    assert ("hydrants", "id") in point_layers(store)
    counts = assign_store(store, layers=["hydrants"])
    assert counts["hydrants"]["assigned"] == 1 and counts["hydrants"]["unassigned"] == 1
    got = store.read("hydrants", columns=["id", "grid_id"]).sort_values("id")
    assert got["grid_id"].tolist()[0] == "G1" and got["grid_id"].isna().tolist() == [False, True]
