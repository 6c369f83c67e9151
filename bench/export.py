"""Benchmark: the planners' exports of issue 17 on the demo town, each beside the plain way.

* **print map** — an A3 landscape 300-dpi PDF of the public-management module
  (``exports.print_map``: basemap with 33 k buildings, grids by KPI, cameras, patrols,
  legend, scale bar, inset…) beside ``GeoDataFrame.plot`` of the same layers +
  ``savefig`` (no legend, no scale bar, no embedded CJK font). Target ≤ 5 s.
* **atlas** — one page per comprehensive grid (70) plus cover and contents. Target ≤ 60 s.
* **offline HTML** — the public-management module as one file: our Leaflet map, pydeck
  with its deck.gl bundle inlined (CDN tags removed) and plotly with its bundle; size and
  drawing time in headless Chromium without a GPU, network blocked
  (``bench/export_html_candidates.py``). Target ≤ 10 MB, drawn ≤ 2 s.
* **data** — every case to a GeoPackage: ``exports.data_export`` beside
  ``store.read`` + ``GeoDataFrame.to_file``. Target ≥ 200,000 records/s.

    .venv/bin/python -m bench.export [--db data/town.gpkg] [--repeat 2] [--out bench/results/export.json]
"""
from __future__ import annotations

import argparse
import gc
import json
import pathlib
import tempfile
import time

from access.scope import TOWN
from bench.common import best_of, machine

RESULTS = pathlib.Path(__file__).parent / "results"
MODULE = "public"


def time_print_map(store, work: pathlib.Path, repeat: int) -> dict:
    from exports.print_map import MapRequest, export_map, read_map_data
    from layers import modules as M
    req = MapRequest(module=MODULE, paper="A3", orientation="landscape", dpi=300, fmt="pdf")
    t = time.perf_counter()
    data = read_map_data(store, M.get(MODULE))
    read_s = time.perf_counter() - t
    layout_s, r = best_of(lambda: export_map(store, work / "map.pdf", req, scope=TOWN, data=data), repeat)
    full_s, _ = best_of(lambda: export_map(store, work / "map_full.pdf", req, scope=TOWN), 1)
    plain_s, _ = best_of(lambda: plain_plot(data, work / "plain.pdf"), repeat)
    return {"map_read_s": round(read_s, 2), "map_layout_s": round(layout_s, 2), "map_end_to_end_s": round(full_s, 2),
            "map_pdf_mb": round(r.path.stat().st_size / 2**20, 2), "plain_plot_s": round(plain_s, 2),
            "plain_pdf_mb": round((work / "plain.pdf").stat().st_size / 2**20, 2), "map_target_s": 5,
            "map_meets_target": full_s <= 5}


def plain_plot(data: dict, out: pathlib.Path) -> None:
    """What a user would write: GeoDataFrame.plot per layer, then savefig."""
    import matplotlib.pyplot as plt
    snap, base = data["snap"], data["base"]
    from layers import modules as M
    values = snap.grid_values(M.get(MODULE).choropleth, M.get(MODULE))
    fig, ax = plt.subplots(figsize=(420 / 25.4, 297 / 25.4))
    m = {k: v.to_crs(4549) for k, v in base.items() if v is not None and len(v)}
    m["districts"].plot(ax=ax, color="#f7f6f2")
    m["buildings"].plot(ax=ax, color="#d9d5cc")
    g = m["grids"].assign(kpi=m["grids"]["grid_id"].astype(str).map(values).astype(float))
    g.plot(ax=ax, column="kpi", cmap="YlOrRd", alpha=0.55, edgecolor="#9aa3ad", linewidth=0.5)
    m["rivers"].plot(ax=ax, color="#6fa8dc")
    m["roads"].plot(ax=ax, color="#b9b2a6", linewidth=0.6)
    for name, frame in data["layers"].items():
        frame.to_crs(4549).plot(ax=ax, markersize=3, linewidth=0.5)
    m["districts"].boundary.plot(ax=ax, color="#5b6470", linewidth=1.2)
    ax.set_axis_off()
    fig.savefig(out, dpi=300)
    plt.close(fig)


def time_atlas(store, work: pathlib.Path) -> dict:
    from exports.atlas import export_atlas
    t = time.perf_counter()
    r = export_atlas(store, work / "atlas.pdf", "grid", scope=TOWN)
    s = time.perf_counter() - t
    return {"atlas_units": r.pages - 2, "atlas_pages": r.pages, "atlas_s": round(s, 1),
            "atlas_mb": round(r.path.stat().st_size / 2**20, 1), "atlas_target_s": 60, "atlas_meets_target": s <= 60}


def time_html(store, work: pathlib.Path, loads: int) -> dict:
    from bench.export_html_candidates import draw_times, plotly_html, pydeck_html
    from exports.html_map import html_map_data, render_leaflet_html
    t = time.perf_counter()
    data = html_map_data(store, MODULE, "zh", scope=TOWN, export_id="EXP-BENCH", made_by="bench")
    data_s = time.perf_counter() - t
    out = {"html_data_s": round(data_s, 2)}
    for name, render in (("leaflet", render_leaflet_html), ("pydeck", pydeck_html), ("plotly", plotly_html)):
        t = time.perf_counter()
        page = render(json.loads(json.dumps(data)))
        build_s = time.perf_counter() - t
        path = work / f"{name}.html"
        path.write_text(page, encoding="utf-8")
        d = draw_times(path, loads=loads)
        out[name] = {"mb": round(path.stat().st_size / 2**20, 2), "build_s": round(build_s, 2),
                     "draw_ms": d["draw_ms"], "draw_ms_all": d["draw_ms_all"],
                     "outside_requests": len(d["outside_requests"]), "console_errors": d["console_errors"]}
    lf = out["leaflet"]
    out.update(html_target_mb=10, html_target_draw_ms=2000,
               html_meets_target=lf["mb"] <= 10 and lf["draw_ms"] is not None and lf["draw_ms"] <= 2000)
    return out


def time_data(store, work: pathlib.Path, repeat: int) -> dict:
    """All cases to a GeoPackage three ways, interleaved round by round so that a noisy
    shared machine weighs on each alike: TownBrain (rows in bulk through Arrow and
    ADBC, exports/gpkg_bulk.py), TownBrain with GDAL writing feature by feature (the
    way before), and the plain ``store.read`` + ``GeoDataFrame.to_file``."""
    import statistics
    from exports import gpkg_bulk
    from exports.data_export import export_layer
    n = store.count("cases")
    bulk_rows = gpkg_bulk.BULK_ROWS

    def townbrain(tag, rows):
        gpkg_bulk.BULK_ROWS = rows
        try:
            return export_layer(store, "cases", work / f"cases-{tag}.gpkg", "gpkg", scope=TOWN)
        finally:
            gpkg_bulk.BULK_ROWS = bulk_rows

    def plain():
        frame = store.read("cases")
        frame.to_file(work / "plain.gpkg", driver="GPKG")
    runs = {"bulk": [], "gdal": [], "plain": [], "read": []}
    written = {}
    for _ in range(repeat):
        for name, fn in (("bulk", lambda: townbrain("bulk", bulk_rows)), ("gdal", lambda: townbrain("gdal", 10**12)),
                         ("read", lambda: store.read("cases")), ("plain", plain)):
            gc.collect()
            t = time.perf_counter()
            out = fn()
            runs[name].append(time.perf_counter() - t)
            if name in ("bulk", "gdal"):
                written[name] = out.details["written"]
            del out
    checks = gpkg_checks(work / "cases-bulk.gpkg", "cases")
    best = {k: min(v) for k, v in runs.items()}
    med = {k: statistics.median(v) for k, v in runs.items()}
    return {"cases": n, "data_runs_s": {k: [round(x, 2) for x in v] for k, v in runs.items()},
            "data_gpkg_s": round(best["bulk"], 2), "data_gpkg_median_s": round(med["bulk"], 2),
            "data_gpkg_records_per_s": round(n / best["bulk"]),
            "data_gpkg_median_records_per_s": round(n / med["bulk"]),
            "data_gpkg_write_records_per_s": round(n / max(best["bulk"] - best["read"], 1e-9)),
            "data_gdal_path_s": round(best["gdal"], 2), "data_gdal_path_records_per_s": round(n / best["gdal"]),
            "data_read_s": round(best["read"], 2),
            "plain_to_file_s": round(best["plain"], 2), "plain_records_per_s": round(n / best["plain"]),
            "data_file_checks": checks, "data_written_by": written,
            "data_target_records_per_s": 200_000, "data_meets_target": n / best["bulk"] >= 200_000}


def gpkg_checks(path: pathlib.Path, layer: str) -> dict:
    """What a GIS relies on in the written file: GDAL reads it without a warning, the
    R-tree passes SQLite's rtreecheck, the file its integrity check."""
    import sqlite3
    import warnings
    import pyogrio
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        info = pyogrio.read_info(path)
        pyogrio.read_dataframe(path, max_features=1000)
    con = sqlite3.connect(path)
    try:
        geom = con.execute("SELECT column_name FROM gpkg_geometry_columns").fetchone()[0]
        rtree = con.execute(f'SELECT rtreecheck("rtree_{layer}_{geom}")').fetchone()[0]
        integrity = con.execute("PRAGMA quick_check").fetchone()[0]
    finally:
        con.close()
    return {"gdal_reads_without_warning": True, "crs": info["crs"], "features": info["features"],
            "rtreecheck": rtree, "quick_check": integrity}


def run(db: str, repeat: int, loads: int, parts: list[str]) -> dict:
    from geodata.store import open_store
    store = open_store(db)
    out = {"db": db, "module": MODULE, "repeat": repeat, "machine": machine(), "date": time.strftime("%Y-%m-%d")}
    with tempfile.TemporaryDirectory(prefix="tb-bench-export-") as d:
        work = pathlib.Path(d)
        if "map" in parts:
            out.update(time_print_map(store, work, repeat))
        if "atlas" in parts:
            out.update(time_atlas(store, work))
        if "html" in parts:
            out["html"] = time_html(store, work, loads)
        if "data" in parts:
            out.update(time_data(store, work, repeat))
    return out


def format_table(r: dict) -> str:
    lines = [f"Exports of the demo town ({r['db']}), module {r['module']}, best of {r['repeat']}"]
    if "map_layout_s" in r:
        lines += [f"{'A3 300-dpi PDF, TownBrain layout (read + draw)':52}{r['map_end_to_end_s']:>8.2f} s"
                  f"   (read {r['map_read_s']:.2f} s, layout {r['map_layout_s']:.2f} s, {r['map_pdf_mb']} MB)",
                  f"{'  GeoDataFrame.plot + savefig, same layers':52}{r['plain_plot_s']:>8.2f} s"
                  f"   ({r['plain_pdf_mb']} MB; no legend, scale bar or CJK font)",
                  f"  target ≤ 5 s: {'met' if r['map_meets_target'] else 'NOT met'}"]
    if "atlas_s" in r:
        lines += [f"{'Atlas, ' + str(r['atlas_units']) + ' grids (' + str(r['atlas_pages']) + ' pages)':52}"
                  f"{r['atlas_s']:>8.1f} s   ({r['atlas_mb']} MB); target ≤ 60 s: "
                  f"{'met' if r['atlas_meets_target'] else 'NOT met'}"]
    if "html" in r:
        h = r["html"]
        lines.append(f"{'Offline HTML of the module':52}{'MB':>8}{'drawn ms':>10}{'requests out':>14}")
        for name in ("leaflet", "pydeck", "plotly"):
            c = h[name]
            drawn = "never" if c["draw_ms"] is None else f"{c['draw_ms']:,}"
            lines.append(f"{'  ' + name:52}{c['mb']:>8.2f}{drawn:>10}{c['outside_requests']:>14}")
        lines.append(f"  target ≤ 10 MB and ≤ 2,000 ms (Leaflet): {'met' if h['html_meets_target'] else 'NOT met'}")
    if "data_gpkg_s" in r:
        lines += [f"{'All ' + format(r['cases'], ',') + ' cases → GeoPackage (best / median of ' + str(r['repeat']) + ')':52}",
                  f"{'  TownBrain, rows in bulk (Arrow → ADBC, packed R-tree)':52}{r['data_gpkg_s']:>8.2f} s"
                  f"   {r['data_gpkg_records_per_s']:,} / {r['data_gpkg_median_records_per_s']:,} records/s "
                  f"(read {r['data_read_s']:.2f} s; write alone {r['data_gpkg_write_records_per_s']:,}/s)",
                  f"{'  TownBrain, GDAL feature by feature (before)':52}{r['data_gdal_path_s']:>8.2f} s"
                  f"   {r['data_gdal_path_records_per_s']:,} records/s",
                  f"{'  store.read + GeoDataFrame.to_file':52}{r['plain_to_file_s']:>8.2f} s"
                  f"   {r['plain_records_per_s']:,} records/s",
                  f"  file: {r['data_file_checks']}",
                  f"  target ≥ 200,000 records/s: {'met' if r['data_meets_target'] else 'NOT met'}"]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default="data/town.gpkg")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--loads", type=int, default=3, help="page loads per HTML candidate")
    ap.add_argument("--parts", default="map,atlas,html,data")
    ap.add_argument("--out", type=pathlib.Path, default=RESULTS / "export.json")
    a = ap.parse_args()
    result = run(a.db, a.repeat, a.loads, a.parts.split(","))
    print(format_table(result))
    a.out.parent.mkdir(parents=True, exist_ok=True)
    if a.out.exists() and set(a.parts.split(",")) != {"map", "atlas", "html", "data"}:
        # a run of some parts updates their figures and keeps the others' from before
        kept = json.loads(a.out.read_text())
        result = {**kept, **result, "dates": {**kept.get("dates", {}), **{p: result["date"] for p in a.parts.split(",")}}}
    a.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
