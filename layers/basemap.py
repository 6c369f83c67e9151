"""The map without a tile server: a MapLibre style with nothing but a background.

Many command centres sit on a government intranet (brief.md, "Who uses it"), so the
map may not fetch tiles, glyphs or sprites from anywhere. Our own roads, rivers and
grids are the basemap. The style therefore has no ``glyphs`` and no ``sprite``
(MapLibre only fetches them when a style names them), and no layer draws text.

Examples
--------
>>> list(OFFLINE_STYLE["sources"]), "glyphs" in OFFLINE_STYLE, "sprite" in OFFLINE_STYLE
(['townbrain-empty'], False, False)
>>> v = view_for_bounds((-180, -85.0511, 180, 85.0511), 512, 512, padding=0)
>>> round(v["zoom"], 3), v["center"]["lon"], abs(v["center"]["lat"])
(0.0, 0.0, 0.0)
"""
from __future__ import annotations

import math

BACKGROUND = "#0b1a2a"

#: A complete MapLibre style (spec v8) that needs no network.
#: Its one source is an empty GeoJSON collection, local and drawn by no layer: plotly
#: drops an empty ``sources: {}`` when a figure is replaced (Plotly.react), and
#: MapLibre then rejects the style ("missing required property sources").
OFFLINE_STYLE: dict = {
    "version": 8,
    "sources": {"townbrain-empty": {"type": "geojson", "data": {"type": "FeatureCollection", "features": []}}},
    "layers": [{"id": "background", "type": "background", "paint": {"background-color": BACKGROUND}}],
}

#: Where the map looks when the store has no geometry yet: the Yangtze delta,
#: where the reference town lies (brief.md), at a regional zoom.
DEFAULT_VIEW = {"center": {"lon": 120.6, "lat": 31.0}, "zoom": 8.0}

_TILE = 512  # MapLibre's world is 512 px wide at zoom 0


def _merc_y(lat: float) -> float:
    lat = max(min(lat, 85.0511), -85.0511)
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def _merc_lat(y: float) -> float:
    return math.degrees(2 * math.atan(math.exp(y)) - math.pi / 2)


def view_for_bounds(bounds, width_px: float = 1100, height_px: float = 820,
                    padding: float = 0.06, max_zoom: float = 17.0) -> dict:
    """Centre and zoom that fit ``bounds`` (minx, miny, maxx, maxy in lon/lat) into a
    map of ``width_px`` × ``height_px``, leaving ``padding`` (a fraction) on each side.

    plotly's map subplot has no "fit bounds" for layout, so we compute the view
    in Web Mercator as MapLibre does.
    """
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    if not all(map(math.isfinite, (minx, miny, maxx, maxy))) or maxx < minx or maxy < miny:
        return dict(DEFAULT_VIEW)
    usable_w = max(width_px * (1 - 2 * padding), 1.0)
    usable_h = max(height_px * (1 - 2 * padding), 1.0)
    lon_span = max(maxx - minx, 1e-9)
    y0, y1 = _merc_y(miny), _merc_y(maxy)
    y_span = max(y1 - y0, 1e-9)
    zoom_x = math.log2(usable_w * 360.0 / (_TILE * lon_span))
    zoom_y = math.log2(usable_h * 2 * math.pi / (_TILE * y_span))
    zoom = max(0.0, min(zoom_x, zoom_y, max_zoom))
    return {"center": {"lon": round((minx + maxx) / 2, 6), "lat": round(_merc_lat((y0 + y1) / 2), 6)},
            "zoom": round(zoom, 3)}


def view_for_frames(frames: dict, width_px: float = 1000, height_px: float = 800,
                    keys=("districts", "grids", "rivers", "roads")) -> dict:
    """The view fitted to the first of ``keys`` that has geometry (the town's
    outline layers first), else :data:`DEFAULT_VIEW`."""
    for key in keys:
        gdf = frames.get(key)
        if gdf is not None and len(gdf) and not gdf.geometry.is_empty.all():
            return view_for_bounds(gdf.total_bounds, width_px, height_px)
    return DEFAULT_VIEW


def map_layout(view: dict, font_family: str, legend_font_size: int = 16, style: dict | None = None) -> dict:
    """The plotly layout of the wall map: offline style, no margins, transparent paper,
    a quiet legend in the top-left corner."""
    return {
        "map": {"style": style or OFFLINE_STYLE, "center": view["center"], "zoom": view["zoom"]},
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "paper_bgcolor": BACKGROUND,
        "plot_bgcolor": BACKGROUND,
        "font": {"family": font_family, "color": "#cfe0f1"},
        "showlegend": True,
        "legend": {"x": 0.012, "y": 0.985, "xanchor": "left", "yanchor": "top",
                   "bgcolor": "rgba(7,18,31,0.78)", "bordercolor": "rgba(94,160,220,0.35)",
                   "borderwidth": 1, "font": {"size": legend_font_size, "color": "#cfe0f1"},
                   "itemclick": False, "itemdoubleclick": False},
        "hoverlabel": {"bgcolor": "#0d1f33", "bordercolor": "#38bdf8",
                       "font": {"family": font_family, "size": 16, "color": "#e2ecf6"}},
        # Keeps the user's pan/zoom when the figure is refreshed with new data.
        "uirevision": "wall-map",
    }


def map_style(tile_url: str | None = None, attribution: str = "") -> dict:
    """:data:`OFFLINE_STYLE`, plus a raster basemap under our layers when an intranet
    tile server is configured (``TOWNBRAIN_TILES``, an XYZ URL template such as an
    intranet Tianditu ``…/{z}/{x}/{y}``). Without one, nothing is fetched.

    >>> map_style() == OFFLINE_STYLE
    True
    >>> s = map_style("http://tiles.intranet/{z}/{x}/{y}.png")
    >>> s["sources"]["tiles"]["tiles"], [l["id"] for l in s["layers"]]
    (['http://tiles.intranet/{z}/{x}/{y}.png'], ['background', 'tiles'])
    """
    if not tile_url:
        return OFFLINE_STYLE
    return {
        "version": 8,
        "sources": {**OFFLINE_STYLE["sources"],
                    "tiles": {"type": "raster", "tiles": [tile_url], "tileSize": 256, "attribution": attribution}},
        "layers": [*OFFLINE_STYLE["layers"],
                   {"id": "tiles", "type": "raster", "source": "tiles",
                    # dimmed so our own layers stay the message on a dark wall
                    "paint": {"raster-opacity": 0.55, "raster-saturation": -0.6}}],
    }
