"""Store.append_together: several layers in one transaction, on both backends."""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geodata.store import StoreError


def _cases(ids, x=120.6):
    return gpd.GeoDataFrame({"case_id": ids, "category": "street_order", "source": "citizen",
                             "reported_at": pd.Timestamp("2024-05-06 10:00", tz="Asia/Shanghai"),
                             "enforcement": False},
                            geometry=[shapely.Point(x + i * 1e-3, 31.0) for i in range(len(ids))], crs=4326)


def _keys(ids):
    return pd.DataFrame({"id": ids, "key_id": "k1", "status": 201, "response": "[]"})


def test_append_together_commits_every_layer(store):
    n = store.append_together([("cases", _cases(["A", "B"])), ("idempotency_keys", _keys(["k1:x"]))])
    assert n == 3
    got = store.read("cases").sort_values("case_id")
    assert got.case_id.tolist() == ["A", "B"]
    assert got.geometry.x.round(6).tolist() == [120.6, 120.601]
    assert store.read("idempotency_keys").status.tolist() == [201]
    # the spatial index sees the new rows (GeoPackage: GDAL's R-tree triggers)
    assert store.count("cases", bbox=(120.6005, 30.9, 120.7, 31.1)) == 1


def test_append_together_is_all_or_nothing(store):
    store.append_together([("cases", _cases(["A"])), ("idempotency_keys", _keys(["k1:x"]))])
    with pytest.raises(StoreError, match="already exists"):
        # the new case C is fine, its idempotency record clashes: neither is kept
        store.append_together([("cases", _cases(["C"])), ("idempotency_keys", _keys(["k1:x"]))])
    assert store.read("cases").case_id.tolist() == ["A"]
    assert len(store.read("idempotency_keys")) == 1


def test_append_together_writes_a_linestring_readable_back(store):
    line = shapely.LineString([(120.6, 31.0), (120.61, 31.01), (120.62, 31.0)])
    g = gpd.GeoDataFrame({"patrol_id": ["P1"], "staff_id": ["S1"],
                          "started_at": [pd.Timestamp("2024-05-06 08:00", tz="Asia/Shanghai")]},
                         geometry=[line], crs=4326)
    store.append_together([("patrols", g)])
    back = store.read("patrols")
    assert back.geometry.iloc[0].equals_exact(line, 1e-9)
    assert store.count("patrols", bbox=(120.615, 31.005, 120.7, 31.1)) == 1


def _case_records(ids, at):
    return [{"case_id": i, "category": "street_order", "source": "citizen", "reported_at": at,
             "enforcement": False, "geometry": shapely.Point(120.6 + n * 1e-3, 31.0)} for n, i in enumerate(ids)]


def test_records_together_floor_times_and_keep_none_geometry(store):
    import datetime
    at = datetime.datetime(2024, 5, 6, 2, 0, 5, 900_000, tzinfo=datetime.timezone.utc)
    recs = _case_records(["A", "B"], at) + [{**_case_records(["C"], pd.Timestamp(at))[0], "geometry": None}]
    assert store.append_records_together({"cases": recs}) == 3
    got = store.read("cases").sort_values("case_id")
    # whole seconds, the same instant whichever type came in
    assert (got.reported_at.dt.tz_convert("UTC") == pd.Timestamp("2024-05-06 02:00:05", tz="UTC")).all()
    assert got.geometry.isna().tolist() == [False, False, True]


def test_records_together_is_all_or_nothing(store):
    at = pd.Timestamp("2024-05-06 10:00", tz="Asia/Shanghai")
    store.append_records_together({"cases": _case_records(["A"], at)})
    with pytest.raises(StoreError, match="already exists"):
        store.append_records_together({"cases": _case_records(["Z"], at),
                                       "idempotency_keys": [{"id": "k:1", "key_id": "k", "status": 201,
                                                             "response": "[]"}] * 2})
    assert store.read("cases").case_id.tolist() == ["A"]
    # the connection is still good for the next group
    store.append_records_together({"cases": _case_records(["Y"], at)})
    assert sorted(store.read("cases").case_id) == ["A", "Y"]


def test_records_together_replace_a_connection_the_server_dropped(pg_schema_url):
    """The intake's kept connection, terminated by the server between two groups
    (a PostGIS restart, an idle timeout): the next group opens a new one."""
    import psycopg

    from geodata.store import open_store
    store = open_store(pg_schema_url)
    try:
        store.create_schema()
        at = pd.Timestamp("2024-05-06 10:00", tz="Asia/Shanghai")
        store.append_records_together({"cases": _case_records(["A"], at)})
        pid = store._local.copy.info.backend_pid
        with psycopg.connect(pg_schema_url.split("?")[0]) as admin:
            assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
        store.append_records_together({"cases": _case_records(["B"], at)})
        assert store._local.copy.info.backend_pid != pid
        assert sorted(store.read("cases").case_id) == ["A", "B"]
    finally:
        store.close()
