"""Roads (道路): light grey lines, wider for higher classes.

Examples
--------
>>> import geopandas as gpd, shapely
>>> g = gpd.GeoDataFrame({"road_id": ["A", "B", "C"], "name": ["", "", ""],
...                       "road_class": ["main", "village", None]},
...                      geometry=[shapely.LineString([(0, 0), (1, 1)])] * 3, crs=4326)
>>> [(t["line"]["width"], t["showlegend"]) for t in roads_to_traces(g)]
[(2.4, True), (1.0, False), (1.0, False)]
"""
from __future__ import annotations

from layers.geometry import lines_to_lonlat

SOURCE = "roads"
COLUMNS = ("road_id", "name", "road_class")

COLOUR = "rgba(203, 213, 225, 0.55)"
#: Line width in px by road class (geodata.schema.ROAD_CLASSES); unknown classes
#: (the class list is an open tree) draw like village roads.
WIDTHS = {"expressway": 3.4, "main": 2.4, "secondary": 1.6, "village": 1.0, "path": 0.6}
DEFAULT_WIDTH = 1.0


def roads_to_traces(gdf, name: str = "roads") -> list[dict]:
    """One ``scattermap`` line trace per road class, widest first (drawn under the
    narrower ones); one legend entry for all."""
    if gdf is None or len(gdf) == 0:
        return []
    classes = gdf["road_class"].astype(object).where(gdf["road_class"].notna(), None) \
        if "road_class" in gdf else [None] * len(gdf)
    order = sorted({c for c in classes}, key=lambda c: (-WIDTHS.get(c, DEFAULT_WIDTH), str(c)))
    traces = []
    for cls in order:
        mask = [c == cls for c in classes]
        lons, lats = lines_to_lonlat(gdf.geometry[mask])
        if not lons:
            continue
        traces.append({
            "type": "scattermap", "mode": "lines", "name": name, "legendgroup": "roads",
            "lon": lons, "lat": lats,
            "line": {"width": WIDTHS.get(cls, DEFAULT_WIDTH), "color": COLOUR},
            "showlegend": not traces, "hoverinfo": "skip",
        })
    return traces
