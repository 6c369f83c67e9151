"""Benchmark: exact assignment of N random points to the town's grids.

TownBrain's raster index (:mod:`grids.raster_index`) versus ``geopandas.sjoin``
and, with ``--pg``, PostGIS ``ST_Covers`` with a GiST index -- same points, same
grids, one run. Every method answers with the shapely ``covers`` semantics and
the tie rule of :mod:`grids.systems` (lowest grid id among those covering a
point), so ``agree`` compares grid per point, outside included.

What is timed
-------------
- TownBrain: ``GridSystem.rows_of_xy(lon, lat)`` over the whole float64 arrays, on
  one core, with the index built beforehand (its build time is reported apart,
  ``townbrain_index_s``; it is built once per grid system and reused).
- sjoin: ``geopandas.sjoin(points, grids, predicate="intersects")`` -- for a point,
  "intersects a polygon" is "covered by it" -- plus the tie rule (minimum grid
  row per point); points are built beforehand and joined in chunks of 1 M, so
  10 M points fit in memory.
- PostGIS: only the join, ``CREATE TEMP TABLE ... AS SELECT id, (SELECT min(idx)
  FROM grids WHERE ST_Covers(geom, p.geom))``; loading the points with COPY and
  building the index are not timed.

Grids: the demo town's (``data/town.gpkg``, else ``geodata.demo.build_town``),
else a synthetic partition of 70 irregular Voronoi grids (:mod:`grids.synthetic`).

usage: python -m bench.assign [--points 1000000] [--pg postgresql://...] [--repeat 5]
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import resource
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from bench.common import best_of, machine
from grids.synthetic import voronoi_grids
from grids.systems import GridSystem

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "assign.json"
DEMO_GPKG = Path(__file__).resolve().parent.parent / "data" / "town.gpkg"
CHUNK = 1_000_000


def load_grids(source: str = "auto") -> tuple[gpd.GeoDataFrame, str]:
    """The benchmark's grids and where they came from (``demo gpkg``, ``demo``, ``synthetic``)."""
    if source in ("auto", "demo") and DEMO_GPKG.exists():
        try:
            g = gpd.read_file(DEMO_GPKG, layer="grids")
            if len(g):
                return g[["grid_id", "geometry"]].to_crs(4326), f"demo town ({DEMO_GPKG.name})"
        except Exception:  # noqa: BLE001 - an unreadable demo file falls back to generating
            pass
    if source in ("auto", "demo"):
        try:
            from geodata.demo import build_town
            town = build_town(seed=42, today=dt.date(2026, 11, 1))
            return town["grids"][["grid_id", "geometry"]], "demo town (build_town seed 42)"
        except Exception as exc:  # noqa: BLE001 - generator absent or broken: say so, go on
            if source == "demo":
                raise
            print(f"demo town unavailable ({exc}); using synthetic grids", file=sys.stderr)
    return voronoi_grids(70, seed=1)[["grid_id", "geometry"]], "synthetic (70 Voronoi grids)"


def random_points(n: int, bbox, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Uniform points over the grids' bounding box."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = bbox
    return x0 + rng.random(n) * (x1 - x0), y0 + rng.random(n) * (y1 - y0)


def time_sjoin(grids: gpd.GeoDataFrame, x, y, repeat: int) -> tuple[float, np.ndarray]:
    """sjoin in chunks; the grids' frame is in the GridSystem's row (tie-rule) order."""
    n = len(x)
    rows = np.empty(n, dtype=np.int32)
    total = 0.0
    for s in range(0, n, CHUNK):
        pts = gpd.GeoDataFrame(geometry=shapely.points(x[s:s + CHUNK], y[s:s + CHUNK]), crs=grids.crs)

        def join(pts=pts):  # bind this chunk now, not the loop variable
            j = gpd.sjoin(pts, grids, how="inner", predicate="intersects")
            r = np.full(len(pts), np.iinfo(np.int32).max, dtype=np.int64)
            np.minimum.at(r, j.index.to_numpy(), j["index_right"].to_numpy())
            r[r == np.iinfo(np.int32).max] = -1
            return r
        t, r = best_of(join, repeat if n <= CHUNK else 1)
        total += t
        rows[s:s + CHUNK] = r
        del pts
    return total, rows


def time_postgis(pg: str, grids: gpd.GeoDataFrame, x, y) -> tuple[float, np.ndarray]:
    """Load grids and points into temp tables (COPY), then time the ST_Covers join only."""
    import psycopg
    with psycopg.connect(pg, autocommit=True) as conn:
        cur = conn.cursor()
        cur.execute("CREATE TEMP TABLE bench_grids (idx int, geom geometry(MultiPolygon, 4326))")
        parts, idx = shapely.get_parts(grids.geometry.values, return_index=True)
        multi = shapely.set_srid(shapely.multipolygons(parts, indices=idx), 4326)
        # EWKB hex: exact coordinates, no decimal round trip
        with cur.copy("COPY bench_grids (idx, geom) FROM STDIN") as cp:
            for i, g in enumerate(shapely.to_wkb(multi, hex=True, include_srid=True)):
                cp.write_row((i, g))
        cur.execute("CREATE INDEX ON bench_grids USING gist (geom); ANALYZE bench_grids")
        cur.execute("CREATE TEMP TABLE bench_raw (id int, x float8, y float8)")
        for s in range(0, len(x), CHUNK):
            buf = io.StringIO()
            np.savetxt(buf, np.column_stack([np.arange(s, s + len(x[s:s + CHUNK])), x[s:s + CHUNK],
                                             y[s:s + CHUNK]]), fmt=["%d", "%.17g", "%.17g"], delimiter="\t")
            with cur.copy("COPY bench_raw (id, x, y) FROM STDIN") as cp:
                cp.write(buf.getvalue())
        cur.execute("CREATE TEMP TABLE bench_pts AS SELECT id, ST_SetSRID(ST_MakePoint(x, y), 4326) AS geom "
                    "FROM bench_raw; DROP TABLE bench_raw; ANALYZE bench_pts")
        t = time.perf_counter()
        cur.execute("CREATE TEMP TABLE bench_res AS SELECT p.id, (SELECT min(g.idx) FROM bench_grids g "
                    "WHERE ST_Covers(g.geom, p.geom)) AS idx FROM bench_pts p")
        took = time.perf_counter() - t
        buf = io.BytesIO()
        with cur.copy("COPY (SELECT coalesce(idx, -1) FROM bench_res ORDER BY id) TO STDOUT") as cp:
            for data in cp:
                buf.write(data)
        buf.seek(0)
        rows = pd.read_csv(buf, header=None, dtype=np.int32)[0].to_numpy()
        cur.execute("DROP TABLE bench_res, bench_pts, bench_grids")
    return took, rows


def run_assign_bench(points: int, pg: str | None = None, *, repeat: int = 3, grids: str = "auto",
                     methods=("townbrain", "sjoin", "postgis"), seed: int = 7,
                     out: str | Path | None = DEFAULT_OUT) -> dict:
    """Time TownBrain, geopandas.sjoin and (with ``pg``) PostGIS on ``points`` random points.

    Returns the result dict (keys ``points``, ``townbrain_pts_per_s``,
    ``sjoin_pts_per_s``, ``postgis_pts_per_s`` (None without ``pg``),
    ``speedup_vs_sjoin``, ``agree``, ``date``, ``machine`` and details) and writes
    it as JSON to ``out`` unless ``out`` is None.
    """
    gdf, source = load_grids(grids)
    t = time.perf_counter()
    system = GridSystem.from_frame(gdf, "grid_id")
    index = system.index
    index_s = time.perf_counter() - t
    x, y = random_points(points, shapely.total_bounds(system.geometries), seed)
    ordered = system.frame("grid_id")  # rows in tie-rule order: row numbers compare directly

    results: dict[str, np.ndarray] = {}
    t_tb, results["townbrain"] = best_of(lambda: index.rows_of_xy(x, y), repeat)
    t_sj = t_pg = None
    if "sjoin" in methods:
        t_sj, results["sjoin"] = time_sjoin(ordered, x, y, repeat)
    if pg and "postgis" in methods:
        t_pg, results["postgis"] = time_postgis(pg, ordered, x, y)
    ref = results["townbrain"]
    agree = all(np.array_equal(ref, r) for r in results.values())
    res = {
        "benchmark": "assign",
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "grids": source,
        "n_grids": len(system),
        "points": points,
        "townbrain_pts_per_s": points / t_tb,
        "sjoin_pts_per_s": points / t_sj if t_sj else None,
        "postgis_pts_per_s": points / t_pg if t_pg else None,
        "speedup_vs_sjoin": (t_sj / t_tb) if t_sj else None,
        "speedup_vs_postgis": (t_pg / t_tb) if t_pg else None,
        "agree": bool(agree),
        "disagreements": {k: int((r != ref).sum()) for k, r in results.items() if k != "townbrain"},
        "unassigned": int((ref < 0).sum()),
        "townbrain_index_s": round(index_s, 3),
        "townbrain_index_mib": round(index.nbytes / 2**20, 1),
        "exact_path_share": float(np.isin(index.raster, [-2]).mean()),
        "townbrain_seconds": t_tb, "sjoin_seconds": t_sj, "postgis_seconds": t_pg,
        "repeat": repeat,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    if out is not None:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n")
    return res


def format_table(res: dict) -> str:
    """The side-by-side table printed by the benchmark."""
    lines = [f"assign {res['points']:,} points to {res['n_grids']} grids ({res['grids']}); "
             f"{res['machine']}; {res['date']}",
             f"{'method':<12}{'points/s':>16}{'seconds':>10}{'vs TownBrain':>14}"]
    for name, key in (("TownBrain", "townbrain"), ("sjoin", "sjoin"), ("PostGIS", "postgis")):
        rate, secs = res[f"{key}_pts_per_s"], res[f"{key}_seconds"]
        if rate is None:
            lines.append(f"{name:<12}{'-':>16}{'-':>10}{'-':>14}")
            continue
        ratio = res["townbrain_pts_per_s"] / rate
        lines.append(f"{name:<12}{rate:>16,.0f}{secs:>10.3f}{ratio:>13.1f}×")
    lines.append(f"agree: {res['agree']}; unassigned: {res['unassigned']:,}; index built in "
                 f"{res['townbrain_index_s']} s ({res['townbrain_index_mib']} MiB); "
                 f"peak RSS {res['peak_rss_mib']} MiB")
    return "\n".join(lines)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--pg", default=None, help="PostGIS URL (optional)")
    ap.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    ap.add_argument("--grids", choices=["auto", "demo", "synthetic"], default="auto")
    ap.add_argument("--methods", default="townbrain,sjoin,postgis",
                    help="comma-separated subset (townbrain alone measures its memory)")
    ap.add_argument("--out", default=str(DEFAULT_OUT))
    ap.add_argument("--json", action="store_true", help="print the JSON instead of the table")
    args = ap.parse_args(argv)
    res = run_assign_bench(args.points, args.pg, repeat=args.repeat, grids=args.grids,
                           methods=tuple(args.methods.split(",")), out=args.out)
    print(json.dumps(res, ensure_ascii=False) if args.json else format_table(res))
    return res


if __name__ == "__main__":
    main()
