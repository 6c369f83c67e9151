"""Benchmark: every case indicator for the whole town and per grid, TownBrain vs the
pandas a user would write (a ``groupby(...).apply`` per grid).

Data: the cases of the demo town ``data/town.gpkg`` when it exists (≈330 k cases),
else a synthetic frame of the same size and shape (``--cases N``). Loading is not
timed (target: "in under 1 second after loading"). Timings are best of ``--repeat``
runs (the machine is shared). Prints a table and writes ``bench/results/kpi.json``.

    .venv/bin/python -m bench.kpi [--db data/town.gpkg] [--cases 330000] [--repeat 5]
"""
from __future__ import annotations

import argparse
import json
import pathlib
import platform

import numpy as np
import pandas as pd

from bench.common import best_of
from indicators import compute_all, compute_kpis

BY = {"district": "district_id", "grid": "grid_id"}
RESULTS = pathlib.Path(__file__).parent / "results" / "kpi.json"
TZ = "Asia/Shanghai"
PERIOD = {"start": "2018-01-01", "end": "2019-01-01"}


def synthetic_cases(n: int, seed: int = 0) -> pd.DataFrame:
    """Cases shaped like the demo's: 2018 – 2025, 70 grids in 5 districts, 17 categories."""
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp("2018-01-01", tz=TZ).value
    span = pd.Timestamp("2026-01-01", tz=TZ).value - t0
    reg = t0 + rng.integers(0, span, n)
    limit = rng.choice([2, 4, 24, 48, 72, 120], n) * 3_600 * 10**9
    dur = (limit * rng.exponential(0.6, n)).astype(np.int64)
    closed = np.where(rng.random(n) < 0.985, reg + dur, np.iinfo(np.int64).min)
    unreg = rng.random(n) < 0.04
    reg = np.where(unreg, np.iinfo(np.int64).min, reg)

    def times(a):
        return pd.to_datetime(a, utc=True).tz_convert(TZ)
    grid = rng.integers(0, 70, n)
    return pd.DataFrame({
        "case_id": [f"C{i:07d}" for i in range(n)],
        "registered_at": times(reg), "deadline": times(np.where(unreg, np.iinfo(np.int64).min, reg + limit)),
        "closed_at": times(closed),
        "source": rng.choice(["inspector", "citizen", "hotline", "iot", "department"], n, p=[.88, .06, .03, .01, .02]),
        "enforcement": rng.random(n) < 0.007,
        "resolved_level": rng.choice(["grid", "village", "town", "district"], n, p=[.7, .2, .08, .02]),
        "rework_count": (rng.random(n) < 0.035).astype(int), "extended": rng.random(n) < 0.02,
        "grid_id": np.array([f"G{g + 1:02d}" for g in range(70)])[grid],
        "district_id": np.array([f"D{g // 14 + 1}" for g in range(70)])[grid],
    })


def load_cases(db: str | None, n: int, demo: bool = False) -> tuple[pd.DataFrame, str]:
    if demo:
        import datetime as dt

        from geodata.demo import build_town
        town = build_town(seed=42, today=dt.date(2026, 1, 1))
        df = pd.DataFrame(town["cases"]).drop(columns="geometry")
        return df, f"demo town built in memory, seed 42 ({len(df):,} cases)"
    path = pathlib.Path(db or "data/town.gpkg")
    if path.exists():
        from geodata.store import open_store
        from indicators.report import CASE_COLUMNS
        st = open_store(str(path))
        cols = [c for c in CASE_COLUMNS if c in st.columns("cases")]
        df = pd.DataFrame(st.read("cases", columns=cols)).drop(columns="geometry", errors="ignore")
        return df, f"{path} ({len(df):,} cases)"
    return synthetic_cases(n), f"synthetic ({n:,} cases; {path} not found)"


def naive_kpis(cases: pd.DataFrame, start, end, as_of, by="grid_id") -> pd.DataFrame:
    """The straightforward pandas a user would write: a function per grid, applied."""
    start, end, as_of = (pd.Timestamp(x, tz=TZ) for x in (start, end, as_of))

    def one(g: pd.DataFrame) -> pd.Series:
        acc = g[(g.registered_at >= start) & (g.registered_at < end)]
        disposed = acc[acc.closed_at < as_of]
        due = acc[acc.deadline < as_of]
        closed = due[due.closed_at < as_of]
        on_time = due[due.closed_at <= due.deadline]
        open_ = acc[~(acc.closed_at < as_of)]

        def rate(a, b):
            return a / b if b else None
        return pd.Series({
            "accepted": len(acc), "disposed": len(disposed), "disposal_rate": rate(len(disposed), len(acc)),
            "inspector_reported": int((acc.source == "inspector").sum()),
            "inspector_share": rate(int((acc.source == "inspector").sum()), len(acc)),
            "enforcement": int(acc.enforcement.fillna(False).sum()), "due": len(due), "closed": len(closed),
            "closure_rate": rate(len(closed), len(due)), "closed_on_time": len(on_time),
            "ontime_closure_rate": rate(len(on_time), len(due)),
            "open_overdue": int((open_.deadline < as_of).sum()),
            "rework_rate": rate(int((disposed.rework_count.fillna(0) > 0).sum()), len(disposed)),
            "extension_rate": rate(int(acc.extended.fillna(False).sum()), len(acc)),
            **{f"resolved_level_{lv}": int((disposed.resolved_level == lv).sum())
               for lv in ("grid", "village", "town", "district")},
        })
    return cases.groupby(by).apply(one)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=None)
    ap.add_argument("--cases", type=int, default=330_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--demo", action="store_true", help="build the demo town in memory (not timed)")
    args = ap.parse_args(argv)
    cases, source = load_cases(args.db, args.cases, args.demo)
    as_of = PERIOD["end"]
    kw = {**PERIOD, "as_of": as_of}

    rows = {
        "town, all indicators (compute_kpis)": lambda: compute_kpis(cases, **kw),
    }
    by = [b for b in ("district", "grid") if BY[b] in cases.columns]
    for b in by:
        rows[f"per {b}, all indicators (compute_all)"] = lambda b=b: compute_all(cases, **kw, by=b)
    if by:
        rows["town + " + " + ".join(by)] = lambda: [compute_all(cases, **kw, by=b) for b in (None, *by)]
    timings = {name: best_of(fn, args.repeat)[0] for name, fn in rows.items()}
    key = "grid" if "grid" in by else None
    if key is None:  # cases not assigned to grids yet: compare per category instead
        key = "category"
    col = BY.get(key, key)
    naive = best_of(lambda: naive_kpis(cases, **kw, by=col), max(1, min(args.repeat, 3)))[0]
    grid_t = best_of(lambda: compute_all(cases, **kw, by=key), args.repeat)[0]
    timings[f"per {key}, all indicators (compute_all)"] = grid_t

    # Same numbers both ways (the benchmark compares like with like).
    ours = compute_all(cases, **kw, by=key)
    theirs = naive_kpis(cases, **kw, by=col)
    common = [c for c in theirs.columns if c in ours.columns]
    a = ours.loc[theirs.index, common].astype("float64").fillna(-1).to_numpy()
    b = theirs[common].astype("float64").fillna(-1).to_numpy()
    agree = bool(np.allclose(a, b))

    result = {
        "source": source, "cases": len(cases), "period": PERIOD, "repeat": args.repeat,
        "timings_s": {k: round(v, 4) for k, v in timings.items()},
        "naive_group": key,
        "naive_groupby_apply_s": round(naive, 4),
        "speedup_vs_naive": round(naive / grid_t, 1),
        "under_1s": max(timings.values()) < 1.0,
        "agree_with_naive": agree,
        "machine": {"python": platform.python_version(), "pandas": pd.__version__, "numpy": np.__version__},
    }
    print(f"KPI benchmark — {source}, best of {args.repeat}")
    print(f"{'what':<44}{'seconds':>10}")
    for k, v in timings.items():
        print(f"{k:<44}{v:>10.3f}")
    print(f"{'naive pandas groupby.apply per ' + key:<44}{naive:>10.3f}")
    print(f"speed-up per {key} vs naive: {result['speedup_vs_naive']}×; "
          f"same numbers: {agree}; all under 1 s: {result['under_1s']}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
