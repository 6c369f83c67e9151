"""Grid systems: ids, the tie rule's order, CRS checks, the hierarchy, H3, single points."""
from __future__ import annotations

import time

import geopandas as gpd
import numpy as np
import pytest
import shapely

from grids.h3cells import h3_cells_covering, xy_to_h3
from grids.synthetic import synthetic_town
from grids.systems import GridSystem, TownGrids
from tests.grids.handmade import U, X0, Y0, partition


def test_any_polygon_layer_serves_with_text_ids_in_code_point_order():
    g = gpd.GeoDataFrame({"code": [10, 9, 2]}, geometry=[shapely.box(0, 0, 1, 1)] * 3, crs=4326)
    s = GridSystem.from_frame(g, "code")
    assert s.ids.tolist() == ["10", "2", "9"]  # text order, not numeric
    assert s.id_of(0.5, 0.5) == "10"


def test_non_polygons_and_missing_ids_are_refused():
    with pytest.raises(ValueError, match="Polygon"):
        GridSystem(["A"], [shapely.Point(0, 0)])
    with pytest.raises(ValueError, match="no id"):
        GridSystem([None], [shapely.box(0, 0, 1, 1)])


def test_points_in_another_crs_are_refused():
    s = GridSystem.from_frame(partition(), "grid_id")
    pts = gpd.GeoSeries.from_xy([X0], [Y0], crs=4326).to_crs(4549)
    with pytest.raises(ValueError, match="does not match"):
        s.points_to_ids(pts)


def test_town_hierarchy_district_grid_pro_grid_and_h3():
    t = synthetic_town(seed=3)
    town = TownGrids.from_frames(**t)
    rng = np.random.default_rng(0)
    b = t["grids"].total_bounds
    x, y = b[0] + rng.random(5000) * (b[2] - b[0]), b[1] + rng.random(5000) * (b[3] - b[1])
    got = town.assign_xy(x, y)
    assert list(got.columns) == ["district_id", "grid_id", "pro_grid_id", "h3"]
    inside = got["grid_id"].notna()
    assert inside.mean() > 0.9
    # a grid's district (attribute) is the district polygon that covers the point
    district_of_grid = dict(zip(t["grids"].grid_id, t["grids"].district_id))
    assert (got.loc[inside, "grid_id"].map(district_of_grid) == got.loc[inside, "district_id"]).all()
    assert got["h3"].str.len().eq(15).all()
    assert town.grids_of_district("D1") == sorted(t["grids"].grid_id[t["grids"].district_id == "D1"])
    # without a districts layer the district comes from the grid
    no_d = TownGrids.from_frames(grids=t["grids"]).assign_xy(x, y, h3=False)
    assert (no_d["district_id"].fillna("-") == got["district_id"].where(inside).fillna("-")).all()


def test_assign_one_is_well_under_a_millisecond_and_equals_the_batch():
    town = TownGrids.from_frames(**synthetic_town(seed=3))
    rng = np.random.default_rng(1)
    b = town.grids.index
    x = 120.54 + rng.random(2000) * 0.126
    y = 30.946 + rng.random(2000) * 0.108
    town.assign_one(x[0], y[0])  # builds the indexes
    t = time.perf_counter()
    one = [town.assign_one(a, c) for a, c in zip(x, y)]
    per_point = (time.perf_counter() - t) / len(x)
    assert per_point < 1e-3, per_point
    batch = town.assign_xy(x, y).to_dict("records")
    assert one == batch
    assert b is town.grids.index  # the index is built once


def test_xy_to_h3_matches_h3_and_handles_missing():
    import h3
    lon = np.array([120.6, 120.61, np.nan, 120.6])
    lat = np.array([31.0, 31.01, 31.0, np.inf])
    got = xy_to_h3(lon, lat, 9)
    assert got.tolist() == [h3.latlng_to_cell(31.0, 120.6, 9), h3.latlng_to_cell(31.01, 120.61, 9),
                            None, None]
    assert xy_to_h3(lon[:1], lat[:1], 7)[0] == h3.latlng_to_cell(31.0, 120.6, 7)


def test_h3_cells_covering_cover_the_area():
    area = shapely.box(X0, Y0, X0 + 8 * U, Y0 + 8 * U)
    cells = h3_cells_covering(area, 8)
    assert shapely.covers(shapely.union_all(cells.geometry.values).buffer(1e-9), area)
    assert cells["h3"].is_unique
