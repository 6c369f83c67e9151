"""The change feed of cases (geodata/changes.py), on GeoPackage and PostGIS."""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geodata import changes, store as store_module
from geodata.frames import StoreError

TZ = "Asia/Shanghai"
T0 = pd.Timestamp("2025-05-01 10:00:00", tz=TZ)


class Clock:
    """A simulated clock for the store's write stamp: the tests move it by hand."""

    def __init__(self, t):
        self.t = t

    def __call__(self):
        return self.t


@pytest.fixture
def clock(store):
    c = Clock(T0)
    store.clock = c
    return c


def case(case_id, reported_at, *, x=120.60, y=31.00, **cols) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"case_id": [case_id], "category": [cols.pop("category", "street_order")],
                             "reported_at": [reported_at], **{k: [v] for k, v in cols.items()}},
                            geometry=[shapely.Point(x, y)], crs=4326)


def sec(n: float) -> pd.Timedelta:
    return pd.Timedelta(seconds=n)


def test_first_call_only_places_the_cursor(store, clock):
    store.append("cases", case("OLD", T0 - sec(5)))
    frame, cur = changes.changed_since(store, None, now=T0)
    assert len(frame) == 0
    assert cur.t == T0.tz_convert("UTC")


def test_a_new_case_is_delivered_once(store, clock):
    _, cur = changes.changed_since(store, None, now=T0)
    clock.t = T0 + sec(1)
    store.append("cases", case("C1", T0 + sec(1)))
    frame, cur = changes.changed_since(store, cur, now=T0 + sec(2))
    assert frame["case_id"].tolist() == ["C1"]
    assert frame["change"].tolist() == ["reported"]
    assert frame.geometry.iloc[0].equals(shapely.Point(120.60, 31.00))
    for k in range(3, 6):  # still inside the re-read window, never again
        frame, cur = changes.changed_since(store, cur, now=T0 + sec(k))
        assert len(frame) == 0


def test_a_back_dated_case_is_still_caught(store, clock):
    # The simulator reports cases up to a minute before it writes them.
    _, cur = changes.changed_since(store, None, now=T0)
    store.append("cases", case("LATE", T0 - sec(50)))
    frame, _ = changes.changed_since(store, cur, now=T0 + sec(1))
    assert frame["case_id"].tolist() == ["LATE"]


def test_a_case_arriving_an_hour_late_is_new(store, clock):
    # An Open311 client posting a request made an hour ago: found by its write stamp,
    # far outside the event-time window, and shown as a new case.
    _, cur = changes.changed_since(store, None, now=T0)
    clock.t = T0 + sec(1)
    store.append("cases", case("P1", T0 - pd.Timedelta(hours=1), status="reported"))
    frame, cur = changes.changed_since(store, cur, now=T0 + sec(2))
    assert frame[["case_id", "change"]].values.tolist() == [["P1", "reported"]]
    assert frame["changed_at"].iloc[0] == T0 + sec(1)
    frame, _ = changes.changed_since(store, cur, now=T0 + sec(3))
    assert len(frame) == 0


def test_a_status_only_step_reaches_the_feed(store, clock):
    clock.t = T0 - pd.Timedelta(hours=3)
    store.append("cases", case("S1", T0 - pd.Timedelta(hours=3), registered_at=T0 - pd.Timedelta(hours=3),
                               status="registered"))
    _, cur = changes.changed_since(store, None, now=T0)
    clock.t = T0 + sec(1)
    store.update_columns("cases", pd.DataFrame({"case_id": ["S1"], "status": ["dispatched"]}))
    frame, cur = changes.changed_since(store, cur, now=T0 + sec(2))
    assert frame[["case_id", "change", "status"]].values.tolist() == [["S1", "updated", "dispatched"]]
    clock.t = T0 + sec(3)  # a second step is a second change
    store.upsert("cases", case("S1", T0 - pd.Timedelta(hours=3), registered_at=T0 - pd.Timedelta(hours=3),
                               status="handled"))
    frame, _ = changes.changed_since(store, cur, now=T0 + sec(4))
    assert frame[["case_id", "change", "status"]].values.tolist() == [["S1", "updated", "handled"]]


def test_every_write_of_a_case_is_stamped_in_utc_seconds(store, clock):
    clock.t = pd.Timestamp("2025-05-01 02:00:00.700", tz="UTC")
    store.append("cases", case("A", T0 - pd.Timedelta(days=2)))
    clock.t = pd.Timestamp("2025-05-01 02:00:05", tz="UTC")
    store.upsert("cases", case("B", T0 - pd.Timedelta(days=2)))
    clock.t = pd.Timestamp("2025-05-01 02:00:09", tz="UTC")
    store.update_columns("cases", pd.DataFrame({"case_id": ["B"], "status": ["registered"]}))
    got = store.read("cases", columns=["case_id", "updated_at"]).set_index("case_id")["updated_at"]
    assert got["A"] == pd.Timestamp("2025-05-01 02:00:00", tz="UTC")  # floored, like every stored time
    assert got["B"] == pd.Timestamp("2025-05-01 02:00:09", tz="UTC")
    store.append("districts", gpd.GeoDataFrame({"district_id": ["D"]}, geometry=[shapely.box(0, 0, 1, 1)],
                                               crs=4326))
    assert "updated_at" not in store.columns("districts")  # only the layers the feed needs


def test_rows_without_a_stamp_fall_back_to_event_times(store, clock, monkeypatch):
    # Rows written before the store stamped (or around it) have a NULL updated_at.
    monkeypatch.delitem(store_module.STAMPED, "cases")
    _, cur = changes.changed_since(store, None, now=T0)
    store.append("cases", case("OLD", T0 - sec(50)))
    assert store.read("cases", columns=["updated_at"])["updated_at"].isna().all()
    monkeypatch.setitem(store_module.STAMPED, "cases", "updated_at")
    clock.t = T0 + sec(1)
    store.append("cases", case("NEW", T0 - pd.Timedelta(hours=1)))
    frame, cur = changes.changed_since(store, cur, now=T0 + sec(2))
    assert sorted(frame["case_id"]) == ["NEW", "OLD"]
    for k in (3, 30, 60):  # the unstamped row stays in its longer window, and is not repeated
        frame, cur = changes.changed_since(store, cur, now=T0 + sec(k))
        assert len(frame) == 0


def test_a_store_without_the_column_keeps_working_and_gains_it(store, clock):
    store.append("cases", case("OLD", T0 - pd.Timedelta(days=1)))
    _drop_updated_at(store)
    assert "updated_at" not in store.columns("cases")
    _, cur = changes.changed_since(store, None, now=T0)
    store.upsert("cases", case("OLD", T0 - pd.Timedelta(days=1), closed_at=T0 + sec(1)))  # adds the column
    assert "updated_at" in store.columns("cases")
    frame, _ = changes.changed_since(store, cur, now=T0 + sec(2))
    assert frame[["case_id", "change"]].values.tolist() == [["OLD", "closed"]]


def _drop_updated_at(store):
    """Make the cases table look like one written before the column existed."""
    from tests.store_sql import execute_raw
    # SQLite drops no column an index names; PostgreSQL drops the index with the column
    first = [] if hasattr(store, "engine") else ['DROP INDEX IF EXISTS "ix_cases_updated_at"']
    execute_raw(store, *first, 'ALTER TABLE "cases" DROP COLUMN "updated_at"')


def test_postgis_indexes_the_stamp(pg_schema_url):
    from geodata.store import open_store
    import sqlalchemy as sa
    st = open_store(pg_schema_url)
    try:
        st.create_schema(["cases"])
        with st.engine.begin() as conn:
            defs = conn.execute(sa.text("SELECT indexdef FROM pg_indexes WHERE tablename = 'cases' "
                                        "AND schemaname = current_schema()")).scalars().all()
        assert any("(updated_at)" in d for d in defs), defs
    finally:
        st.close()


def test_registering_and_closing_are_changes(store, clock):
    _, cur = changes.changed_since(store, None, now=T0)
    store.append("cases", case("C1", T0))
    frame, cur = changes.changed_since(store, cur, now=T0 + sec(1))
    assert frame["change"].tolist() == ["reported"]
    clock.t = T0 + sec(2)
    store.update_columns("cases", pd.DataFrame({"case_id": ["C1"], "registered_at": [T0 + sec(2)]}))
    frame, cur = changes.changed_since(store, cur, now=T0 + sec(3))
    assert frame["change"].tolist() == ["registered"]
    clock.t = T0 + sec(4)
    store.update_columns("cases", pd.DataFrame({"case_id": ["C1"], "closed_at": [T0 + sec(4)],
                                                "status": ["closed"]}))
    frame, cur = changes.changed_since(store, cur, now=T0 + sec(5))
    assert frame[["case_id", "change", "status"]].values.tolist() == [["C1", "closed", "closed"]]


def test_newest_change_first(store, clock):
    _, cur = changes.changed_since(store, None, now=T0)
    for k, cid in ((1, "A"), (2, "C"), (3, "B")):
        clock.t = T0 + sec(k)
        store.append("cases", case(cid, T0 - pd.Timedelta(hours=k)))
    frame, _ = changes.changed_since(store, cur, now=T0 + sec(4))
    assert frame["case_id"].tolist() == ["B", "C", "A"]


def test_a_bulk_write_overflows_instead_of_streaming(store, clock):
    _, cur = changes.changed_since(store, None, now=T0)
    clock.t = T0 + sec(1)
    store.append("cases", pd.concat([case(f"B{i}", T0 + sec(1)) for i in range(6)]))
    frame, cur = changes.changed_since(store, cur, now=T0 + sec(2), max_changes=5)
    assert len(frame) == 0 and frame.attrs["overflow"] == 6
    frame, _ = changes.changed_since(store, cur, now=T0 + sec(200), max_changes=5)
    assert len(frame) == 0  # the cursor moved on


def test_cursor_round_trips_through_json(store, clock):
    import json
    _, cur = changes.changed_since(store, None, now=T0)
    clock.t = T0 + sec(1)
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
