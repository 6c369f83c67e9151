"""geodata.crs: EPSG codes through pyproj, GCJ-02 / BD-09 against published points."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod, Transformer

from geodata.crs import (CRSInputError, bd09_to_gcj02, bd09_to_wgs84, gcj02_to_bd09, gcj02_to_wgs84,
                         lonlat_problems, parse_crs, to_wgs84, wgs84_to_bd09, wgs84_to_gcj02)

GEOD = Geod(ellps="WGS84")

# Published WGS84 ↔ GCJ-02 pairs (lat, lon order as published):
# googollee/eviltransform @ 3416646, python/test.py, TESTS — the same three
# points recur in its Go, JS, Rust, PHP, Java and Haskell test suites.
EVILTRANSFORM = [
    # wgsLat, wgsLng, gcjLat, gcjLng
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),     # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),     # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),     # Beijing
]
# cran/geoChina @ fe96aa9, R/conv.R (Jun Cai, Tsinghua): Beijing railway station
# in all three systems, rounded to 1e-5 degrees (~1 m).
GEOCHINA_WGS = (116.42079, 39.90105)
GEOCHINA_GCJ = (116.42703, 39.90245)
GEOCHINA_BD = (116.43351, 39.90851)
# wandergis/coordtransform test/app.js (also asserted by hutool's CoordinateUtilTest):
# gcj02tobd09(116.404, 39.915).
WANDERGIS_GCJ = (116.404, 39.915)
WANDERGIS_BD = (116.41036949371029, 39.92133699351021)


def metres(lon1, lat1, lon2, lat2) -> float:
    return float(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def one(fn, lon, lat):
    x, y = fn(np.array([lon]), np.array([lat]))
    return float(x[0]), float(y[0])


@pytest.mark.parametrize("wlat,wlng,glat,glng", EVILTRANSFORM)
def test_wgs84_to_gcj02_matches_eviltransform_vectors(wlat, wlng, glat, glng):
    lon, lat = one(wgs84_to_gcj02, wlng, wlat)
    assert lon == pytest.approx(glng, abs=1e-9)
    assert lat == pytest.approx(glat, abs=1e-9)


@pytest.mark.parametrize("wlat,wlng,glat,glng", EVILTRANSFORM)
def test_gcj02_to_wgs84_recovers_published_wgs84_to_a_millimetre(wlat, wlng, glat, glng):
    lon, lat = one(gcj02_to_wgs84, glng, glat)
    assert metres(lon, lat, wlng, wlat) < 0.001
    # and it beats the library's one-step inverse, which is off by decimetres to metres
    from coordTransform import gcj02_to_wgs84 as rough
    rlon, rlat = rough(glng, glat)
    assert metres(lon, lat, wlng, wlat) < metres(rlon, rlat, wlng, wlat)


def test_geochina_beijing_railway_station_in_all_three_systems():
    # the published values are rounded to 1e-5°, i.e. up to ~1.4 m on the diagonal
    assert metres(*one(gcj02_to_wgs84, *GEOCHINA_GCJ), *GEOCHINA_WGS) < 2
    assert metres(*one(wgs84_to_gcj02, *GEOCHINA_WGS), *GEOCHINA_GCJ) < 2
    assert metres(*one(bd09_to_gcj02, *GEOCHINA_BD), *GEOCHINA_GCJ) < 2
    assert metres(*one(bd09_to_wgs84, *GEOCHINA_BD), *GEOCHINA_WGS) < 2
    assert metres(*one(wgs84_to_bd09, *GEOCHINA_WGS), *GEOCHINA_BD) < 2


def test_gcj02_to_bd09_matches_wandergis_vector_and_inverts_exactly():
    lon, lat = one(gcj02_to_bd09, *WANDERGIS_GCJ)
    assert (lon, lat) == pytest.approx(WANDERGIS_BD, abs=1e-12)
    back = one(bd09_to_gcj02, *WANDERGIS_BD)
    assert metres(*back, *WANDERGIS_GCJ) < 0.001


def test_outside_china_the_offsets_are_the_identity():
    lon, lat = np.array([-122.4194, 2.3522, 139.7671]), np.array([37.7749, 48.8566, 35.6812])
    for fn in (wgs84_to_gcj02, gcj02_to_wgs84):
        x, y = fn(lon, lat)
        np.testing.assert_array_equal(x, lon)
        np.testing.assert_array_equal(y, lat)


def test_nan_passes_through_without_breaking_the_batch():
    x, y = gcj02_to_wgs84(np.array([np.nan, 120.6]), np.array([31.2, 31.2]))
    assert np.isnan(x[0]) and np.isfinite(x[1])


@settings(max_examples=300, deadline=None)
@given(lon=st.floats(74.0, 134.5), lat=st.floats(4.5, 53.0))
def test_round_trips_inside_china_to_a_tenth_of_a_millimetre(lon, lat):
    for fwd, inv in ((wgs84_to_gcj02, gcj02_to_wgs84), (gcj02_to_bd09, bd09_to_gcj02),
                     (wgs84_to_bd09, bd09_to_wgs84)):
        x, y = one(fwd, lon, lat)
        u, v = one(inv, x, y)
        assert abs(u - lon) < 1e-9 and abs(v - lat) < 1e-9


@pytest.mark.parametrize("name,expected", [
    ("gcj02", "gcj02"), ("GCJ02", "gcj02"), ("gcj-02", "gcj02"), ("GCJ-02", "gcj02"),
    ("bd09", "bd09"), ("BD-09", "bd09"), (" Bd09 ", "bd09"),
])
def test_offset_names_any_case_and_hyphen(name, expected):
    assert parse_crs(name) == expected


@pytest.mark.parametrize("given_,epsg", [(4490, 4490), ("4490", 4490), ("EPSG:4549", 4549), ("epsg:3857", 3857)])
def test_epsg_codes_in_every_spelling(given_, epsg):
    assert parse_crs(given_).to_epsg() == epsg


def test_unknown_crs_is_one_clear_error():
    with pytest.raises(CRSInputError, match="unknown CRS 'wgs-85'"):
        parse_crs("wgs-85")


def test_cgcs2000_geographic_is_within_centimetres_of_wgs84():
    s = gpd.GeoSeries([shapely.Point(120.64, 31.16)], crs=4490)
    p = to_wgs84(s).iloc[0]
    assert metres(p.x, p.y, 120.64, 31.16) < 0.05
    assert to_wgs84(s).crs.to_epsg() == 4326


def test_projected_gauss_kruger_matches_pyproj_forward():
    lon, lat = np.array([120.55, 120.70]), np.array([31.0, 31.25])
    x, y = Transformer.from_crs(4326, 4549, always_xy=True).transform(lon, lat)
    u, v = to_wgs84((x, y), "EPSG:4549")
    np.testing.assert_allclose(u, lon, atol=1e-9)
    np.testing.assert_allclose(v, lat, atol=1e-9)


def test_every_vertex_of_every_geometry_type_is_converted():
    gcj = [
        shapely.Point(120.6, 31.2),
        shapely.LineString([(120.6, 31.2), (120.7, 31.3)]),
        shapely.Polygon([(120.5, 31.0), (120.8, 31.0), (120.8, 31.3), (120.5, 31.0)],
                        holes=[[(120.7, 31.05), (120.75, 31.05), (120.75, 31.1), (120.7, 31.05)]]),
        shapely.MultiLineString([[(120.6, 31.2), (120.61, 31.21)], [(120.62, 31.22), (120.63, 31.23)]]),
        shapely.GeometryCollection([shapely.Point(120.6, 31.2), shapely.LineString([(120.6, 31.2), (120.7, 31.3)])]),
        shapely.Point(120.6, 31.2, 12.5),
        None,
    ]
    out = to_wgs84(np.array(gcj, dtype=object), "gcj02")
    for before, after in zip(gcj, out):
        if before is None:
            assert after is None
            continue
        assert after.geom_type == before.geom_type
        cb, ca = shapely.get_coordinates(before), shapely.get_coordinates(after)
        ex, ey = gcj02_to_wgs84(cb[:, 0], cb[:, 1])
        np.testing.assert_allclose(ca[:, 0], ex, atol=1e-12)
        np.testing.assert_allclose(ca[:, 1], ey, atol=1e-12)
    assert out[5].has_z and out[5].z == 12.5


def test_geodataframe_keeps_attributes_and_gets_epsg_4326():
    gdf = gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.Point(120.6, 31.2)], crs=4326)
    out = to_wgs84(gdf, "bd09")
    assert out.crs.to_epsg() == 4326 and out["name"].tolist() == ["a"]
    assert 500 < metres(out.geometry.iloc[0].x, out.geometry.iloc[0].y, 120.6, 31.2) < 1500
    assert gdf.geometry.iloc[0].x == 120.6  # the input is not modified


def test_lonlat_problems_name_the_bad_coordinate():
    probs = lonlat_problems([shapely.Point(120, 31), shapely.Point(120, 95),
                             shapely.LineString([(0, 0), (float("inf"), 1)]), None])
    assert probs[0] is None and probs[3] is None
    assert probs[1] == "lat 95 outside [-90, 90]"
    assert probs[2] == "coordinate not finite"
