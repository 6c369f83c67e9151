"""Benchmark: ``townbrain load`` of a large 311-style CSV into a GeoPackage, beside the
plain way a user would pick instead (``pandas.read_csv`` + ``GeoDataFrame.to_file``).

The file is synthetic but shaped like a real city's export (SF/Boston columns: US
dates, a Source column whose spellings no value map knows, 0.1 % of rows with a bad
date or no coordinates), deterministic for ``--seed`` and written once under
``bench/results/cache/``. TownBrain reads, validates every value against the data
dictionary, keeps the unknown spellings, quarantines the bad rows and writes
indexed tables; the plain way only parses and writes. Both write a fresh
GeoPackage. Target (issue 14): ≥ 100,000 rows/s for 1 M rows.

    .venv/bin/python -m bench.load [--rows 1000000] [--repeat 2] [--out bench/results/load.json]
"""
from __future__ import annotations

import argparse
import json
import pathlib
import tempfile
import time

import numpy as np
import pandas as pd

from bench.common import machine

RESULTS = pathlib.Path(__file__).parent / "results"
MAPPING = {"case_id": "CaseID", "reported_at": "Opened", "closed_at": "Closed", "category": "Category",
           "subcategory": "Request Type", "source": "Source", "status": "Status"}
SOURCES = ["Constituent Call", "Citizens Connect App", "Self Service", "Employee Generated", "Voice In"]


def synthetic_export(rows: int, seed: int = 0) -> pd.DataFrame:
    """A 311 export over the demo town's extent, 2018–2025, with 0.1 % bad rows."""
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp("2018-01-01").value
    opened = pd.to_datetime(t0 + rng.integers(0, pd.Timestamp("2026-01-01").value - t0, rows))
    closed = opened + pd.to_timedelta(rng.exponential(30, rows), unit="h")
    is_closed = rng.random(rows) < 0.97
    lat = np.round(30.94 + rng.random(rows) * 0.12, 6).astype(str)
    lon = np.round(120.52 + rng.random(rows) * 0.16, 6).astype(str)
    df = pd.DataFrame({
        "CaseID": (np.arange(rows) + 1_000_000).astype(str),
        "Opened": opened.strftime("%m/%d/%Y %I:%M:%S %p"),
        "Closed": np.where(is_closed, closed.strftime("%m/%d/%Y %I:%M:%S %p"), ""),
        "Status": np.where(is_closed, "Closed", "Open"),
        "Category": rng.choice(["Street and Sidewalk Cleaning", "Graffiti", "Abandoned Vehicle", "Sewer Issues",
                                "Streetlights", "Noise Report", "Tree Maintenance"], rows),
        "Request Type": rng.choice(["Bulky Items", "Litter", "Other"], rows),
        "Source": rng.choice(SOURCES, rows),
        "Address": rng.choice(["1 Main St", "22 Canal Rd", "5 Silk Ave", "108 Bridge St"], rows),
        "Latitude": lat, "Longitude": lon,
    })
    bad = rng.choice(rows, rows // 1000, replace=False)
    df.loc[bad[: len(bad) // 2], "Opened"] = "not a date"
    df.loc[bad[len(bad) // 2:], ["Latitude", "Longitude"]] = ""
    return df


def export_file(rows: int, seed: int) -> pathlib.Path:
    path = RESULTS / "cache" / f"export_{rows}_{seed}.csv"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        synthetic_export(rows, seed).to_csv(path, index=False)
    return path


def time_townbrain(path: pathlib.Path, work: pathlib.Path) -> tuple[float, dict]:
    from geodata.loaders import load_file
    from geodata.store import open_store
    db = work / "townbrain.gpkg"
    db.unlink(missing_ok=True)
    store = open_store(str(db))
    store.create_schema()
    t = time.perf_counter()
    r = load_file(store, path, "cases", mapping=MAPPING, source_tz="America/New_York")
    dt = time.perf_counter() - t
    store.close()
    return dt, {"loaded": r.loaded, "quarantined": r.quarantined, "rows": r.rows,
                "unknown_spellings": int(len(r.unknown_values))}


def time_plain(path: pathlib.Path, work: pathlib.Path) -> tuple[float, dict]:
    import geopandas as gpd
    db = work / "plain.gpkg"
    db.unlink(missing_ok=True)
    t = time.perf_counter()
    df = pd.read_csv(path)
    gdf = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["Longitude"], df["Latitude"]), crs=4326)
    gdf.to_file(db, layer="cases")
    dt = time.perf_counter() - t
    return dt, {"rows": len(df)}


def run(rows: int, seed: int, repeat: int) -> dict:
    path = export_file(rows, seed)
    with tempfile.TemporaryDirectory(prefix="tb-bench-load-") as d:
        work = pathlib.Path(d)
        tb = [time_townbrain(path, work) for _ in range(repeat)]
        plain = [time_plain(path, work) for _ in range(repeat)]
    tb_s, tb_info = min(tb, key=lambda x: x[0])
    plain_s, _ = min(plain, key=lambda x: x[0])
    assert tb_info["loaded"] + tb_info["quarantined"] == rows, tb_info
    return {"rows": rows, "file_mb": round(path.stat().st_size / 2**20, 1),
            "townbrain_s": round(tb_s, 2), "townbrain_rows_per_s": round(rows / tb_s),
            "plain_s": round(plain_s, 2), "plain_rows_per_s": round(rows / plain_s),
            **{f"townbrain_{k}": v for k, v in tb_info.items() if k != "rows"},
            "target_rows_per_s": 100_000, "meets_target": rows / tb_s >= 100_000,
            "repeat": repeat, "machine": machine(), "date": time.strftime("%Y-%m-%d")}


def format_table(r: dict) -> str:
    return "\n".join([
        f"Loading {r['rows']:,} cases from a {r['file_mb']} MB CSV into a GeoPackage (best of {r['repeat']})",
        f"{'':44}{'seconds':>10}{'rows/s':>12}",
        f"{'townbrain load (validated, indexed)':44}{r['townbrain_s']:>10.2f}{r['townbrain_rows_per_s']:>12,}",
        f"{'pandas.read_csv + GeoDataFrame.to_file':44}{r['plain_s']:>10.2f}{r['plain_rows_per_s']:>12,}",
        f"loaded {r['townbrain_loaded']:,}, quarantined {r['townbrain_quarantined']:,}, "
        f"unknown spellings reported {r['townbrain_unknown_spellings']}; target ≥ 100,000 rows/s: "
        f"{'met' if r['meets_target'] else 'NOT met'}",
    ])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--out", type=pathlib.Path, default=RESULTS / "load.json")
    a = ap.parse_args()
    result = run(a.rows, a.seed, a.repeat)
    print(format_table(result))
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
