"""Maps in the notebook, offline: the page of ``townbrain export html`` in an iframe.

Why an ``<iframe srcdoc>``: JupyterLab, the classic Notebook and VS Code all show a
trusted output's HTML, but each handles a bare ``<script>`` differently (VS Code runs
outputs in its own webview; JupyterLab drops scripts of untrusted outputs). A
``srcdoc`` iframe sandboxed with ``allow-scripts`` runs the same self-contained page
(:func:`exports.html_map.render_leaflet_html`: Leaflet, Leaflet.heat and our script
inlined, the CJK font subset as a data URL, a CSP of ``default-src 'none'``) in all
three, with nothing fetched and without the notebook's own origin. The price is that
each map carries its own copy of Leaflet (~150 kB); a map output stays far below the
5 MB cap (``bench/notebook.py``).

Above :data:`HEAT_POINTS_MAX` case points the heat layer is drawn from H3 cells
(resolution :data:`H3_RES`, as the wall's warnings aggregate) weighted by their count,
and the subtitle says so.

Examples
--------
>>> import townbrain as tb
>>> from townbrain.examples import tiny_town
>>> town = tb.connect(tiny_town())
>>> k = town.kpi("2018-01-01", "2018-02-01", by="grid")
>>> m = k.map("disposal_rate", lang="en")
>>> m.legend["title"]
'Disposal rate (2018-01-01 – 2018-02-01)'
>>> m._repr_html_().startswith('<iframe sandbox="allow-scripts"')
True
>>> k["accepted"].map(lambda v: v * 10).tolist()
[20, 10]
"""
from __future__ import annotations

import html
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["KpiFrame", "TownMap", "town_map", "HEAT_POINTS_MAX", "OUTPUT_CAP_BYTES", "without_foreign_urls"]

#: Above this many case points the heat layer is drawn from H3 cells.
HEAT_POINTS_MAX = 20_000
H3_RES = 9
#: The largest notebook output a map may make (issue 18).
OUTPUT_CAP_BYTES = 5 * 1024 * 1024
UNIT_COLUMNS = {"grid": "grid_id", "district": "district_id"}
#: XML namespace names: identifiers that look like URLs and are never fetched.
XML_NAMESPACES = ("http://www.w3.org/2000/svg", "http://www.w3.org/1999/xhtml", "http://www.w3.org/1999/xlink",
                  "http://www.w3.org/XML/1998/namespace", "http://www.w3.org/2000/xmlns/")
_URL = re.compile(r"https?://(?!(?:127\.0\.0\.1|localhost|\[::1\])[:/])[^\s\"'<>)\\]+")


def without_foreign_urls(page: str) -> str:
    """``page`` with every ``http(s)://`` text to another host made scheme-less.

    The inlined Leaflet holds a few such strings — bug-tracker links in comments and
    the attribution link our map switches off (``attributionControl: false``) — none
    of them fetched (the page's CSP forbids every fetch). A notebook is read and
    shared as text, so its outputs carry no outside address at all.

    >>> without_foreign_urls('<a href="https://leafletjs.com">L</a> http://127.0.0.1:8050/x '
    ...                      'createElementNS("http://www.w3.org/2000/svg")')
    '<a href="leafletjs.com">L</a> http://127.0.0.1:8050/x createElementNS("http://www.w3.org/2000/svg")'
    """
    def strip(m: re.Match) -> str:
        url = m.group(0)
        return url if url.startswith(XML_NAMESPACES) else url.split("://", 1)[1]
    return _URL.sub(strip, page)


class TownMap:
    """A drawn map: ``_repr_html_`` for Jupyter, :meth:`to_html` for a file.

    ``data`` is the map as plain data (the layers, legend, title) and ``page`` the
    self-contained HTML page."""

    def __init__(self, data: dict, height: int = 560):
        from exports.html_map import render_leaflet_html
        self.data = data
        self.height = height
        self.page = without_foreign_urls(render_leaflet_html(data))

    @property
    def legend(self) -> dict | None:
        return self.data.get("legend")

    @property
    def title(self) -> str:
        return self.data["title"]

    def to_html(self, path: str | os.PathLike) -> Path:
        """Write the page (the same one the notebook shows) to ``path``; returns the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.page, encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        # srcdoc in single quotes: only & and ' need escaping inside it (HTML attribute
        # value rules), where html.escape would make every JSON quote six bytes
        doc = self.page.replace("&", "&amp;").replace("'", "&#39;")
        return (f'<iframe sandbox="allow-scripts" style="width:100%;height:{self.height}px;border:0" '
                f"title='{html.escape(self.title, quote=True)}' srcdoc='{doc}'></iframe>")

    def __repr__(self) -> str:
        return f"<TownMap {self.title!r}: {len(self.data['layers'])} layers, {len(self.page) / 1e6:.1f} MB>"


def aggregate_heat(points: list, res: int = H3_RES) -> tuple[list, float]:
    """``[[lat, lon], …]`` → ``[[lat, lon, n], …]`` at the centres of their H3 cells,
    and the weight that saturates (a share of all, as the point layer uses).

    >>> pts, top = aggregate_heat([[31.0, 120.6], [31.0, 120.6], [31.2, 120.7]])
    >>> sorted(p[2] for p in pts)
    [1, 2]
    """
    import h3
    if not len(points):
        return [], 1.0
    arr = np.asarray(points, dtype=float)
    cells = [h3.latlng_to_cell(lat, lon, res) for lat, lon in arr]
    uniq, counts = np.unique(np.asarray(cells, dtype=object), return_counts=True)
    out = [[round(lat, 5), round(lon, 5), int(n)] for (lat, lon), n in
           zip((h3.cell_to_latlng(c) for c in uniq), counts)]
    return out, max(1.0, len(arr) / 2500)


def _fmt(v, unit: str) -> str | None:
    if v is None or pd.isna(v):
        return None
    return f"{v * 100:.1f}%" if unit == "ratio" else f"{v:,.4g}" if isinstance(v, float) and v % 1 else f"{v:,.0f}"


def recolour(data: dict, values: pd.Series, key: str, lang: str, *, by: str = "grid",
             period: str = "") -> dict:
    """The map ``data`` with its grids (or districts) coloured by ``values`` of KPI
    ``key`` (indexed by unit id), a legend for it and the period in the subtitle."""
    from exports.print_map import NO_DATA, grid_classes
    from indicators.registry import load_all
    ind = load_all().get(key)
    label = (ind.zh if lang == "zh" else ind.en) if ind else key
    unit = ind.unit if ind else ""
    col = UNIT_COLUMNS.get(by, "grid_id")
    vals = {str(k): (None if pd.isna(v) else float(v)) for k, v in values.items()}
    breaks, colours = grid_classes(vals)
    target = None
    for lay in data["layers"]:
        feats = lay.get("geojson", {}).get("features", []) if lay.get("kind") == "polygons" else []
        if feats and col in feats[0]["properties"] and (lay.get("tip") or col == "district_id"):
            target = lay
    if target is None:
        raise ValueError(f"the map has no {by} layer to colour")
    for f in target["geojson"]["features"]:
        v = vals.get(str(f["properties"][col]))
        if v is None or not breaks:
            f["properties"]["_fill"] = None
        else:
            i = min(max(int(np.searchsorted(breaks, v, side="right")) - 1, 0), len(breaks) - 2)
            f["properties"]["_fill"] = colours[i]
        f["properties"]["_kpi"] = _fmt(v, unit)
    target["fillOpacity"] = 0.6
    base = target["name"].split(" · ")[0]
    target["name"] = f"{base} · {label}"
    tip = [t for t in (target.get("tip") or [["_name", ""], [col, ""]]) if t[0] != "_kpi"]
    target["tip"] = tip[:2] + [["_kpi", label]] + tip[2:]
    classes = [[c, f"{_fmt(breaks[i], unit)} – {_fmt(breaks[i + 1], unit)}"] for i, c in enumerate(colours)]
    if any(v is None for v in vals.values()) or len(vals) < len(target["geojson"]["features"]):
        classes.append([NO_DATA, "无数据" if lang == "zh" else "no data"])
    data["legend"] = {"title": label + (f" ({period})" if period else ""), "classes": classes}
    if period:
        data["subtitle"] = f"{label} · {period}"
    return data


def limit_heat(data: dict, lang: str, limit: int = HEAT_POINTS_MAX) -> dict:
    """Above ``limit`` heat points, draw the heat from H3 cells and say so in the subtitle."""
    for lay in data["layers"]:
        if lay.get("kind") == "heat" and len(lay["points"]) > limit:
            n = len(lay["points"])
            lay["points"], lay["max"] = aggregate_heat(lay["points"])
            note = (f"案件热力按 H3 {H3_RES} 级网格汇总({n:,} 件 > {limit:,})" if lang == "zh"
                    else f"case heat aggregated to H3 resolution-{H3_RES} cells ({n:,} cases > {limit:,})")
            data["subtitle"] = f"{data['subtitle']} | {note}"
            data["aggregated"] = {"points": n, "cells": len(lay["points"]), "h3_res": H3_RES}
    return data


def _year_to_date() -> tuple[pd.Timestamp, pd.Timestamp]:
    from geodata import config
    now = pd.Timestamp.now(tz=config.timezone())
    return pd.Timestamp(year=now.year, month=1, day=1, tz=config.timezone()), now


def town_map(town, module: str = "public", lang: str = "zh", kpi: str | None = None, *, start=None, end=None,
             values: pd.Series | None = None, by: str = "grid", period: str | None = None) -> TownMap:
    """The module's offline map of ``town`` (see :meth:`townbrain.Town.map`)."""
    from exports.common import default_user
    from exports.html_map import html_map_data
    from exports.print_map import MapRequest
    MapRequest(module=module, lang=lang).check()
    data = html_map_data(town.store, module, lang, scope=town.gate, made_by=default_user())
    if kpi is not None and values is None:
        if start is None and end is None:
            start, end = _year_to_date()
        k = town.kpi(start, end, by=by)
        if kpi not in k.columns:
            raise ValueError(f"unknown KPI {kpi!r}; KPIs: {', '.join(k.columns)}")
        values, period = k[kpi], _period_text(k.attrs.get("period"))
    if values is not None:
        data = recolour(data, values, kpi or values.name, lang, by=by, period=period or "")
    data = limit_heat(data, lang)
    return TownMap(data)


def _period_text(period: dict | None) -> str:
    if not period:
        return ""
    f, t = (pd.Timestamp(period[k]) for k in ("from", "to"))
    return f"{f:%Y-%m-%d} – {t:%Y-%m-%d}"


class KpiFrame(pd.DataFrame):
    """The DataFrame :meth:`townbrain.Town.kpi` returns: a plain DataFrame plus
    :meth:`map` with no function, which draws the KPI on the town's grids."""

    _metadata = ["_town"]

    @property
    def _constructor(self):
        return KpiFrame

    def map(self, func=None, na_action=None, *, kpi: str | None = None, module: str = "public",
            lang: str = "zh", **kwargs):
        """``map()`` / ``map("disposal_rate")``: a :class:`TownMap` of the grids coloured
        by a KPI of this frame (default ``disposal_rate``; a frame not by grid or
        district is recomputed by grid for the same period). ``map(callable)``:
        :meth:`pandas.DataFrame.map`, elementwise, as ever."""
        if callable(func):
            return super().map(func, na_action=na_action, **kwargs)
        key = kpi or func or "disposal_rate"
        town = getattr(self, "_town", None)
        if town is None:
            raise ValueError("this frame does not come from town.kpi(); nothing to draw it on")
        by = self.attrs.get("by")
        period = self.attrs.get("period") or {}
        if by in UNIT_COLUMNS:
            if key not in self.columns:
                raise ValueError(f"unknown KPI {key!r}; KPIs: {', '.join(self.columns)}")
            values = self[key]
        else:
            k = town.kpi(period.get("from"), period.get("to"), by="grid", as_of=period.get("as_of"))
            values, by = k[key], "grid"
        return town_map(town, module=module, lang=lang, kpi=key, values=values, by=by,
                        period=_period_text(period))
