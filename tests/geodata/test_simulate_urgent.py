"""How often the live simulator raises an urgent case (geodata/demo/simulate.py).

Each urgent case interrupts the unattended wall (the map flies to it), so the
simulator caps them at ``URGENT_PER_HOUR`` a simulated hour whatever its case rate,
and never raises them above the town's own share. Counts of rare events in
independent steps are Poisson; the bounds below are exact Poisson/binomial
quantiles at 1 - 1e-4 on each side, so a correct simulator fails by chance less
than once in 5,000 seeds.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy import stats

from geodata.changes import is_urgent
from geodata.demo import simulate
from geodata.demo.categories import categories_layer, minor_table
from geodata.store import open_store

TZ = "Asia/Shanghai"
NOW = pd.Timestamp("2025-07-01 09:00:00", tz=TZ)
ALPHA = 1e-4


@pytest.fixture
def small_town(tmp_path):
    """Four grids and 3,000 cases of the demo's category mix over the last two weeks."""
    st = open_store(str(tmp_path / "town.gpkg"))
    st.create_schema()
    boxes = [shapely.box(120.60 + 0.01 * i, 31.00, 120.61 + 0.01 * i, 31.01) for i in range(4)]
    st.upsert("districts", gpd.GeoDataFrame({"district_id": ["D1"]}, geometry=[shapely.box(120.60, 31.00, 120.64, 31.01)],
                                            crs=4326))
    st.upsert("grids", gpd.GeoDataFrame({"grid_id": [f"G{i}" for i in range(4)], "district_id": "D1"},
                                        geometry=boxes, crs=4326))
    st.upsert("staff", pd.DataFrame({"staff_id": ["I0", "I1", "I2", "I3", "H1", "P1"],
                                     "role": ["inspector"] * 4 + ["handler", "dispatcher"],
                                     "grid_id": ["G0", "G1", "G2", "G3", None, None]}))
    st.upsert("categories", categories_layer())
    rng = np.random.default_rng(1)
    minors = minor_table()
    pick = minors.iloc[rng.choice(len(minors), 3000, p=minors["p"].to_numpy())].reset_index(drop=True)
    reported = NOW - pd.to_timedelta(rng.integers(3600, 14 * 86400, 3000), unit="s")
    st.append("cases", gpd.GeoDataFrame({
        "case_id": [f"T{k:05d}" for k in range(3000)], "category": pick["major"], "subcategory": pick["code"],
        "source": "inspector", "reported_at": reported, "registered_at": reported, "closed_at": reported,
        "status": "closed"}, geometry=shapely.points(rng.uniform(120.60, 120.64, 3000), rng.uniform(31.0, 31.01, 3000)),
        crs=4326))
    simulate._CONTEXT.pop(st.url, None)
    yield st
    simulate._CONTEXT.pop(st.url, None)


def _urgent(frame: pd.DataFrame, limit_h: dict) -> np.ndarray:
    return is_urgent(pd.DataFrame({"category": frame["category"].to_numpy(),
                                   "time_limit_h": frame["subcategory"].map(limit_h).to_numpy()})).to_numpy()


def test_the_demo_mix_alone_would_interrupt_every_minute(small_town):
    # The premise: at the wall's rate of 1 case/s the town's own urgent share
    # (emergencies, fire, gas, smoke alarms: ~2 %) is over one a minute.
    ctx = simulate._context(small_town)
    share = _urgent(small_town.read("cases", columns=["category", "subcategory"]), ctx["limit_h"]).mean()
    assert 0.01 < share < 0.05
    assert share * 3600 > 60


def _marked_templates(store):
    """The simulator's templates, with a column saying which are urgent."""
    ctx = simulate._context(store)
    recent = simulate._templates(store, ctx, NOW)
    return ctx, recent.assign(_urgent=_urgent(recent, ctx["limit_h"]))


def test_urgent_cases_come_a_few_times_an_hour_at_the_walls_rate(small_town):
    # 200 simulated hours of the template draw at 1 case/s, one step every 5 minutes.
    ctx, recent = _marked_templates(small_town)
    rng = np.random.default_rng(2026)
    hours, step_s = 200, 300.0
    urgent = 0
    for _ in range(int(hours * 3600 / step_s)):
        n = int(rng.poisson(step_s))
        if n:
            urgent += int(simulate._pick_templates(recent, rng, ctx, n, step_s)["_urgent"].sum())
    mean = simulate.URGENT_PER_HOUR * hours
    lo, hi = stats.poisson.ppf(ALPHA, mean), stats.poisson.ppf(1 - ALPHA, mean)
    assert lo <= urgent <= hi, (urgent, lo, hi)
    assert 1 <= simulate.URGENT_PER_HOUR <= 6  # "a few times an hour"


def test_a_slow_simulator_keeps_the_towns_own_urgent_share(small_town):
    # At one case a minute the cap does not bind: urgent cases are not made more common.
    ctx, recent = _marked_templates(small_town)
    share = recent["_urgent"].mean()
    rng = np.random.default_rng(7)
    steps, n = 2000, 10  # ten cases every ten minutes
    draws = steps * n
    got = sum(int(simulate._pick_templates(recent, rng, ctx, n, 600.0)["_urgent"].sum()) for _ in range(steps))
    lo, hi = stats.binom.ppf(ALPHA, draws, share), stats.binom.ppf(1 - ALPHA, draws, share)
    assert lo <= got <= hi, (got, lo, hi, share)


def test_the_seeded_simulator_writes_few_urgent_cases(small_town):
    # End to end through the store: two simulated hours at 1 case/s, 5-minute steps.
    rng = np.random.default_rng(11)
    added = 0
    for k in range(24):
        added += simulate.simulate_step(small_town, rng, NOW + pd.Timedelta(minutes=5 * k), step_seconds=300.0,
                                        n_new=int(rng.poisson(300)))["added"]
    new = small_town.read("cases", start=NOW - pd.Timedelta(minutes=2), columns=["category", "subcategory"])
    assert len(new) == added > 6000
    urgent = int(_urgent(new, simulate._context(small_town)["limit_h"]).sum())
    assert urgent <= stats.poisson.ppf(1 - ALPHA, 2 * simulate.URGENT_PER_HOUR), urgent
