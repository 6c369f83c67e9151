"""Rivers and canals (河道): water polygons filled, centre lines drawn.

The contract allows both geometries in one layer ("LineString or Polygon"), so
this layer can give two traces.

Examples
--------
>>> import geopandas as gpd, shapely
>>> g = gpd.GeoDataFrame({"river_id": ["R1", "R2"], "name": ["运河", "湖"]},
...                      geometry=[shapely.LineString([(0, 0), (1, 1)]), shapely.box(2, 2, 3, 3)], crs=4326)
>>> [t["type"] for t in rivers_to_traces(g)]
['choroplethmap', 'scattermap']
"""
from __future__ import annotations

from layers.geometry import is_polygonal, lines_to_lonlat, polygons_to_geojson

SOURCE = "rivers"
COLUMNS = ("river_id", "name")

WATER = "#2f7fc1"
WATER_FILL = "rgba(47, 127, 193, 0.75)"


def rivers_to_traces(gdf, name: str = "rivers") -> list[dict]:
    """Polygons as a ``choroplethmap`` fill, lines as one ``scattermap`` line trace;
    both share one legend entry."""
    if gdf is None or len(gdf) == 0:
        return []
    polygonal = gdf.geometry.map(is_polygonal)
    traces = []
    if polygonal.any():
        polys = gdf[polygonal]
        ids = polys["river_id"].astype(str).tolist()
        traces.append({
            "type": "choroplethmap", "name": name, "legendgroup": "rivers",
            "geojson": polygons_to_geojson(polys.geometry, ids), "locations": ids,
            "z": [0] * len(ids), "colorscale": [[0, WATER_FILL], [1, WATER_FILL]],
            "showscale": False, "showlegend": True,
            "marker": {"line": {"width": 0}}, "hoverinfo": "skip",
        })
    lons, lats = lines_to_lonlat(gdf[~polygonal].geometry)
    if lons:
        traces.append({
            "type": "scattermap", "mode": "lines", "name": name, "legendgroup": "rivers",
            "lon": lons, "lat": lats, "line": {"width": 3, "color": WATER},
            "showlegend": not traces, "hoverinfo": "skip",
        })
    return traces
