"""Loaders: real public files and small hand-made bad ones; every row loaded or quarantined."""
from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geodata.loaders import LoadError, load_file
from geodata.readers import read_source, snake_case
from geodata.schema import FIELDS_BY_LAYER
from tests.realdata import CHINA_FILES, REAL
from geodata.validate import generated_id, parse_datetimes, validate

SF = REAL / "sf311"
CHINA = REAL / "china-districts-gcj02"
SF_MAP = {"case_id": "CaseID", "reported_at": "Opened", "closed_at": "Closed", "category": "Category",
          "subcategory": "Request.Type", "source": "Source", "status": "Status"}
SF_TZ = "America/Los_Angeles"


def reasons_of(q: pd.DataFrame) -> list[str]:
    return [r.split(": ", 1)[0] for r in q["reason"]]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def feature(geom, **props) -> dict:
    return {"type": "Feature", "properties": props, "geometry": geom}


def square(x0, y0, d=0.01):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x0 + d, y0], [x0 + d, y0 + d], [x0, y0 + d], [x0, y0]]]}


# ---- real files, through the store (both backends) ---------------------------------

def test_sf311_cases_sample_every_row_loaded_or_quarantined(store):
    n = len(pd.read_csv(SF / "cases_sample.csv"))
    r = load_file(store, SF / "cases_sample.csv", "cases", mapping=SF_MAP, source_tz=SF_TZ)
    assert r.rows == n == 4984
    assert r.loaded + r.quarantined == n
    assert store.count("cases") == r.loaded
    assert store.count("quarantine") == r.quarantined == sum(r.reasons.values())
    cases = store.read("cases")
    assert set(cases["status"]) <= {"closed", "registered"}
    assert (cases["source"] == "hotline").sum() == 3352          # 'Voice In'
    assert set(cases["source"]) <= set(FIELDS_BY_LAYER["cases"]["source"].codes)
    one = cases.set_index("case_id").loc["1757188"]
    # "2012-12-04 15:21:00" in San Francisco is 23:21 UTC
    assert one["reported_at"] == pd.Timestamp("2012-12-04 23:21:00", tz="UTC")
    assert one["closed_at"] == pd.Timestamp("2012-12-06 12:39:00", tz="UTC")
    assert pd.isna(cases.set_index("case_id").loc[cases["case_id"][cases["status"] == "registered"].iloc[0],
                                                   "closed_at"])  # 'NA' → open
    assert "status_notes" in cases.columns and "request_details" in cases.columns
    # the open category tree grew with SF's categories, and they are in the store
    assert "Street and Sidewalk Cleaning" in r.new_categories
    cats = store.read("categories")
    assert "Street Defects/Utility_Excavation" in set(cats["code"])


def test_sf311_neighbourhood_tracts_as_grids(store):
    r = load_file(store, SF / "city_analysis_neighbor.geojson", "grids",
                  mapping={"grid_id": "tractce10", "name": "nhood"})
    assert (r.rows, r.loaded, r.quarantined) == (195, 195, 0)
    grids = store.read("grids")
    assert grids.crs.to_epsg() == 4326
    assert "016400" in set(grids["grid_id"])      # text ids keep their leading zeros
    assert grids.set_index("grid_id").loc["016400", "name"] == "Hayes Valley"


@pytest.mark.parametrize("name", CHINA_FILES)
def test_gcj02_district_outlines_move_a_few_hundred_metres(store, name):
    path = CHINA / name
    features = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(features, list)             # a bare array, not a FeatureCollection
    r = load_file(store, path, "districts", mapping={"district_id": "adcode"}, crs="GCJ-02")
    assert (r.loaded, r.quarantined) == (len(features), 0)
    got = store.read("districts").set_index("district_id")
    # Metric CRS: CGCS2000 Gauss-Kruger, CM 120E for Suzhou, CM 114E for Foshan.
    metric = 4549 if name.startswith("32") else 4547
    for feat in features:
        gcj = shapely.geometry.shape(feat["geometry"])
        wgs = got.loc[str(feat["properties"]["adcode"]), "geometry"]
        a = gpd.GeoSeries([gcj], crs=4326).to_crs(metric).iloc[0]
        b = gpd.GeoSeries([wgs], crs=4326).to_crs(metric).iloc[0]
        assert 200 < a.centroid.distance(b.centroid) < 900, feat["properties"]["name"]
        if gcj.is_valid:  # same vertices, each moved by the offset
            shift = np.hypot(*(shapely.get_coordinates(a) - shapely.get_coordinates(b)).T)
            assert 200 < shift.min() and shift.max() < 900, (feat["properties"]["name"], shift.min(), shift.max())
    # 高明区 (440608) in the Foshan file self-intersects; make_valid repairs it on the way in.
    assert r.repaired == (1 if name == "440600.json" else 0)
    if name == "320509.json":
        assert got.loc["320509", "name"] == "吴江区"


def test_reloading_the_same_file_upserts_not_duplicates(store, tmp_path):
    p = write(tmp_path / "c.csv", "when,lon,lat,category\n2018-01-02 08:00,120.6,31.2,市容环境\n"
                                  "2018-01-03 09:00,120.61,31.21,市容环境\n")
    first = load_file(store, p, "cases", mapping={"reported_at": "when"})
    second = load_file(store, p, "cases", mapping={"reported_at": "when"})
    assert first.loaded == second.loaded == 2 and store.count("cases") == 2
    assert set(store.read("cases")["case_id"]) == {generated_id("c.csv", 1), generated_id("c.csv", 2)}
    assert first.new_categories == ["市容环境"] and second.new_categories == []


def test_quarantine_records_carry_layer_row_reason_raw_and_file(store, tmp_path):
    p = write(tmp_path / "bad.csv", "id,when,lon,lat\nA,2018-01-02 08:00,120.6,31.2\nB,never,120.6,31.2\n")
    r = load_file(store, p, "cases", mapping={"case_id": "id", "reported_at": "when"})
    assert (r.loaded, r.quarantined) == (1, 1)
    q = store.read("quarantine").iloc[0]
    assert (q["layer"], q["source_row"], q["source_file"]) == ("cases", "3", "bad.csv")   # the spreadsheet row, header = 1
    assert q["reason"] == "unparseable reported_at: 'never'"
    assert json.loads(q["raw"]) == {"id": "B", "when": "never", "lon": "120.6", "lat": "31.2"}
    assert q["quarantined_at"].tzinfo is not None


# ---- real files, pure --------------------------------------------------------------

def test_sf311_nogeo_coordinates_come_out_of_the_point_text():
    rows, info = read_source(SF / "cases_sample_10000_nogeo.csv", mapping=SF_MAP)
    assert info.geometry_source == "text column Point as (lat, lon)"
    good, q, *_ = validate("cases", rows, source_file="nogeo.csv", source_tz=SF_TZ)
    assert len(rows) == 10000 and len(good) + len(q) == 10000
    assert len(q) == 24 and set(reasons_of(q)) == {"missing coordinates"}
    first = good.set_index("case_id").loc["3600298"]
    assert (first.geometry.y, first.geometry.x) == (37.774007256355, -122.395680023339)
    # US-style "04/30/2014 02:51:52 PM", naive, in the file's zone
    assert first["reported_at"] == pd.Timestamp("2014-04-30 14:51:52", tz=SF_TZ)
    assert pd.isna(first["closed_at"]) and first["status"] == "registered"
    assert good.total_bounds == pytest.approx([-122.52, 37.70, -122.35, 37.82], abs=0.02)


# ---- hand-made bad files ------------------------------------------------------------

def test_bad_geometries_repaired_or_quarantined(tmp_path):
    bowtie = {"type": "Polygon", "coordinates": [[[120, 31], [120.01, 31.01], [120.01, 31], [120, 31.01], [120, 31]]]}
    feats = [
        feature(square(120.0, 31.0), gid="ok"),
        feature(bowtie, gid="bowtie"),                                             # repaired
        feature({"type": "Polygon", "coordinates": [[[120, 31], [120.1, 31], [120, 31]]]}, gid="3pts"),
        feature({"type": "LineString", "coordinates": [[120, 31], [120.1, 31.1]]}, gid="line"),
        feature(None, gid="none"),
        feature(square(200.0, 31.0), gid="lon200"),
        feature({"type": "Polygon", "coordinates": [[[120, 31], [120.1, 31], [120.2, 31], [120, 31]]]}, gid="flat"),
        feature({"type": "Polygon", "coordinates": []}, gid="empty"),
        feature({"type": "Circle", "coordinates": [120, 31], "radius": 5}, gid="circle"),
    ]
    p = write(tmp_path / "grids.geojson", json.dumps({"type": "FeatureCollection", "features": feats}))
    rows, _ = read_source(p, mapping={"grid_id": "gid"})
    good, q, *_ = validate("grids", rows, source_file=p.name)
    assert len(good) + len(q) == len(feats)
    assert good["grid_id"].tolist() == ["ok", "bowtie"]
    assert good.attrs["repaired"] == 1
    assert good.set_index("grid_id").loc["bowtie", "geometry"].is_valid
    why = dict(zip(q["source_row"], reasons_of(q)))
    assert why == {"3": "invalid geometry", "4": "wrong geometry type", "5": "missing geometry",
                   "6": "coordinates out of range", "7": "invalid geometry", "8": "missing geometry",
                   "9": "unreadable geometry"}


def test_duplicate_ids_keep_the_first(tmp_path):
    p = write(tmp_path / "d.csv", "id,t,lon,lat\nA,2018-01-01,120.6,31.2\nB,2018-01-01,120.6,31.2\n"
                                  "A,2018-02-01,120.7,31.3\n")
    good, q, *_ = validate("cases", read_source(p, mapping={"case_id": "id", "reported_at": "t"})[0])
    assert good["case_id"].tolist() == ["A", "B"]
    assert good["reported_at"].iloc[0] == pd.Timestamp("2018-01-01", tz="Asia/Shanghai")
    assert q["reason"].tolist() == ["duplicate case_id: 'A' (first at row 2)"]


def test_closed_codes_normalised_or_mapped_and_unknown_spellings_kept(tmp_path):
    p = write(tmp_path / "s.csv", "id,t,lon,lat,source,status\n"
                                  "1,2018-01-01,120.6,31.2, HOTLINE ,Closed\n"
                                  "2,2018-01-01,120.6,31.2,Voice In,open\n"
                                  "3,2018-01-01,120.6,31.2,12345热线,已结案\n"
                                  "4,2018-01-01,120.6,31.2,carrier pigeon,closed\n"
                                  "5,2018-01-01,120.6,31.2,citizen,lost in the post\n"
                                  "6,2018-01-01,120.6,31.2,Carrier  Pigeon,closed\n")
    good, q, _, unknown = validate("cases", read_source(p, mapping={"case_id": "id", "reported_at": "t"})[0])
    assert len(q) == 0 and good["case_id"].tolist() == ["1", "2", "3", "4", "5", "6"]
    got = good[["source", "status"]].astype(object).where(good[["source", "status"]].notna(), None)
    assert got.values.tolist() == [["hotline", "closed"], ["hotline", "registered"], ["hotline", "closed"],
                                   [None, "closed"], ["citizen", None], [None, "closed"]]
    assert good["source_original"].tolist()[3] == "carrier pigeon"
    assert good["status_original"].tolist()[4] == "lost in the post"
    assert unknown[["field", "value", "rows"]].values.tolist() == [
        ["source", "carrier pigeon", 1], ["source", "Carrier Pigeon", 1], ["status", "lost in the post", 1]]


def test_required_codes_and_garbage_still_quarantined(tmp_path):
    """A required coded field (a workflow action) still refuses an unknown code; control
    characters in ids and codes and dates outside 1990…now are garbage."""
    rows = pd.DataFrame({"id": ["C1:1", "C1:2", "C1:3"], "case_id": ["C1"] * 3, "seq": [1, 2, 3],
                         "action": ["register", "teleport", "close"], "to_status": ["registered", "closed", "closed"],
                         "at": ["2018-01-01 08:00", "2018-01-01 09:00", "2018-01-01 10:00"]})
    good, q, *_ = validate("case_history", rows)
    assert good["id"].tolist() == ["C1:1", "C1:3"] and reasons_of(q) == ["action not in code list"]
    p = write(tmp_path / "g.csv", "id,t,lon,lat,source,closed\n"
                                  "ok,2018-01-01,120.6,31.2,hotline,2018-01-02\n"
                                  "a\x01b,2018-01-01,120.6,31.2,hotline,\n"
                                  "c,2018-01-01,120.6,31.2,hot\x07line,\n"
                                  "d,\\1,120.6,31.2,hotline,\n"
                                  "e,1899-12-30,120.6,31.2,hotline,\n"
                                  "f,2018-01-01,120.6,31.2,hotline,2031-01-01\n"
                                  "g,0001-01-01,120.6,31.2,hotline,\n")
    good, q, *_ = validate("cases", read_source(p, mapping={"case_id": "id", "reported_at": "t",
                                                           "closed_at": "closed"})[0])
    assert good["case_id"].tolist() == ["ok"]
    assert reasons_of(q) == ["control character in case_id", "control character in source",
                             "unparseable reported_at", "reported_at out of range", "closed_at out of range",
                             "reported_at out of range"]
    assert "'1899-12-30' not between 1990-01-01 and" in q["reason"].iloc[3]


def test_caller_value_maps_extend_the_table(tmp_path):
    p = write(tmp_path / "s.csv", "id,t,lon,lat,source\n1,2018-01-01,120.6,31.2,carrier pigeon\n")
    good, q, *_ = validate("cases", read_source(p, mapping={"case_id": "id", "reported_at": "t"})[0],
                          value_maps={"source": {"Carrier Pigeon": "citizen"}})
    assert good["source"].tolist() == ["citizen"] and len(q) == 0


def test_bad_and_missing_dates(tmp_path):
    p = write(tmp_path / "t.csv", "id,t,c,lon,lat\n"
                                  "1,2018-01-01T08:00:00+08:00,2018/01/02 09:30,120.6,31.2\n"
                                  "2,yesterday,,120.6,31.2\n"
                                  "3,,,120.6,31.2\n"
                                  "4,01/05/2018 07:15:00 PM,31/31/2020,120.6,31.2\n"
                                  "5,2018年1月6日 08:00,NA,120.6,31.2\n")
    good, q, *_ = validate("cases", read_source(p, mapping={"case_id": "id", "reported_at": "t",
                                                           "closed_at": "c"})[0])
    assert good["case_id"].tolist() == ["1", "5"]
    assert good["closed_at"].iloc[0] == pd.Timestamp("2018-01-02 09:30", tz="Asia/Shanghai")
    assert q["reason"].tolist() == ["unparseable reported_at: 'yesterday'", "missing reported_at: empty",
                                    "unparseable closed_at: '31/31/2020'"]


def test_two_digit_years_are_this_century_or_the_last():
    t, bad, far = parse_datetimes(pd.Series(["5/4/14 10:00 AM", "05/04/2014 10:00 AM", "12/31/99", "1/2/2019"]),
                                  "America/Los_Angeles")
    local = [x.tz_convert("America/Los_Angeles").strftime("%Y-%m-%d %H:%M") for x in t]
    assert local == ["2014-05-04 10:00", "2014-05-04 10:00", "1999-12-31 00:00", "2019-01-02 00:00"]
    assert not bad.any() and not far.any()


def test_parse_datetimes_forms_and_zones():
    t, bad, _ = parse_datetimes(pd.Series(["2018-03-01T00:00:00Z", "2018-03-01 08:00", "03/01/2018 08:00:00 AM",
                                        "2018/03/01 08:00", "2018-03-01T09:00:00+09:00", None]), "Asia/Shanghai")
    assert t.iloc[:5].nunique() == 1 and not bad.any() and pd.isna(t.iloc[5])


def test_missing_and_unparseable_coordinates(tmp_path):
    p = write(tmp_path / "m.csv", "id,t,Lng,LATITUDE\n1,2018-01-01,120.6,31.2\n2,2018-01-01,120.6,\n"
                                  "3,2018-01-01,east,31.2\n4,2018-01-01,0,0\n5,2018-01-01,120.6,95\n")
    good, q, *_ = validate("cases", read_source(p, mapping={"case_id": "id", "reported_at": "t"})[0])
    assert good["case_id"].tolist() == ["1"]
    assert q["reason"].tolist() == [
        "missing coordinates: lat empty",
        "unparseable coordinates: lon/lat='east'/'31.2'",
        "coordinates at 0,0: the usual placeholder for an unknown place",
        "coordinates out of range: lat 95 outside [-90, 90]"]


def test_ragged_csv_rows_are_quarantined_by_number(tmp_path):
    p = write(tmp_path / "r.csv", "id,t,lon,lat\n1,2018-01-01,120.6,31.2\n2,2018-01-01,120.6\n"
                                  "3,2018-01-01,120.6,31.2,extra\n4,2018-01-01,120.6,31.2\n")
    rows, _ = read_source(p, mapping={"case_id": "id", "reported_at": "t"})
    good, q, *_ = validate("cases", rows)
    assert good["case_id"].tolist() == ["1", "4"]
    assert q["source_row"].tolist() == ["3", "4"] and set(reasons_of(q)) == {"malformed row"}


def test_projected_csv_with_named_coordinate_columns(tmp_path):
    p = write(tmp_path / "xy.csv", "id,t,X,Y\n1,2018-01-01,500000,3450000\n2,2018-01-01,5e20,3450000\n")
    rows, info = read_source(p, mapping={"case_id": "id", "reported_at": "t", "lon": "X", "lat": "Y"},
                             crs="EPSG:4549")
    good, q, *_ = validate("cases", rows)
    assert info.crs == "EPSG:4549"
    assert good.geometry.iloc[0].x == pytest.approx(120.0, abs=1e-9)
    assert reasons_of(q) == ["coordinates invalid after converting from EPSG:4549"]


def test_shapefile_and_geopackage_with_their_own_crs(tmp_path):
    pts = gpd.GeoDataFrame({"EntID": ["E1", "E2"], "Employees": [12, -3], "Credit": ["红", "green"],
                            "Industry": ["纺织", "丝绸"]},
                           geometry=[shapely.Point(500000, 3450000), shapely.Point(501000, 3451000)], crs=4549)
    for ext in ("shp", "gpkg"):
        path = tmp_path / f"ent.{ext}"
        pyogrio.write_dataframe(pts, path)
        rows, info = read_source(path, mapping={"enterprise_id": "EntID"})
        good, q, cats, _ = validate("enterprises", rows, source_file=path.name)
        assert info.crs == "EPSG:4549"
        assert good["enterprise_id"].tolist() == ["E1", "E2"] and good["credit"].tolist() == ["red", "green"]
        assert good.geometry.iloc[0].x == pytest.approx(120.0, abs=1e-7)
        # a negative head count costs the field, not the enterprise; the value is kept beside it
        assert len(q) == 0 and pd.isna(good["employees"].iloc[1]) and good["employees_original"].iloc[1] == "-3"
        assert sorted(cats["code"]) == ["industry:丝绸", "industry:纺织"]


def test_geopackage_with_several_layers_needs_a_source_layer(tmp_path):
    g = gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(120.6, 31.2)], crs=4326)
    path = tmp_path / "two.gpkg"
    pyogrio.write_dataframe(g, path, layer="one")
    pyogrio.write_dataframe(g, path, layer="two")
    with pytest.raises(LoadError, match="several layers"):
        read_source(path)
    assert len(read_source(path, source_layer="two")[0]) == 1
    assert len(read_source(path, layer_hint="one")[0]) == 1


def test_staff_layer_needs_no_coordinates(tmp_path):
    p = write(tmp_path / "staff.csv", "工号,角色\nS1,网格员\nS2,执法人员\nS3,厨师\n")
    good, q, *_ = validate("staff", read_source(p, mapping={"staff_id": "工号", "role": "角色"})[0])
    # an optional code nobody maps costs the field, not the record
    assert good["role"].tolist()[:2] == ["inspector", "officer"] and pd.isna(good["role"].iloc[2])
    assert good["role_original"].tolist()[2] == "厨师" and not isinstance(good, gpd.GeoDataFrame)
    assert len(q) == 0


@pytest.mark.parametrize("name,content,match", [
    ("broken.geojson", "{not json", "not valid JSON"),
    ("thing.geojson", '{"type": "Topology"}', "neither a FeatureCollection"),
    ("empty.csv", "", "is empty"),
    ("table.xlsx", "PK...", "cannot read table.xlsx as an Excel workbook"),
    ("table.xls", "not a workbook", "cannot read table.xls as an Excel workbook"),
    ("scan.pdf", "%PDF-1.4", "unsupported file type .pdf; TownBrain reads GeoJSON"),
    ("roads.kml", "<kml><Document>", "cannot read roads.kml"),
    ("t.parquet", "PAR1 nope", "cannot read t.parquet as Parquet"),
    ("fake.gpkg", "this is no database", "cannot read fake.gpkg"),
])
def test_unreadable_files_raise_one_clear_sentence(tmp_path, name, content, match):
    p = write(tmp_path / name, content)
    with pytest.raises(LoadError, match=match) as exc:
        read_source(p)
    assert "\n" not in str(exc.value)


def test_missing_file_and_missing_mapped_column(tmp_path):
    with pytest.raises(LoadError, match="does not exist"):
        read_source(tmp_path / "nope.csv")
    p = write(tmp_path / "a.csv", "id,lon,lat\n1,120,31\n")
    with pytest.raises(LoadError, match="--map case_id=CaseNo: a.csv has no column 'CaseNo'"):
        read_source(p, mapping={"case_id": "CaseNo"})
    with pytest.raises(LoadError, match="unknown CRS"):
        read_source(p, crs="mars-42")


def test_csv_without_coordinates_for_a_point_layer_is_a_load_error(store, tmp_path):
    p = write(tmp_path / "nocoords.csv", "id,t\n1,2018-01-01\n")
    with pytest.raises(LoadError, match="no coordinates for layer 'cases'"):
        load_file(store, p, "cases", mapping={"case_id": "id", "reported_at": "t"})
    assert store.count("cases") == 0


def test_gbk_encoded_csv_from_excel(tmp_path):
    p = tmp_path / "gbk.csv"
    p.write_bytes("编号,上报时间,经度,纬度,来源\n1,2018-01-01 08:00,120.6,31.2,群众举报\n".encode("gb18030"))
    good, q, *_ = validate("cases", read_source(p, mapping={"case_id": "编号", "reported_at": "上报时间",
                                                           "lon": "经度", "lat": "纬度", "source": "来源"})[0])
    assert good["source"].tolist() == ["citizen"] and len(q) == 0


def test_column_names_sanitised_and_collisions_kept():
    assert snake_case("Supervisor.District") == "supervisor_district"
    assert snake_case("CaseID") == "case_id"
    assert snake_case("事件 编号") == "事件_编号"      # Chinese headers stay Chinese
    assert len(snake_case("很" * 40).encode()) <= 60   # and fit PostgreSQL's 63-byte names
    rows, info = read_source(SF / "cases_sample.csv", mapping={"case_id": "CaseID", "category": "Request.Type"})
    assert info.columns["category"] == "Request.Type" and info.columns["category_src"] == "Category"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(
    st.sampled_from(["A", "B", "", "C"]),
    st.sampled_from(["2018-01-01", "", "garbage", "01/02/2018 03:04:05 PM"]),
    st.sampled_from(["hotline", "Voice In", "nope", ""]),
    st.one_of(st.none(), st.just(float("nan")), st.floats(-200, 200)),
    st.floats(-100, 100, allow_nan=False),
), max_size=25))
def test_nothing_is_silently_dropped(rows):
    df = pd.DataFrame(rows, columns=["case_id", "reported_at", "source", "lon", "lat"])
    geoms = [None if x is None else shapely.Point(x, y) for x, y in zip(df["lon"], df["lat"])]
    gdf = gpd.GeoDataFrame(df.drop(columns=["lon", "lat"]), geometry=geoms, crs=4326)
    good, q, *_ = validate("cases", gdf, source_file="h.csv")
    assert len(good) + len(q) == len(gdf)
    assert all(isinstance(r, str) and r for r in q["reason"])
    assert not good["case_id"].duplicated().any()


_LAYOUTS = ("{mo:02d}/{d:02d}/{y} {h:02d}:{mi:02d}:{mi:02d} {ap}", "{mo}/{d}/{y} {h}:{mi:02d}:{mi:02d} {ap}",
            "{mo}/{d}/{yy:02d} {h}:{mi:02d} {ap}", "{mo}/{d}/{yy:02d}", "{mo:02d}/{d:02d}/{y}", "{y}/{mo}/{d} {h}:{mi:02d}",
            "{y}.{mo:02d}.{d:02d}", "{y}年{mo}月{d}日 {h:02d}:{mi:02d}", "{y}年{mo}月{d}日 {h}时{mi}分",
            "{y}{mo:02d}{d:02d}", "{y}{mo:02d}{d:02d}{h:02d}{mi:02d}{mi:02d}", "{y}-{mo:02d}-{d:02d} {h}:{mi:02d}")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 13), st.integers(0, 32), st.integers(1989, 2031), st.integers(0, 25),
                          st.integers(0, 60), st.sampled_from(["AM", "PM", "pm", "XM"]), st.sampled_from(_LAYOUTS)),
                min_size=1, max_size=30),
       st.sampled_from([f for f in __import__("geodata.value_maps").value_maps.DATE_FORMATS if f != "ISO8601"]))
def test_arrow_date_parsing_agrees_with_pandas_exactly(parts, fmt):
    """The fast path (Arrow's strptime, which rolls 02/30 over to 03/02) gives what
    pandas gives, for every format the loader tries, on text in that format and in
    the others (what Arrow cannot read, pandas cannot either)."""
    from geodata.value_maps import _strptime
    text = [lay.format(mo=mo, d=d, y=y, yy=y % 100, h=h, mi=mi, ap=ap) for mo, d, y, h, mi, ap, lay in parts]
    s = pd.Series(text, dtype=pd.StringDtype("pyarrow"))
    want = pd.to_datetime(pd.Series(text), format=fmt, errors="coerce")
    got = _strptime(s, fmt)
    assert got.astype("datetime64[us]").tolist() == want.astype("datetime64[us]").tolist(), text


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 13), st.integers(0, 32), st.integers(1989, 2031), st.integers(0, 25),
                          st.integers(0, 60), st.sampled_from(["AM", "PM", "pm", "XM"]),
                          st.sampled_from(_LAYOUTS + ("{mo}/{d}/{yy} {h}:{mi:02d} {ap}", " {mo}/{d}/ {yy}",
                                                      "{mo}/{d}/0{yy:02d}", "{mo}/{d}/{y}/{yy}"))),
                min_size=1, max_size=30))
def test_the_two_digit_year_forms_skip_only_text_they_cannot_read(parts):
    """A two-digit-year form tries only text whose third part is a one- or two-digit
    year (a column of four-digit years skips four passes); every value still takes the
    first form of DATE_FORMATS that reads it, as trying each form on everything gives."""
    from geodata.value_maps import DATE_FORMATS, _naive_times, _strptime
    text = [lay.format(mo=mo, d=d, y=y, yy=y % 100, h=h, mi=mi, ap=ap) for mo, d, y, h, mi, ap, lay in parts]
    s = pd.Series(text, dtype=pd.StringDtype("pyarrow"))
    want = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us]")
    for fmt in DATE_FORMATS[1:]:   # every form on every value not yet read (ISO 8601 is not asked here)
        got = _strptime(s, fmt)
        want = want.where(want.notna(), got)
    got = _naive_times(s, np.ones(len(s), bool), np.zeros(len(s), bool))
    assert pd.Series(got).tolist() == want.tolist(), text
