"""The offline-map candidates of issue 17, built from the same data, and their drawing
time in headless Chromium without a GPU and without a network.

* **Leaflet** (ours): ``exports.html_map.render_leaflet_html``.
* **pydeck**: ``Deck.to_html(offline=True)`` inlines the deck.gl bundle that ships in
  the pydeck wheel (``pydeck/nbextension/static/index.js``, the npm package
  ``@deck.gl/jupyter-widget``); its template still names mapbox-gl, bootstrap,
  font-awesome and maplibre CSS on CDNs, which are removed here.
* **plotly**: ``Figure.write_html(include_plotlyjs=True)`` with the MapLibre map on
  our tile-less style (``layers.basemap.OFFLINE_STYLE``).

"Drawn" is the page's own signal, in ms since navigation started: Leaflet after the
layers are added and two animation frames have painted; deck.gl at the first
``onAfterRender`` with every layer loaded; plotly when MapLibre is ``idle``.
"""
from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-default-apps",
         "--disable-sync", "--no-first-run", "--window-size=1600,1000", "--force-device-scale-factor=1",
         "--host-resolver-rules=MAP * ~NOTFOUND")
DRAWN = "if (!window.__tbDrawn) { window.__tbDrawn = performance.now(); }"


def _hex_rgba(c: str | None, alpha: int = 160) -> list[int]:
    if not c:
        return [0, 0, 0, 0]
    c = c.lstrip("#")
    return [int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16), alpha]


def pydeck_html(data: dict) -> str:
    import pydeck as pdk
    layers = []
    for spec in data["layers"]:
        if spec["kind"] in ("polygons", "lines"):
            gj = json.loads(json.dumps(spec["geojson"]))
            for f in gj["features"]:
                p = f["properties"]
                p["_fillc"] = _hex_rgba(p.get("_fill"), 150)
                p["_linec"] = _hex_rgba(p.get("_c") or spec.get("color") or spec.get("line", {}).get("color"), 230)
            layers.append(pdk.Layer("GeoJsonLayer", gj, id=spec["name"], pickable=True, stroked=True,
                                    filled=spec["kind"] == "polygons", get_fill_color="properties._fillc",
                                    get_line_color="properties._linec", line_width_min_pixels=1))
        elif spec["kind"] == "heat":
            pts = [{"p": [lon, lat]} for lat, lon in spec["points"]]
            layers.append(pdk.Layer("HeatmapLayer", pts, id=spec["name"], get_position="p", radius_pixels=30))
        elif spec["kind"] == "points":
            cols = spec["columns"]
            rows = [dict(zip(cols, r)) for r in spec["rows"]]
            layers.append(pdk.Layer("ScatterplotLayer", rows, id=spec["name"], get_position=["_x", "_y"],
                                    get_fill_color=_hex_rgba(spec["color"], 230), radius_min_pixels=3,
                                    pickable=True))
    b = data["bounds"]
    view = pdk.ViewState(longitude=(b[0] + b[2]) / 2, latitude=(b[1] + b[3]) / 2, zoom=12)
    deck = pdk.Deck(layers=layers, initial_view_state=view, map_style=None, map_provider=None,
                    tooltip={"text": "{_name}"})
    page = deck.to_html(as_string=True, offline=True, notebook_display=False)
    # the template's CDN tags: a file that must open with no network names none of them
    page = re.sub(r"<script src=['\"]https?://[^>]*></script>", "", page)
    page = re.sub(r"<link rel=\"stylesheet\" href=['\"]?https?://[^>]*>", "", page)
    marker = ("<script>deckInstance.setProps({onAfterRender: function () {"
              "var ls = deckInstance.layerManager ? deckInstance.layerManager.getLayers() : [];"
              f"if (ls.length && ls.every(function (l) {{ return l.isLoaded; }})) {{ {DRAWN} }} }}}});</script>")
    return page.replace("</html>", marker + "</html>")


def plotly_html(data: dict) -> str:
    import plotly.graph_objects as go
    from layers.basemap import OFFLINE_STYLE
    fig = go.Figure()
    for spec in data["layers"]:
        if spec["kind"] == "polygons":
            feats = spec["geojson"]["features"]
            for i, f in enumerate(feats):
                f["id"] = str(i)
            fills = [f["properties"].get("_fill") or "rgba(0,0,0,0)" for f in feats]
            fig.add_trace(go.Choroplethmap(
                geojson=spec["geojson"], locations=[str(i) for i in range(len(feats))], z=list(range(len(feats))),
                colorscale=[[i / max(len(fills) - 1, 1), c] for i, c in enumerate(fills)] if len(fills) > 1
                else [[0, fills[0]], [1, fills[0]]], showscale=False, name=spec["name"],
                text=[str(f["properties"].get("_name") or "") for f in feats], hoverinfo="text",
                marker={"opacity": 0.6, "line": {"color": spec["line"]["color"], "width": spec["line"]["width"]}}))
        elif spec["kind"] == "lines":
            lon, lat = [], []
            for f in spec["geojson"]["features"]:
                g = f["geometry"]
                parts = {"LineString": [g["coordinates"]], "MultiLineString": g["coordinates"],
                         "Polygon": g["coordinates"][:1], "MultiPolygon": [p[0] for p in g["coordinates"]]}.get(
                    g["type"], [])
                for part in parts:
                    lon += [c[0] for c in part] + [None]
                    lat += [c[1] for c in part] + [None]
            fig.add_trace(go.Scattermap(lon=lon, lat=lat, mode="lines", name=spec["name"],
                                        line={"color": spec["color"], "width": spec["width"]}, hoverinfo="skip"))
        elif spec["kind"] == "heat":
            fig.add_trace(go.Densitymap(lat=[p[0] for p in spec["points"]], lon=[p[1] for p in spec["points"]],
                                        radius=12, showscale=False, name=spec["name"]))
        elif spec["kind"] == "points":
            cols = spec["columns"]
            xi, yi = cols.index("_x"), cols.index("_y")
            fig.add_trace(go.Scattermap(lon=[r[xi] for r in spec["rows"]], lat=[r[yi] for r in spec["rows"]],
                                        mode="markers", name=spec["name"], marker={"size": 7, "color": spec["color"]},
                                        text=[str(r[0]) for r in spec["rows"]], hoverinfo="text"))
    b = data["bounds"]
    fig.update_layout(map={"style": OFFLINE_STYLE, "center": {"lon": (b[0] + b[2]) / 2, "lat": (b[1] + b[3]) / 2},
                           "zoom": 11.5}, margin={"l": 0, "r": 0, "t": 30, "b": 0}, title=data["title"])
    post = ("var gd = document.getElementById('{plot_id}'); var m = gd._fullLayout.map._subplot.map;"
            f"function done() {{ {DRAWN} }} m.once('idle', done); m.triggerRepaint();")
    return fig.to_html(include_plotlyjs=True, full_html=True, post_script=post)


def draw_times(path: Path, loads: int = 3, timeout_s: float = 60.0) -> dict:
    """Open ``path`` from file:// ``loads`` times in a fresh headless Chromium with the
    network blocked; the page's drawn times (ms) and every URL it asked for."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    opts = Options()
    opts.binary_location = CHROMIUM
    for f in FLAGS:
        opts.add_argument(f)
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    profile = tempfile.mkdtemp(prefix="tb-bench-chrome-")
    opts.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(options=opts)
    times, urls, errors = [], set(), []
    try:
        for _ in range(loads):
            driver.get("about:blank")
            driver.get(Path(path).resolve().as_uri())
            t_end = time.monotonic() + timeout_s
            drawn = None
            while time.monotonic() < t_end:
                drawn = driver.execute_script("return window.__tbDrawn || null")
                if drawn:
                    break
                time.sleep(0.05)
            times.append(round(drawn) if drawn else None)
            for entry in driver.get_log("performance"):
                msg = json.loads(entry["message"])["message"]
                if msg["method"] == "Network.requestWillBeSent":
                    urls.add(msg["params"]["request"]["url"][:120])
            errors += [e["message"][:200] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    # chrome:// are the browser's own pages (its start page), not requests of the file
    outside = sorted(u for u in urls if not u.startswith(("file:", "data:", "blob:", "about:", "chrome:")))
    ok = [t for t in times if t is not None]
    return {"draw_ms": min(ok) if ok else None, "draw_ms_all": times, "outside_requests": outside,
            "console_errors": errors[:5]}
