"""The change feed of cases (geodata/changes.py), on GeoPackage and PostGIS."""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geodata import changes
from geodata.frames import StoreError

TZ = "Asia/Shanghai"
T0 = pd.Timestamp("2025-05-01 10:00:00", tz=TZ)


def case(case_id, reported_at, *, x=120.60, y=31.00, **cols) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"case_id": [case_id], "category": [cols.pop("category", "street_order")],
                             "reported_at": [reported_at], **{k: [v] for k, v in cols.items()}},
                            geometry=[shapely.Point(x, y)], crs=4326)


def sec(n: float) -> pd.Timedelta:
    return pd.Timedelta(seconds=n)


def test_first_call_only_places_the_cursor(store):
    store.append("cases", case("OLD", T0 - sec(5)))
    frame, cur = changes.changed_since(store, None, now=T0)
    assert len(frame) == 0
    assert cur.t == T0.tz_convert("UTC")


def test_a_new_case_is_delivered_once(store):
    _, cur = changes.changed_since(store, None, now=T0)
    store.append("cases", case("C1", T0 + sec(1)))
    frame, cur = changes.changed_since(store, cur, now=T0 + sec(2))
    assert frame["case_id"].tolist() == ["C1"]
    assert frame["change"].tolist() == ["reported"]
    assert frame.geometry.iloc[0].equals(shapely.Point(120.60, 31.00))
    for k in range(3, 6):  # still inside the re-read window, never again
        frame, cur = changes.changed_since(store, cur, now=T0 + sec(k))
        assert len(frame) == 0


def test_a_back_dated_case_is_still_caught(store):
    # The simulator reports cases up to a minute before it writes them.
    _, cur = changes.changed_since(store, None, now=T0)
    store.append("cases", case("LATE", T0 - sec(50)))
    frame, _ = changes.changed_since(store, cur, now=T0 + sec(1))
    assert frame["case_id"].tolist() == ["LATE"]


def test_registering_and_closing_are_changes(store):
    _, cur = changes.changed_since(store, None, now=T0)
    store.append("cases", case("C1", T0))
    frame, cur = changes.changed_since(store, cur, now=T0 + sec(1))
    assert frame["change"].tolist() == ["reported"]
    store.update_columns("cases", pd.DataFrame({"case_id": ["C1"], "registered_at": [T0 + sec(2)]}))
    frame, cur = changes.changed_since(store, cur, now=T0 + sec(3))
    assert frame["change"].tolist() == ["registered"]
    store.update_columns("cases", pd.DataFrame({"case_id": ["C1"], "closed_at": [T0 + sec(4)],
                                                "status": ["closed"]}))
    frame, cur = changes.changed_since(store, cur, now=T0 + sec(5))
    assert frame[["case_id", "change", "status"]].values.tolist() == [["C1", "closed", "closed"]]


def test_newest_change_first(store):
    _, cur = changes.changed_since(store, None, now=T0)
    store.append("cases", pd.concat([case("A", T0 + sec(1)), case("B", T0 + sec(3)), case("C", T0 + sec(2))]))
    frame, _ = changes.changed_since(store, cur, now=T0 + sec(4))
    assert frame["case_id"].tolist() == ["B", "C", "A"]


def test_updated_at_catches_any_write(store):
    # With the store stamping updated_at, an old case edited now is a change too.
    store.append("cases", case("OLD", T0 - pd.Timedelta(days=3), updated_at=T0 - pd.Timedelta(days=3)))
    _, cur = changes.changed_since(store, None, now=T0)
    store.update_columns("cases", pd.DataFrame({"case_id": ["OLD"], "status": ["dispatched"],
                                                "updated_at": [T0 + sec(1)]}))
    frame, cur = changes.changed_since(store, cur, now=T0 + sec(2))
    assert frame["case_id"].tolist() == ["OLD"]
    assert frame["changed_at"].iloc[0] == T0 + sec(1)
    frame, _ = changes.changed_since(store, cur, now=T0 + sec(3))
    assert len(frame) == 0


def test_a_bulk_write_overflows_instead_of_streaming(store):
    _, cur = changes.changed_since(store, None, now=T0)
    store.append("cases", pd.concat([case(f"B{i}", T0 + sec(1)) for i in range(6)]))
    frame, cur = changes.changed_since(store, cur, now=T0 + sec(2), max_changes=5)
    assert len(frame) == 0 and frame.attrs["overflow"] == 6
    frame, _ = changes.changed_since(store, cur, now=T0 + sec(200), max_changes=5)
    assert len(frame) == 0  # the cursor moved on


def test_cursor_round_trips_through_json(store):
    import json
    _, cur = changes.changed_since(store, None, now=T0)
    store.append("cases", case("C1", T0 + sec(1)))
    _, cur = changes.changed_since(store, cur, now=T0 + sec(2))
    again = changes.Cursor.from_dict(json.loads(json.dumps(cur.as_dict())))
    assert again == cur and len(cur.seen) == 1
    frame, _ = changes.changed_since(store, cur.as_dict(), now=T0 + sec(3))  # a dict works too
    assert len(frame) == 0


def test_overdue_between_finds_cases_whose_deadline_just_passed(store):
    store.append("cases", pd.concat([
        case("DUE", T0 - pd.Timedelta(hours=2), registered_at=T0 - pd.Timedelta(hours=2), deadline=T0 + sec(5)),
        case("DONE", T0 - pd.Timedelta(hours=2), registered_at=T0 - pd.Timedelta(hours=2), deadline=T0 + sec(5),
             closed_at=T0 - sec(10)),
        case("LATER", T0 - pd.Timedelta(hours=2), registered_at=T0 - pd.Timedelta(hours=2),
             deadline=T0 + pd.Timedelta(hours=1)),
    ]))
    assert changes.overdue_between(store, T0, T0 + sec(10))["case_id"].tolist() == ["DUE"]
    assert len(changes.overdue_between(store, T0 + sec(10), T0 + sec(20))) == 0


def test_latest_cases_newest_first(store):
    store.append("cases", pd.concat([case(f"L{i}", T0 - pd.Timedelta(minutes=10 * i)) for i in range(12)]))
    latest = changes.latest_cases(store, 5, now=T0 + sec(1))
    assert latest["case_id"].tolist() == ["L0", "L1", "L2", "L3", "L4"]


def test_urgent_cases():
    frame = pd.DataFrame({"category": ["emergencies", "street_order", "street_order"],
                          "time_limit_h": [24.0, 1.0, 48.0]})
    assert changes.is_urgent(frame).tolist() == [True, True, False]


def test_daily_cells_counts_each_day(store):
    store.append("cases", pd.concat([
        case("D0a", T0 - pd.Timedelta(days=1)), case("D0b", T0 - pd.Timedelta(days=1)),
        case("D1", T0, x=120.70, y=31.10)]))
    days = changes.daily_cells(store, 3, now=T0 + sec(1))
    assert days["days"] == ["2025-04-29", "2025-04-30", "2025-05-01"]
    assert [sum(c[2] for c in f) for f in days["frames"]] == [0, 2, 1]
    assert days["frames"][1][0][:2] == pytest.approx([120.60, 31.00], abs=0.01)


def test_a_missing_store_raises(tmp_path):
    from geodata.store import open_store
    st = open_store(str(tmp_path / "gone.gpkg"))
    with pytest.raises(StoreError):
        changes.changed_since(st, None)
