"""Surges and hot spots on synthetic data whose truth is known."""
import h3
import numpy as np
import pandas as pd
from scipy.stats import binom

from indicators.early_warning import hotspot_warnings, surge_warnings
from indicators.hotspots import hotspots
from indicators.surge import ALPHA, surge_tests

TZ = "Asia/Shanghai"
GRIDS = [f"G{i:02d}" for i in range(20)]
CATS = ["litter", "parking", "noise", "vendor", "fire"]


def poisson_cases(rng, days, rate_per_day, extra=None):
    """Cases of every grid × category at a constant daily rate; ``extra``: {(grid, cat, day0, day1): rate}."""
    rows = []
    for g in GRIDS:
        for c in CATS:
            n = rng.poisson(rate_per_day, len(days))
            if extra:
                for (eg, ec, d0, d1), r in extra.items():
                    if (eg, ec) == (g, c):
                        sel = (days >= d0) & (days < d1)
                        n[sel] = rng.poisson(r, int(sel.sum()))
            t = np.repeat(days, n) + pd.to_timedelta(rng.uniform(0, 86_400, n.sum()), unit="s")
            rows.append(pd.DataFrame({"reported_at": t, "grid_id": g, "category": c}))
    return pd.concat(rows, ignore_index=True)


def test_monthly_5x_burst_in_one_grid_and_category_is_flagged():
    rng = np.random.default_rng(7)
    days = pd.date_range("2023-01-01", "2024-01-31", freq="D", tz=TZ)
    burst = pd.Timestamp("2024-01-01", tz=TZ), pd.Timestamp("2024-02-01", tz=TZ)
    cases = poisson_cases(rng, days, 0.3, extra={("G03", "noise", *burst): 1.5})   # 5× in January 2024
    w = surge_warnings(cases, freq="M", start="2024-01-01", end="2024-02-01")
    assert list(zip(w["where"], w["category"])) == [("G03", "noise")]
    assert w["strength"].iloc[0] > 3 and w["p_value"].iloc[0] < ALPHA
    assert w.attrs["tests"] == len(GRIDS) * len(CATS)
    assert "突增" in w["message_zh"].iloc[0] and "Surge" in w["message_en"].iloc[0]


def test_calm_year_raises_at_most_the_stated_false_alarm_rate():
    rng = np.random.default_rng(11)
    days = pd.date_range("2023-01-01", "2023-12-31", freq="D", tz=TZ)
    cases = poisson_cases(rng, days, 2.0)
    t = surge_tests(cases, freq="D", baseline=28)
    n = t.attrs["tests"]
    assert n == len(GRIDS) * len(CATS) * (len(days) - 28)
    alarms = int((t["p_value"] < ALPHA).sum())
    # The test is exact given the total, so alarms ~ at most Binomial(n, ALPHA); allow its
    # upper 1e-6 quantile as slack (fails by chance once in a million runs, for a fixed seed never).
    assert alarms <= binom.ppf(1 - 1e-6, n, ALPHA), (alarms, n * ALPHA)
    w = surge_warnings(cases, freq="D", baseline=28)
    assert len(w) <= alarms and w.attrs["expected_false_alarms"] == ALPHA * n


def test_weekly_periods_and_empty_input():
    rng = np.random.default_rng(3)
    days = pd.date_range("2024-01-01", "2024-06-30", freq="D", tz=TZ)
    t = surge_tests(poisson_cases(rng, days, 0.5), freq="W", baseline=13)
    assert (t["period_start"].dt.day_of_week == 0).all()  # weeks start on Monday
    assert surge_tests(pd.DataFrame({"reported_at": pd.Series([], dtype="datetime64[us, UTC]"),
                                     "grid_id": [], "category": []})).attrs["tests"] == 0


def test_hotspot_on_synthetic_cluster():
    centre = h3.latlng_to_cell(31.0, 120.6, 9)
    far = h3.latlng_to_cell(31.03, 120.64, 9)
    lattice = sorted(set(h3.grid_disk(centre, 10)) | set(h3.grid_disk(far, 2)))
    rng = np.random.default_rng(5)
    counts = pd.Series(rng.poisson(0.8, len(lattice)), index=lattice)
    cluster = list(h3.grid_disk(centre, 1))
    counts[cluster] += rng.poisson(10, len(cluster))
    hs = hotspots(counts, lattice=lattice, seed=2)
    hot = set(hs.index[hs["hot"]])
    assert centre in hot
    assert hot <= set(h3.grid_disk(centre, 2))            # no hot spot away from the cluster
    assert not hs.loc[far, "hot"]
    assert (hs.loc[list(hot), "p_sim"] <= hs.attrs["threshold"]).all()


def test_hotspot_warnings_from_cases():
    centre = h3.latlng_to_cell(31.0, 120.6, 9)
    cells = list(h3.grid_disk(centre, 6))
    rng = np.random.default_rng(9)
    n = rng.poisson(0.5, len(cells))
    n[cells.index(centre)] += 25
    for c in h3.grid_disk(centre, 1):
        n[cells.index(c)] += 15
    cases = pd.DataFrame({"h3": np.repeat(cells, n), "category": "fire",
                          "reported_at": pd.Timestamp("2024-05-01 10:00", tz=TZ)})
    w = hotspot_warnings(cases, start="2024-05-01", end="2024-06-01", category="fire", lattice=cells)
    assert centre in set(w["where"])
    assert (w["kind"] == "hotspot").all() and (w["strength"] > 0).all() and w["message_en"].str.contains("Hot").all()
