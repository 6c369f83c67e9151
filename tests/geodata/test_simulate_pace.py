"""The live simulator keeps the town's own pace (geodata/demo/simulate.py, pace.py).

A demo town whose history runs up to a Wednesday 10:00, then one simulated hour
of ``run_simulator`` on an injected clock (no sleeping): the open-case count and
this year's disposal rate end where they started, give or take the noise of an
hour's ~15 arrivals and closings, and the wall still sees about a case a minute.
At the old fixed rate (1 case a second) the same hour would have added ~3,600
open cases.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from geodata.demo import pace as pace_mod
from geodata.demo import simulate
from indicators.kpis import compute_kpis

TZ = "Asia/Shanghai"
START = pd.Timestamp("2026-11-04 10:00", tz=TZ)  # a Wednesday, the morning peak


@pytest.fixture(scope="module")
def town_at_ten(tmp_path_factory):
    from geodata.demo import build_town, write_town
    from geodata.store import open_store
    path = tmp_path_factory.mktemp("pace") / "town.gpkg"
    st = open_store(str(path))
    write_town(st, build_town(seed=42, now=dt.datetime(2026, 11, 4, 10, 0)))
    simulate._CONTEXT.pop(st.url, None)
    yield st
    simulate._CONTEXT.pop(st.url, None)
    st.close()


class FakeClock:
    """Simulated time: ``sleep`` moves it on, nothing waits."""

    def __init__(self, t: pd.Timestamp):
        self.t = t

    def now(self) -> pd.Timestamp:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += pd.Timedelta(seconds=seconds)


def _state(store, now: pd.Timestamp) -> dict:
    cases = store.read("cases", start=now - pd.Timedelta(days=400), end=now + pd.Timedelta(hours=1),
                       columns=["case_id", "registered_at", "closed_at", "status", "deadline", "source",
                                "self_handled", "time_limit_h"], geometry=False)
    open_ = cases.registered_at.notna() & cases.closed_at.isna() & (cases.status != "rejected")
    year = pd.Timestamp("2026-01-01", tz=TZ)
    kpis = compute_kpis(cases, start=year, end=now, as_of=now)
    return {"open": int(open_.sum()), "disposal_rate": kpis["disposal_rate"], "n": len(cases)}


def test_an_hour_of_the_simulator_keeps_open_cases_and_disposal_rate(town_at_ten):
    before = _state(town_at_ten, START)
    clock = FakeClock(START)
    lines: list[str] = []
    simulate.run_simulator(town_at_ten, seconds=3600, tick=30, seed=5, clock=clock.now, sleep=clock.sleep,
                           echo=lines.append)
    end = clock.now()
    assert pd.Timedelta(minutes=59) < end - START <= pd.Timedelta(minutes=61)
    after = _state(town_at_ten, end)
    assert abs(after["open"] - before["open"]) <= 0.1 * before["open"], (before, after)
    assert abs(after["disposal_rate"] - before["disposal_rate"]) < 0.002, (before, after)
    new = after["n"] - before["n"]
    assert 50 <= new <= 400, new  # a case a minute or more: the wall moves
    assert len(lines) == 120


def test_registered_arrivals_follow_the_history_of_this_hour(town_at_ten):
    pace = pace_mod.read_pace(town_at_ten, START)
    # the last eight Wednesdays, 10:00-11:00, counted by hand
    cases = town_at_ten.read("cases", start=START - pd.Timedelta(days=57), end=START, time_field="registered_at",
                             columns=["registered_at", "self_handled", "status"], geometry=False)
    reg = cases.registered_at.dt.tz_convert(TZ)
    mask = ((reg.dt.day_of_week == 2) & (reg.dt.hour == 10) & (reg >= START - pd.Timedelta(days=56))
            & ~cases.self_handled.fillna(False).astype(bool) & (cases.status != "rejected"))
    assert pace.registered_per_hour[2, 10] == pytest.approx(mask.sum() / 8)
    assert 3 < pace.registered_per_hour[2, 10] < 40  # the demo's ~100-130 a day, a peak hour
    assert pace.registered_per_hour[2, 3] < 2  # and a quiet night


def test_a_quiet_night_still_shows_a_case_a_minute_without_registering_them(town_at_ten):
    pace = pace_mod.read_pace(town_at_ten, START)
    rng = np.random.default_rng(3)
    night = pd.Timestamp("2026-11-04 03:00", tz=TZ)
    draws = [simulate.arrivals(pace, rng, night, 60.0) for _ in range(600)]
    reg, spot = (np.mean(x) for x in zip(*draws))
    assert reg < 0.05  # the town registers almost nothing at 3 a.m.
    assert 0.85 < reg + spot < 1.15  # but the wall sees about one new case a minute


def test_the_rate_override_registers_that_many_cases(town_at_ten):
    clock = FakeClock(START + pd.Timedelta(hours=2))
    before = town_at_ten.count("cases")
    simulate.run_simulator(town_at_ten, rate=0.5, seconds=120, tick=10, seed=9, clock=clock.now, sleep=clock.sleep)
    added = town_at_ten.read("cases", start=START + pd.Timedelta(hours=2) - pd.Timedelta(minutes=1),
                             columns=["registered_at", "self_handled"], geometry=False)
    assert town_at_ten.count("cases") - before == len(added)
    assert 30 <= len(added) <= 95  # Poisson(60)
    assert added.registered_at.notna().all() and not added.self_handled.fillna(False).any()
