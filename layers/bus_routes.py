"""Bus routes (公交线路): town buses orange, village buses (村村通) yellow, along the roads.

brief.md, module 8: "village buses (村村通)".

Examples
--------
>>> import geopandas as gpd, shapely
>>> g = gpd.GeoDataFrame({"route_id": ["B1", "B2"], "name": ["1路", "村村通1路"], "kind": ["town", "village"]},
...                      geometry=[shapely.LineString([(120.6, 31.0), (120.61, 31.01)])] * 2, crs=4326)
>>> [(t["name"], t["line"]["color"]) for t in bus_routes_to_traces(g, label=lambda k: k)]
[('bus.town', '#fb923c'), ('bus.village', '#facc15')]
"""
from __future__ import annotations

from layers.geometry import lines_to_lonlat

SOURCE = "bus_routes"
COLUMNS = ("route_id", "name", "kind", "stops")
COLOURS = {"town": "#fb923c", "village": "#facc15"}


def bus_routes_to_traces(gdf, name: str = "bus_routes", label=lambda k: k) -> list[dict]:
    """One line trace per kind of route (a route is one line; none hovers, the roads
    under them are the basemap)."""
    if gdf is None or len(gdf) == 0:
        return []
    traces = []
    for kind, colour in COLOURS.items():
        sel = gdf[gdf["kind"].astype(str) == kind]
        lons, lats = lines_to_lonlat(sel.geometry)
        if not lons:
            continue
        traces.append({"type": "scattermap", "mode": "lines", "name": label(f"bus.{kind}"), "legendgroup": name,
                       "lon": lons, "lat": lats, "line": {"width": 3.0, "color": colour},
                       "opacity": 0.85, "hoverinfo": "skip"})
    return traces
