"""The GeoPackage export's bulk path (exports/gpkg_bulk.py) against GDAL's own write:
the same layers in WGS84, CGCS2000 and GCJ-02 read back by GDAL without a warning,
record for record equal, with the same CRS, geometry type, description, extent and
triggers; the R-tree passes SQLite's ``rtreecheck`` and each geometry blob names the
layer's SRS; and GDAL can go on editing the file (its triggers work)."""
from __future__ import annotations

import sqlite3
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from access.scope import TOWN
from exports import gpkg_bulk
from exports.data_export import export_frame, export_layer


def read_strictly(path, **kw):
    """pyogrio's read with every warning (GDAL's included) an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        info = pyogrio.read_info(path, **kw)
        return pyogrio.read_dataframe(path, **kw), info


def sql(path, query, *args):
    con = sqlite3.connect(path)
    try:
        return con.execute(query, args).fetchall()
    finally:
        con.close()


def both_ways(monkeypatch, make):
    """``make(tag)`` once through the bulk path and once through GDAL's."""
    monkeypatch.setattr(gpkg_bulk, "BULK_ROWS", 1)
    bulk = make("bulk")
    monkeypatch.setattr(gpkg_bulk, "BULK_ROWS", 10**12)
    gdal = make("gdal")
    assert bulk.details["written"] == "bulk" and gdal.details["written"] == "gdal"
    return bulk.path, gdal.path


def assert_same_file(bulk, gdal, layer):
    a, ia = read_strictly(bulk)
    b, ib = read_strictly(gdal)
    for k in ("crs", "geometry_type", "features", "fields", "dtypes", "layer_metadata"):
        assert np.array_equal(ia[k], ib[k]) if isinstance(ia[k], np.ndarray) else ia[k] == ib[k], k
    assert np.allclose(ia["total_bounds"], ib["total_bounds"])
    pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry")), pd.DataFrame(b.drop(columns="geometry")))
    assert shapely.equals_exact(a.geometry.values, b.geometry.values, tolerance=0).all()
    geom_col, srs_id = sql(bulk, "SELECT column_name, srs_id FROM gpkg_geometry_columns")[0]
    assert sql(bulk, "SELECT column_name, srs_id FROM gpkg_geometry_columns") == \
        sql(gdal, "SELECT column_name, srs_id FROM gpkg_geometry_columns")
    assert sql(bulk, "SELECT description, identifier FROM gpkg_contents") == \
        sql(gdal, "SELECT description, identifier FROM gpkg_contents")
    assert sql(bulk, "SELECT srs_name, organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?", srs_id) == \
        sql(gdal, "SELECT srs_name, organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?", srs_id)
    extent = "SELECT min_x, min_y, max_x, max_y FROM gpkg_contents"
    assert np.allclose(sql(bulk, extent)[0], sql(gdal, extent)[0])
    assert sql(bulk, "SELECT feature_count FROM gpkg_ogr_contents") == [(len(a),)]
    triggers = "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
    assert sql(bulk, triggers) == sql(gdal, triggers) and sql(bulk, triggers)
    assert sql(bulk, f'SELECT rtreecheck("rtree_{layer}_{geom_col}")') == [("ok",)]
    assert sql(bulk, f'SELECT count(*) FROM "rtree_{layer}_{geom_col}"') == [(int(a.geometry.notna().sum()),)]
    # every blob's header names the layer's SRS (GeoPackage Req. 33)
    blobs = [b for (b,) in sql(bulk, f'SELECT "{geom_col}" FROM "{layer}"') if b is not None]
    assert {int.from_bytes(b[4:8], "little" if b[3] & 1 else "big") for b in blobs} == {srs_id}
    assert sql(bulk, "PRAGMA integrity_check") == [("ok",)]


@pytest.mark.parametrize("crs", ["4326", "4490", "gcj02"])
@pytest.mark.parametrize("layer", ["cases", "grids", "roads"])
def test_bulk_gpkg_is_the_file_gdal_writes(export_store, tmp_path, monkeypatch, crs, layer):
    bulk, gdal = both_ways(monkeypatch, lambda tag: export_layer(export_store, layer, tmp_path / f"{tag}.gpkg", crs=crs,
                                                                 scope=TOWN, export_id="EXP-SAME", made_by="t"))
    assert_same_file(bulk, gdal, layer)
    _, info = read_strictly(bulk)
    assert info["crs"] == {"4326": "EPSG:4326", "4490": "EPSG:4490"}.get(crs, info["crs"])
    if crs == "gcj02":
        assert "GCJ-02" in sql(bulk, "SELECT srs_name || definition FROM gpkg_spatial_ref_sys "
                                     "WHERE srs_id = (SELECT srs_id FROM gpkg_geometry_columns)")[0][0]


def test_gdal_goes_on_editing_a_bulk_file(export_store, tmp_path, monkeypatch):
    """The triggers are back: GDAL appends a feature and the R-tree and count follow."""
    monkeypatch.setattr(gpkg_bulk, "BULK_ROWS", 1)
    r = export_layer(export_store, "cases", tmp_path / "c.gpkg", scope=TOWN)
    n = len(pyogrio.read_dataframe(r.path))
    extra = gpd.GeoDataFrame({"case_id": ["NEW"]}, geometry=[shapely.Point(120.61, 30.95)], crs=4326)
    pyogrio.write_dataframe(extra, r.path, layer="cases", append=True)
    back, info = read_strictly(r.path)
    assert len(back) == info["features"] == n + 1
    assert sql(r.path, 'SELECT rtreecheck("rtree_cases_geom")') == [("ok",)]
    assert sql(r.path, 'SELECT count(*) FROM "rtree_cases_geom"') == [(n + 1,)]


def test_frames_the_bulk_path_leaves_to_gdal(export_store, tmp_path, monkeypatch):
    """Times finer than a second, mixed geometry, Python objects: stored exactly, by GDAL."""
    monkeypatch.setattr(gpkg_bulk, "BULK_ROWS", 1)
    cases = export_store.read("cases")
    fine = cases.assign(reported_at=cases["reported_at"] + pd.Timedelta(milliseconds=250))
    r = export_frame(export_store, fine, tmp_path / "fine.gpkg", layer="cases")
    assert r.details["written"] == "gdal"
    back, _ = read_strictly(r.path)
    assert (back["reported_at"].dt.tz_convert("UTC").to_numpy() == fine["reported_at"].dt.tz_convert("UTC")
            .to_numpy()).all()
    mixed = gpd.GeoDataFrame({"river_id": ["a", "b"]}, geometry=[shapely.LineString([(0, 0), (1, 1)]),
                                                                  shapely.box(0, 0, 1, 1)], crs=4326)
    assert gpkg_bulk.bulk_writable(mixed) == "mixed geometry types"
    assert export_frame(export_store, mixed, tmp_path / "m.gpkg", layer="rivers").details["written"] == "gdal"


def test_the_consoles_categorical_frame_goes_in_bulk_as_text(export_store, tmp_path, monkeypatch):
    cases = export_store.read("cases")
    cat = cases.assign(category=cases["category"].astype("category"), source=cases["source"].astype("category"))
    bulk, gdal = both_ways(monkeypatch, lambda tag: export_frame(export_store, cat, tmp_path / f"{tag}.gpkg",
                                                                 layer="cases", export_id="EXP-C", made_by="t"))
    assert_same_file(bulk, gdal, "cases")
    assert set(read_strictly(bulk)[0]["category"]) == set(cases["category"])


def test_a_layer_without_any_geometry_keeps_an_empty_valid_rtree(export_store, tmp_path, monkeypatch):
    grids = export_store.read("grids")
    blank = grids.set_geometry(gpd.GeoSeries([None] * len(grids), crs=4326))
    bulk, gdal = both_ways(monkeypatch, lambda tag: export_frame(export_store, blank, tmp_path / f"{tag}.gpkg",
                                                                 layer="grids", export_id="EXP-N", made_by="t"))
    back, info = read_strictly(bulk)
    assert len(back) == len(grids) and back.geometry.isna().all()
    assert sql(bulk, 'SELECT rtreecheck("rtree_grids_geom"), (SELECT count(*) FROM "rtree_grids_geom")') == \
        [("ok", 0)]
    assert sql(bulk, "SELECT feature_count FROM gpkg_ogr_contents") == [(len(grids),)]
