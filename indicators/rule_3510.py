"""The 3-5-10 rule for grid inspectors (三五十).

brief.md: "every day at least 3 patrols, at least 5 hours patrolling, at least 10
problems found or handled". contract.md: "an inspector-day complies when that
inspector has ≥ 3 patrols starting that day, ≥ 5 hours of patrol in total, and
≥ 10 cases reported_by them that day; rule_3510_compliance = complying
inspector-days / inspector-days with any patrol".

Reading used here, stated because the contract leaves it open:

* the day is the local calendar day (configured zone, Asia/Shanghai) of a patrol's
  ``started_at``; the inspector-days are those with a patrol starting in the period;
* the 5 hours are the summed durations (``ended_at − started_at``) of that day's
  patrols — the same patrols that are counted — so a patrol past midnight counts
  wholly for the day it started; a patrol without an end counts 0 h;
* the 10 cases are cases of any status (also those fixed on the spot and never
  registered) whose ``reported_by`` is the inspector and whose ``reported_at``
  falls on that local day.

>>> import pandas as pd
>>> t = lambda s: pd.Timestamp(f"2024-05-06 {s}", tz="Asia/Shanghai")
>>> patrols = pd.DataFrame({"staff_id": ["I1"] * 3 + ["I2"],
...     "started_at": [t("08:00"), t("11:00"), t("14:00"), t("08:00")],
...     "ended_at": [t("10:00"), t("13:00"), t("15:30"), t("16:00")]})
>>> reports = pd.DataFrame({"reported_by": ["I1"] * 10 + ["I2"] * 12,
...                         "reported_at": [t("09:00")] * 22})
>>> inspector_days(patrols, reports)[["staff_id", "patrols", "hours", "cases", "complies"]]
  staff_id  patrols  hours  cases  complies
0       I1        3    5.5     10      True
1       I2        1    8.0     12     False
>>> cases = reports.assign(registered_at=pd.NaT)
>>> rule_3510_compliance(cases, patrols=patrols, start="2024-05-01", end="2024-06-01")
0.5
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from indicators.registry import indicator, ratio
from indicators.view import HOUR_NS, NS_MAX, NS_MIN, local_day, timestamp_ns, to_ns

#: The three thresholds of the rule (brief.md).
MIN_PATROLS, MIN_HOURS, MIN_CASES = 3, 5.0, 10
_KEY = 1 << 24  # days since 1970 stay far below 2**24 (year 47,000)


def _days(patrols: pd.DataFrame, reports: pd.DataFrame | None, start_ns: int, end_ns: int, tz: str | None):
    """Arrays of the inspector-days of patrols starting in [start_ns, end_ns)."""
    t0 = to_ns(patrols["started_at"], tz)
    t1 = to_ns(patrols["ended_at"], tz) if "ended_at" in patrols else np.full(len(patrols), NS_MAX)
    keep = (t0 >= start_ns) & (t0 < end_ns) & patrols["staff_id"].notna().to_numpy()
    rows = np.flatnonzero(keep)
    staff_codes, staff = pd.factorize(patrols["staff_id"].to_numpy()[rows])
    day = local_day(patrols["started_at"].iloc[rows], tz)
    hours = np.where(t1[rows] == NS_MAX, 0.0, np.maximum(t1[rows] - t0[rows], 0) / HOUR_NS)
    key = staff_codes.astype(np.int64) * _KEY + day
    uk, inv = np.unique(key, return_inverse=True)
    n_patrols = np.bincount(inv, minlength=len(uk))
    n_hours = np.bincount(inv, weights=hours, minlength=len(uk))
    first = np.full(len(uk), len(rows), dtype=np.int64)
    np.minimum.at(first, inv, np.arange(len(rows)))
    n_cases = np.zeros(len(uk), dtype=np.int64)
    if reports is not None and len(reports) and len(uk):
        rcodes, runiq = pd.factorize(reports["reported_by"].to_numpy())
        lookup = np.append(pd.Index(staff).get_indexer(pd.Index(runiq)), -1)
        rs = lookup[rcodes]
        ok = rs >= 0
        rkey = rs[ok].astype(np.int64) * _KEY + local_day(reports["reported_at"].iloc[np.flatnonzero(ok)], tz)
        pos = np.searchsorted(uk, rkey)
        pos[pos >= len(uk)] = 0
        hit = uk[pos] == rkey
        n_cases = np.bincount(pos[hit], minlength=len(uk))
    complies = (n_patrols >= MIN_PATROLS) & (n_hours >= MIN_HOURS) & (n_cases >= MIN_CASES)
    return {"staff": np.asarray(staff, dtype=object)[uk // _KEY], "day": uk % _KEY, "patrols": n_patrols,
            "hours": n_hours, "cases": n_cases, "complies": complies, "first_row": rows[first]}


def inspector_days(patrols: pd.DataFrame, reports: pd.DataFrame | None = None, *, start=None, end=None,
                   tz: str | None = None) -> pd.DataFrame:
    """One row per inspector-day with a patrol starting in ``[start, end)``.

    Parameters
    ----------
    patrols : DataFrame with ``staff_id``, ``started_at``, ``ended_at`` (and any
        grouping column such as ``grid_id``, taken from the day's first patrol).
    reports : DataFrame with ``reported_by``, ``reported_at`` (the cases).

    Returns
    -------
    DataFrame with ``staff_id``, ``day`` (local date), ``patrols``, ``hours``,
    ``cases``, ``complies`` and the grouping columns ``grid_id`` / ``district_id`` /
    ``pro_grid_id`` / ``h3`` that the patrols carry.
    """
    s = timestamp_ns(start, tz) if start is not None else NS_MIN
    e = timestamp_ns(end, tz) if end is not None else NS_MAX
    d = _days(patrols, reports, s, e, tz)
    out = pd.DataFrame({"staff_id": d["staff"],
                        "day": pd.to_datetime(d["day"], unit="D").date,
                        "patrols": d["patrols"], "hours": np.round(d["hours"], 6), "cases": d["cases"],
                        "complies": d["complies"]})
    for col in ("grid_id", "district_id", "pro_grid_id", "h3"):
        if col in patrols.columns:
            out[col] = patrols[col].to_numpy()[d["first_row"]]
    return out.sort_values(["staff_id", "day"], kind="stable").reset_index(drop=True)


def compliance_by(days: pd.DataFrame, key: str | list[str]) -> pd.DataFrame:
    """3-5-10 compliance of :func:`inspector_days` per ``key`` (``staff_id``, ``grid_id``,
    ``day`` …): inspector-days, complying ones and their share."""
    g = days.groupby(key, dropna=False)["complies"]
    out = pd.DataFrame({"inspector_days": g.size(), "complying": g.sum().astype(int)})
    out["compliance"] = out["complying"] / out["inspector_days"]
    return out


@indicator("rule_3510_compliance", formula="complying inspector-days / inspector-days with a patrol; "
           "complies ⇔ patrols ≥ 3 ∧ patrol hours ≥ 5 ∧ cases reported ≥ 10 (same local day)",
           unit="ratio", zh="三五十达标率", en="3-5-10 compliance", rate=True, higher_is_better=True,
           needs=("cases", "patrols"),
           source="brief.md: the 3-5-10 rule; contract.md KPI 3-5-10 rule_3510_compliance",
           target=1.0, target_source="brief.md: the 3-5-10 rule holds for every inspector 'every day'")
def rule_3510_compliance(v):
    """Share of inspector-days with a patrol that meet 3-5-10; ``None`` without patrols.

    Grouped by the grouping column the patrols carry (the first patrol of the day).
    """
    if v.patrols is None or len(v.patrols) == 0:
        return np.full(v.n_groups, np.nan)
    d = _days(v.patrols, v.reports, v.start_ns, v.end_ns, v.tz)
    col = v.by_column
    if col is None:
        codes = np.zeros(len(d["day"]), dtype=np.intp)
    elif col in v.patrols.columns:
        codes = v.group_codes_of(v.patrols[col].iloc[d["first_row"]])
    else:
        return np.full(v.n_groups, np.nan)
    return ratio(v.count_codes(codes[d["complies"]]), v.count_codes(codes))
