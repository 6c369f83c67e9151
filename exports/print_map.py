"""``townbrain export map``: a print layout of a wall module's map (PDF or PNG).

The map shows what the wall shows for the module — its grids coloured by the same
KPI from the same snapshot (``callbacks.module_data.TownSnapshot``, the wall's own
read and indicator calls, so a printed number equals the screen's) and its point
and line layers — or a console view (:class:`exports.common.ConsoleView`: the cases
the console's filters select, its grids coloured by how many of them each holds,
the title and subtitle naming its filters and period) — on our own basemap (districts, buildings, rivers, roads; no
tiles), drawn in EPSG:4549 with a scale bar, a north arrow, a legend, an inset of
the whole town when zoomed, the period and extent, "data as of", the source, and
the export's id and maker.

The colour classes are computed on the grids the export's scope shows, never on
the town's when the scope is less (the legend is the reader's, and the town's
distribution stays home).

A PDF keeps vector geometry and text (searchable, embedded CJK subset font); a PNG
is the same page at ``dpi``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import shapely
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from access.scope import Scope
from exports import cartography as C
from exports.common import (BASEMAP, ConsoleView, ExportError, ExportResult, Places, default_user, finish,
                            gate_scope, new_export_id, scoped)
from geodata import config
from layers import modules as M

__all__ = ["export_map", "MapRequest", "read_map_data", "read_base", "grid_classes", "scope_values",
           "view_grid_counts", "VIEW_LAYER"]

#: Point layers of the modules: (where in the snapshot, colour or column → colours, marker, size).
CREDIT_COLOURS = {"green": "#2ca02c", "yellow": "#e6b800", "red": "#d62728"}
POINT_STYLE = {
    "case_heat": dict(color="#b2182b", marker="o", size=4, alpha=0.55),
    "cameras": dict(column="status", colours={"online": "#1f77b4", "offline": "#7f7f7f"}, marker="^", size=9),
    "enterprises": dict(column="credit", colours=CREDIT_COLOURS, marker="s", size=6),
    "polluting": dict(color="#8c510a", marker="D", size=8),
    "key_projects": dict(color="#6a3d9a", marker="*", size=40),
    "schools": dict(color="#1b7837", marker="p", size=22),
    "parking": dict(color="#2166ac", marker="P", size=18),
    "opinion_items": dict(column="sentiment", colours={"negative": "#d6604d", "neutral": "#969696",
                                                        "positive": "#4393c3"}, marker="o", size=8),
    # a console view's cases, by their state then (drawn closed, open, overdue: the late on top)
    "console_cases": dict(column="_state", colours={"closed": "#8c8c8c", "open": "#f59e0b", "overdue": "#b2182b"},
                          marker="o", size=22),
}
#: The layer a console view's cases are drawn as.
VIEW_LAYER = "console_cases"
#: Above this many points a layer's markers are drawn as an image inside the PDF (its
#: text, lines and polygons stay vector): 400 k vector markers make a PDF no viewer opens.
RASTER_POINTS = 20_000
LINE_STYLE = {"patrols": dict(color="#7b3294", width=0.5, alpha=0.55),
              "bus_routes": dict(color="#2166ac", width=1.3, alpha=0.9),
              "pro_grids": dict(color="#01665e", width=1.0, alpha=1.0)}
CHOROPLETH = "YlOrRd"
NO_DATA = "#e3e3e3"


@dataclass(frozen=True)
class MapRequest:
    module: str = "public"
    fmt: str = "pdf"
    paper: str = "A3"
    orientation: str = "landscape"
    dpi: int = 300
    lang: str = "zh"
    grid: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    buildings: bool = True

    def check(self) -> None:
        if self.module not in {m.id for m in M.MODULES}:
            raise ExportError(f"unknown module {self.module!r}; modules: {', '.join(m.id for m in M.MODULES)}")
        if self.fmt not in ("pdf", "png"):
            raise ExportError(f"--format must be pdf or png, not {self.fmt!r}")
        if self.paper not in C.PAPER_MM:
            raise ExportError(f"--paper must be one of {', '.join(C.PAPER_MM)}, not {self.paper!r}")
        if self.orientation not in ("landscape", "portrait"):
            raise ExportError(f"--orientation must be landscape or portrait, not {self.orientation!r}")
        if self.lang not in ("zh", "en"):
            raise ExportError(f"--lang must be zh or en, not {self.lang!r}")
        if not 50 <= self.dpi <= 600:
            raise ExportError(f"--dpi must be between 50 and 600 (150 or 300 for print), not {self.dpi}")


def grid_classes(values: dict, k: int = 5) -> tuple[list[float], list[str]]:
    """Class breaks (quantiles, rounded, unique) and a colour per class for a KPI.

    >>> grid_classes({"a": 0, "b": 10, "c": 20, "d": None}, k=2)[0]
    [0.0, 10.0, 20.0]
    >>> grid_classes({"a": 0, "b": 0, "c": 0, "d": 1})[0]   # counts: whole breaks, no "0 – 0"
    [0.0, 1.0]
    """
    v = np.array([x for x in values.values() if x is not None and not pd.isna(x)], dtype=float)
    if not len(v):
        return [], []
    qs = np.unique(np.quantile(v, np.linspace(0, 1, k + 1)))
    if len(qs) == 1:
        qs = np.array([qs[0], qs[0] + 1])
    # rates keep two decimals; counts (every value whole) and large values none
    decimals = 0 if v.max() > 1.5 or np.array_equal(v, np.round(v)) else 2
    breaks = sorted({float(round(q, decimals)) for q in qs})
    if len(breaks) == 1:
        breaks.append(breaks[0] + 1)
    cmap = _cmap(len(breaks) - 1)
    return breaks, cmap


def scope_values(values: dict, grid_ids) -> dict:
    """The KPI values of the grids an export shows (its scope's), and only those: what
    the colour classes are computed on, so that a scoped map's legend describes the
    reader's grids and does not carry the town's distribution.

    >>> scope_values({"G1": 1, "G2": 50, "G3": 90}, ["G1", "G2"])
    {'G1': 1, 'G2': 50}
    """
    return {g: values.get(g) for g in dict.fromkeys(str(x) for x in grid_ids)}


def view_grid_counts(view: ConsoleView, grid_ids, districts=None) -> dict:
    """Cases of a console view in each grid (0 for a grid without any); when the view
    picks grids or districts, a grid outside them has no value (None): it is not part
    of the view, and the colour classes are computed on the grids that are.
    ``districts`` ({grid id: district id}) places the grids for a district filter.

    >>> v = ConsoleView(cases=pd.DataFrame({"grid_id": ["G1", "G1", None]}))
    >>> view_grid_counts(v, ["G1", "G2"])
    {'G1': 2, 'G2': 0}
    >>> view_grid_counts(ConsoleView(cases=v.cases, districts=("D1",)), ["G1", "G2", "G3"], {"G1": "D1", "G2": "D1"})
    {'G1': 2, 'G2': 0, 'G3': None}
    """
    c = view.cases
    counts = c["grid_id"].astype("string").value_counts() if "grid_id" in c and len(c) else pd.Series(dtype=int)
    districts = districts or {}
    picked = (lambda g: g in view.grids or districts.get(g) in view.districts) if view.grids or view.districts \
        else (lambda g: True)
    return {str(g): int(counts.get(str(g), 0)) if picked(str(g)) else None for g in grid_ids}


def grid_districts(grids) -> dict:
    """{grid id: district id} of a grid frame (empty without the column)."""
    if grids is None or not len(grids) or "district_id" not in grids:
        return {}
    return dict(zip(grids["grid_id"].astype(str), grids["district_id"].astype(str)))


def _cmap(n: int) -> list[str]:
    import matplotlib
    cm = matplotlib.colormaps[CHOROPLETH]
    return [mcolors.to_hex(cm(0.15 + 0.8 * i / max(n - 1, 1))) for i in range(n)]


def _class_of(x, breaks) -> int | None:
    if x is None or pd.isna(x) or not breaks:
        return None
    i = int(np.searchsorted(breaks, x, side="right")) - 1
    return min(max(i, 0), len(breaks) - 2)


def _fmt(x: float, rate: bool) -> str:
    return f"{x * 100:.0f}%" if rate else f"{x:,.0f}"


def read_base(store, *, buildings: bool = True) -> dict:
    """Our basemap: districts, grids, rivers, roads (and building footprints)."""
    base = {}
    for name, cols in (("districts", ["district_id", "name"]), ("grids", ["grid_id", "name", "district_id"]),
                       ("rivers", ["river_id", "name"]), ("roads", ["road_id", "name", "road_class"])):
        if store.has_layer(name):
            present = set(store.columns(name))
            base[name] = store.read(name, columns=[c for c in cols if c in present])
    if buildings and store.has_layer("buildings"):
        base["buildings"] = store.read("buildings", columns=[])
    return base


def read_map_data(store, module: M.Module, *, buildings: bool = True, snapshot=None,
                  view: ConsoleView | None = None) -> dict:
    """What the layout draws: the wall's snapshot, the basemap and the module's layers;
    for a console ``view``, the basemap and the view's cases (no snapshot)."""
    base = read_base(store, buildings=buildings)
    if view is not None:
        cases = view.cases
        if len(cases):
            cases = cases.assign(_state=view.states().to_numpy())
        return {"snap": None, "base": base, "layers": {VIEW_LAYER: cases} if len(cases) else {}, "view": view}
    from callbacks.module_data import ModuleData
    snap = snapshot or ModuleData(store, config.timezone()).snapshot()
    layers = {}
    for lay in module.layers:
        if lay == "case_heat":
            layers[lay] = snap.heat
        elif lay == "enterprises":
            layers[lay] = snap.enterprises
        elif lay == "polluting":
            layers[lay] = snap.polluting()
        elif lay == "patrols":
            layers[lay] = snap.patrols_recent
        elif lay == "pro_grids":
            layers[lay] = snap.pro_grids
        elif lay in snap.theme_frames:
            layers[lay] = snap.layer_frame(lay)
    return {"snap": snap, "base": base, "layers": {k: v for k, v in layers.items() if v is not None and len(v)}}


def _focus(req: MapRequest, grids_m: gpd.GeoDataFrame | None):
    """The zoomed area in EPSG:4549 and its words, or (None, whole town)."""
    if req.grid:
        if grids_m is None or req.grid not in set(grids_m["grid_id"].astype(str)):
            raise ExportError(f"no grid {req.grid!r} in the store")
        g = grids_m[grids_m["grid_id"].astype(str) == req.grid]
        return g.geometry.union_all().buffer(300), ("grid", req.grid, g["name"].iloc[0] if "name" in g else req.grid)
    if req.bbox:
        box = gpd.GeoSeries([shapely.box(*req.bbox)], crs=4326).to_crs(C.METRIC_CRS).iloc[0]
        return box, ("bbox", ",".join(f"{v:g}" for v in req.bbox), None)
    return None, None


def export_map(store, out, req: MapRequest | None = None, *, scope: Scope | None = None,
               made_by: str | None = None, export_id: str | None = None, data=None,
               view: ConsoleView | None = None) -> ExportResult:
    """Write the print layout of ``req.module`` — or of the console ``view`` (its cases,
    titled by its filters and period; ``req.module`` is then not drawn) — to ``out``
    (PDF or PNG), limited to ``scope`` — an :class:`access.scope.Scope`:
    :data:`~access.scope.TOWN` for the whole town; ``None`` raises
    :class:`~exports.common.ExportError` before anything is read (fail closed);
    ``NOTHING`` draws the base map alone."""
    t0 = time.perf_counter()
    scope = gate_scope(scope)
    req = req or MapRequest()
    req.check()
    module = M.get(req.module)
    export_id = export_id or new_export_id()
    made_by = made_by or default_user()
    data = data or read_map_data(store, module, buildings=req.buildings, view=view)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with C.print_style():
        fig, texts = draw_layout(store, data, module, req, export_id=export_id, made_by=made_by, scope=scope)
        meta = ({"Title": texts["title"], "Author": made_by, "Subject": texts["subtitle"],
                 "Keywords": f"{export_id}; TownBrain", "Creator": "TownBrain"} if req.fmt == "pdf"
                else {"Title": texts["title"], "Author": made_by, "Description": f"{export_id}; {texts['subtitle']}",
                      "Software": "TownBrain"})
        fig.savefig(out, format=req.fmt, dpi=req.dpi, metadata=meta)
        C.close(fig)
    what = {"module": module.id} if data.get("view") is None else {"view": data["view"].search or "all",
                                                                     "cases": texts["cases"]}
    return finish(out, export_id=export_id, made_by=made_by, kind=f"map/{req.fmt}", t0=t0, pages=1,
                  details={**what, "paper": req.paper, "orientation": req.orientation, "dpi": req.dpi,
                           "lang": req.lang, "scale": texts["scale"], "title": texts["title"],
                           "subtitle": texts["subtitle"], "classes": texts["breaks"]})


def _layout_rects(orientation: str) -> dict:
    """Axes rectangles (figure fractions): map, side panel (legend), inset."""
    if orientation == "landscape":
        return {"map": [0.025, 0.085, 0.70, 0.80], "legend": [0.745, 0.40, 0.23, 0.48],
                "inset": [0.755, 0.11, 0.21, 0.26]}
    return {"map": [0.04, 0.30, 0.92, 0.60], "legend": [0.04, 0.065, 0.55, 0.22],
            "inset": [0.64, 0.075, 0.32, 0.20]}


def draw_layout(store, data: dict, module: M.Module, req: MapRequest, *, export_id: str, made_by: str,
                scope: Scope | None = None):
    """The figure and its key texts (title, subtitle, scale) — kept for tests and the result."""
    import matplotlib.pyplot as plt
    from callbacks.i18n import t
    lang = req.lang
    snap, cview = data["snap"], data.get("view")
    layers, base = data["layers"], data["base"]
    scope = gate_scope(scope)
    limited = not scope.town
    if limited:
        # a limited scope shows its own grids, records and building footprints only
        # (access/scope.py decides: exports.common.scoped), framed on them; the base
        # map's outlines (district boundaries, roads, rivers, bus routes) stay whole
        places = Places.of(store)
        base = {k: v if k in BASEMAP else scoped(v, scope, places, k) for k, v in base.items()}
        layers = {k: v if k in BASEMAP else scoped(v, scope, places, k) for k, v in layers.items()}
    base_m = {k: C.to_metric(v) for k, v in base.items()}
    grids_m = base_m.get("grids")
    layers_m = {k: C.to_metric(v) for k, v in layers.items()}
    focus, focus_words = _focus(req, grids_m)
    if cview is not None and focus is None and grids_m is not None and len(grids_m) and (cview.grids or cview.districts):
        # a console filtered to grids or districts: framed on them (those of the scope)
        picked = grids_m["grid_id"].astype(str).isin(cview.grids)
        if "district_id" in grids_m:
            picked |= grids_m["district_id"].astype(str).isin(cview.districts)
        if picked.any():
            focus = grids_m[picked.to_numpy()].geometry.union_all().buffer(300)
            focus_words = ("picked", None, None)
    if limited and focus is None and grids_m is not None and len(grids_m):
        focus = grids_m.geometry.union_all().buffer(300)
    size = C.paper_inches(req.paper, req.orientation)
    k = {"A4": 0.72, "A3": 1.0, "A1": 1.6}[req.paper] * (0.85 if req.orientation == "portrait" else 1.0)
    fig = plt.figure(figsize=size)
    rects = _layout_rects(req.orientation)
    ax = fig.add_axes(rects["map"])
    town = store_town_name(store) or ("青澜镇" if lang == "zh" else "Qinglan")
    town_label = C.display_name(town, lang)

    # extent: the town, or the zoomed area
    whole = base_m["districts"].total_bounds if base_m.get("districts") is not None and len(base_m["districts"]) \
        else (grids_m.total_bounds if grids_m is not None and len(grids_m) else np.array([0, 0, 1, 1]))
    bounds = focus.bounds if focus is not None else whole
    ax_w = rects["map"][2] * size[0]
    ax_h = rects["map"][3] * size[1]
    extent = C.frame_extent(bounds, ax_w / ax_h, pad=0.03)
    C.set_extent(ax, extent)
    ax.set_facecolor("#eef3f7")
    view = shapely.box(*extent)

    def clip(frame):
        if frame is None or not len(frame) or focus is None:
            return frame
        return frame[frame.intersects(view)]

    buildings = clip(base_m.get("buildings"))
    C.draw_basemap(ax, {k2: clip(v) for k2, v in base_m.items()}, buildings=buildings)

    # grids coloured by the module's KPI, the wall's own numbers, or by a console view's
    # cases; classed on the grids the scope shows (grids_m), not the town's
    shown_ids = grids_m["grid_id"].astype(str) if grids_m is not None and len(grids_m) else []
    if cview is None:
        kpi = module.choropleth
        values = scope_values(snap.grid_values(kpi, module), shown_ids)
        rate = kpi in ("disposal_rate",)
        kpi_label = t(f"grid_kpi.{kpi}", lang)
    else:
        kpi, rate, kpi_label = None, False, C.w("view_count", lang)
        values = view_grid_counts(cview, shown_ids, grid_districts(grids_m))
    breaks, colours = grid_classes(values)
    legend_items = []
    if grids_m is not None and len(grids_m):
        g = clip(grids_m)
        fc = []
        for gid in g["grid_id"].astype(str):
            c = _class_of(values.get(gid), breaks)
            fc.append(NO_DATA if c is None else colours[c])
        C.draw_polygons(ax, g.geometry, facecolors=fc, edgecolor="white", linewidth=0.3, zorder=1.1, alpha=0.55)
        C.draw_polygons(ax, g.geometry, edgecolor=C.STYLE["grid_edge"], linewidth=0.5, zorder=2.5)
        label_size = 5.5 * k if focus is None else 9 * k
        for gid, name, geom in zip(g["grid_id"].astype(str), g.get("name", g["grid_id"]), g.geometry):
            p = geom.representative_point()
            if view.contains(p):
                ax.text(p.x, p.y, C.display_name(name, lang), ha="center", va="center", fontsize=label_size,
                        color=C.STYLE["text"], zorder=8, clip_on=True)
        if req.grid:
            C.draw_polygons(ax, g[g["grid_id"].astype(str) == req.grid].geometry, edgecolor="#d62728",
                            linewidth=2.2 * k, zorder=7)
        legend_items.append(("title", kpi_label))
        for i, col in enumerate(colours):
            legend_items.append(("patch", f"{_fmt(breaks[i], rate)} – {_fmt(breaks[i + 1], rate)}", col))
        if NO_DATA in fc:   # a grid drawn without a class is named in the legend
            legend_items.append(("patch", C.w("no_data" if cview is None else "view_unpicked", lang), NO_DATA))

    # the module's own layers
    legend_items.append(("title", C.w("legend", lang)))
    for name, frame in layers_m.items():
        frame = clip(frame)
        if frame is None or not len(frame):
            continue
        label = t(f"layer.{name}", lang)
        if name == "case_heat":
            label = C.w("cases_points", lang, days=3)
        elif name == VIEW_LAYER:
            label = C.w("view_cases", lang)
        if name in LINE_STYLE:
            st = LINE_STYLE[name]
            C.draw_lines(ax, frame.geometry, st["color"], linewidth=st["width"] * k, zorder=4, alpha=st["alpha"])
            legend_items.append(("line", label, st["color"], st["width"] * 2))
        elif name in POINT_STYLE:
            st = POINT_STYLE[name]
            pts = frame[frame.geom_type == "Point"]
            raster = len(pts) > RASTER_POINTS
            if "column" in st and st["column"] in pts:
                for val, col in st["colours"].items():
                    sel = pts[pts[st["column"]] == val]
                    if len(sel):
                        ax.scatter(sel.geometry.x, sel.geometry.y, s=st["size"] * k, c=col, marker=st["marker"],
                                   linewidths=0.2, edgecolors="white", zorder=6, rasterized=raster)
                        legend_items.append(("point", f"{label} · {_value_word(val, lang)}", col, st["marker"]))
            else:
                ax.scatter(pts.geometry.x, pts.geometry.y, s=st["size"] * k, c=st["color"], marker=st["marker"],
                           linewidths=0.2 if st["size"] > 5 else 0, edgecolors="white", alpha=st.get("alpha"),
                           zorder=6, rasterized=raster)
                legend_items.append(("point", label, st["color"], st["marker"]))
    legend_items += [("line", t("layer.districts", lang), C.STYLE["district_edge"], 1.6),
                     ("line", t("layer.grids", lang), C.STYLE["grid_edge"], 0.8),
                     ("line", t("layer.rivers", lang), C.STYLE["river"], 1.2),
                     ("line", t("layer.roads", lang), C.STYLE["road_major"], 1.4)]
    if buildings is not None and len(buildings):
        legend_items.append(("patch", t("layer.buildings", lang), C.STYLE["building"]))

    scale_text = C.draw_scale_bar(ax, lang, fontsize=8 * k)
    cx, cy = (extent[0] + extent[2]) / 2, (extent[1] + extent[3]) / 2
    lon, lat = gpd.GeoSeries([shapely.Point(cx, cy)], crs=C.METRIC_CRS).to_crs(4326).iloc[0].coords[0]
    C.draw_north_arrow(ax, lang, C.grid_convergence_deg(lon, lat))
    for s in ax.spines.values():
        s.set_edgecolor(C.STYLE["frame"])
        s.set_linewidth(0.8)

    # legend panel
    lax = fig.add_axes(rects["legend"])
    lax.axis("off")
    _draw_legend(lax, legend_items, fontsize=8.5 * k)

    if focus is not None:
        iax = fig.add_axes(rects["inset"])
        C.draw_inset(iax, base_m, view, lang)

    # words
    if cview is None:
        title = f"{town_label} · {module.zh if lang == 'zh' else module.en}"
        period = f"{snap.year_start:%Y-%m-%d} – {(snap.now):%Y-%m-%d}"
        as_of_at = snap.now
    else:
        title = f"{town_label} · {C.w('view_title', lang)}"
        as_of_at = cview.now if cview.now is not None else pd.Timestamp.now(tz=config.timezone())
    extent_words = C.w("town", lang)
    if focus_words and focus_words[0] == "grid":
        extent_words = f"{C.w('grid', lang)} {focus_words[1]} {C.display_name(focus_words[2], lang)}"
    elif focus_words and focus_words[0] == "picked":
        extent_words = C.w("view_picked", lang)
    elif focus_words:
        extent_words = f"bbox {focus_words[1]}"
    if limited:   # framed on the reader's grants, unless the request framed it more closely
        extent_words = C.w("in_scope", lang) if not focus_words else f"{extent_words} · {C.w('in_scope', lang)}"
    n_cases = None
    if cview is None:
        theme = module.theme_zh if lang == "zh" else module.theme_en
        subtitle = (f"{theme}  |  {C.w('period', lang)} {period}  |  {C.w('filters', lang)}: {extent_words}  |  "
                    f"{kpi_label}")
    else:
        n_cases = int(len(layers.get(VIEW_LAYER, ())))
        subtitle = (f"{C.w('view_filters', lang)}: {cview.describe()}  |  {C.w('view_total', lang, n=f'{n_cases:,}')}"
                    f"  |  {C.w('filters', lang)}: {extent_words}")
    top = rects["map"][1] + rects["map"][3]
    sub_y = top + 0.022 if req.orientation == "landscape" else top + 0.018
    lines = _wrap(subtitle, rects["map"][2] * size[0] * 72, 10 * k)
    line_h = 10 * k * 1.25 / (size[1] * 72)          # a subtitle line, in figure heights
    title_y = max(top + 0.06 if req.orientation == "landscape" else top + 0.045,
                  sub_y + len(lines) * line_h + 0.008)
    fig.text(rects["map"][0], title_y, title, fontsize=22 * k, color=C.STYLE["text"], va="bottom")
    fig.text(rects["map"][0], sub_y, "\n".join(lines), fontsize=10 * k, color=C.STYLE["muted"], va="bottom",
             linespacing=1.25)
    now_local = pd.Timestamp.now(tz=config.timezone())
    as_of = f"{C.w('as_of', lang)} {as_of_at:%Y-%m-%d %H:%M}"
    foot = [as_of, C.w("source", lang, town=town_label), C.w("crs", lang),
            C.w("export", lang, id=export_id, user=made_by, at=f"{now_local:%Y-%m-%d %H:%M}")]
    fig.text(0.025, 0.045, foot[0] + "    " + foot[2], fontsize=7.5 * k, color=C.STYLE["text"])
    fig.text(0.025, 0.027, foot[1], fontsize=7.5 * k, color=C.STYLE["muted"])
    fig.text(0.025, 0.009, foot[3], fontsize=7.5 * k, color=C.STYLE["muted"])
    return fig, {"title": title, "subtitle": subtitle, "scale": scale_text, "as_of": as_of, "cases": n_cases,
                 "breaks": breaks}


def _text_width(text: str, fontsize: float) -> float:
    """About how wide ``text`` sets, in points: a CJK character an em, others 0.6 em."""
    return sum(fontsize if ord(ch) > 0x2E7F else 0.6 * fontsize for ch in text)


def _wrap(text: str, width_pt: float, fontsize: float) -> list[str]:
    """``text`` in lines no wider than ``width_pt``, broken only between its parts
    (`` · `` and ``  |  ``), so that no filter is cut in two.

    >>> _wrap("a · b  |  c", 1000, 10), _wrap("aaaa · bbbb  |  cccc", 40, 10)
    (['a · b  |  c'], ['aaaa ·', 'bbbb  |', 'cccc'])
    """
    import re
    pieces = re.split(r"( · |  \|  )", text)   # parts and their separators, alternately
    chunks = [pieces[i] + (pieces[i + 1] if i + 1 < len(pieces) else "") for i in range(0, len(pieces), 2)]
    lines: list[str] = []
    for chunk in chunks:
        if lines and _text_width(lines[-1] + chunk.rstrip(), fontsize) <= width_pt:
            lines[-1] += chunk
        else:
            lines.append(chunk)
    return [line.rstrip() for line in lines]


def _value_word(val: str, lang: str) -> str:
    zh = {"online": "在线", "offline": "离线", "green": "绿牌", "yellow": "黄牌", "red": "红牌",
          "negative": "负面", "neutral": "中性", "positive": "正面", "open": "在办", "overdue": "超期未结",
          "closed": "已结"}
    return zh.get(val, val) if lang == "zh" else val


def _draw_legend(lax, items, fontsize: float):
    """One legend, its sections headed by a title row (a handle drawn as nothing)."""
    handles, labels, titles = [], [], []
    for item in items:
        kind = item[0]
        if kind == "title":
            handles.append(Patch(facecolor="none", edgecolor="none"))
            titles.append(len(labels))
        elif kind == "patch":
            handles.append(Patch(facecolor=item[2], edgecolor="#888888", linewidth=0.4))
        elif kind == "line":
            handles.append(Line2D([0], [0], color=item[2], linewidth=item[3]))
        else:
            handles.append(Line2D([0], [0], marker=item[3], color="none", markerfacecolor=item[2],
                                  markeredgecolor="white", markersize=7))
        labels.append(item[1])
    leg = lax.legend(handles, labels, loc="upper left", bbox_to_anchor=(0, 1), frameon=False, fontsize=fontsize,
                     handlelength=1.8, labelspacing=0.55)
    for i, text in enumerate(leg.get_texts()):
        if i in titles:
            text.set_fontsize(fontsize * 1.15)
            text.set_color(C.STYLE["text"])
            text.set_x(-fontsize * 2.6)  # title rows start where the handles do
        else:
            text.set_color(C.STYLE["muted"] if False else C.STYLE["text"])


def store_town_name(store) -> str | None:
    if not store.has_layer("town") or "name" not in store.columns("town"):
        return None
    rows = store.read("town", columns=["name"], limit=1)
    return None if not len(rows) or pd.isna(rows["name"].iloc[0]) else str(rows["name"].iloc[0])
