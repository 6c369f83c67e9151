"""The duty console's in-process case cache on the demo town: memory and speed.

The console (``/console``) keeps the columns it shows of every case in the server
(:class:`geodata.case_queries.CaseCache`) and refreshes them every minute. This
measures, on the demo town's ~400k cases:

* **memory** — bytes the cache holds, counted object by object (NumPy buffers,
  Arrow buffers, Python strings once each), and the growth of the process's
  resident set when it is built;
* **load** — building the frame from the rows read from the store (the read itself
  is the store's, shown apart);
* **answers** — the console's requests: the first page by the default order, a
  page deep in another order, a search by category name, a search by case id, a
  grid plus "overdue" filter, and the per-grid counts of the map; each by the
  cache and by plain pandas on a DataFrame of the same rows (what an analyst would
  otherwise write), median of ``--repeat`` runs.

Prints a table and writes ``bench/results/console_cache.json``.

    python -m bench.console_cache [--db data/town.gpkg] [--repeat 7]
"""
from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench.common import machine
from geodata import case_queries as cq
from geodata.store import open_store

ROOT = Path(__file__).resolve().parents[1]


def _rss() -> int:
    """Resident set size, after handing freed heap back to the system (glibc keeps
    it otherwise, and the growth would count the rows read and dropped)."""
    import ctypes
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:  # not glibc: the figure then includes freed heap
        pass
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def deep_bytes(obj, seen: set | None = None) -> int:
    """Bytes held by ``obj`` and what it references (each object counted once)."""
    import pyarrow as pa
    seen = set() if seen is None else seen
    if id(obj) in seen or obj is None:
        return 0
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        n = obj.nbytes if obj.base is None or id(obj.base) not in seen else 0
        if obj.dtype == object:
            n += sum(deep_bytes(x, seen) for x in obj.ravel())
        return n
    if isinstance(obj, (pa.Array, pa.ChunkedArray)):
        return obj.nbytes
    if isinstance(obj, (pd.DataFrame, pd.Series, pd.Index)):
        usage = obj.memory_usage(deep=True)
        return int(usage.sum() if hasattr(usage, "sum") else usage)
    if isinstance(obj, pd.api.extensions.ExtensionArray):
        return int(obj.nbytes)
    if isinstance(obj, dict):
        return sys.getsizeof(obj) + sum(deep_bytes(k, seen) + deep_bytes(v, seen) for k, v in obj.items())
    if isinstance(obj, (list, tuple, set, frozenset)):
        return sys.getsizeof(obj) + sum(deep_bytes(x, seen) for x in obj)
    if hasattr(obj, "__dict__") and not isinstance(obj, type):
        return sys.getsizeof(obj) + deep_bytes(vars(obj), seen)
    return sys.getsizeof(obj)


def _median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)


def _pandas_answers(df: pd.DataFrame, names: dict, now: pd.Timestamp) -> dict:
    """The same questions in plain pandas, for comparison."""
    def search(text):
        codes = cq.search_codes(names, text)
        hit = df["case_id"].str.contains(text, case=False, regex=False)
        for col in ("category", "subcategory"):
            hit |= df[col].isin(codes) | df[col].fillna("").str.lower().str.contains(text.lower(), regex=False)
        return df[hit.fillna(False)].sort_values(["reported_at", "case_id"], ascending=False).head(20)

    grid = df["grid_id"].dropna().iloc[0]
    return {
        "first_page": lambda: df.sort_values(["reported_at", "case_id"], ascending=False).head(20),
        "deep_page_by_category": lambda: df.sort_values(["category", "case_id"]).iloc[20 * 999: 20 * 1000],
        "search_name": lambda: search("积水"),
        "search_id": lambda: search("20190315-0001"),
        "grid_overdue": lambda: df[(df["grid_id"] == grid) & (df["registered_at"] < now) & ~(df["closed_at"] < now)
                                   & (df["deadline"] < now)].sort_values("reported_at", ascending=False).head(20),
        "counts_by_grid": lambda: df["grid_id"].value_counts(),
    }


def _cache_answers(frame: cq.CaseFrame, df: pd.DataFrame, now: pd.Timestamp) -> dict:
    grid = df["grid_id"].dropna().iloc[0]
    return {
        "first_page": lambda: frame.page(cq.CaseFilter(), now=now),
        "deep_page_by_category": lambda: frame.page(cq.CaseFilter(), sort="category", descending=False, page=1000,
                                                    now=now),
        "search_name": lambda: frame.page(cq.CaseFilter(search="积水"), now=now),
        "search_id": lambda: frame.page(cq.CaseFilter(search="20190315-0001"), now=now),
        "grid_overdue": lambda: frame.page(cq.CaseFilter(grids=(grid,), overdue=True), now=now),
        "counts_by_grid": lambda: frame.counts_by(cq.CaseFilter(), "grid_id", now=now),
    }


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=str(ROOT / "data" / "town.gpkg"))
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "console_cache.json"))
    ap.add_argument("--label", default="", help="a note stored with the results (e.g. 'before')")
    args = ap.parse_args(argv)

    store = open_store(args.db)
    cache = cq.CaseCache(store)
    gc.collect()
    rss0 = _rss()
    t0 = time.perf_counter()
    frame = cache.get()
    load_s = time.perf_counter() - t0
    gc.collect()
    rss_growth = _rss() - rss0
    held = deep_bytes(frame)
    now = pd.Timestamp.now(tz="Asia/Shanghai")

    present = set(store.columns("cases"))
    df = store.read("cases", columns=[c for c in cq.CONSOLE_COLUMNS if c in present], geometry=False)
    df_bytes = deep_bytes(df)
    ours = _cache_answers(frame, df, now)
    theirs = _pandas_answers(df, frame.names, now)
    rows = []
    for name in ours:
        ours[name]()  # warm: ranks and search caches, as a console that has been used
        rows.append({"request": name, "cache_ms": round(_median_ms(ours[name], args.repeat), 2),
                     "pandas_ms": round(_median_ms(theirs[name], max(3, args.repeat // 2)), 2)})
    result = {
        "label": args.label, "machine": machine(), "cases": frame.n,
        "cache_mb": round(held / 1e6, 1), "rss_growth_mb": round(rss_growth / 1e6, 1),
        "plain_dataframe_mb": round(df_bytes / 1e6, 1), "load_s": round(load_s, 2),
        "requests": rows, "repeat": args.repeat,
    }
    print(f"{frame.n:,} cases — cache holds {result['cache_mb']} MB (RSS grew {result['rss_growth_mb']} MB; "
          f"the same columns as a plain DataFrame: {result['plain_dataframe_mb']} MB); "
          f"first load {load_s:.2f} s (store read included)")
    print(f"{'request':<24}{'cache ms':>10}{'pandas ms':>11}")
    for r in rows:
        print(f"{r['request']:<24}{r['cache_ms']:>10.2f}{r['pandas_ms']:>11.2f}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    store.close()
    return result


if __name__ == "__main__":
    main()
