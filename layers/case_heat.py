"""The live case heat map (案件热力图): recent cases as a MapLibre heat layer.

plotly's ``densitymap`` hands the points to MapLibre's own heatmap layer, so the
density is computed on the GPU and stays smooth when zooming; a week of cases is a
few thousand points (≈30 kB gzipped), far cheaper than any tile.

Examples
--------
>>> import geopandas as gpd
>>> g = gpd.GeoDataFrame({"case_id": ["C1", "C2"]}, geometry=gpd.points_from_xy([120.6, 120.7], [31.0, 31.1]),
...                      crs=4326)
>>> t = cases_to_heat_traces(g)[0]
>>> t["type"], t["lon"], t["showscale"]
('densitymap', [120.6, 120.7], False)
"""
from __future__ import annotations

import numpy as np

SOURCE = "cases"
COLUMNS = ("case_id",)
COLOURS = [[0.0, "rgba(0,0,0,0)"], [0.3, "rgba(56,189,248,0.25)"], [0.6, "rgba(250,204,21,0.55)"],
           [0.85, "rgba(249,115,22,0.75)"], [1.0, "rgba(239,68,68,0.9)"]]


def cases_to_heat_traces(gdf, name: str = "case_heat", radius: int = 9) -> list[dict]:
    """One ``densitymap`` trace of the case points (no hover: a heat map is read as a whole)."""
    if gdf is None or len(gdf) == 0:
        return []
    pts = gdf.geometry[~gdf.geometry.is_empty & gdf.geometry.notna()]
    return [{"type": "densitymap", "name": name, "legendgroup": "case_heat",
             "lon": np.round(pts.x.to_numpy(), 5).tolist(), "lat": np.round(pts.y.to_numpy(), 5).tolist(),
             "radius": radius, "colorscale": COLOURS, "showscale": False, "showlegend": True,
             "hoverinfo": "skip", "opacity": 0.7}]
