"""Benchmark: how the wall's map is drawn, measured — payload per layer and per
technology, and the first wall render in headless Chromium.

Part 1 (Python): each map layer of the demo town as we send it (plotly MapLibre
traces, JSON) against the same data as a pydeck/deck.gl layer (JSON of the Deck),
raw and gzipped, and the time to build it; residents and cases both as raw points
and aggregated to H3 cells on the server.

Part 2 (browser): the wall served by waitress with compression, opened in headless
Chromium at 1920×1080 for the overview and each module: bytes transferred
(compressed, from the Resource Timing API), time from navigation to the map drawn
(MapLibre ``loaded()`` with the traces in), cold (empty cache) and warm; and a
module switch (click on the bottom bar → map redrawn).

    .venv/bin/python -m bench.map_render [--db data/town.gpkg] [--no-browser]

Prints tables and writes ``bench/results/map_render.json``.
"""
from __future__ import annotations

import argparse
import gzip
import json
import pathlib
import sys
import time

import pandas as pd

from bench.common import machine

RESULTS = pathlib.Path(__file__).parent / "results" / "map_render.json"
TZ = "Asia/Shanghai"


def _size(obj) -> tuple[int, int]:
    raw = json.dumps(obj, separators=(",", ":")).encode()
    return len(raw), len(gzip.compress(raw, 6))


def payloads(db: str) -> list[dict]:
    import pydeck as pdk

    from callbacks.module_data import ModuleData
    from geodata.store import open_store
    from layers.buildings import buildings_to_traces
    from layers.case_heat import cases_to_heat_traces
    from layers.enterprises import enterprises_to_traces
    from layers.grids import grids_to_traces
    from layers.patrols import patrols_to_traces
    from layers.population import h3_counts_to_traces
    from layers.roads import roads_to_traces

    store = open_store(db)
    snap = ModuleData(store, TZ).snapshot()
    now = snap.now
    rows = []

    def row(layer, tech, n, fn):
        t = time.perf_counter()
        obj = fn()
        build = time.perf_counter() - t
        raw, gz = _size(obj)
        rows.append({"layer": layer, "technology": tech, "records": n, "raw_bytes": raw, "gzip_bytes": gz,
                     "build_s": round(build, 3)})

    def deck(layer):
        return json.loads(pdk.Deck(layers=[layer], map_style=None).to_json())

    b = store.read("buildings", columns=["building_id"])
    row("buildings", "plotly choroplethmap (5 decimals)", len(b), lambda: buildings_to_traces(b))
    row("buildings", "pydeck PolygonLayer", len(b), lambda: deck(pdk.Layer(
        "PolygonLayer", pd.DataFrame({"p": [[list(map(list, g.exterior.coords))] for g in b.geometry]}),
        get_polygon="p")))
    res = store.read_points("residents", columns=["h3"])
    row("residents", "plotly densitymap of every resident", len(res), lambda: cases_to_heat_traces(res))
    row("residents", "pydeck HeatmapLayer of every resident", len(res), lambda: deck(pdk.Layer(
        "HeatmapLayer", pd.DataFrame({"lon": res.geometry.x.round(5), "lat": res.geometry.y.round(5)}),
        get_position=["lon", "lat"])))
    row("residents", "server H3 res 9 → plotly choroplethmap", len(snap.residents_h3),
        lambda: h3_counts_to_traces(snap.residents_h3))
    row("residents", "server H3 res 9 → pydeck H3HexagonLayer", len(snap.residents_h3), lambda: deck(pdk.Layer(
        "H3HexagonLayer", pd.DataFrame({"hex": snap.residents_h3.index, "n": snap.residents_h3.values}),
        get_hexagon="hex", get_fill_color="[255, n / 10, 0]")))
    year = store.read_points("cases", start=snap.year_start, end=now, time_field="reported_at", columns=["case_id"])
    row("cases (year)", "plotly densitymap", len(year), lambda: cases_to_heat_traces(year))
    row("cases (year)", "pydeck HeatmapLayer", len(year), lambda: deck(pdk.Layer(
        "HeatmapLayer", pd.DataFrame({"lon": year.geometry.x.round(5), "lat": year.geometry.y.round(5)}),
        get_position=["lon", "lat"])))
    row("cases (3 days, the wall)", "plotly densitymap", len(snap.heat), lambda: cases_to_heat_traces(snap.heat))
    row("grids", "plotly choroplethmap", len(snap.grids), lambda: grids_to_traces(store.read("grids")))
    roads = store.read("roads")
    row("roads", "plotly scattermap lines", len(roads), lambda: roads_to_traces(roads))
    row("enterprises", "plotly scattermap", len(snap.enterprises), lambda: enterprises_to_traces(snap.enterprises))
    row("patrols (24 h)", "plotly scattermap lines, simplified 5 m", len(snap.patrols_recent),
        lambda: patrols_to_traces(snap.patrols_recent))
    return rows


MAP_READY_JS = """
const gd = document.querySelector('#wall-map .js-plotly-plot');
const sub = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
return !!(sub && sub.map && sub.map.loaded() && gd.data.length && sub.map.areTilesLoaded());
"""
BYTES_JS = """
const nav = performance.getEntriesByType('navigation')[0];
const res = performance.getEntriesByType('resource');
return [nav.transferSize + res.reduce((s, e) => s + e.transferSize, 0),
        nav.decodedBodySize + res.reduce((s, e) => s + e.decodedBodySize, 0), res.length];
"""


def browser_runs(db: str) -> list[dict]:
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "scripts"))
    import screenshots as S

    from callbacks.i18n import MODULE_IDS
    port = S.free_port()
    S.serve(db, port)
    base = f"http://127.0.0.1:{port}"
    out = []
    driver = S.browser()
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        driver.get(base + "/health")  # warm the server's snapshot: the first visitor of the day pays it once
        for module in ("overview", *MODULE_IDS):
            url = base + "/wall" + ("" if module == "overview" else f"?module={module}")
            for run in ("cold", "warm"):
                driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": run == "cold"})
                t0 = time.perf_counter()
                driver.get(url)
                S.wait(driver, MAP_READY_JS, 60)
                drawn = time.perf_counter() - t0
                time.sleep(0.3)
                transferred, decoded, n = driver.execute_script(BYTES_JS)
                out.append({"page": module, "run": run, "map_drawn_s": round(drawn, 2),
                            "transferred_bytes": transferred, "decoded_bytes": decoded, "requests": n})
        # module switch: click a tab, wait for plotly to redraw the map
        driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": False})
        driver.get(base + "/wall?module=ecology")
        S.wait(driver, MAP_READY_JS, 60)
        for module in ("public", "enforcement", "livelihood", "transport"):
            driver.execute_script("""
                const gd = document.querySelector('#wall-map .js-plotly-plot');
                window._drawn = null; const t0 = performance.now();
                gd.once('plotly_afterplot', () => { window._drawn = performance.now() - t0; });
                document.getElementById('module-' + arguments[0]).click();""", module)
            S.wait(driver, "return window._drawn !== null", 30)
            ms = driver.execute_script("return window._drawn")
            S.wait(driver, MAP_READY_JS, 30)
            out.append({"page": f"switch → {module}", "run": "warm", "map_drawn_s": round(ms / 1000, 2),
                        "transferred_bytes": None, "decoded_bytes": None, "requests": None})
    finally:
        driver.quit()
    return out


def _table(rows, cols):
    widths = [max(len(str(c)), *(len(str(r.get(c, ""))) for r in rows)) for c in cols]
    print("  ".join(str(c).ljust(w) for c, w in zip(cols, widths)))
    for r in rows:
        print("  ".join(str(r.get(c, "")).ljust(w) for c, w in zip(cols, widths)))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default="data/town.gpkg")
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--out", default=str(RESULTS))
    args = ap.parse_args(argv)
    result = {"machine": machine(), "db": args.db, "payloads": payloads(args.db)}
    _table(result["payloads"], ["layer", "technology", "records", "raw_bytes", "gzip_bytes", "build_s"])
    if not args.no_browser:
        result["browser"] = browser_runs(args.db)
        print()
        _table(result["browser"], ["page", "run", "map_drawn_s", "transferred_bytes", "decoded_bytes", "requests"])
    pathlib.Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    pathlib.Path(args.out).write_text(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
