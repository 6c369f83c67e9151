"""Surges in case volume by grid and category against their own history (突增预警).

brief.md ("What the platforms do with the data"): "Early warning: a dynamic business
database flagged a surge … Warn on surges and on risk hot spots; push warnings to
the grid."

Method: the conditional test for comparing two Poisson rates (Przyborowski &
Wilenski 1940; the exact test behind Poisson control charts with an estimated
baseline). For each cell (grid × category) and period *t*, with *x* the count in
*t* and *y* the count over the *B* preceding periods, under "same rate as its own
recent history" (H0) and Poisson counts,

    x | x + y  ~  Binomial(x + y, p0),   p0 = e_t / (e_t + E_B)

where *e_t*, *E_B* are the lengths of the period and of the baseline (days, so a
31-day month is not a surge over a 28-day one). The one-sided p-value is
``P(X ≥ x)``; a warning is raised when ``p < alpha``. Because the test is exact
given *x + y*, whatever the unknown rate, **the false-alarm rate per test is at most
alpha** (less, as counts are discrete): a calm history of N tests raises on
average at most ``alpha × N`` warnings — 0.001 × N with the default. Cells and
periods with no case in them and in their baseline cannot alarm and count as
tests. A period still running (the last one) has a partial count, which can only
make a surge look smaller.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(1)
>>> days = pd.date_range("2024-01-01", periods=60, freq="D", tz="Asia/Shanghai")
>>> n = rng.poisson(2, 60); n[-1] = 14                       # a burst on the last day
>>> cases = pd.DataFrame({"reported_at": np.repeat(days, n) + pd.Timedelta(hours=10),
...                       "grid_id": "G1", "category": "litter"})
>>> w = surge_tests(cases, freq="D", baseline=28)
>>> w.attrs["tests"], int((w.p_value < 0.001).sum())
(32, 1)
>>> top = w.loc[w.p_value.idxmin()]
>>> str(top.period_start.date()), int(top["count"]), round(float(top.ratio), 1)
('2024-02-29', 14, 6.5)
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import binom

from geodata import config
from indicators.view import DAY_NS, local_day

__all__ = ["surge_tests", "period_index", "ALPHA", "BASELINE"]

#: One-sided significance per test (expected false alarms = ALPHA × tests).
ALPHA = 0.001
#: Baseline length in periods, by frequency: four weeks of days, a quarter of weeks,
#: a year of months.
BASELINE = {"D": 28, "W": 13, "M": 12}


def period_index(times, freq: str, tz: str | None = None) -> tuple[np.ndarray, callable]:
    """Integer period of each time (local calendar) and a function giving a period's
    (start, length in days). ``freq``: ``D`` day, ``W`` week (Monday), ``M`` month."""
    tz = tz or config.timezone()
    day = local_day(times, tz)
    if freq == "D":
        per = day
        def bounds(p):
            return pd.Timestamp(int(p) * DAY_NS).tz_localize(tz), 1
    elif freq == "W":
        per = np.floor_divide(day + 3, 7)  # 1970-01-01 was a Thursday; weeks start on Monday
        def bounds(p):
            return pd.Timestamp((int(p) * 7 - 3) * DAY_NS).tz_localize(tz), 7
    elif freq == "M":
        per = day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
        def bounds(p):
            m = np.datetime64(int(p), "M")
            return (pd.Timestamp(m.astype("datetime64[D]")).tz_localize(tz),
                    int(((m + 1).astype("datetime64[D]") - m.astype("datetime64[D]")).astype(int)))
    else:
        raise ValueError(f"freq must be 'D', 'W' or 'M', not {freq!r}")
    per = np.where(day < 0, np.iinfo(np.int64).min, per)
    return per, bounds


def surge_tests(cases: pd.DataFrame, *, freq: str = "D", baseline: int | None = None,
                keys=("grid_id", "category"), time_field: str = "reported_at", start=None, end=None,
                tz: str | None = None) -> pd.DataFrame:
    """The surge test of every cell and period with a full baseline.

    Parameters
    ----------
    cases : DataFrame with ``time_field`` and the ``keys`` columns.
    freq : ``D`` | ``W`` | ``M``
    baseline : int, optional
        Periods of history compared against (default :data:`BASELINE`).
    keys : columns defining a cell (a row with any key missing is left out).
    start, end : optional
        Only periods starting in ``[start, end)`` are tested; the baseline may lie
        before ``start`` (the data must include it).

    Returns
    -------
    DataFrame
        One row per tested (cell, period) with at least one case in the period:
        the keys, ``period_start``, ``period_end``, ``count``, ``expected`` (the
        baseline rate scaled to the period), ``ratio`` (count / expected; None when
        the baseline is empty), ``z`` (binomial z-score), ``p_value``.
        ``.attrs["tests"]``: every (cell, period) tested, including those with no
        case (they cannot alarm); ``.attrs["alpha_default"]``: :data:`ALPHA`.
    """
    tz = tz or config.timezone()
    B = int(baseline or BASELINE[freq])
    keys = list(keys)
    df = cases[[time_field, *keys]]
    ok = df[time_field].notna().to_numpy() & df[keys].notna().all(axis=1).to_numpy()
    df = df[ok]
    cols = keys + ["period_start", "period_end", "count", "expected", "ratio", "z", "p_value"]
    empty = pd.DataFrame({c: [] for c in cols})
    empty.attrs.update(tests=0, alpha_default=ALPHA, baseline=B, freq=freq)
    if not len(df):
        return empty
    per, bounds = period_index(df[time_field], freq, tz)
    cell = df.groupby(keys, sort=True, observed=True).ngroup().to_numpy()
    cells = df[keys].drop_duplicates().sort_values(keys).reset_index(drop=True)
    p0, p1 = int(per.min()), int(per.max()) + 1
    if end is not None:
        # periods run up to the one holding the last instant before `end`, even if empty
        last = pd.Series([_aware(end, tz) - pd.Timedelta(1, "ns")])
        p1 = max(p1, int(period_index(last, freq, tz)[0][0]) + 1)
    nper = p1 - p0
    C = np.bincount(cell * nper + (per - p0), minlength=len(cells) * nper).reshape(len(cells), nper)
    lengths = np.array([bounds(p)[1] for p in range(p0, p1)], dtype=float)
    first = B
    if start is not None:
        sp = int(period_index(pd.Series([_aware(start, tz)]), freq, tz)[0][0])
        if bounds(sp)[0] < _aware(start, tz):
            sp += 1
        first = max(first, sp - p0)
    if first >= nper:
        return empty
    cs = np.concatenate([np.zeros((len(cells), 1), dtype=np.int64), np.cumsum(C, axis=1)], axis=1)
    lcs = np.concatenate([[0.0], np.cumsum(lengths)])
    t = np.arange(first, nper)
    x = C[:, t]
    y = cs[:, t] - cs[:, t - B]
    e_t = lengths[t]
    e_b = lcs[t] - lcs[t - B]
    q = e_t / (e_t + e_b)
    n = x + y
    tests = x.size
    hit = x > 0
    ci, ti = np.nonzero(hit)
    xs, ns, qs = x[hit], n[hit], q[ti]
    pv = binom.sf(xs - 1, ns, qs)
    expected = y[hit] * e_t[ti] / e_b[ti]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(expected > 0, xs / expected, np.nan)
        z = (xs - ns * qs) / np.sqrt(ns * qs * (1 - qs))
    starts = {p: bounds(p) for p in np.unique(t[ti] + p0)}
    out = cells.iloc[ci].reset_index(drop=True)
    out["period_start"] = [starts[p][0] for p in t[ti] + p0]
    out["period_end"] = [starts[p][0] + pd.Timedelta(days=starts[p][1]) for p in t[ti] + p0]
    out["count"] = xs
    out["expected"] = expected
    out["ratio"] = ratio
    out["z"] = z
    out["p_value"] = pv
    out.attrs.update(tests=int(tests), alpha_default=ALPHA, baseline=B, freq=freq)
    return out


def _aware(value, tz) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_localize(tz) if ts.tzinfo is None else ts.tz_convert(tz)
