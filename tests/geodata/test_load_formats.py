"""Every format and encoding a town sends, made from the real public data; every record
loaded or quarantined (``loaded + quarantined == rows`` on each file)."""
from __future__ import annotations

import json
import zipfile

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from geodata.loaders import LoadError, load_file
from geodata.readers import read_source
from tests.realdata import REAL

SF = REAL / "sf311"
CHINA = REAL / "china-districts-gcj02"
OSM = REAL / "osm-helsinki"


def whole(r) -> None:
    assert r.rows > 0 and r.loaded + r.quarantined == r.rows, str(r)


@pytest.fixture(scope="module")
def suzhou() -> gpd.GeoDataFrame:
    """Suzhou's 9 district outlines (GCJ-02, as the real file has them)."""
    feats = json.loads((CHINA / "320500.json").read_text(encoding="utf-8"))
    g = gpd.GeoDataFrame.from_features(feats, crs=4326)[["adcode", "name", "geometry"]]
    g["adcode"] = g["adcode"].astype(str)
    return g


@pytest.fixture(scope="module")
def sf_cases() -> pd.DataFrame:
    return pd.read_csv(SF / "cases_sample.csv", dtype=str, keep_default_na=False)


# ---- OpenStreetMap -------------------------------------------------------------------

def test_osm_pbf_roads_and_buildings_into_their_layers(store):
    pbf = OSM / "Helsinki.osm.pbf"
    roads = load_file(store, pbf, "roads")
    whole(roads)
    want = len(pyogrio.read_dataframe(pbf, layer="lines", where="highway IS NOT NULL", read_geometry=False))
    assert roads.rows == want > 2000 and roads.loaded >= 0.99 * want
    assert roads.info.notes["source_layer"] == "lines" and "highway" in roads.info.notes["where"]
    got = store.read("roads")
    assert {"residential", "primary", "footway"} <= set(got["road_class"])
    assert got["road_id"].str.fullmatch(r"\d+").all() and got.geom_type.eq("LineString").all()
    assert "Mannerheimintie" in set(got["name"])
    buildings = load_file(store, pbf, "buildings")
    whole(buildings)
    b = store.read("buildings")
    assert len(b) == buildings.loaded > 300 and b["building_id"].str.match(r"^[wr]\d+$").all()
    assert b.total_bounds == pytest.approx([24.93, 60.16, 24.96, 60.18], abs=0.03)   # central Helsinki
    # a second OSM file, a layer named by hand
    town = load_file(store, OSM / "test.osm.pbf", "rivers")
    whole(town)
    assert town.loaded >= 1


def test_osm_without_a_preset_asks_for_the_source_layer(store):
    with pytest.raises(LoadError, match="several layers .*--source-layer"):
        load_file(store, OSM / "test.osm.pbf", "enterprises")
    r = load_file(store, OSM / "test.osm.pbf", "enterprises", source_layer="points",
                  mapping={"enterprise_id": "osm_id"}, where="name IS NOT NULL")
    whole(r)


# ---- vector formats made from the real outlines -------------------------------------------

@pytest.mark.parametrize("suffix,driver", [("kml", "KML"), ("kmz", "LIBKML"), ("fgb", "FlatGeobuf"),
                                           ("parquet", None), ("gpkg", "GPKG")])
def test_vector_formats_load_the_same_districts(store, tmp_path, suzhou, suffix, driver):
    path = tmp_path / f"suzhou.{suffix}"
    if driver is None:
        suzhou.to_parquet(path)
    else:
        pyogrio.write_dataframe(suzhou, path, driver=driver)
    r = load_file(store, path, "districts", mapping={"district_id": "adcode"}, crs="gcj02")
    whole(r)
    assert (r.loaded, r.quarantined) == (9, 0)
    d = store.read("districts").set_index("district_id")
    assert d.loc["320509", "name"] == "吴江区"
    # GCJ-02 → WGS84 moves Wujiang as for the GeoJSON original, vertex for vertex
    ref, _ = read_source(CHINA / "320500.json", crs="gcj02")
    want = ref.set_index(ref["adcode"].astype(str)).loc["320509", "geometry"]
    assert d.loc["320509", "geometry"].equals_exact(want, tolerance=1e-9)


def test_kmz_zipped_by_hand_keeps_its_attributes(store, tmp_path, suzhou):
    """A KML zipped as doc.kml (how people make a KMZ): GDAL reads the archive without its
    ExtendedData, so the KML inside is read instead."""
    kml = tmp_path / "d.kml"
    pyogrio.write_dataframe(suzhou, kml, driver="KML")
    kmz = tmp_path / "districts.kmz"
    with zipfile.ZipFile(kmz, "w") as z:
        z.write(kml, "doc.kml")
    r = load_file(store, kmz, "districts", mapping={"district_id": "adcode"}, crs="gcj02")
    whole(r)
    assert r.loaded == 9 and "320509" in set(store.read("districts")["district_id"])


def test_zipped_shapefile_with_gbk_names_and_no_cpg(store, tmp_path, suzhou):
    shp = tmp_path / "d.shp"
    pyogrio.write_dataframe(suzhou, shp, encoding="GBK")
    zpath = tmp_path / "districts.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        for ext in ("shp", "shx", "dbf", "prj"):          # no .cpg, as Chinese offices send them
            z.write(shp.with_suffix("." + ext), "d." + ext)
    r = load_file(store, zpath, "districts", mapping={"district_id": "adcode"}, crs="gcj02")
    whole(r)
    assert r.loaded == 9 and "GB18030" in r.info.notes["encoding"]
    assert set(store.read("districts")["name"]) == set(suzhou["name"])


def test_gpx_waypoints_as_cases(store, tmp_path, sf_cases):
    s = sf_cases.head(200)
    w = gpd.GeoDataFrame({"name": s["CaseID"], "time": pd.to_datetime(s["Opened"]), "desc": s["Category"]},
                         geometry=gpd.points_from_xy(s["Long"].astype(float), s["Lat"].astype(float)), crs=4326)
    path = tmp_path / "walk.gpx"
    pyogrio.write_dataframe(w, path, driver="GPX", layer="waypoints")
    r = load_file(store, path, "cases", mapping={"case_id": "name", "reported_at": "time", "category": "desc"},
                  source_tz="America/Los_Angeles")
    whole(r)
    assert r.loaded == 200 and r.info.notes["source_layer"] == "waypoints"   # the only layer with data


# ---- tables: encodings and Excel ------------------------------------------------------------

ZH = {"CaseID": "案件编号", "Opened": "上报时间", "Category": "问题大类", "Source": "来源", "Lat": "纬度",
      "Long": "经度", "Neighborhood": "所属社区"}


def chinese_export(sf: pd.DataFrame) -> pd.DataFrame:
    """The SF sample as a Chinese office would export it: Chinese headers, Chinese sources."""
    df = sf[list(ZH)].rename(columns=ZH).copy()
    df["来源"] = df["来源"].map({"Voice In": "12345热线", "Open311": "随手拍"}).fillna("部门移交")
    df["备注"] = "𠀀 扩展B区字"   # a character GBK lacks (GB18030 has it)
    return df


@pytest.mark.parametrize("encoding,label", [("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8 with BOM"),
                                            ("gbk", "GB18030/GBK"), ("gb18030", "GB18030/GBK")])
def test_csv_encodings_detected_and_chinese_headers_map_by_themselves(store, tmp_path, sf_cases, encoding, label):
    df = chinese_export(sf_cases)
    if encoding == "gbk":
        df["备注"] = "扩展区字"
    path = tmp_path / f"cases_{encoding}.csv"
    df.to_csv(path, index=False, encoding=encoding)
    r = load_file(store, path, "cases", source_tz="America/Los_Angeles")   # no --map at all
    whole(r)
    assert r.info.notes["encoding"] == label
    assert r.loaded == len(df) - 0 and r.quarantined == 0
    c = store.read("cases").set_index("case_id")
    one = c.loc["1757188"]
    assert one["category"] == "Street Defects" and one["source"] == "hotline"
    assert one["所属社区"] == "Marina" and one["备注"] == df["备注"].iloc[0]


def test_encoding_override_and_a_wrong_one(store, tmp_path, sf_cases):
    path = tmp_path / "gbk.csv"
    chinese_export(sf_cases).assign(备注="扩展").to_csv(path, index=False, encoding="gbk")
    r = load_file(store, path, "cases", encoding="gb18030", source_tz="America/Los_Angeles")
    whole(r)
    with pytest.raises(LoadError, match="is not utf-8: byte 0x.. at offset"):
        load_file(store, path, "cases", encoding="utf-8")
    with pytest.raises(LoadError, match="not an encoding Python knows"):
        load_file(store, path, "cases", encoding="klingon")


def test_excel_sheets_with_a_title_row(store, tmp_path, sf_cases):
    df = chinese_export(sf_cases).head(500)
    df.loc[10, "上报时间"] = "not a date"           # on the sheet's row 14: title, blank, header, rows…
    path = tmp_path / "cases.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        pd.DataFrame([["青澜镇 案件台账 2012"]]).to_excel(xw, sheet_name="案件", index=False, header=False)
        df.to_excel(xw, sheet_name="案件", index=False, startrow=2)
        df.head(3).to_excel(xw, sheet_name="说明", index=False)
    with pytest.raises(LoadError, match="several sheets .*--sheet"):
        load_file(store, path, "cases")
    r = load_file(store, path, "cases", sheet="案件", source_tz="America/Los_Angeles")
    whole(r)
    assert (r.loaded, r.quarantined, r.info.notes["header_row"]) == (499, 1, 3)
    assert store.read("quarantine")["source_row"].tolist() == ["14"]      # where Excel shows it
    assert store.read("cases").set_index("case_id").loc["1757188", "source"] == "hotline"
    with pytest.raises(LoadError, match="no sheet 'nope'; its sheets are 案件, 说明"):
        load_file(store, path, "cases", sheet="nope")


def test_legacy_xls_enterprises(store, tmp_path):
    import xlwt
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("企业名录")
    rows = [["统一社会信用代码", "企业名称", "所属行业", "从业人数", "信用等级", "经度", "纬度"],
            ["91320509MA1", "吴江丝绸厂", "纺织", 120, "绿", 120.64, 31.16],
            ["91320509MA2", "盛泽印染", "印染", 45.0, "红色", 120.65, 30.92],
            ["91320509MA3", "无名作坊", "纺织", "很多", "紫", 120.66, 30.93]]
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            sheet.write(i, j, v)
    path = tmp_path / "enterprises.xls"
    book.save(str(path))
    r = load_file(store, path, "enterprises")
    whole(r)
    assert (r.loaded, r.quarantined) == (3, 0)       # '很多' employees costs the field, not the record
    assert sorted(r.unknown_values[["field", "value", "problem"]].values.tolist()) == [
        ["credit", "紫", "not in code list"], ["employees", "很多", "not a number"]]
    e = store.read("enterprises").set_index("enterprise_id")
    assert pd.isna(e.loc["91320509MA3", "employees"]) and e.loc["91320509MA3", "employees_original"] == "很多"
    assert e.loc["91320509MA1", ["name", "employees", "credit"]].tolist() == ["吴江丝绸厂", 120, "green"]
    assert e.loc["91320509MA2", "employees"] == 45
