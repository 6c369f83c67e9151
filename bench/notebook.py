"""bench/notebook: the notebook library on the demo town — ``town.cases()`` of the
whole town beside ``geopandas.read_file``, and ``town.map()`` drawn in headless Chromium.

Targets (issue 18): ``town.cases()`` ≤ 1 s on a GeoPackage; the map drawn ≤ 2 s; a
map's notebook output ≤ 5 MB. Prints a table and writes JSON (``bench/results/notebook.json``).
The map is timed as the notebook shows it: its iframe's page opened from file:// with
the network blocked (``bench.export_html_candidates.draw_times``), drawn = the page's
own ``window.__tbDrawn``.

    python -m bench.notebook --db data/town.gpkg
"""
from __future__ import annotations

import argparse
import json
import pathlib
import tempfile
import time

from bench.common import best_of, machine

RESULTS = pathlib.Path(__file__).resolve().parent / "results"
CASES_TARGET_S, DRAW_TARGET_MS, OUTPUT_CAP_MB = 1.0, 2000, 5.0


def run(db: str, repeat: int, loads: int, modules: list[str]) -> dict:
    import geopandas as gpd

    import townbrain as tb
    from bench.export_html_candidates import draw_times
    t = time.perf_counter()
    town = tb.connect(db)
    out = {"db": db, "machine": machine(), "repeat": repeat, "connect_s": round(time.perf_counter() - t, 3)}
    cases_s, cases = best_of(lambda: town.cases(), repeat)
    out.update(cases=len(cases), cases_columns=len(cases.columns) - 1, cases_s=round(cases_s, 3))
    del cases
    path = db.removeprefix("gpkg://")
    read_s, gdf = best_of(lambda: gpd.read_file(path, layer="cases", engine="pyogrio", use_arrow=True), repeat)
    out.update(read_file_s=round(read_s, 3), read_file_columns=len(gdf.columns) - 1)
    del gdf
    out["cases_meets_target"] = out["cases_s"] <= CASES_TARGET_S
    work = pathlib.Path(tempfile.mkdtemp(prefix="tb-bench-nb-"))
    maps = {}
    for module in modules:
        t = time.perf_counter()
        m = town.map(module)
        build_s = time.perf_counter() - t
        output_mb = len(m._repr_html_().encode()) / 2**20
        d = draw_times(m.to_html(work / f"{module}.html"), loads=loads)
        maps[module] = {"build_s": round(build_s, 2), "output_mb": round(output_mb, 2),
                        "draw_ms": d["draw_ms"], "draw_ms_all": d["draw_ms_all"],
                        "outside_requests": len(d["outside_requests"]), "console_errors": d["console_errors"],
                        "aggregated": m.data.get("aggregated")}
    out["maps"] = maps
    out["map_meets_target"] = all(v["draw_ms"] is not None and v["draw_ms"] <= DRAW_TARGET_MS
                                  and v["output_mb"] <= OUTPUT_CAP_MB and v["outside_requests"] == 0
                                  for v in maps.values())
    return out


def format_table(r: dict) -> str:
    lines = [f"The notebook library on {r['db']} ({r['machine']}), best of {r['repeat']}",
             f"{'town.cases(), whole town → GeoDataFrame':46}{r['cases_s']:>8.2f} s   "
             f"({r['cases']:,} cases, {r['cases_columns']} columns)",
             f"{'  geopandas.read_file (pyogrio, arrow)':46}{r['read_file_s']:>8.2f} s   "
             f"({r['read_file_columns']} columns)",
             f"  target ≤ {CASES_TARGET_S:g} s: {'met' if r['cases_meets_target'] else 'NOT met'}",
             f"{'town.map(module)':46}{'build s':>8}{'output MB':>11}{'drawn ms':>10}{'requests out':>14}"]
    for name, m in r["maps"].items():
        drawn = "never" if m["draw_ms"] is None else f"{m['draw_ms']:,}"
        lines.append(f"{'  ' + name + (' (heat as H3 cells)' if m['aggregated'] else ''):46}{m['build_s']:>8.2f}"
                     f"{m['output_mb']:>11.2f}{drawn:>10}{m['outside_requests']:>14}")
    lines.append(f"  target drawn ≤ {DRAW_TARGET_MS:,} ms, output ≤ {OUTPUT_CAP_MB:g} MB, nothing fetched: "
                 f"{'met' if r['map_meets_target'] else 'NOT met'}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default="data/town.gpkg")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--loads", type=int, default=3, help="page loads per map")
    ap.add_argument("--modules", default="public,enforcement,livelihood")
    ap.add_argument("--out", type=pathlib.Path, default=RESULTS / "notebook.json")
    a = ap.parse_args()
    result = run(a.db, a.repeat, a.loads, a.modules.split(","))
    print(format_table(result))
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
