"""Benchmark: reading points from PostGIS into a GeoDataFrame.

TownBrain's ``Store.read_points`` versus ``geopandas.read_postgis`` (what a user
would reach for), on the same table in one run. Prints a table and writes
``bench/results/read_points.json``.

usage: python -m bench.read_points --pg postgresql://... [--points 1000000]
"""
from __future__ import annotations

import argparse
import json
from datetime import datetime, timezone
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa

from bench.common import best_of, machine
from geodata.store import open_store

LAYER = "bench_points"


def make_points(n: int, seed: int = 7) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    return gpd.GeoDataFrame({
        "id": [f"P{i:08d}" for i in range(n)],
        "category": rng.choice(["市容环境", "街面秩序", "安全隐患", "消防"], n),
        "reported_at": pd.Timestamp("2018-01-01", tz="Asia/Shanghai")
        + pd.to_timedelta(rng.integers(0, 86400 * 365 * 8, n), unit="s"),
    }, geometry=shapely.points(120.5 + rng.random(n) * 0.2, 30.9 + rng.random(n) * 0.2), crs=4326)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pg", required=True, help="PostGIS URL")
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default="bench/results/read_points.json")
    args = ap.parse_args(argv)

    store = open_store(args.pg)
    if not store.has_layer(LAYER) or store.count(LAYER) != args.points:
        store.write(LAYER, make_points(args.points), mode="replace")
    engine = sa.create_engine("postgresql+psycopg://" + args.pg.split("://", 1)[1])

    cols = ["id", "category", "reported_at"]
    t_tb, gdf = best_of(lambda: store.read_points(LAYER, columns=cols), args.repeat)
    t_xy, _ = best_of(lambda: store.read_points(LAYER, columns=[]), args.repeat)
    t_gp, ref = best_of(lambda: gpd.read_postgis(
        f'SELECT id, category, reported_at, geom FROM "{LAYER}"', engine, geom_col="geom"), 1)
    assert len(gdf) == len(ref) == args.points
    same = bool(shapely.equals_exact(np.asarray(gdf.sort_values("id").geometry.values),
                                     np.asarray(ref.sort_values("id").geometry.values), tolerance=0).all())

    n = args.points
    result = {
        "benchmark": "read_points",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "points": n,
        "townbrain_pts_per_s": n / t_tb,
        "townbrain_xy_only_pts_per_s": n / t_xy,
        "read_postgis_pts_per_s": n / t_gp,
        "speedup": t_gp / t_tb,
        "same_geometries": bool(same),
    }
    rows = [("TownBrain Store.read_points (id, category, time, point)", t_tb),
            ("TownBrain Store.read_points (point only)", t_xy),
            ("geopandas.read_postgis (id, category, time, point)", t_gp)]
    print(f"\nReading {n:,} points from PostGIS into a GeoDataFrame")
    print(f"{'method':58} {'seconds':>8} {'points/s':>14}")
    for name, t in rows:
        print(f"{name:58} {t:8.3f} {n / t:14,.0f}")
    print(f"speed-up vs read_postgis: {result['speedup']:.1f}x; same geometries: {same}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
