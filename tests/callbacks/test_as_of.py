"""The town as of a day (``?as_of=YYYY-MM-DD``): which days are accepted, the period a
day implies, and the figures the screen counts for it from a real GeoPackage, against
hand-counted cases."""
from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from callbacks.as_of import BadAsOf, as_of_text, parse_as_of, period_of, screen_period
from callbacks.console_state import parse_state, period_bounds, state_to_search
from callbacks.data import ScreenData
from callbacks.i18n import wall_href
from callbacks.module_data import ModuleData
from callbacks.routes import page_key
from geodata.store import open_store

TZ = "Asia/Shanghai"
NOW = pd.Timestamp("2026-12-05 18:30:15", tz=TZ)
TODAY = NOW.date()


def t(s: str) -> pd.Timestamp:
    return pd.Timestamp(s, tz=TZ)


# ---- which days ----------------------------------------------------------------------
@pytest.mark.parametrize("text, reason", [
    ("foo", "format"), ("2018-12-31x", "format"), ("2018-12-31\n", "format"), ("2018-1-1", "format"),
    ("２０１８-12-31", "format"), ("18-12-31", "format"), ("2018/12/31", "format"),
    ("2018-02-30", "date"), ("2018-13-01", "date"), ("2019-02-29", "date"),
    ("0001-01-01", "early"), ("1989-12-31", "early"),
    ("2026-12-06", "future"), ("9999-12-31", "future"),
])
def test_a_bad_as_of_is_refused_with_its_reason(text, reason):
    with pytest.raises(BadAsOf) as e:
        parse_as_of(text, TODAY)
    assert e.value.reason == reason and e.value.text == text


@pytest.mark.parametrize("text, day", [
    ("1990-01-01", dt.date(1990, 1, 1)), ("2018-12-31", dt.date(2018, 12, 31)),
    ("2020-02-29", dt.date(2020, 2, 29)), ("2026-12-05", TODAY), (None, None), ("", None),
])
def test_a_good_as_of_is_the_day_it_names_and_none_is_live(text, day):
    assert parse_as_of(text, TODAY) == day


def test_the_last_as_of_of_a_query_counts_and_blank_is_live():
    assert as_of_text("?as_of=2018-01-01&as_of=2018-12-31") == "2018-12-31"
    assert as_of_text("?as_of=&lang=en") == ""
    assert period_of("?as_of=", NOW).live
    with pytest.raises(BadAsOf):
        period_of("?module=ecology&as_of=foo", NOW)


# ---- the period of a day --------------------------------------------------------------
def test_a_past_day_ends_at_the_next_midnight_and_its_year_starts_on_1_january():
    p = screen_period(dt.date(2018, 12, 31), NOW)
    assert (p.start, p.end, p.at) == (t("2018-01-01"), t("2019-01-01"), t("2019-01-01"))
    assert p.key == "2018-12-31" and not p.live and p.last_day == t("2018-12-31")
    mid = screen_period(dt.date(2020, 2, 29), NOW)  # a leap day, part of a year
    assert (mid.start, mid.end, mid.at, mid.last_day) == (t("2020-01-01"), t("2020-03-01"), t("2020-03-01"),
                                                          t("2020-02-29"))


def test_today_as_of_is_taken_now_and_live_runs_to_the_new_year():
    today = screen_period(TODAY, NOW)
    assert today.at == NOW and today.end == t("2026-12-06") and today.key == "2026-12-05"
    live = screen_period(None, NOW)
    assert live.live and live.key is None and live.at == NOW
    assert (live.start, live.end, live.last_day) == (t("2026-01-01"), t("2027-01-01"), t("2026-12-05"))


def test_links_keep_the_day_and_the_page_key_changes_with_it():
    assert wall_href("ecology", "en", 30, "2018-12-31") == "/wall?module=ecology&lang=en&rotate=30&as_of=2018-12-31"
    assert page_key("/wall", "?module=ecology&as_of=2018-12-31") != page_key("/wall", "?module=ecology")
    assert page_key("/wall", "?module=ecology&as_of=2018-12-31") == page_key("/wall", "?as_of=2018-12-31&rotate=5")


# ---- the console's state -------------------------------------------------------------------
def test_console_state_carries_as_of_and_presets_count_back_from_it():
    s, bad = parse_state("?as_of=2018-12-31&period=year&lang=en", today=TODAY)
    assert bad == [] and s.as_of == "2018-12-31"
    assert parse_state(state_to_search(s), today=TODAY)[0] == s
    assert period_bounds(s, NOW) == (t("2018-01-01"), t("2019-01-01"))
    assert period_bounds(s.replace(period="today"), NOW) == (t("2018-12-31"), t("2019-01-01"))
    assert period_bounds(s.replace(period="30d"), NOW) == (t("2018-12-02"), t("2019-01-01"))
    # no period: everything up to the end of the day; custom dates are cut there too
    assert period_bounds(s.replace(period=None), NOW) == (None, t("2019-01-01"))
    assert period_bounds(s.replace(period=None, date_from="2018-06-01", date_to="2019-06-30"), NOW) == \
        (t("2018-06-01"), t("2019-01-01"))
    # a later year than the day: an empty period (start after end), never a crash
    start, end = period_bounds(s.replace(period="2020"), NOW)
    assert start > end


def test_console_names_a_bad_as_of_and_shows_the_town_now():
    for bad in ("foo", "0001-01-01", "2099-01-01"):
        s, ignored = parse_state(f"?as_of={bad}", today=TODAY)
        assert s.as_of is None and ignored == [f"as_of={bad}"]


# ---- the figures, from a real store ---------------------------------------------------------
#: (case, registered, closed, deadline): a hand-made year end around as_of = 2018-12-31.
CASES = [
    ("A", "2018-03-01 09:00", "2018-03-02 09:00", "2018-03-03 09:00"),  # closed in time: disposed
    ("B", "2018-12-30 10:00", "2019-01-02 10:00", "2018-12-31 10:00"),  # closed after as_of: open, overdue then
    ("C", "2018-12-31 23:59", None, "2019-01-02 00:00"),                # open, not yet due
    ("D", "2019-01-01 00:00", "2019-01-01 08:00", "2019-01-03 00:00"),  # the next day: not shown
    ("E", "2017-06-01 08:00", "2017-06-02 08:00", "2017-06-03 08:00"),  # an earlier year: all-time only
    ("F", "2017-12-20 08:00", None, "2017-12-22 08:00"),                # open since 2017, overdue
    ("G", None, None, None),                                            # never accepted
    ("H", "2018-05-05 05:00", "2018-12-31 23:59:59", "2018-05-06 05:00"),  # closed late, before as_of
]


@pytest.fixture
def past_store(store):
    """The cases above in a store of each backend (``tests/conftest.py: store``)."""
    rows = []
    for i, (cid, reg, closed, deadline) in enumerate(CASES):
        rep = pd.Timestamp(reg or "2018-07-07 07:00", tz=TZ) - pd.Timedelta(minutes=5)
        rows.append({"case_id": cid, "category": "city", "source": "inspector", "reported_at": rep,
                     "registered_at": t(reg) if reg else pd.NaT, "closed_at": t(closed) if closed else pd.NaT,
                     "deadline": t(deadline) if deadline else pd.NaT, "status": "closed" if closed else "registered",
                     "enforcement": False, "grid_id": "G1", "geometry": shapely.Point(120.61 + i * 1e-3, 30.95)})
    cases = gpd.GeoDataFrame(rows, crs=4326)
    for col in ("registered_at", "closed_at", "deadline"):
        cases[col] = pd.to_datetime(cases[col]).dt.tz_convert(TZ)
    grids = gpd.GeoDataFrame({"grid_id": ["G1"], "name": ["一网格"], "district_id": ["D1"]},
                             geometry=[shapely.box(120.60, 30.94, 120.63, 30.96)], crs=4326)
    store.write("grids", grids)
    store.write("cases", cases)
    return store


def test_the_counts_as_of_a_day_take_later_closings_as_open_and_leave_later_cases_out(past_store):
    data = ScreenData(past_store, tz=TZ)
    counts = data.case_counts(period=screen_period(dt.date(2018, 12, 31), NOW))
    # 2018: A, B, C, H accepted; B and C open at the end of the day (B closed on 2 January)
    assert counts["year"].as_dict() == {"accepted": 4, "disposed": 2, "disposal_rate": 0.5, "open": 2}
    # all time up to then: also E (closed) and F (open); D (1 January 2019) and G (never accepted) are out
    assert counts["all"].as_dict() == {"accepted": 6, "disposed": 3, "disposal_rate": 0.5, "open": 3}
    # the live counts of the same store: every closing counts, 2018 is not this year
    live = data.case_counts(NOW)
    assert live["all"].accepted == 7 and live["all"].open == 2 and live["year"].accepted == 0


def test_the_modules_snapshot_as_of_a_day_is_that_days_town(past_store):
    snap = ModuleData(past_store, tz=TZ).snapshot(screen_period(dt.date(2018, 12, 31), NOW))
    assert snap.as_of == "2018-12-31" and snap.now == t("2019-01-01")
    # read from the start of the year before (the year-on-year arrows): E and F of 2017 too,
    # nothing after the day (D, 1 January 2019); the year's figures take 2018's alone
    assert sorted(snap.cases["case_id"]) == ["A", "B", "C", "E", "F", "H"]
    assert sorted(snap.year_cases()["case_id"]) == ["A", "B", "C", "H"]   # registered in 2018
    assert sorted(snap.open_cases["case_id"]) == ["B", "C", "F"]          # open at the end of the day
    assert snap.open_by_grid() == ({"G1": 3}, {"G1": 2})                  # B and F past their deadline
    kpis = snap.town_kpis()
    assert (kpis["accepted"], kpis["disposed"], kpis["open_overdue"]) == (4, 2, 1)  # of 2018's: B
    # the heat map's last days end with the day: D was reported at 23:55 on the 31st (registered later)
    assert sorted(snap.heat["case_id"]) == ["B", "C", "D"]


def test_a_town_without_recent_cases_names_its_newest_day(past_store, tmp_path):
    data = ScreenData(past_store, tz=TZ)
    assert data.newest_case_day() == t("2018-12-31")  # D was reported at 23:55 on 31 December
    fresh = open_store(str(tmp_path / "fresh.gpkg"))
    fresh.create_schema(["cases"])
    now = pd.Timestamp.now(tz=TZ)
    fresh.write("cases", gpd.GeoDataFrame(
        [{"case_id": "N", "reported_at": now - pd.Timedelta(days=2), "registered_at": pd.NaT,
          "geometry": shapely.Point(120.61, 30.95)}], crs=4326))
    assert ScreenData(fresh, tz=TZ).newest_case_day() is None
    empty = open_store(str(tmp_path / "empty.gpkg"))
    empty.create_schema(["cases"])
    assert ScreenData(empty, tz=TZ).newest_case_day() is None
