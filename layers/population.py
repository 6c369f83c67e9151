"""Population density (人口密度) by H3 cell: residents counted on the server, never sent.

Residents are personal data (brief.md, "Security"): the browser receives only the
number of residents per H3 cell (resolution 9, ≈0.1 km²), never a point, and cells
with fewer than :data:`MIN_RESIDENTS` are left out so a single household cannot
be picked out.

Examples
--------
>>> import pandas as pd, h3
>>> cell = h3.latlng_to_cell(31.0, 120.6, 9)
>>> counts = residents_to_h3_counts(pd.DataFrame({"h3": [cell] * 12 + [None]}))
>>> counts.to_dict() == {cell: 12}
True
>>> t = h3_counts_to_traces(counts)[0]
>>> t["type"], t["z"], len(t["geojson"]["features"][0]["geometry"]["coordinates"][0])
('choroplethmap', [12], 7)
"""
from __future__ import annotations

import h3
import numpy as np
import pandas as pd

SOURCE = "residents"
COLUMNS = ("h3",)
MIN_RESIDENTS = 5
COLOURS = [[0.0, "rgba(30, 64, 175, 0.10)"], [0.35, "rgba(56, 189, 248, 0.45)"],
           [0.7, "rgba(250, 204, 21, 0.6)"], [1.0, "rgba(248, 113, 113, 0.8)"]]


def residents_to_h3_counts(residents: pd.DataFrame, min_residents: int = MIN_RESIDENTS) -> pd.Series:
    """Residents per H3 cell (the ``h3`` column ``townbrain assign`` writes); cells below
    ``min_residents`` dropped."""
    if residents is None or len(residents) == 0 or "h3" not in residents:
        return pd.Series(dtype="int64")
    counts = residents["h3"].dropna().astype(str).value_counts()
    return counts[counts >= min_residents].sort_index()


def _hexagon(cell: str) -> dict:
    ring = [[round(lng, 6), round(lat, 6)] for lat, lng in h3.cell_to_boundary(cell)]
    return {"type": "Polygon", "coordinates": [ring + ring[:1]]}


def h3_counts_to_traces(counts: pd.Series, name: str = "population", colorbar_title: str = "",
                        hover_unit: str = "") -> list[dict]:
    """One ``choroplethmap`` trace of hexagons coloured by count (square-root scale, so
    the town centre does not wash out the villages), with a colour bar."""
    if counts is None or len(counts) == 0:
        return []
    cells = counts.index.astype(str).tolist()
    values = counts.to_numpy().astype(int)
    ticks = [int(v) for v in np.unique(np.quantile(values, [0, 0.5, 0.9, 1.0]).round())]
    return [{
        "type": "choroplethmap", "name": name, "legendgroup": "population",
        "geojson": {"type": "FeatureCollection",
                    "features": [{"type": "Feature", "id": c, "properties": {}, "geometry": _hexagon(c)}
                                 for c in cells]},
        "locations": cells, "z": values.tolist(),
        "zmin": 0, "zmax": int(values.max()),
        "colorscale": [[s ** 2, c] for s, c in COLOURS],
        "marker": {"line": {"width": 0}}, "showlegend": True, "showscale": True,
        "colorbar": colorbar(colorbar_title, ticks),
        "hovertemplate": "%{z} " + hover_unit + "<extra></extra>",
    }]


def colorbar(title: str, ticks=None) -> dict:
    """The map's colour bar: bottom right, over the map, large enough to read."""
    bar = {"title": {"text": title, "side": "top", "font": {"size": 15}},
           "x": 0.985, "xanchor": "right", "y": 0.1, "yanchor": "bottom",
           "len": 0.34, "thickness": 14, "bgcolor": "rgba(7,18,31,0.78)",
           "outlinewidth": 0, "tickfont": {"size": 14}}
    if ticks:
        bar["tickvals"] = list(ticks)
    return bar
