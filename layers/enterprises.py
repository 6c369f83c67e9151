"""Enterprises (企业) as points coloured by their credit card: green, yellow, red.

brief.md: "Enterprise credit map: praised and warned enterprises; red/yellow cards".
Red is drawn last (on top) and largest: the warned are what the wall must show.

Examples
--------
>>> import geopandas as gpd
>>> g = gpd.GeoDataFrame({"enterprise_id": ["E1", "E2"], "name": ["甲厂", "乙厂"],
...                       "industry": ["dyeing", "textile"], "credit": ["red", "green"]},
...                      geometry=gpd.points_from_xy([120.6, 120.7], [31.0, 31.1]), crs=4326)
>>> [(t["name"], t["marker"]["color"]) for t in enterprises_to_traces(g)]
[('green', '#34d399'), ('red', '#f87171')]
"""
from __future__ import annotations

import numpy as np

SOURCE = "enterprises"
COLUMNS = ("enterprise_id", "name", "industry", "credit")

CREDIT_COLOURS = {"green": "#34d399", "yellow": "#facc15", "red": "#f87171"}
SIZES = {"green": 7, "yellow": 10, "red": 13}
ORDER = ("green", "yellow", "red")


def enterprises_to_traces(gdf, name: str = "enterprises", labels: dict | None = None,
                          industry_labels: dict | None = None) -> list[dict]:
    """One ``scattermap`` marker trace per credit colour (legend: ``labels[credit]``);
    hover: enterprise name, industry and credit."""
    if gdf is None or len(gdf) == 0:
        return []
    labels = labels or {}
    industry_labels = industry_labels or {}
    credit = gdf["credit"].fillna("green").astype(str) if "credit" in gdf else np.full(len(gdf), "green")
    traces = []
    for c in ORDER:
        sel = gdf[np.asarray(credit == c)]
        if len(sel) == 0:
            continue
        names = sel["name"].fillna("").astype(str).tolist() if "name" in sel else [""] * len(sel)
        # a missing industry (None, NaN, pd.NA) shows as empty, never as a code or "nan"
        inds = (sel["industry"].astype(object).where(sel["industry"].notna(), "").astype(str).tolist()
                if "industry" in sel else [""] * len(sel))
        traces.append({
            "type": "scattermap", "mode": "markers", "name": labels.get(c, c), "legendgroup": name,
            "lon": np.round(sel.geometry.x.to_numpy(), 5).tolist(),
            "lat": np.round(sel.geometry.y.to_numpy(), 5).tolist(),
            "marker": {"size": SIZES[c], "color": CREDIT_COLOURS[c], "opacity": 0.9},
            "customdata": [[n, industry_labels.get(i, i), labels.get(c, c)] for n, i in zip(names, inds)],
            "hovertemplate": "%{customdata[0]}<br>%{customdata[1]} · %{customdata[2]}<extra></extra>",
        })
    return traces
