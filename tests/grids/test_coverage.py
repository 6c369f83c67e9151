"""Coverage checks on hand-made grids with a known gap and a known overlap."""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from grids.coverage import check_grids

# Hand-made in metric coordinates (EPSG:4549, metres), converted to lon/lat: the
# areas below are then hand computations in m².
E0, N0 = 500_000.0, 3_430_000.0


def box(x1, y1, x2, y2):
    return shapely.box(E0 + x1, N0 + y1, E0 + x2, N0 + y2)


def lonlat(df):
    return gpd.GeoDataFrame(df, crs=4549).to_crs(4326)


@pytest.fixture
def layers():
    districts = lonlat({"district_id": ["D1", "D2"], "geometry": [box(0, 0, 300, 200), box(300, 0, 600, 200)]})
    grids = lonlat({"grid_id": ["G1", "G2", "G3", "G4"], "district_id": ["D1", "D1", "D2", "D9"],
                    "geometry": [
                        box(0, 0, 150, 200),
                        box(140, 0, 300, 200),   # overlaps G1 by 10 × 200 = 2,000 m²
                        box(300, 0, 480, 200),
                        box(500, 0, 600, 200),   # leaves a 20 × 200 = 4,000 m² gap after G3
                    ]})
    grids.loc[grids.grid_id == "G3", "geometry"] = lonlat(
        {"geometry": [box(300, 0, 480, 200).union(box(250, 50, 300, 60))]}).geometry.iloc[0]
    # G3 reaches 50 × 10 = 500 m² into D1 (and over G2: another overlap of 500 m²)
    pro = lonlat({"pro_grid_id": ["P1", "P2"], "geometry": [box(0, 0, 300, 200), box(300, 0, 600, 200)]})
    ent = gpd.GeoDataFrame({"enterprise_id": [f"E{i}" for i in range(85)]},
                           geometry=gpd.points_from_xy([E0 + 10 + i for i in range(85)], [N0 + 100] * 85),
                           crs=4549).to_crs(4326)
    staff = pd.DataFrame({"staff_id": ["S1", "S2", "S3", "S4"],
                          "role": ["inspector", "inspector", "officer", "officer"],
                          "grid_id": ["G1", "G3", None, None], "pro_grid_id": [None, None, "P1", "P1"]})
    return districts, grids, pro, ent, staff


def by_kind(f, kind):
    return f[f.kind == kind].sort_values("grid_ids").reset_index(drop=True)


def test_gap_is_found_with_its_area_and_place(layers):
    f = check_grids(*layers)
    gaps = by_kind(f, "gap")
    assert len(gaps) == 1
    assert gaps.area_m2[0] == pytest.approx(4000, rel=1e-6)
    assert gaps.grid_ids[0] == "G3, G4"
    inside = gpd.GeoSeries.from_xy([gaps.lon[0]], [gaps.lat[0]], crs=4326).to_crs(4549).iloc[0]
    assert E0 + 480 < inside.x < E0 + 500


def test_overlaps_are_found_pair_by_pair_with_their_areas(layers):
    ov = by_kind(check_grids(*layers), "overlap")
    assert ov.grid_ids.tolist() == ["G1, G2", "G2, G3"]
    assert ov.area_m2.tolist() == pytest.approx([2000, 500], rel=1e-6)


def test_grid_crossing_its_district_and_unknown_district(layers):
    f = check_grids(*layers)
    cross = by_kind(f, "crosses_district")
    assert cross.grid_ids.tolist() == ["G3"] and cross.area_m2[0] == pytest.approx(500, rel=1e-6)
    assert by_kind(f, "unknown_district").grid_ids.tolist() == ["G4"]


def test_capacity_and_staffing(layers):
    f = check_grids(*layers)
    over = by_kind(f, "pro_grid_over_capacity")
    assert over.grid_ids.tolist() == ["P1"] and over["count"].tolist() == [85]
    assert by_kind(f, "grid_without_inspector").grid_ids.tolist() == ["G2", "G4"]
    two = by_kind(f, "pro_grid_without_two_officers")
    assert two.grid_ids.tolist() == ["P2"] and two["count"].tolist() == [0]


def test_findings_are_a_map_layer_in_lonlat(layers):
    f = check_grids(*layers)
    assert f.crs.to_epsg() == 4326 and f.geometry.notna().all() and f.message.str.len().gt(0).all()
    assert f.to_json()  # serialises as GeoJSON for the map


def test_a_clean_partition_has_no_findings():
    from grids.synthetic import synthetic_town
    t = synthetic_town(seed=2)
    assert len(check_grids(t["districts"], t["grids"])) == 0
