"""The store interface, run identically on the GeoPackage and PostGIS backends."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geodata.frames import StoreError
from geodata.schema import LAYERS


def make_cases(n=200, seed=3, start="2018-01-01"):
    rng = np.random.default_rng(seed)
    reported = pd.Timestamp(start, tz="Asia/Shanghai") + pd.to_timedelta(rng.integers(0, 86400 * 60, n), unit="s")
    closed = reported + pd.to_timedelta(rng.integers(3600, 86400 * 5, n), unit="s")
    closed = closed.where(rng.random(n) < 0.8)
    return gpd.GeoDataFrame({
        "case_id": [f"C{i:05d}" for i in range(n)],
        "category": rng.choice(["市容环境", "街面秩序", "O'Brien's"], n),
        "source": rng.choice(["inspector", "citizen"], n),
        "reported_at": reported,
        "closed_at": closed,
        "enforcement": rng.random(n) < 0.2,
    }, geometry=shapely.points(120.5 + rng.random(n) * 0.2, 30.9 + rng.random(n) * 0.2), crs=4326)


def sorted_ids(df, col="case_id"):
    return sorted(df[col].tolist())


def test_schema_is_idempotent_and_complete(store):
    store.create_schema()  # second time: nothing changes, nothing fails
    assert set(LAYERS) <= set(store.layers())
    assert store.columns("cases")[:3] == ["case_id", "category", "subcategory"]
    assert store.count("cases") == 0


def test_empty_read_has_the_layer_shape(store):
    df = store.read("cases")
    assert isinstance(df, gpd.GeoDataFrame) and len(df) == 0
    assert str(df["reported_at"].dtype).startswith("datetime64") and df.crs.to_epsg() == 4326


def test_roundtrip_keeps_values_types_and_zone(store):
    cases = make_cases()
    assert store.append("cases", cases) == len(cases)
    back = store.read("cases").sort_values("case_id").reset_index(drop=True)
    assert sorted_ids(back) == sorted_ids(cases)
    assert back.crs.to_epsg() == 4326
    assert str(back["reported_at"].dt.tz) == "Asia/Shanghai"
    exp = cases.sort_values("case_id").reset_index(drop=True)
    assert (back["reported_at"] == exp["reported_at"]).all()
    assert back["closed_at"].isna().sum() == exp["closed_at"].isna().sum()
    assert (back["enforcement"].astype(bool) == exp["enforcement"]).all()
    assert (back["category"] == exp["category"]).all()  # Chinese text and a quote survive
    assert shapely.equals_exact(np.asarray(back.geometry.values), np.asarray(exp.geometry.values), 1e-12).all()


def test_filters_are_pushed_down_and_match_pandas(store):
    cases = make_cases(500)
    store.append("cases", cases)
    bbox = (120.55, 30.95, 120.62, 31.05)
    got = store.read("cases", bbox=bbox, start="2018-01-15", end="2018-02-01",
                     where={"source": "inspector", "category": ["市容环境", "O'Brien's"]})
    t0, t1 = pd.Timestamp("2018-01-15", tz="Asia/Shanghai"), pd.Timestamp("2018-02-01", tz="Asia/Shanghai")
    x, y = cases.geometry.x, cases.geometry.y
    want = cases[(x >= bbox[0]) & (x <= bbox[2]) & (y >= bbox[1]) & (y <= bbox[3])
                 & (cases.reported_at >= t0) & (cases.reported_at < t1)
                 & (cases.source == "inspector") & cases.category.isin(["市容环境", "O'Brien's"])]
    assert len(want) > 0
    assert sorted_ids(got) == sorted_ids(want)
    assert store.count("cases", bbox=bbox, start="2018-01-15", end="2018-02-01",
                       where={"source": "inspector", "category": ["市容环境", "O'Brien's"]}) == len(want)
    assert store.count("cases", where={"closed_at": None}) == cases.closed_at.isna().sum()
    assert store.count("cases", where={"enforcement": True}) == cases.enforcement.sum()


def test_time_range_is_half_open_to_the_second(store):
    base = pd.Timestamp("2018-03-01 08:00:00", tz="Asia/Shanghai")
    cases = make_cases(3)
    cases["reported_at"] = [base - pd.Timedelta(seconds=1), base, base + pd.Timedelta(hours=1)]
    store.append("cases", cases)
    got = store.read("cases", start=base, end=base + pd.Timedelta(hours=1))
    assert sorted_ids(got) == ["C00001"]
    # a naive bound is read in the configured zone (Asia/Shanghai)
    assert store.count("cases", start="2018-03-01 08:00:00", end="2018-03-01 09:00:01") == 2


def test_read_points_equals_read(store):
    cases = make_cases(300)
    store.append("cases", cases)
    fast = store.read_points("cases", columns=["case_id", "reported_at"]).sort_values("case_id")
    slow = store.read("cases", columns=["case_id", "reported_at"]).sort_values("case_id")
    assert list(fast["case_id"]) == list(slow["case_id"])
    assert (fast["reported_at"].to_numpy() == slow["reported_at"].to_numpy()).all()
    assert shapely.equals_exact(np.asarray(fast.geometry.values), np.asarray(slow.geometry.values), 0).all()


def test_append_refuses_an_existing_id_and_upsert_replaces(store):
    cases = make_cases(20)
    store.append("cases", cases)
    again = cases.iloc[:5].copy()
    again["category"] = "new"
    with pytest.raises(StoreError, match="already exists"):
        store.append("cases", again)
    assert store.count("cases") == 20
    assert store.upsert("cases", again) == 5
    assert store.count("cases") == 20
    assert store.count("cases", where={"category": "new"}) == 5


def test_upsert_within_a_batch_keeps_the_last_row(store):
    cases = make_cases(2)
    dup = pd.concat([cases, cases.iloc[[0]].assign(category="last")])
    assert store.upsert("cases", gpd.GeoDataFrame(dup, crs=4326)) == 2
    assert store.read("cases", where={"case_id": "C00000"})["category"].tolist() == ["last"]


def test_extra_columns_are_added_and_update_columns_sets_them(store):
    cases = make_cases(10)
    cases["weight"] = np.arange(10) * 1.5
    store.append("cases", cases)
    assert "weight" in store.columns("cases")
    n = store.update_columns("cases", pd.DataFrame({"case_id": ["C00001", "C00002"], "grid_id": ["G1", "G2"]}))
    assert n == 2
    got = store.read("cases", where={"grid_id": ["G1", "G2"]}, columns=["case_id", "grid_id", "weight"])
    assert sorted(zip(got.case_id, got.grid_id)) == [("C00001", "G1"), ("C00002", "G2")]
    assert store.count("cases", where={"grid_id": None}) == 8


def test_crs_mismatch_is_refused(store):
    cases = make_cases(3).to_crs(4549)
    with pytest.raises(StoreError, match="EPSG:4326"):
        store.append("cases", cases)


def test_polygons_become_multipolygons_in_grid_layers(store):
    g = gpd.GeoDataFrame({"grid_id": ["G1", "G2"], "name": ["一", "二"], "district_id": ["D1", "D1"]},
                         geometry=[shapely.box(0, 0, 1, 1), shapely.MultiPolygon([shapely.box(1, 0, 2, 1)])],
                         crs=4326)
    store.upsert("grids", g)
    back = store.read("grids").sort_values("grid_id")
    assert list(back.geom_type) == ["MultiPolygon", "MultiPolygon"]
    assert shapely.area(np.asarray(back.geometry.values)).round(9).tolist() == [1.0, 1.0]


def test_tables_without_geometry_and_quarantine(store):
    staff = pd.DataFrame({"staff_id": ["S1", "S2"], "role": ["inspector", "officer"], "grid_id": ["G1", None]})
    store.upsert("staff", staff)
    assert store.read("staff", where={"role": "inspector"})["staff_id"].tolist() == ["S1"]
    q = pd.DataFrame({"layer": ["cases"] * 2, "source_row": ["3", "9"], "reason": ["bad date", "bad date"],
                      "raw": ['{"a": 1}', '{"a": 2}']})
    assert store.append("quarantine", q) == 2
    assert store.append("quarantine", q) == 2  # no id of its own: every rejection is kept
    assert store.count("quarantine") == 4


def test_delete_needs_a_filter(store):
    store.append("cases", make_cases(10))
    with pytest.raises(StoreError, match="needs a filter"):
        store.delete("cases")
    assert store.delete("cases", where={"case_id": ["C00001", "C00002"]}) == 2
    assert store.count("cases") == 8


def test_write_replace(store):
    store.append("cases", make_cases(10))
    store.write("cases", make_cases(4), mode="replace")
    assert store.count("cases") == 4


def test_bad_names_and_unknown_layers_get_a_sentence(store):
    with pytest.raises(StoreError, match="not a valid column"):
        store.read("cases", where={"x; drop table cases": 1})
    with pytest.raises(StoreError, match="does not exist"):
        store.read("nowhere")
    with pytest.raises(StoreError, match="has no column"):
        store.read("cases", columns=["nope"])


def test_postgis_tables_are_typed_indexed_and_keyed(pg_schema_url):
    """PostGIS specifics: geometry type and SRID, GiST index, primary key."""
    import sqlalchemy as sa
    from geodata.store import open_store
    st = open_store(pg_schema_url)
    st.create_schema()
    with st.engine.connect() as conn:
        geo = dict(conn.execute(sa.text(
            "SELECT f_table_name, type || ':' || srid FROM geometry_columns "
            "WHERE f_table_schema = current_schema()")).fetchall())
        idx = conn.execute(sa.text(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'cases'")).scalars().all()
    assert geo["cases"] == "POINT:4326" and geo["grids"] == "MULTIPOLYGON:4326" and geo["roads"] == "LINESTRING:4326"
    assert any("USING gist" in i for i in idx)
    assert any("cases_pkey" in i and "(case_id)" in i for i in idx)
    st.close()


def test_read_points_keeps_rows_without_a_point(store):
    cases = make_cases(4)
    cases.loc[2, "geometry"] = None
    store.append("cases", cases)
    got = store.read_points("cases", columns=["case_id"]).sort_values("case_id")
    assert got["case_id"].tolist() == cases["case_id"].tolist()
    assert got.geometry.isna().tolist() == [False, False, True, False]
    assert got.geometry.iloc[0].equals_exact(cases.geometry.iloc[0], 0)


def test_read_without_geometry_is_a_plain_frame(store):
    store.append("cases", make_cases(50))
    df = store.read("cases", geometry=False, bbox=(120.5, 30.9, 120.6, 31.0), columns=["case_id"])
    assert type(df) is pd.DataFrame and "geometry" not in df.columns
    assert sorted_ids(df) == sorted_ids(store.read("cases", bbox=(120.5, 30.9, 120.6, 31.0)))
