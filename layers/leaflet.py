"""Map layers as the wall's Leaflet map draws them (``assets/map.js``).

The layer files (``layers/*.py``) describe each layer as a plotly-style trace dict
(geometry, colours, hover template). The wall and the console (``callbacks/console_view.py``)
draw them with Leaflet on a Canvas 2D renderer, not plotly's MapLibre: without a GPU
(the command room's PCs, headless Chromium) every frame of plotly's MapLibre map is
drawn in software WebGL and read back, 0.2-0.5 s a frame, where a Canvas 2D redraw
takes tens of milliseconds (``bench/ui.py``, docs/map-rendering.md).
:func:`to_map_layer` turns one trace into the compact
spec ``assets/map.js`` draws:

* ``polygons`` — a GeoJSON collection with one fill colour per feature (worked out
  here from ``z`` and the colour scale, so the browser does no colour maths), an
  outline, and a tooltip per feature;
* ``lines`` — ``lon``/``lat`` with ``None`` between parts, one colour and width;
* ``points`` — circle markers, colour and diameter (px) each or for all, tooltips;
* ``heat`` — points (and weights) for Leaflet.heat, with its colour gradient.

A layer with a colour bar (the grid KPI, population density) carries ``scale``: its
title, colour stops and the value range, which the map's HTML legend shows.

Examples
--------
>>> spec = to_map_layer({"type": "scattermap", "mode": "markers", "name": "A", "lon": [120.5], "lat": [31.0],
...                      "marker": {"size": 8, "color": "#34d399"}, "customdata": [["Shop", 3]],
...                      "hovertemplate": "%{customdata[0]}<br>%{customdata[1]} staff<extra></extra>"})
>>> spec["kind"], spec["size"], spec["tips"]
('points', 8, ['Shop<br>3 staff'])
>>> tooltips({"lon": [0], "customdata": [['<img src=x onerror="alert(1)">']], "hovertemplate": "<b>%{customdata[0]}</b>"})
['<b>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</b>']
>>> colour_at([[0, "rgba(0, 0, 0, 0.5)"], [1, "#ffffff"]], 0.5)
'rgba(128,128,128,0.750)'
"""
from __future__ import annotations

import html
import re

#: Trace keys every spec keeps as they are.
_COMMON = ("uid", "name", "legendgroup", "showlegend", "visible", "meta")
_FIELD = re.compile(r"%\{(customdata|z|text|location)(?:\[(\d+)\])?(?::[^}]*)?\}")


# ---- colours ------------------------------------------------------------------------------------
def parse_colour(c: str) -> tuple[float, float, float, float]:
    """(r, g, b, a) of ``#rgb``, ``#rrggbb``, ``rgb(...)`` or ``rgba(...)``.

    >>> parse_colour("#0f0"), parse_colour("rgba(1, 2, 3, 0.5)")
    ((0.0, 255.0, 0.0, 1.0), (1.0, 2.0, 3.0, 0.5))
    """
    c = c.strip()
    if c.startswith("#"):
        h = c[1:]
        if len(h) == 3:
            h = "".join(ch * 2 for ch in h)
        return float(int(h[0:2], 16)), float(int(h[2:4], 16)), float(int(h[4:6], 16)), 1.0
    inner = c[c.index("(") + 1:c.rindex(")")]
    parts = [float(p) for p in inner.split(",")]
    return (*parts[:3], parts[3] if len(parts) > 3 else 1.0)


def colour_at(scale, frac: float) -> str:
    """The colour of a plotly colour scale (``[[stop, colour], ...]``) at ``frac`` in [0, 1]."""
    stops = [(float(s), parse_colour(c)) for s, c in scale]
    frac = min(max(frac, stops[0][0]), stops[-1][0])
    for (s0, c0), (s1, c1) in zip(stops, stops[1:]):
        if frac <= s1:
            w = 0.0 if s1 == s0 else (frac - s0) / (s1 - s0)
            r, g, b, a = (x0 + w * (x1 - x0) for x0, x1 in zip(c0, c1))
            return f"rgba({round(r)},{round(g)},{round(b)},{a:.3f})"
    r, g, b, a = stops[-1][1]
    return f"rgba({round(r)},{round(g)},{round(b)},{a:.3f})"


def fill_colours(z, zmin, zmax, scale) -> list:
    """One fill colour per value of ``z`` on ``scale`` between ``zmin`` and ``zmax``;
    ``None`` (no fill, outline only) where the value is missing."""
    if not scale:
        return [None] * len(z or [])
    span = (zmax - zmin) if zmax is not None and zmin is not None and zmax > zmin else None
    out = []
    for v in z or []:
        if v is None or v != v:
            out.append(None)
        else:
            out.append(colour_at(scale, 0.0 if span is None else (float(v) - zmin) / span))
    return out


# ---- tooltips -----------------------------------------------------------------------------------
def tooltips(trace: dict) -> list[str] | None:
    """The text plotly's ``hovertemplate`` would show for each point or feature, or
    ``None`` when the trace has no hover (``hoverinfo: skip``)."""
    template = trace.get("hovertemplate")
    if trace.get("hoverinfo") == "skip" or not template:
        return None
    template = re.sub(r"<extra>.*?</extra>", "", template)
    n = len(trace.get("lon") or trace.get("locations") or [])
    cols = {"customdata": trace.get("customdata"), "z": trace.get("z"), "text": trace.get("text"),
            "location": trace.get("locations")}

    def one(i: int) -> str:
        def field(m):
            seq = cols[m.group(1)]
            v = seq[i] if isinstance(seq, list) and i < len(seq) else seq
            if m.group(2) is not None:
                v = v[int(m.group(2))] if isinstance(v, (list, tuple)) and int(m.group(2)) < len(v) else ""
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            # the template is ours; a value is data (a name loaded from a town's file):
            # Leaflet's bindTooltip sets the string as HTML, so a value goes in as text
            return "" if v is None else html.escape(str(v))
        return _FIELD.sub(field, template)

    return [one(i) for i in range(n)]


# ---- one trace ----------------------------------------------------------------------------------
def _scale(trace: dict) -> dict | None:
    if not trace.get("showscale") or not trace.get("colorscale"):
        return None
    bar = trace.get("colorbar") or {}
    title = bar.get("title")
    return {"title": title.get("text", "") if isinstance(title, dict) else (title or trace.get("name", "")),
            "stops": trace["colorscale"], "min": trace.get("zmin"), "max": trace.get("zmax"),
            "tickformat": bar.get("tickformat", "")}


def to_map_layer(trace: dict) -> dict:
    """The spec ``assets/map.js`` draws for one plotly-style map trace (see the module text)."""
    kind = trace.get("type")
    spec = {k: trace[k] for k in _COMMON if k in trace}
    opacity = trace.get("opacity", 1.0)
    if kind == "choroplethmap":
        marker = trace.get("marker") or {}
        line = marker.get("line") or {}
        ids_ = trace.get("locations") or []
        z = trace.get("z")
        present = [v for v in (z or []) if v is not None and v == v]
        fills = fill_colours(z, trace.get("zmin", min(present, default=0)), trace.get("zmax", max(present, default=1)),
                             trace.get("colorscale"))
        spec.update(kind="polygons", geojson=trace.get("geojson") or {"type": "FeatureCollection", "features": []},
                    ids=ids_, fill=fills, fillOpacity=marker.get("opacity", opacity),
                    line={"color": line.get("color", "rgba(0,0,0,0)"), "width": line.get("width", 1)},
                    tips=tooltips(trace), scale=_scale(trace))
        return spec
    if kind == "scattermap" and "lines" in (trace.get("mode") or ""):
        line = trace.get("line") or {}
        spec.update(kind="lines", lon=trace.get("lon") or [], lat=trace.get("lat") or [],
                    color=line.get("color", "#94a3b8"), width=line.get("width", 1.5), opacity=opacity)
        return spec
    if kind == "scattermap":
        marker = trace.get("marker") or {}
        spec.update(kind="points", lon=trace.get("lon") or [], lat=trace.get("lat") or [],
                    color=marker.get("color", "#e2e8f0"), size=marker.get("size", 6),
                    opacity=marker.get("opacity", opacity), tips=tooltips(trace))
        return spec
    if kind == "densitymap":
        scale = trace.get("colorscale") or []
        spec.update(kind="heat", lon=trace.get("lon") or [], lat=trace.get("lat") or [], z=trace.get("z"),
                    radius=trace.get("radius", 10), opacity=opacity,
                    gradient={str(round(float(s), 3)): c for s, c in scale if float(s) > 0},
                    max=trace.get("zmax"))
        return spec
    raise ValueError(f"no Leaflet drawing for a {kind!r} trace")
