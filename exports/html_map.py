"""``townbrain export html``: one self-contained HTML file that works from a USB stick.

The map is our own Leaflet on a Canvas 2D renderer (``assets/vendor/leaflet``, as the
wall draws it), chosen by measurement over pydeck with its deck.gl bundle inlined and
plotly with its bundle (``bench/export.py``; the numbers are in the README, "Maps and
data for planners"): a tenth of the size and drawn in well under the 2 s budget in
Chromium without a GPU, where both WebGL candidates draw in software.

What the file holds: Leaflet, Leaflet.heat, their CSS and our drawing script inlined;
the CJK font subset to the characters the page uses (WOFF, base64); the data as one
JSON block. A Content-Security-Policy ``default-src 'none'`` forbids every fetch, so a
forgotten URL fails loudly instead of leaking a request. Names reach the page only as
JSON parsed by the script and set with ``textContent``; the title is HTML-escaped.

Residents never leave one by one (brief.md, "Security"): grids carry their resident
counts, the population layer is H3 cells of at least 5 people.

A console view (:class:`exports.common.ConsoleView`) makes the same page of the
cases the console's filters select: grids coloured by how many of them each holds
(classed on the scope's grids), the cases as heat and — up to :data:`VIEW_POINTS`
of them — as points with a tooltip each (id, category, status, grid, reported,
deadline; never a personal column), titled by the filters and the period.
"""
from __future__ import annotations

import base64
import html
import io
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from access.scope import Scope, scope_mask
from exports import cartography as C
from exports.common import (BASEMAP, ConsoleView, ExportResult, Places, default_user, finish, gate_scope,
                            new_export_id, plain_value, scoped)
from exports.print_map import (CREDIT_COLOURS, NO_DATA, POINT_STYLE, VIEW_LAYER, MapRequest, _class_of, _fmt,
                               _value_word, grid_classes, grid_districts, scope_values, view_grid_counts)
from geodata import config
from layers import modules as M

__all__ = ["export_html", "html_map_data", "render_leaflet_html", "json_for_script", "font_face_css"]

ASSETS = Path(__file__).resolve().parent.parent / "assets"
VENDOR = ASSETS / "vendor"
DIGITS = 5  # ~1 m in lon/lat: enough for a town map, and a third less text than full precision
#: Purple, apart from the grids' yellow-to-red.
HEAT_GRADIENT = {"0.35": "#dadaeb", "0.6": "#9e9ac8", "0.8": "#6a51a3", "1.0": "#3f007d"}
POINT_COLOURS = {"cameras": "#1f77b4", "enterprises": "#2ca02c", "polluting": "#8c510a", "key_projects": "#6a3d9a",
                 "schools": "#1b7837", "parking": "#2166ac", "opinion_items": "#d6604d"}
#: Tooltip fields of each point layer: (column, label zh, label en).
POINT_TIPS = {
    "cameras": (("camera_id", "编号", "Id"), ("kind", "类别", "Kind"), ("status", "状态", "Status")),
    "enterprises": (("name", "", ""), ("industry", "行业", "Industry"), ("employees", "从业人数", "Employees"),
                    ("credit", "信用", "Credit"), ("grid_id", "网格", "Grid")),
    "polluting": (("name", "", ""), ("industry", "行业", "Industry"), ("credit", "信用", "Credit")),
    "key_projects": (("name", "", ""), ("kind", "类别", "Kind"), ("status", "状态", "Status"),
                     ("investment_wan", "投资(万元)", "Investment (10k yuan)")),
    "schools": (("name", "", ""), ("level", "学段", "Level"), ("places", "学位", "Places"),
                ("applications", "报名", "Applications")),
    "parking": (("name", "", ""), ("kind", "类别", "Kind"), ("spaces", "泊位", "Spaces"), ("occupied", "占用", "Occupied")),
    "opinion_items": (("title", "", ""), ("platform", "平台", "Platform"), ("sentiment", "倾向", "Sentiment")),
    VIEW_LAYER: (("case_id", "", ""), ("_category", "类别", "Category"), ("_status", "状态", "Status"),
                 ("_state", "现状", "Now"), ("grid_id", "网格", "Grid"), ("_reported", "上报时间", "Reported"),
                 ("_deadline", "处置时限", "Deadline")),
}
#: A console view's cases are points with tooltips up to this many; above, heat only (said on the page).
VIEW_POINTS = 20_000


def json_for_script(obj) -> str:
    """JSON safe inside ``<script type="application/json">``: no ``<``, ``>`` or ``&``
    (so no ``</script>`` can close it) and no line separators.

    >>> json_for_script({"n": "</script><img src=x>"})
    '{"n": "\\\\u003c/script\\\\u003e\\\\u003cimg src=x\\\\u003e"}'
    """
    text = json.dumps(obj, ensure_ascii=False, allow_nan=False, default=_json_default)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _json_default(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return None if np.isnan(v) else float(v)
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    if v is pd.NA or v is pd.NaT:
        return None
    return str(v)


def _geojson(frame, props: list[str], extra: dict | None = None) -> dict:
    """A FeatureCollection, coordinates rounded to :data:`DIGITS`."""
    geoms = shapely.set_precision(np.asarray(frame.geometry.values, dtype=object), 10 ** -DIGITS)
    feats = []
    cols = {p: frame[p].tolist() for p in props if p in frame}
    for i, g in enumerate(geoms):
        if g is None or g.is_empty:
            continue
        p = {k: plain_value(v[i]) for k, v in cols.items()}
        if extra:
            p.update({k: v[i] for k, v in extra.items()})
        feats.append({"type": "Feature", "properties": p, "geometry": shapely.geometry.mapping(g)})
    return {"type": "FeatureCollection", "features": feats}


def html_map_data(store, module_id: str = "public", lang: str = "zh", *, scope: Scope | None = None,
                  map_data: dict | None = None, export_id: str = "", made_by: str = "",
                  view: ConsoleView | None = None) -> dict:
    """Everything the offline map shows, as plain data (also what ``bench/export.py``
    hands to the pydeck and plotly candidates), limited to ``scope`` — an
    :class:`access.scope.Scope`: :data:`~access.scope.TOWN` for the whole town;
    ``None`` raises :class:`~exports.common.ExportError` (fail closed), ``NOTHING``
    shows the base map alone. Grids and records are gated by access/scope.py
    (:func:`exports.common.scoped`); the base map (:data:`exports.common.BASEMAP`:
    district outlines, roads, rivers, bus routes) stays whole. With a console
    ``view`` the page is of its cases, not of the module."""
    from callbacks.i18n import t
    from exports.print_map import read_map_data, store_town_name
    module = M.get(module_id)
    data = map_data or read_map_data(store, module, buildings=False, view=view)
    snap, base = data["snap"], data["base"]
    view = data.get("view")
    scope = gate_scope(scope)
    layers = []
    zh = lang == "zh"

    def name_of(v):
        return C.display_name(v, lang)

    d = base.get("districts")
    places = None if scope.town else Places.of(store)
    grids = scoped(base.get("grids"), scope, places, "grids")
    # grids coloured by the module's KPI: the wall's numbers (callbacks.module_data), or by
    # a console view's cases; classed on the grids the scope shows, not on the town's
    ids = grids["grid_id"].astype(str).tolist() if grids is not None and len(grids) else []
    cases = None
    if view is None:
        kpi = module.choropleth
        values = scope_values(snap.grid_values(kpi, module), ids)
        kpi_label = t(f"grid_kpi.{kpi}", lang)
    else:
        cases = scoped(data["layers"].get(VIEW_LAYER), scope, places, "cases")
        cases = cases if cases is not None else view.cases.iloc[0:0]
        kpi, kpi_label = "view_count", C.w("view_count", lang)
        values = view_grid_counts(ConsoleView(cases=cases, grids=view.grids, districts=view.districts), ids,
                                  grid_districts(grids))
    breaks, colours = grid_classes(values)
    rate = kpi in ("disposal_rate",)
    legend = legend_states = None
    if grids is not None and len(grids):
        if view is None:
            open_now, overdue = snap.open_by_grid()
            residents = snap.residents_by_grid or {}
        else:
            state = cases["_state"] if len(cases) else pd.Series([], dtype=object)
            gid = cases["grid_id"].astype("string") if len(cases) else pd.Series([], dtype="string")
            open_now = gid[state.isin(["open", "overdue"]).to_numpy()].value_counts().to_dict()
            overdue = gid[(state == "overdue").to_numpy()].value_counts().to_dict()
            residents = {}
        fills, shown = [], []
        for gid in ids:
            c = _class_of(values.get(gid), breaks)
            fills.append(NO_DATA if c is None else colours[c])   # grey, as the print map and the legend
            v = values.get(gid)
            shown.append(None if v is None or pd.isna(v) else _fmt(float(v), rate))
        extra = {"_fill": fills, "_name": [name_of(n) for n in grids.get("name", grids["grid_id"])], "_kpi": shown,
                 "_open": [int(open_now.get(g, 0)) for g in ids], "_overdue": [int(overdue.get(g, 0)) for g in ids],
                 "_residents": [int(residents.get(g, 0)) if residents else None for g in ids]}
        layers.append({"name": t("layer.grids", lang) + " · " + kpi_label, "kind": "polygons",
                       "geojson": _geojson(grids, ["grid_id", "district_id"], extra),
                       "line": {"color": "#64748b", "width": 1, "opacity": 0.9}, "fillOpacity": 0.6,
                       "tip": [["_name", ""], ["grid_id", "网格编码" if zh else "Grid"]]
                       + ([] if kpi == "open_now" else [["_kpi", kpi_label]])
                       + [["_open", "在办案件" if zh else "Open cases"],
                               ["_overdue", "其中超期" if zh else "Overdue"],
                               ["_residents", "常住人口(汇总)" if zh else "Residents (aggregate)"]]})
        legend = {"title": kpi_label,
                  "classes": [[c, f"{_fmt(breaks[i], rate)} – {_fmt(breaks[i + 1], rate)}"]
                              for i, c in enumerate(colours)]}
        if NO_DATA in fills:   # a grid drawn without a class is named in the legend
            legend["classes"].append([NO_DATA, C.w("no_data" if view is None else "view_unpicked", lang)])
    if d is not None and len(d):
        layers.insert(0, {"name": t("layer.districts", lang), "kind": "polygons",
                          "geojson": _geojson(d, ["district_id"], {"_name": [name_of(n) for n in d["name"]]}),
                          "line": {"color": "#334155", "width": 2.5, "opacity": 1}, "fillOpacity": 0,
                          "tip": None})
    r = base.get("rivers")
    if r is not None and len(r):
        layers.append({"name": t("layer.rivers", lang), "kind": "lines", "color": "#3b82c4", "width": 2,
                       "opacity": 0.9, "geojson": _geojson(r, [], {"_name": [name_of(n) for n in r.get("name", [None] * len(r))]}),
                       "tip": [["_name", ""]]})
    roads = base.get("roads")
    if roads is not None and len(roads):
        widths = [C.ROAD_WIDTH_PT.get(c, 0.45) * 2.2 for c in roads.get("road_class", [None] * len(roads))]
        cols = [C.STYLE["road_major"] if c in ("main", "expressway") else "#9c9484"
                for c in roads.get("road_class", [None] * len(roads))]
        layers.append({"name": t("layer.roads", lang), "kind": "lines", "color": "#9c9484", "width": 1,
                       "widths": True, "opacity": 0.9,
                       "geojson": _geojson(roads, [], {"_name": [name_of(n) for n in roads.get("name", [None] * len(roads))],
                                                       "_w": widths, "_c": cols}),
                       "tip": [["_name", ""]]})
    # the module's cases this year as a heat layer (points only; aggregates show in the grids),
    # or the console view's cases
    if view is None:
        heat = year_case_points(store, snap, module, scope)
    else:
        heat = np.column_stack([cases.geometry.y.to_numpy(), cases.geometry.x.to_numpy()]) if len(cases) \
            else np.empty((0, 2))
    if len(heat):
        layers.append({"name": (C.w("view_heat", lang) if view is not None else
                                "今年案件热力" if zh else "Case heat, this year"), "kind": "heat",
                       "points": np.round(heat, DIGITS).tolist(), "radius": 12,
                       # a point's weight against which the densest spot saturates: a share of all
                       "max": max(1.0, len(heat) / 2500),
                       "gradient": HEAT_GRADIENT})
    if view is not None and 0 < len(cases) <= VIEW_POINTS:
        layers.append(_view_points(cases, view, lang))
    for name, frame in data["layers"].items():
        if name in ("case_heat", "population", VIEW_LAYER):
            continue
        frame = frame if name in BASEMAP else scoped(frame, scope, places, name)
        if frame is None or not len(frame):
            continue
        label = t(f"layer.{name}", lang)
        if name in ("patrols", "bus_routes", "pro_grids"):
            colour = {"patrols": "#7b3294", "bus_routes": "#2166ac", "pro_grids": "#01665e"}[name]
            layers.append({"name": label, "kind": "lines", "color": colour, "width": 1.5 if name != "patrols" else 1,
                           "opacity": 0.8, "geojson": _geojson(frame, [], {"_name": [
                               name_of(v) for v in frame.get("name", [None] * len(frame))]}),
                           "tip": [["_name", ""]] if "name" in frame else None, "visible": name != "patrols"})
            continue
        pts = frame[frame.geom_type == "Point"]
        fields = POINT_TIPS.get(name, ())
        cols = [f[0] for f in fields if f[0] in pts]
        table = pd.DataFrame({c: pts[c].map(lambda v, c=c: _tip_value(c, v, lang)) for c in cols})
        table["_x"] = np.round(pts.geometry.x.to_numpy(), DIGITS)
        table["_y"] = np.round(pts.geometry.y.to_numpy(), DIGITS)
        if "credit" in pts and name == "enterprises":
            table["_c"] = pts["credit"].map(CREDIT_COLOURS).fillna("#999999").to_numpy()
        elif "status" in pts and name == "cameras":
            table["_c"] = np.where(pts["status"].to_numpy() == "offline", "#7f7f7f", POINT_COLOURS["cameras"])
        layers.append({"name": label, "kind": "points", "color": POINT_COLOURS.get(name, "#444444"), "radius": 4,
                       "columns": list(table.columns),
                       "rows": [[plain_value(v) for v in row] for row in table.itertuples(index=False, name=None)],
                       "tip": [[f[0], f[1] if zh else f[2]] for f in fields if f[0] in pts]})
    town = store_town_name(store) or ("青澜镇" if zh else "Qinglan")
    bounds = (d if d is not None and len(d) else grids).total_bounds.tolist()
    if view is None:
        period = f"{snap.year_start:%Y-%m-%d} – {snap.now:%Y-%m-%d}"
        title = f"{name_of(town)} · {module.zh if zh else module.en}"
        subtitle = f"{module.theme_zh if zh else module.theme_en} | {C.w('period', lang)} {period}"
        as_of = snap.now
    else:
        title = f"{name_of(town)} · {C.w('view_title', lang)}"
        subtitle = (f"{C.w('view_filters', lang)}: {view.describe()} | {C.w('view_total', lang, n=f'{len(cases):,}')}"
                    + ("" if scope.town else " | scope")
                    + (f" | {C.w('view_many', lang, n=f'{len(cases):,}')}" if len(cases) > VIEW_POINTS else ""))
        as_of = view.now if view.now is not None else pd.Timestamp.now(tz=config.timezone())
        picked = _view_focus(grids, view)
        if picked is not None:
            bounds = picked
        if 0 < len(cases) <= VIEW_POINTS:   # the points' colours (heat alone needs none)
            legend_states = {"title": C.w("view_cases", lang), "classes": [
                [POINT_STYLE[VIEW_LAYER]["colours"][k], _value_word(k, lang)] for k in ("overdue", "open", "closed")]}
    footer = (f"{C.w('as_of', lang)} {as_of:%Y-%m-%d %H:%M} · {C.w('source', lang, town=name_of(town))} · "
              f"{C.w('export', lang, id=export_id, user=made_by, at=pd.Timestamp.now(tz=config.timezone()).strftime('%Y-%m-%d %H:%M'))}")
    legends = [x for x in (legend, legend_states) if x]
    out = {"title": title, "subtitle": subtitle, "footer": footer, "legend": legend, "legends": legends,
           "layers": layers, "bounds": bounds, "lang": lang, "module": module.id if view is None else "console"}
    if view is not None:
        out["cases"] = int(len(cases))
    return out


def _view_focus(grids, view: ConsoleView):
    """lon/lat bounds of the grids a console view's filters pick (within the scope), or None."""
    if grids is None or not len(grids) or not (view.grids or view.districts):
        return None
    picked = grids["grid_id"].astype(str).isin(view.grids)
    if "district_id" in grids:
        picked |= grids["district_id"].astype(str).isin(view.districts)
    return grids[picked.to_numpy()].total_bounds.tolist() if picked.any() else None


def _view_points(cases, view: ConsoleView, lang: str) -> dict:
    """A console view's cases as a point layer, a tooltip each, coloured by their state."""
    from callbacks.i18n import format_datetime, t
    tz = config.timezone()
    colours = POINT_STYLE[VIEW_LAYER]["colours"]
    table = pd.DataFrame({"case_id": cases["case_id"].astype(str).to_numpy()})
    if "category" in cases:
        table["_category"] = [None if pd.isna(c) else view.categories.get(str(c), str(c)) for c in cases["category"]]
    if "status" in cases:
        table["_status"] = [None if pd.isna(x) else t(f"status.{x}", lang) for x in cases["status"]]
    table["_state"] = [_value_word(x, lang) for x in cases["_state"]]
    if "grid_id" in cases:
        table["grid_id"] = cases["grid_id"].astype(object).where(cases["grid_id"].notna(), None).to_numpy()
    for col, key in (("reported_at", "_reported"), ("deadline", "_deadline")):
        if col in cases:
            table[key] = [None if pd.isna(v) else format_datetime(v, lang, tz) for v in cases[col]]
    table["_x"] = np.round(cases.geometry.x.to_numpy(), DIGITS)
    table["_y"] = np.round(cases.geometry.y.to_numpy(), DIGITS)
    table["_c"] = cases["_state"].map(colours).to_numpy()
    fields = POINT_TIPS[VIEW_LAYER]
    zh = lang == "zh"
    return {"name": C.w("view_cases", lang), "kind": "points", "color": colours["open"], "radius": 4,
            "columns": list(table.columns),
            "rows": [[plain_value(v) for v in row] for row in table.itertuples(index=False, name=None)],
            "tip": [[f[0], f[1] if zh else f[2]] for f in fields if f[0] in table]}


def _tip_value(col: str, v, lang: str):
    v = plain_value(v)
    if v is None:
        return None
    if col in ("status", "credit", "sentiment") and isinstance(v, str):
        return _value_word(v, lang)
    return v if isinstance(v, (int, float)) else str(v)


def year_case_points(store, snap, module, scope: Scope) -> np.ndarray:
    """lon/lat of this year's cases of the module's theme (n × 2)."""
    if not store.has_layer("cases"):
        return np.empty((0, 2))
    cols = [c for c in ("category", "subcategory", "source", "enforcement", "grid_id", "district_id", "pro_grid_id")
            if c in store.columns("cases")]
    pts = store.read_points("cases", start=snap.year_start, end=snap.now + pd.Timedelta(seconds=1),
                            time_field="registered_at", columns=cols)
    if not len(pts):
        return np.empty((0, 2))
    keep = M.case_mask(pts, module.theme).to_numpy(dtype=bool, copy=True)
    if not scope.town:
        keep &= scope_mask(pts, scope)
    pts = pts[keep]
    return np.column_stack([pts.geometry.y.to_numpy(), pts.geometry.x.to_numpy()])  # Leaflet.heat: lat, lon


def font_face_css(text: str, family: str = "TB Sans") -> str:
    """An ``@font-face`` with the bundled CJK font cut to the characters of ``text``
    (WOFF, zlib: no brotli needed), inlined as a data URL."""
    from fontTools import subset
    from fontTools.ttLib import TTFont
    chars = set(text) | set("0123456789.,:;%–-·|/()[] abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+")
    font = TTFont(str(C.FONT_PATH))
    opts = subset.Options()
    opts.flavor = "woff"
    opts.layout_features = []
    opts.name_IDs = [0, 1, 2, 3, 4, 6, 13]  # copyright, names, licence
    opts.hinting = False
    sub = subset.Subsetter(opts)
    sub.populate(text="".join(sorted(chars)))
    sub.subset(font)
    buf = io.BytesIO()
    font.flavor = "woff"
    font.save(buf)
    b64 = base64.b64encode(buf.getvalue()).decode("ascii")
    return f"@font-face{{font-family:'{family}';src:url(data:font/woff;base64,{b64}) format('woff');}}"


def _all_text(obj) -> str:
    out = []

    def walk(o):
        if isinstance(o, str):
            out.append(o)
        elif isinstance(o, dict):
            for v in o.values():
                walk(v)
        elif isinstance(o, (list, tuple)):
            for v in o:
                walk(v)
    walk(obj)
    return "".join(out)


PAGE_CSS = """
html,body{margin:0;height:100%;font-family:'TB Sans',sans-serif;background:#e8eef3;color:#1f2933}
#tb-map{position:absolute;left:0;top:0;right:320px;bottom:0;background:#e8eef3}
#tb-panel{position:absolute;top:0;right:0;width:300px;bottom:0;padding:14px 10px;overflow:auto;background:#fff;
 border-left:1px solid #cbd5e1;font-size:13px}
#tb-panel h1{font-size:20px;margin:0 0 6px;font-weight:normal}
.tb-sub{color:#52606d;margin-bottom:12px}.tb-legend{margin:10px 0}.tb-legend-title{margin-bottom:4px}
.tb-legend-row{display:flex;align-items:center;gap:6px;margin:2px 0}
.tb-swatch{display:inline-block;width:22px;height:12px;border:1px solid #94a3b8}
.tb-switch{display:block;margin:3px 0;cursor:pointer}.tb-foot{margin-top:14px;color:#52606d;font-size:11px}
.tb-tip{font-family:'TB Sans',sans-serif;font-size:12px}.tb-tip-head{font-size:13px;margin-bottom:2px}
.tb-tip-key{color:#52606d}
.leaflet-container{font-family:'TB Sans',sans-serif;background:#e8eef3}
"""


def render_leaflet_html(data: dict) -> str:
    """The page: one file, everything inlined, a CSP that forbids every fetch."""
    leaflet_css = (VENDOR / "leaflet" / "leaflet.css").read_text(encoding="utf-8")
    # its icon images are files; the offline map uses none of them, and must fetch nothing
    import re
    leaflet_css = re.sub(r"url\((?!data:)[^)]*\)", "none", leaflet_css)
    scripts = [(VENDOR / "leaflet" / "leaflet.js").read_text(encoding="utf-8"),
               (VENDOR / "leaflet-heat" / "leaflet-heat.js").read_text(encoding="utf-8"),
               (Path(__file__).with_name("html_map.js")).read_text(encoding="utf-8")]
    font_css = font_face_css(_all_text({k: v for k, v in data.items() if k != "layers"})
                             + _all_text([{k: v for k, v in lay.items() if k in ("name", "tip", "geojson", "rows")}
                                          for lay in data["layers"]]))
    csp = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
           "img-src data: blob:; font-src data:; connect-src 'none'")
    lang = "zh-CN" if data.get("lang") == "zh" else "en"
    parts = [
        "<!DOCTYPE html>", f'<html lang="{lang}"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(data['title'])}</title>",
        f"<style>{font_css}\n{leaflet_css}\n{PAGE_CSS}</style></head>",
        '<body><div id="tb-map"></div><div id="tb-panel"></div>',
        f'<script type="application/json" id="tb-data">{json_for_script(data)}</script>',
    ]
    for js in scripts:
        parts.append("<script>" + js.replace("</script", "<\\/script") + "</script>")
    parts.append("</body></html>")
    return "\n".join(parts)


def export_html(store, out, module: str = "public", *, lang: str = "zh", scope: Scope | None = None,
                made_by: str | None = None, export_id: str | None = None, map_data: dict | None = None,
                view: ConsoleView | None = None) -> ExportResult:
    """Write the offline interactive map of ``module`` — or of the console ``view`` —
    to ``out`` (one .html file)."""
    t0 = time.perf_counter()
    MapRequest(module=module, lang=lang).check()
    export_id = export_id or new_export_id()
    made_by = made_by or default_user()
    data = html_map_data(store, module, lang, scope=scope, map_data=map_data, export_id=export_id, made_by=made_by,
                         view=view)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_leaflet_html(data), encoding="utf-8")
    what = {"module": module} if view is None else {"view": view.search or "all", "subtitle": data["subtitle"],
                                                      "cases": data["cases"]}
    return finish(out, export_id=export_id, made_by=made_by, kind="html", t0=t0, pages=1,
                  details={**what, "lang": lang, "bytes": out.stat().st_size,
                           "layers": [lay["name"] for lay in data["layers"]]})
