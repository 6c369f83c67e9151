"""Early-warning records (预警) the screen shows and pushes to the grid.

Two kinds, each from a documented standard method:

* ``surge`` — :mod:`indicators.surge`: the exact conditional Poisson test of a
  (grid, category) cell's count against its own preceding baseline; one-sided
  ``p < alpha`` (default 0.001, so at most 0.001 × tests false alarms expected);
* ``hotspot`` — :mod:`indicators.hotspots`: Getis-Ord Gi* on H3 cells with
  permutation inference and Benjamini–Hochberg FDR.

Every record has: ``kind``, ``category`` (None = all), ``where_type`` (``grid`` /
``h3``), ``where``, ``period_start``, ``period_end``, ``strength`` and
``strength_kind`` (``ratio`` to the baseline for surges, Gi* ``z`` for hot spots),
``p_value``, ``count``, ``expected``, ``message_zh``, ``message_en``.

Examples
--------
>>> import numpy as np, pandas as pd
>>> days = pd.date_range("2024-01-01", periods=60, freq="D", tz="Asia/Shanghai")
>>> n = np.full(60, 2); n[-1] = 15
>>> cases = pd.DataFrame({"reported_at": np.repeat(days, n) + pd.Timedelta(hours=9),
...                       "grid_id": "G07", "category": "litter"})
>>> w = surge_warnings(cases)
>>> w[["kind", "where", "count", "strength"]].to_dict("records")
[{'kind': 'surge', 'where': 'G07', 'count': 15, 'strength': 7.5}]
>>> print(w.message_en[0])
Surge of litter cases in grid G07: 15 on 2024-02-29, 7.5× the baseline of 2.0 (p=2e-08)
"""
from __future__ import annotations

import pandas as pd

from indicators.hotspots import ALPHA as HOT_ALPHA, PERMUTATIONS, cases_to_h3_counts, hotspots
from indicators.surge import ALPHA, surge_tests

__all__ = ["surge_warnings", "hotspot_warnings", "WARNING_COLUMNS", "MIN_COUNT"]

WARNING_COLUMNS = ("kind", "category", "where_type", "where", "period_start", "period_end", "strength",
                   "strength_kind", "p_value", "count", "expected", "message_zh", "message_en")
#: A surge needs at least this many cases in the period (a jump from 0 to 2 is not news).
MIN_COUNT = 5
_PERIOD_ZH = {"D": "日", "W": "周", "M": "月"}


def _records(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(WARNING_COLUMNS))


def _when(start: pd.Timestamp, freq: str, lang: str) -> str:
    if freq == "M":
        return start.strftime("%Y-%m")
    if freq == "W":
        return ("%s 起一周" if lang == "zh" else "the week of %s") % start.strftime("%Y-%m-%d")
    return start.strftime("%Y-%m-%d")


def surge_warnings(cases: pd.DataFrame, *, freq: str = "D", baseline: int | None = None, alpha: float = ALPHA,
                   min_count: int = MIN_COUNT, start=None, end=None, key: str = "grid_id",
                   category: str = "category", names: dict | None = None) -> pd.DataFrame:
    """Surge warnings per (``key``, ``category``) cell and period (see :mod:`indicators.surge`).

    ``start``/``end`` choose the periods tested (default all with a full baseline;
    the dashboard passes the latest period). ``names``: {category code: display
    name} for the messages. ``.attrs["tests"]`` and ``.attrs["expected_false_alarms"]``
    (= alpha × tests) state the false-alarm budget.
    """
    t = surge_tests(cases, freq=freq, baseline=baseline, keys=(key, category), start=start, end=end)
    hit = t[(t["p_value"] < alpha) & (t["count"] >= min_count)]
    names = names or {}
    rows = []
    for r in hit.itertuples(index=False):
        g, c = getattr(r, key), getattr(r, category)
        cname = names.get(c, c)
        ratio = None if pd.isna(r.ratio) else float(r.ratio)
        exp = float(r.expected)
        strength = round(ratio, 2) if ratio is not None else None
        if ratio is None:
            zh_tail, en_tail = "此前基线期内无此类案件", "none in the baseline before"
        else:
            zh_tail = f"为基线 {exp:.1f} 件的 {ratio:.1f} 倍"
            en_tail = f"{ratio:.1f}× the baseline of {exp:.1f}"
        rows.append({
            "kind": "surge", "category": c, "where_type": "grid" if key == "grid_id" else key, "where": g,
            "period_start": r.period_start, "period_end": r.period_end, "strength": strength,
            "strength_kind": "ratio", "p_value": float(r.p_value), "count": int(r.count), "expected": exp,
            "message_zh": f"{g} 网格「{cname}」类案件突增：{_when(r.period_start, freq, 'zh')} 共 {int(r.count)} 件，"
                          f"{zh_tail}（p={r.p_value:.1g}）",
            "message_en": f"Surge of {cname} cases in grid {g}: {int(r.count)} on {_when(r.period_start, freq, 'en')}, "
                          f"{en_tail} (p={r.p_value:.1g})",
        })
    out = _records(rows)
    out.attrs.update(tests=t.attrs.get("tests", 0), alpha=alpha,
                     expected_false_alarms=alpha * t.attrs.get("tests", 0), method="conditional Poisson test")
    return out


def hotspot_warnings(cases: pd.DataFrame, *, start=None, end=None, category: str | None = None,
                     time_field: str = "reported_at", lattice=None, alpha: float = HOT_ALPHA,
                     permutations: int = PERMUTATIONS, seed: int | None = 0,
                     names: dict | None = None) -> pd.DataFrame:
    """Hot-spot warnings: H3 cells where cases of ``[start, end)`` (optionally of one
    ``category``) concentrate, by Gi* (see :mod:`indicators.hotspots`)."""
    df = cases
    if start is not None or end is not None:
        from indicators.view import timestamp_ns, to_ns
        t = to_ns(df[time_field])
        m = t < (timestamp_ns(end) if end is not None else 2**63 - 1)
        if start is not None:
            m &= t >= timestamp_ns(start)
        df = df[m]
    if category is not None:
        df = df[(df["category"] == category).fillna(False).to_numpy(dtype=bool)]
    hs = hotspots(cases_to_h3_counts(df), lattice=lattice, alpha=alpha, permutations=permutations, seed=seed)
    # Gi* weighs a cell with its neighbours, so an empty cell beside a cluster can
    # test significant; a warning names a place where cases are.
    hot = hs[hs["hot"] & (hs["count"] > 0)]
    cname = (names or {}).get(category, category)
    what_zh = f"「{cname}」类案件" if category else "案件"
    what_en = f"{cname} cases" if category else "cases"
    ps = pd.Timestamp(start) if start is not None else None
    pe = pd.Timestamp(end) if end is not None else None
    rows = [{
        "kind": "hotspot", "category": category, "where_type": "h3", "where": cell, "period_start": ps,
        "period_end": pe, "strength": round(float(r.z), 2), "strength_kind": "z", "p_value": float(r.p_sim),
        "count": int(r.count), "expected": None,
        "message_zh": f"H3 单元 {cell} 为{what_zh}热点：{int(r.count)} 件，Gi* z={r.z:.1f}（p={r.p_sim:.3f}）",
        "message_en": f"Hot spot of {what_en} at H3 cell {cell}: {int(r.count)}, Gi* z={r.z:.1f} (p={r.p_sim:.3f})",
    } for cell, r in zip(hot.index, hot.itertuples(index=False))]
    out = _records(rows)
    out.attrs.update(tests=hs.attrs.get("tests", 0), threshold=hs.attrs.get("threshold"),
                     method="Getis-Ord Gi* (esda), permutation p, Benjamini-Hochberg FDR")
    return out
