"""Patrol tracks (巡查轨迹) of the last day: thin bright lines where inspectors walked.

GPS tracks carry a point every few metres; simplified to ≈5 m they keep their
shape at town zoom and shrink the payload about four times.

Examples
--------
>>> import geopandas as gpd, shapely
>>> g = gpd.GeoDataFrame({"patrol_id": ["P1"]},
...                      geometry=[shapely.LineString([(0, 0), (0.00001, 0), (0.001, 0)])], crs=4326)
>>> t = patrols_to_traces(g)[0]
>>> t["type"], t["lon"]
('scattermap', [0.0, 0.001])
"""
from __future__ import annotations

from layers.geometry import lines_to_lonlat

SOURCE = "patrols"
COLUMNS = ("patrol_id", "staff_id", "started_at", "ended_at")
TOLERANCE_DEG = 0.00005
COLOUR = "rgba(129, 140, 248, 0.75)"


def patrols_to_traces(gdf, name: str = "patrols") -> list[dict]:
    """One ``scattermap`` line trace of every track, simplified."""
    if gdf is None or len(gdf) == 0:
        return []
    lons, lats = lines_to_lonlat(gdf.geometry.simplify(TOLERANCE_DEG))
    if not lons:
        return []
    return [{"type": "scattermap", "mode": "lines", "name": name, "legendgroup": "patrols",
             "lon": lons, "lat": lats, "line": {"width": 1.6, "color": COLOUR},
             "showlegend": True, "hoverinfo": "skip"}]
