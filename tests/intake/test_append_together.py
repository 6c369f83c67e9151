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
