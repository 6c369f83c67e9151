"""Round trips of ``townbrain export data``: each format read back with pyogrio or
openpyxl gives the same records, the CRS the file declares, and Chinese text intact."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
from openpyxl import load_workbook

from access.scope import TOWN, Scope
from exports.common import ExportError
from exports.data_export import export_layer, without_personal
from exports.data_writers import shapefile_field_names
from geodata.crs import wgs84_to_gcj02


def test_gpkg_round_trip_keeps_records_times_and_crs(export_store, tmp_path):
    cases = export_store.read("cases")
    r = export_layer(export_store, "cases", tmp_path / "cases.gpkg", crs="4490", scope=TOWN)
    back = pyogrio.read_dataframe(r.path)
    assert len(back) == len(cases) == r.records
    assert pyogrio.read_info(r.path)["crs"] == "EPSG:4490"
    back = back.set_index("case_id").loc[cases["case_id"]]
    assert (back["category"].to_numpy() == cases["category"].to_numpy()).all()
    # GeoPackage keeps times in UTC (its standard); the instants are the same
    assert (back["reported_at"].dt.tz_convert("UTC").to_numpy() == cases["reported_at"].dt.tz_convert("UTC")
            .to_numpy()).all()
    assert np.allclose(back.geometry.x.to_numpy(), cases.geometry.x.to_numpy())
    import sqlite3
    desc = sqlite3.connect(r.path).execute("SELECT description FROM gpkg_contents").fetchone()[0]
    assert r.export_id in desc and "EPSG:4490" in desc and r.made_by in desc
    assert len(r.sha256) == 64


def test_geojson_gcj02_is_moved_and_says_so(export_store, tmp_path):
    grids = export_store.read("grids")
    r = export_layer(export_store, "grids", tmp_path / "grids.geojson", crs="gcj02", scope=TOWN)
    doc = json.loads(Path(r.path).read_text(encoding="utf-8"))
    assert "GCJ-02" in doc["description"]
    back = pyogrio.read_dataframe(r.path)
    import shapely
    x0, y0 = shapely.get_coordinates(grids.geometry.iloc[0])[0]
    gx, gy = wgs84_to_gcj02(np.array([x0]), np.array([y0]))
    assert tuple(shapely.get_coordinates(back.geometry.iloc[0])[0]) == pytest.approx((gx[0], gy[0]), abs=1e-7)
    assert set(back["name"]) == set(grids["name"])  # Chinese names intact


def test_zipped_shapefile_has_cpg_prj_and_a_field_map(export_store, tmp_path):
    cases = export_store.read("cases")
    r = export_layer(export_store, "cases", tmp_path / "cases.shp", crs="4490", scope=TOWN)
    assert r.path.suffix == ".zip"
    z = zipfile.ZipFile(r.path)
    names = set(z.namelist())
    assert {"cases.shp", "cases.dbf", "cases.shx", "cases.prj", "cases.cpg", "fields.csv", "README.txt"} <= names
    assert z.read("cases.cpg").decode().strip().upper() in ("UTF-8", "UTF8")
    assert "China_2000" in z.read("cases.prj").decode() or "CGCS2000" in z.read("cases.prj").decode()
    fields = list(csv.DictReader(z.read("fields.csv").decode("utf-8-sig").splitlines()))
    mapping = {f["shp_field"]: f["field"] for f in fields}
    # every column but the geometry and the personal ones (reported_by) has its dBase name
    assert mapping["registered"] == "registered_at" and len(mapping) == len(without_personal(cases).columns) - 1
    assert all(len(k.encode()) <= 10 for k in mapping)
    back = pyogrio.read_dataframe(f"/vsizip/{r.path}/cases.shp").rename(columns=mapping)
    assert len(back) == len(cases)
    assert set(back["case_id"]) == set(cases["case_id"])
    # times kept whole as ISO text with their offset
    first = cases.sort_values("case_id").iloc[0]
    got = back.set_index("case_id").loc[first["case_id"], "reported_at"]
    assert pd.Timestamp(got) == first["reported_at"]


def test_shapefile_splits_mixed_geometry_and_refuses_long_text(tmp_path):
    import geopandas as gpd
    import shapely
    from exports.crs_out import parse_out_crs
    from exports.data_writers import Meta, write_shp
    meta = Meta(layer="rivers", source_layer="rivers", crs=parse_out_crs("4326"), export_id="EXP-1",
                made_by="t", data_as_of=pd.Timestamp.now(tz="UTC"), tz="Asia/Shanghai")
    mixed = gpd.GeoDataFrame({"river_id": ["a", "b"], "name": ["运河", "湖"]},
                             geometry=[shapely.LineString([(0, 0), (1, 1)]), shapely.box(0, 0, 1, 1)], crs=4326)
    details = write_shp(mixed, tmp_path / "r.zip", meta)
    assert details["shapefiles"] == ["rivers_lines", "rivers_polygons"]
    with pytest.raises(ExportError, match="254"):
        write_shp(mixed.assign(name=["长" * 100, "x"]), tmp_path / "r2.zip", meta)


def test_shapefile_field_names_are_unique_and_short():
    cols = ["registered_at", "registered_by", "registered_x", "a" * 30]
    m = shapefile_field_names(cols)
    assert len(set(m.values())) == len(cols) and all(len(v.encode()) <= 10 for v in m.values())


def test_csv_has_bom_lonlat_and_crs_column(export_store, tmp_path):
    ent = export_store.read("enterprises")
    r = export_layer(export_store, "enterprises", tmp_path / "ent.csv", crs="4326", scope=TOWN)
    raw = Path(r.path).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(r.path, encoding="utf-8-sig")
    assert len(back) == len(ent) and {"lon", "lat", "crs"} <= set(back.columns)
    assert set(back["crs"]) == {"EPSG:4326"}
    assert set(back["name"]) == set(ent["name"])
    r2 = export_layer(export_store, "grids", tmp_path / "grids.csv", geometry_as="auto", scope=TOWN)
    assert "wkt" in pd.read_csv(r2.path, encoding="utf-8-sig").columns


def test_kml_reads_back_with_names(export_store, tmp_path):
    roads = export_store.read("roads")
    r = export_layer(export_store, "roads", tmp_path / "roads.kml", scope=TOWN)
    back = pyogrio.read_dataframe(r.path)
    assert len(back) == len(roads)
    assert set(back["Name"] if "Name" in back else back["name"]) == set(roads["name"])
    assert r.export_id in Path(r.path).read_text(encoding="utf-8")


def test_xlsx_has_data_dictionary_and_metadata_sheets(export_store, tmp_path):
    cases = export_store.read("cases")
    r = export_layer(export_store, "cases", tmp_path / "cases.xlsx", crs="gcj02", scope=TOWN)
    wb = load_workbook(r.path, read_only=True)
    assert wb.sheetnames == ["cases", "数据字典 dictionary", "说明 metadata"]
    rows = list(wb["cases"].iter_rows(values_only=True))
    assert len(rows) - 1 == len(cases)
    header = rows[0]
    assert "lon" in header and "lat" in header
    dictionary = {row[0]: row for row in wb["数据字典 dictionary"].iter_rows(min_row=2, values_only=True)}
    assert dictionary["case_id"][5] == "案件编号"
    meta = dict(wb["说明 metadata"].iter_rows(min_row=2, values_only=True))
    assert "GCJ-02" in meta["crs 坐标系"] and meta["export id 导出编号"] == r.export_id
    by_id = {row[header.index("case_id")]: row for row in rows[1:]}
    c = cases.iloc[0]
    got = by_id[c["case_id"]][header.index("reported_at")]
    assert pd.Timestamp(got) == c["reported_at"].tz_convert("Asia/Shanghai").tz_localize(None)


def test_residents_leave_only_as_grid_aggregates_by_default(export_store, tmp_path):
    residents = export_store.read("residents")
    r = export_layer(export_store, "residents", tmp_path / "res.gpkg", scope=TOWN)
    back = pyogrio.read_dataframe(r.path)
    assert "resident_id" not in back.columns and r.details["layer"] == "residents_by_grid"
    assert back["residents"].sum() == residents["grid_id"].notna().sum()
    assert len(back) == export_store.count("grids")
    # the hook for a role allowed to see people
    r2 = export_layer(export_store, "residents", tmp_path / "res2.gpkg", scope=TOWN, personal=True)
    assert len(pyogrio.read_dataframe(r2.path)) == len(residents)


G1 = Scope(grids=frozenset({"G1"}))


def test_scope_keeps_only_its_grids(export_store, tmp_path):
    cases = export_store.read("cases")
    r = export_layer(export_store, "cases", tmp_path / "c.csv", scope=G1)
    back = pd.read_csv(r.path, encoding="utf-8-sig")
    assert len(back) == (cases["grid_id"] == "G1").sum() > 0
    roads = export_layer(export_store, "roads", tmp_path / "r.gpkg", scope=G1)
    assert roads.records <= export_store.count("roads")


def test_period_filters_on_reported_at(export_store, tmp_path):
    cases = export_store.read("cases")
    mid = cases["reported_at"].sort_values().iloc[len(cases) // 2]
    r = export_layer(export_store, "cases", tmp_path / "c.gpkg", start=mid, scope=TOWN)
    assert r.records == (cases["reported_at"] >= mid).sum()


def test_cli_export_data_and_its_one_sentence_errors(export_town, tmp_path):
    exe = Path(sys.executable).parent / "townbrain"
    ok = subprocess.run([exe, "export", "data", "--db", export_town, "--layer", "grids", "--format", "shp",
                         "--crs", "4490", "--out", str(tmp_path / "g.zip")], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "sha256" in ok.stdout and (tmp_path / "g.zip").exists()
    bad = subprocess.run([exe, "export", "data", "--db", export_town, "--layer", "grids", "--crs", "3857",
                          "--out", str(tmp_path / "g.csv")], capture_output=True, text=True)
    assert bad.returncode == 1 and "--crs must be" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.postgis
def test_every_format_from_either_backend(store, tmp_path):
    """The exporter reads only through the store's public API: the same files from a
    GeoPackage and from PostGIS."""
    from geodata.demo import write_town
    from tests.browser.conftest import TZ
    from tests.exports.conftest import build_export_town
    town = build_export_town(pd.Timestamp.now(tz=TZ))
    write_town(store, {k: town[k] for k in ("districts", "grids", "cases", "residents", "roads", "rivers")})
    n = store.count("cases")
    for fmt, suffix in (("gpkg", "gpkg"), ("geojson", "geojson"), ("shp", "zip"), ("csv", "csv"), ("kml", "kml"),
                        ("xlsx", "xlsx")):
        r = export_layer(store, "cases", tmp_path / f"cases.{suffix}", fmt, crs="4490", scope=TOWN)
        assert r.records == n, fmt
    back = pd.read_csv(tmp_path / "cases.csv", encoding="utf-8-sig")
    assert len(back) == n and set(back["crs"]) == {"EPSG:4490"}
    agg = export_layer(store, "residents", tmp_path / "res.csv", scope=TOWN)
    assert agg.details["layer"] == "residents_by_grid" and "resident_id" not in pd.read_csv(agg.path).columns
