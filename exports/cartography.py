"""The pieces of a printed map: the bundled CJK font, our own basemap, a scale bar
measured in metres, a north arrow, and the words in Chinese and English.

Everything is drawn in the metric CRS (``geodata.schema.METRIC_CRS``, EPSG:4549,
CGCS2000 / 3-degree Gauss-Krüger CM 120°E; conventions.md: "Areas and lengths are
computed in a metric CRS"), so one unit on the axes is one metre and the scale bar
is exact on the map's central meridian; the north arrow is turned by the meridian
convergence at the map's centre (0.3° at the demo town, 0.6° east of the CM).

Text is real text set in ``assets/fonts/NotoSansSC-TownBrain.ttf`` (see
:mod:`exports.font_build`) and embedded as TrueType subsets (``pdf.fonttype 42``),
so a PDF renders Chinese on a machine without a CJK font and its words can be
searched and copied.

>>> nice_length(7300)
5000
>>> nice_length(1800)
1000
>>> round(grid_convergence_deg(120.6, 31.0), 2)  # true north lies west of grid north east of the CM
-0.31
"""
from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.collections import LineCollection, PathCollection  # noqa: E402
from matplotlib.patches import FancyArrow, Rectangle  # noqa: E402
from matplotlib.path import Path as MplPath  # noqa: E402
import numpy as np  # noqa: E402
import shapely  # noqa: E402

from geodata.schema import METRIC_CRS  # noqa: E402

FONT_PATH = Path(__file__).resolve().parent.parent / "assets" / "fonts" / "NotoSansSC-TownBrain.ttf"
FONT_FAMILY = "Noto Sans SC TownBrain"

#: Paper sizes in millimetres (ISO 216), portrait.
PAPER_MM = {"A4": (210, 297), "A3": (297, 420), "A1": (594, 841)}

#: Colours of the printed basemap: light, so a grid's colour and the points read on it.
STYLE = {
    "land": "#f7f6f2", "district_edge": "#5b6470", "grid_edge": "#9aa3ad", "building": "#d9d5cc",
    "river": "#6fa8dc", "river_fill": "#cfe2f3", "road": "#b9b2a6", "road_major": "#e0a85a",
    "text": "#1f2933", "muted": "#5f6b7a", "frame": "#3c4650",
}
ROAD_WIDTH_PT = {"expressway": 1.6, "main": 1.1, "secondary": 0.8, "village": 0.45, "path": 0.3}

#: Print texts. Everything else (module, layer and KPI names) comes from callbacks.i18n.
WORDS = {
    "zh": {"period": "统计时段", "as_of": "数据截至", "source": "数据来源：TownBrain 网格化管理平台（{town}）；底图：本镇片区、网格、道路、河道、建筑数据",
           "export": "导出编号 {id} · 导出人 {user} · 导出时间 {at}", "scale": "比例尺", "north": "北",
           "legend": "图例", "inset": "全镇位置", "crs": "坐标系：CGCS2000 / 3度带高斯-克吕格 CM 120°E (EPSG:4549)",
           "filters": "范围", "town": "全镇", "grid": "网格", "no_data": "无数据", "cases_points": "近{days}日案件",
           "page": "第 {n} 页", "contents": "目 录", "open_cases": "在办案件", "overdue": "其中超期",
           "kpi": "指标", "unit_value": "本单元", "town_value": "全镇", "scope_value": "所辖范围", "trend": "近12个月受理案件",
           "inspectors": "网格员及3-5-10执行情况", "inspector": "网格员", "days": "巡查天数",
           "comply": "达标天数", "rate": "达标率", "atlas_title": "{town}网格图册", "by_grid": "综合网格",
           "by_district": "片区", "by_pro_grid": "专业网格", "district": "片区", "made": "编制", "none": "无",
           "case_id": "案件编号", "category": "类别", "reported": "上报时间", "deadline": "处置时限",
           "more": "另有 {n} 件未列出", "view_title": "值班台案件", "view_filters": "筛选条件",
           "view_total": "共 {n} 件", "view_count": "所选案件数（按网格）", "view_cases": "所选案件",
           "view_heat": "所选案件热力", "view_many": "案件较多（{n} 件），以热力显示，不逐点标注",
           "view_unpicked": "不在筛选范围", "view_picked": "筛选的网格和片区", "in_scope": "所辖范围"},
    "en": {"period": "Period", "as_of": "Data as of", "source": "Source: TownBrain grid-management platform ({town}); "
           "basemap: the town's own districts, grids, roads, rivers and buildings",
           "export": "Export {id} · made by {user} · at {at}", "scale": "Scale", "north": "N",
           "legend": "Legend", "inset": "Location in the town", "crs": "CRS: CGCS2000 / 3-degree Gauss-Kruger CM 120E "
           "(EPSG:4549)", "filters": "Extent", "town": "whole town", "grid": "grid", "no_data": "no data",
           "cases_points": "Cases, last {days} days", "page": "page {n}", "contents": "Contents",
           "open_cases": "Open cases", "overdue": "of them overdue", "kpi": "Indicator", "unit_value": "This unit",
           "town_value": "Town", "scope_value": "Scope", "trend": "Cases accepted, last 12 months", "inspectors": "Inspectors and the "
           "3-5-10 rule", "inspector": "Inspector", "days": "Days", "comply": "Complying",
           "rate": "Compliance", "atlas_title": "{town} grid atlas", "by_grid": "Comprehensive grids",
           "by_district": "Districts", "by_pro_grid": "Professional grids", "district": "District",
           "made": "Made", "none": "none",
           "case_id": "Case", "category": "Category", "reported": "Reported", "deadline": "Deadline",
           "more": "{n} more not listed", "view_title": "Console cases", "view_filters": "Filters",
           "view_total": "{n} cases", "view_count": "Cases selected, by grid", "view_cases": "Cases selected",
           "view_heat": "Cases selected, heat", "view_many": "{n} cases: shown as heat, not point by point",
           "view_unpicked": "outside the filters", "view_picked": "the grids and districts filtered",
           "in_scope": "within your grants"},
}


def w(key: str, lang: str, **fmt) -> str:
    text = WORDS.get(lang, WORDS["zh"]).get(key, key)
    return text.format(**fmt) if fmt else text


#: What a printed page sets in matplotlib, only while it is drawn (``print_style``).
PRINT_RC = {
    "font.family": [FONT_FAMILY, "DejaVu Sans"],  # DejaVu for a glyph beyond GB 2312
    "pdf.fonttype": 42,   # TrueType, subset and embedded: text stays text
    "ps.fonttype": 42,
    "axes.unicode_minus": False,
    "svg.fonttype": "none",
}


@lru_cache(maxsize=1)
def use_cjk_font() -> str:
    """Register the bundled font with matplotlib (once); its family name."""
    if not FONT_PATH.exists():
        raise FileNotFoundError(f"{FONT_PATH} is missing; it ships with TownBrain (exports/font_build.py makes it)")
    font_manager.fontManager.addfont(str(FONT_PATH))
    return FONT_FAMILY


def print_style():
    """A context in which figures are drawn and saved with the bundled font embedded;
    matplotlib's settings are left as they were afterwards (a server draws other
    figures too)."""
    use_cjk_font()
    return matplotlib.rc_context(PRINT_RC)


def paper_inches(paper: str, orientation: str) -> tuple[float, float]:
    wmm, hmm = PAPER_MM[paper]
    if orientation == "landscape":
        wmm, hmm = hmm, wmm
    return wmm / 25.4, hmm / 25.4


def to_metric(frame):
    """A GeoDataFrame in the print CRS (EPSG:4549)."""
    return frame.to_crs(METRIC_CRS) if frame is not None and len(frame) else frame


# ---- drawing geometry fast: one collection per layer ------------------------------------

def compound_path(geoms) -> MplPath | None:
    """Every ring of every (multi)polygon as one path, built in bulk with shapely."""
    arr = np.asarray([g for g in geoms if g is not None], dtype=object)
    if not len(arr):
        return None
    parts = shapely.get_parts(arr)
    parts = parts[shapely.get_type_id(parts) == 3]  # polygons
    if not len(parts):
        return None
    rings = shapely.get_rings(parts)
    coords, idx = shapely.get_coordinates(rings, return_index=True)
    if not len(coords):
        return None
    counts = np.bincount(idx, minlength=len(rings))
    counts = counts[counts > 0]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    codes = np.full(len(coords), MplPath.LINETO, dtype=np.uint8)
    codes[starts] = MplPath.MOVETO
    codes[starts + counts - 1] = MplPath.CLOSEPOLY
    return MplPath(coords, codes)


def draw_polygons(ax, geoms, facecolors="none", edgecolor="none", linewidth=0.5, zorder=1, alpha=None,
                  rasterized=False):
    """One collection per layer; a single-colour layer is one compound path (33 k
    buildings in one path: a tenth of the time of 33 k patches, and a smaller PDF).
    Added without updating the data limits: the caller sets the extent."""
    if isinstance(facecolors, str):
        path = compound_path(geoms)
        paths, fc = ([path] if path is not None else []), facecolors
    else:
        paths, fc = [], []
        for g, c in zip(geoms, facecolors):
            p = compound_path([g])
            if p is not None:
                paths.append(p)
                fc.append(c)
    if not paths:
        return None
    col = PathCollection(paths, facecolors=fc, edgecolors=edgecolor, linewidths=linewidth, zorder=zorder,
                         alpha=alpha, rasterized=rasterized)
    ax.add_collection(col, autolim=False)
    return col


def draw_lines(ax, geoms, color, linewidth=0.6, zorder=2, alpha=None):
    segs = []
    for g in geoms:
        if g is None or g.is_empty:
            continue
        for part in getattr(g, "geoms", [g]):
            if part.geom_type == "LineString":
                segs.append(np.asarray(part.coords)[:, :2])
            elif part.geom_type == "Polygon":
                segs.append(np.asarray(part.exterior.coords)[:, :2])
    if segs:
        ax.add_collection(LineCollection(segs, colors=color, linewidths=linewidth, zorder=zorder, alpha=alpha,
                                         capstyle="round", joinstyle="round"), autolim=False)


def draw_basemap(ax, base: dict, *, buildings=None, river_width=1.0, label_districts=False, lang="zh"):
    """Our own basemap (no tiles): districts, buildings, rivers, roads — all in EPSG:4549."""
    d = base.get("districts")
    if d is not None and len(d):
        draw_polygons(ax, d.geometry, facecolors=STYLE["land"], edgecolor="none", zorder=0)
    if buildings is not None and len(buildings):
        draw_polygons(ax, buildings.geometry, facecolors=STYLE["building"], edgecolor="none", zorder=1.2)
    r = base.get("rivers")
    if r is not None and len(r):
        polys = r[r.geom_type.isin(["Polygon", "MultiPolygon"])]
        draw_polygons(ax, polys.geometry, facecolors=STYLE["river_fill"], edgecolor=STYLE["river"],
                      linewidth=0.4, zorder=1.5)
        draw_lines(ax, r[~r.index.isin(polys.index)].geometry, STYLE["river"], linewidth=river_width, zorder=1.5)
    roads = base.get("roads")
    if roads is not None and len(roads):
        cls = roads["road_class"].astype(object) if "road_class" in roads else [None] * len(roads)
        for c in ("path", "village", "secondary", None, "main", "expressway"):
            sel = roads[np.asarray([x == c for x in cls])]
            if len(sel):
                major = c in ("main", "expressway")
                draw_lines(ax, sel.geometry, STYLE["road_major"] if major else STYLE["road"],
                           linewidth=ROAD_WIDTH_PT.get(c, 0.45) * (river_width if river_width < 1 else 1),
                           zorder=1.8)
    if d is not None and len(d):
        draw_polygons(ax, d.geometry, edgecolor=STYLE["district_edge"], linewidth=1.2, zorder=3)
        if label_districts and "name" in d:
            for name, geom in zip(d["name"], d.geometry):
                p = geom.representative_point()
                ax.text(p.x, p.y, display_name(name, lang), ha="center", va="center", fontsize=9,
                        color=STYLE["district_edge"], alpha=0.8, zorder=6)


def display_name(name, lang: str) -> str:
    if name is None or (isinstance(name, float) and math.isnan(name)):
        return ""
    if lang == "en":
        from callbacks.i18n_names import english_name
        return english_name(name)
    return str(name)


# ---- scale bar and north arrow -------------------------------------------------------

def nice_length(max_m: float) -> float:
    """The largest 1-2-5 × 10ⁿ metres not above ``max_m``."""
    if max_m <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(max_m))
    for f in (5, 2, 1):
        if f * exp <= max_m:
            return f * exp
    return exp


def map_scale(ax) -> float:
    """The map's representative fraction denominator: metres on the ground per metre on paper."""
    fig = ax.figure
    x0, x1 = ax.get_xlim()
    width_m_paper = ax.get_position().width * fig.get_figwidth() * 0.0254
    return (x1 - x0) / width_m_paper


def draw_scale_bar(ax, lang: str, *, frac: float = 0.22, loc=(0.04, 0.04), fontsize=8) -> str:
    """Alternating black and white segments of a round length, with its text; returns
    the text (``0 1 2 km`` and ``1:50,000``) so tests can find it in the file."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = nice_length((x1 - x0) * frac)
    seg = length / 4
    bx = x0 + (x1 - x0) * loc[0]
    by = y0 + (y1 - y0) * loc[1]
    h = (y1 - y0) * 0.008
    ax.add_patch(Rectangle((bx - seg * 0.15, by - h * 1.2), length + seg * 0.9, h * 6.2, facecolor="white",
                           edgecolor="none", alpha=0.85, zorder=20))
    for i in range(4):
        ax.add_patch(Rectangle((bx + i * seg, by), seg, h, facecolor="black" if i % 2 == 0 else "white",
                               edgecolor="black", linewidth=0.5, zorder=21))
    km = length >= 1000
    unit = "km" if km else "m"

    def lab(v):
        v = v / 1000 if km else v
        return f"{v:g}"
    for i in (0, 2, 4):
        ax.text(bx + i * seg, by + h * 1.6, lab(i * seg) + (f" {unit}" if i == 4 else ""), ha="center",
                va="bottom", fontsize=fontsize, zorder=22)
    rf = f"1:{int(round(map_scale(ax), -2)):,}"
    ax.text(bx + length / 2, by - h * 0.5, f"{w('scale', lang)} {rf}", ha="center", va="top",
            fontsize=fontsize * 0.85, color=STYLE["muted"], zorder=22)
    return f"{lab(length)} {unit} {rf}"


def grid_convergence_deg(lon: float, lat: float) -> float:
    """Angle of true north east of grid north in EPSG:4549 at (lon, lat), degrees."""
    from pyproj import Transformer
    tr = Transformer.from_crs(4326, METRIC_CRS, always_xy=True)
    x0, y0 = tr.transform(lon, lat)
    x1, y1 = tr.transform(lon, lat + 0.01)
    return math.degrees(math.atan2(x1 - x0, y1 - y0))


def draw_north_arrow(ax, lang: str, convergence_deg: float, loc=(0.95, 0.88), size=0.06):
    """An arrow to true north (turned by the grid convergence), with N / 北."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    cx, cy = x0 + (x1 - x0) * loc[0], y0 + (y1 - y0) * loc[1]
    L = (y1 - y0) * size
    a = math.radians(convergence_deg)
    dx, dy = L * math.sin(a), L * math.cos(a)
    ax.add_patch(FancyArrow(cx - dx / 2, cy - dy / 2, dx, dy, width=L * 0.12, head_width=L * 0.42,
                            head_length=L * 0.42, length_includes_head=True, color=STYLE["text"], zorder=22))
    ax.text(cx + dx * 0.75, cy + dy * 0.75, w("north", lang), ha="center", va="bottom", fontsize=10, zorder=22)


def frame_extent(bounds, aspect: float, pad: float = 0.04) -> tuple[float, float, float, float]:
    """Bounds grown to the axes' aspect (width / height) with ``pad`` around."""
    minx, miny, maxx, maxy = bounds
    wdt, hgt = (maxx - minx) * (1 + 2 * pad), (maxy - miny) * (1 + 2 * pad)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    if wdt / hgt > aspect:
        hgt = wdt / aspect
    else:
        wdt = hgt * aspect
    return cx - wdt / 2, cy - hgt / 2, cx + wdt / 2, cy + hgt / 2


def set_extent(ax, extent):
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])


def draw_inset(ax, base: dict, focus_geom, lang: str):
    """The whole town small, with the mapped area outlined in red."""
    d = base.get("districts")
    if d is None or not len(d):
        return
    draw_polygons(ax, d.geometry, facecolors=STYLE["land"], edgecolor=STYLE["district_edge"], linewidth=0.5)
    r = base.get("rivers")
    if r is not None and len(r):
        draw_lines(ax, r.geometry, STYLE["river"], linewidth=0.4)
    draw_polygons(ax, [focus_geom], facecolors="none", edgecolor="#d62728", linewidth=1.2, zorder=5)
    b = d.total_bounds
    set_extent(ax, frame_extent(b, 1.0 if not ax.bbox.height else ax.bbox.width / ax.bbox.height, pad=0.05))
    ax.set_title(w("inset", lang), fontsize=8, color=STYLE["muted"])
    for s in ax.spines.values():
        s.set_edgecolor(STYLE["frame"])
        s.set_linewidth(0.6)


def extent_box(ax):
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    return shapely.box(x0, y0, x1, y1)


def close(fig):
    plt.close(fig)
