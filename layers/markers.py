"""One ``scattermap`` marker trace from a frame of points: the shared body of the
modules' point layers (cameras, car parks, schools, key projects, opinion items).

Coordinates are rounded to 5 decimals (≈ 1 m): finer digits only make the JSON
bigger. Hover text comes in ``customdata`` rows, so no label is drawn on the map.

>>> import geopandas as gpd
>>> g = gpd.GeoDataFrame({"n": ["a"]}, geometry=gpd.points_from_xy([120.123456], [31.0]), crs=4326)
>>> t = marker_trace(g, "cams", "cameras", "#fff", 6, [["a"]], "%{customdata[0]}")
>>> t["lon"], t["marker"]["size"], t["legendgroup"]
([120.12346], 6, 'cameras')
"""
from __future__ import annotations

import numpy as np


def marker_trace(points, name: str, group: str, colour, size, customdata: list, hovertemplate: str,
                 opacity: float = 0.9, showlegend: bool = True) -> dict:
    """A marker trace of ``points`` (a GeoDataFrame of Points); ``size`` and ``colour``
    are one value or one per point."""
    return {"type": "scattermap", "mode": "markers", "name": name, "legendgroup": group,
            "showlegend": showlegend,
            "lon": np.round(points.geometry.x.to_numpy(), 5).tolist(),
            "lat": np.round(points.geometry.y.to_numpy(), 5).tolist(),
            "marker": {"size": size, "color": colour, "opacity": opacity},
            "customdata": customdata, "hovertemplate": hovertemplate + "<extra></extra>"}


def scaled_sizes(values, low: float, high: float) -> list[float]:
    """Marker sizes from ``low`` to ``high`` px by the square root of ``values`` (area ∝ value).

    >>> scaled_sizes([0, 25, 100], 6, 16)
    [6.0, 11.0, 16.0]
    """
    v = np.sqrt(np.clip(np.asarray(values, dtype=float), 0, None))
    top = v.max() if len(v) else 0
    return np.round(low + (high - low) * (v / top if top else v * 0), 1).tolist()
