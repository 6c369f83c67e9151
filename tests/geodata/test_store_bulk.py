"""The GeoPackage bulk write (issue 14): one transaction that drops the layer's
triggers and indexes, inserts, bulk-loads the R-tree and restores them. Checked
against what GDAL itself builds, and for leaving the file untouched on failure."""
from __future__ import annotations

import sqlite3
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from geodata import store_gpkg
from geodata.frames import StoreError
from geodata.store import open_store
from tests.geodata.test_store import make_cases

BBOX = (120.55, 30.95, 120.62, 31.03)


@pytest.fixture
def gpkg(tmp_path, monkeypatch):
    """A GeoPackage store whose bulk path starts at 100 rows, so small frames take it."""
    monkeypatch.setattr(store_gpkg, "BULK_ROWS", 100)
    st = open_store(str(tmp_path / "town.gpkg"))
    st.create_schema()
    return st


def sql(where, query, *params):
    """Rows of a query on a store's file (or a GeoPackage path)."""
    with sqlite3.connect(getattr(where, "path", where)) as con:
        return con.execute(query, params).fetchall()


def snapshot(st, layer="cases"):
    """Everything a write may change: rows, R-tree, schema objects, counts."""
    return {
        "rows": sql(st, f'SELECT * FROM "{layer}" ORDER BY fid'),
        "rtree": sql(st, f'SELECT * FROM "rtree_{layer}_geom" ORDER BY id'),
        "schema": sorted(sql(st, "SELECT type, name, sql FROM sqlite_master")),
        "count": sql(st, "SELECT feature_count FROM gpkg_ogr_contents WHERE table_name = ?", layer),
        "seq": sql(st, "SELECT seq FROM sqlite_sequence WHERE name = ?", layer),
    }


def rtree_by_id(path, layer, id_field):
    """{layer id: stored box} of a GeoPackage R-tree (fids differ between files)."""
    with sqlite3.connect(path) as con:
        return dict((r[0], r[1:]) for r in con.execute(
            f'SELECT t."{id_field}", r.minx, r.maxx, r.miny, r.maxy FROM "rtree_{layer}_geom" r '
            f'JOIN "{layer}" t ON t.fid = r.id'))


def gdal_reference(tmp_path, frame, layer="cases", geometry_type="Point"):
    """The same rows written by plain GDAL (pyogrio) into a new GeoPackage."""
    path = tmp_path / f"gdal_{layer}.gpkg"
    pyogrio.write_dataframe(frame, path, layer=layer, driver="GPKG", geometry_type=geometry_type)
    return path


def old_and_new(n_old=300, n_new=600):
    """Existing cases and a bulk frame replacing 200 of them (moved), adding 400,
    with a missing and an empty point among the new."""
    old = make_cases(n_old, seed=1)
    new = make_cases(n_new, seed=2)
    new["case_id"] = [f"C{i:05d}" for i in range(n_old - 200, n_old - 200 + n_new)]
    new.loc[new.index[7], "geometry"] = None
    new.loc[new.index[8], "geometry"] = shapely.Point()
    expected = pd.concat([old[~old.case_id.isin(new.case_id)], new], ignore_index=True)
    return old, new, gpd.GeoDataFrame(expected, geometry="geometry", crs=4326)


def test_bulk_upsert_builds_the_rtree_gdal_builds(gpkg, tmp_path, monkeypatch):
    bulk_writes = []
    real = gpkg._insert_bulk
    monkeypatch.setattr(gpkg, "_insert_bulk", lambda *a: bulk_writes.append(len(a[1])) or real(*a))
    old, new, expected = old_and_new()
    gpkg.upsert("cases", old.iloc[:50])  # the per-row path, GDAL's triggers
    gpkg.upsert("cases", old)  # bulk: 300 >= 100 rows and a third of 50
    assert gpkg.upsert("cases", new) == 600  # bulk into a layer that has rows
    assert bulk_writes == [300, 600]
    ref = gdal_reference(tmp_path, expected)
    assert rtree_by_id(gpkg.path, "cases", "case_id") == rtree_by_id(ref, "cases", "case_id")
    assert sql(gpkg, "SELECT rtreecheck('rtree_cases_geom')") == [("ok",)]
    n = len(expected)
    assert sql(gpkg, "SELECT feature_count FROM gpkg_ogr_contents WHERE table_name = 'cases'") == [(n,)]
    assert sql(gpkg, "SELECT count(*) FROM rtree_cases_geom") == [(n - 2,)]  # no entry: None, empty
    # Geometry blobs byte for byte as GDAL writes them.
    query = "SELECT case_id, geom FROM cases"
    assert dict(sql(gpkg, query)) == dict(sql(ref, query))


def test_bbox_reads_after_a_bulk_upsert_return_exactly_the_points_inside(gpkg):
    old, new, expected = old_and_new()
    gpkg.upsert("cases", old)
    gpkg.upsert("cases", new)
    minx, miny, maxx, maxy = BBOX
    x, y = shapely.bounds(expected.geometry.values)[:, :2].T  # NaN for the missing and the empty point
    inside = expected.case_id[(x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy)]
    assert sorted(gpkg.read("cases", bbox=BBOX).case_id) == sorted(inside)
    assert gpkg.count("cases", bbox=BBOX) == len(inside)
    assert sorted(gpkg.read("cases").case_id) == sorted(expected.case_id)


def test_bulk_write_restores_the_triggers_and_indexes_it_dropped(gpkg):
    query = "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'cases' ORDER BY name"
    before = sql(gpkg, query)
    assert any(t == "trigger" for t, _, _ in before) and any(t == "index" for t, _, _ in before)
    old, new, _ = old_and_new()
    gpkg.upsert("cases", old)
    gpkg.upsert("cases", new)
    assert sql(gpkg, query) == before
    assert sql(gpkg, "SELECT sql FROM sqlite_master WHERE name = 'rtree_cases_geom'") == \
        [('CREATE VIRTUAL TABLE "rtree_cases_geom" USING rtree(id, minx, maxx, miny, maxy)',)]


def test_a_small_write_after_a_bulk_write_still_maintains_the_rtree(gpkg):
    old, new, expected = old_and_new()
    gpkg.upsert("cases", old)
    gpkg.upsert("cases", new)
    small = new.iloc[:5].copy()
    small["geometry"] = shapely.points(np.full(5, 121.5), np.linspace(31.5, 31.6, 5))
    gpkg.upsert("cases", small)  # the per-row path: GDAL's restored triggers
    gpkg.append("cases", make_cases(3, seed=9).assign(case_id=["X1", "X2", "X3"]))
    assert sorted(gpkg.read("cases", bbox=(121.4, 31.4, 121.6, 31.7)).case_id) == sorted(small.case_id)
    assert sql(gpkg, "SELECT rtreecheck('rtree_cases_geom')") == [("ok",)]
    with_points = len(expected) - 2 + 3  # one missing and one empty point have no entry
    assert sql(gpkg, "SELECT count(*) FROM rtree_cases_geom") == [(with_points,)]
    assert sql(gpkg, "SELECT feature_count FROM gpkg_ogr_contents WHERE table_name = 'cases'") == \
        [(len(expected) + 3,)]


def test_a_failed_bulk_append_leaves_the_file_as_it_was(gpkg):
    old, new, _ = old_and_new()
    gpkg.upsert("cases", old)
    before = snapshot(gpkg)
    with pytest.raises(StoreError, match="already exists"):
        gpkg.append("cases", new)  # 200 of its ids exist
    assert snapshot(gpkg) == before


def _rebuild_then_fail(real):
    def rebuild(*args):
        real(*args)  # rows deleted and inserted, indexes and triggers dropped, R-tree replaced
        raise RuntimeError("disk gone")
    return rebuild


def _copy_then_unique_clash(real):
    # frame_to_storage turns every bad value a caller can give into an error before
    # the write begins, so the clash is made in the file once the rows are in.
    def insert(store, con, decl, stage, first):
        real(store, con, decl, stage, first)
        con.execute('UPDATE "cases" SET case_id = (SELECT min(case_id) FROM "cases") WHERE fid = ?',
                    (first + stage_rows(con) - 1,))
    return insert


def stage_rows(con):
    return con.execute("SELECT count(*) FROM _stage.rows").fetchone()[0]


@pytest.mark.parametrize("owner, step, fault, error", [
    (store_gpkg, "rtree_rebuild", _rebuild_then_fail, RuntimeError),  # the last step before the indexes
    # the last row copied duplicates an id: the unique index, re-created last, refuses it
    (store_gpkg.GeoPackageStore, "_insert_staged", _copy_then_unique_clash, StoreError),
])
def test_a_bulk_write_failing_half_way_leaves_the_file_as_it_was(gpkg, monkeypatch, owner, step, fault, error):
    old, new, _ = old_and_new()
    gpkg.upsert("cases", old)
    before = snapshot(gpkg)
    monkeypatch.setattr(owner, step, fault(getattr(owner, step)))
    with pytest.raises(error):
        gpkg.upsert("cases", new)
    assert snapshot(gpkg) == before


def test_gdal_reads_a_bulk_written_layer_without_complaint(gpkg):
    old, new, expected = old_and_new()
    gpkg.upsert("cases", old)
    gpkg.upsert("cases", new)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = pyogrio.read_dataframe(gpkg.path, layer="cases")
        info = pyogrio.read_info(gpkg.path, layer="cases", force_feature_count=False)
        boxed = pyogrio.read_dataframe(gpkg.path, layer="cases", bbox=BBOX)
    assert sorted(df.case_id) == sorted(expected.case_id)
    assert info["features"] == len(expected)
    assert sorted(boxed.case_id) == sorted(gpkg.read("cases", bbox=BBOX).case_id)


def test_bulk_polygons_get_the_envelopes_gdal_gives_them(gpkg, tmp_path):
    rng = np.random.default_rng(5)
    x, y = 120.5 + rng.random(300) * 0.2, 30.9 + rng.random(300) * 0.2
    parcels = gpd.GeoDataFrame({"id": [f"P{i}" for i in range(300)]},
                               geometry=shapely.box(x, y, x + rng.random(300) * 0.01, y + 0.002), crs=4326)
    gpkg.upsert("parcels", parcels)
    ref = gdal_reference(tmp_path, parcels, layer="parcels", geometry_type="Unknown")
    assert rtree_by_id(gpkg.path, "parcels", "id") == rtree_by_id(ref, "parcels", "id")
    query = "SELECT id, geom FROM parcels"
    assert dict(sql(gpkg, query)) == dict(sql(ref, query))


def test_a_bulk_write_into_an_empty_layer_builds_the_rtree_gdal_builds(gpkg, tmp_path):
    # the tree is packed before the transaction and its entry → leaf map staged with the rows
    _, new, _ = old_and_new()
    assert gpkg.upsert("cases", new) == len(new)
    ref = gdal_reference(tmp_path, new)
    assert rtree_by_id(gpkg.path, "cases", "case_id") == rtree_by_id(ref, "cases", "case_id")
    assert sql(gpkg, "SELECT rtreecheck('rtree_cases_geom')") == [("ok",)]
    assert sql(gpkg, "SELECT count(*) FROM rtree_cases_geom") == [(len(new) - 2,)]  # None, empty: no entry
    minx, miny, maxx, maxy = BBOX
    x, y = shapely.bounds(new.geometry.values)[:, :2].T
    inside = new.case_id[(x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy)]
    assert sorted(gpkg.read("cases", bbox=BBOX).case_id) == sorted(inside)


def test_a_bulk_write_stores_its_rows_in_time_order_each_with_its_own_values(gpkg):
    # the frame's times are shuffled; the table holds the rows by reported_at, and every
    # row keeps its own values and point (the staged table is reordered, not the frame)
    _, new, _ = old_and_new()
    assert not new["reported_at"].is_monotonic_increasing
    gpkg.upsert("cases", new)
    stored = sql(gpkg, "SELECT reported_at FROM cases ORDER BY fid")
    times = [t for (t,) in stored if t is not None]
    assert times == sorted(times) and len(stored) == len(new)
    back = gpkg.read("cases").set_index("case_id").loc[new["case_id"]]
    assert (back["reported_at"].to_numpy() == new["reported_at"].to_numpy()).all()
    assert (back["category"].to_numpy() == new["category"].to_numpy()).all()
    here = new.geometry.notna().to_numpy() & ~new.geometry.is_empty.to_numpy()
    assert shapely.equals(back.geometry.values[here], new.geometry.values[here]).all()


def test_a_writer_between_the_rtree_plan_and_the_write_is_not_lost(gpkg, tmp_path, monkeypatch):
    # Another writer adds rows after the bulk write packed its tree for an empty layer:
    # the transaction sees the next fid moved and packs again with the new rows in.
    _, new, _ = old_and_new()
    early = make_cases(5, seed=7).assign(case_id=[f"E{i}" for i in range(5)])
    real = gpkg._rtree_plan

    def plan_then_other_writer(decl, df, pos):
        plan = real(decl, df, pos)
        open_store(str(gpkg.path)).append("cases", early)  # the per-row path: GDAL, its triggers
        return plan

    monkeypatch.setattr(gpkg, "_rtree_plan", plan_then_other_writer)
    gpkg.upsert("cases", new)
    both = gpd.GeoDataFrame(pd.concat([early, new], ignore_index=True), geometry="geometry", crs=4326)
    assert sql(gpkg, "SELECT rtreecheck('rtree_cases_geom')") == [("ok",)]
    ref = gdal_reference(tmp_path, both)
    assert rtree_by_id(gpkg.path, "cases", "case_id") == rtree_by_id(ref, "cases", "case_id")
