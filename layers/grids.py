"""Comprehensive grids (综合网格): thin outlines over the districts.

For now every grid looks the same; a choropleth by a KPI (issue 6) will feed ``z``.

Examples
--------
>>> import geopandas as gpd, shapely
>>> g = gpd.GeoDataFrame({"grid_id": ["G1"], "name": ["一网格"], "district_id": ["D1"]},
...                      geometry=[shapely.box(0, 0, 1, 1)], crs=4326)
>>> t = grids_to_traces(g)[0]
>>> t["type"], t["locations"], t["marker"]["line"]["width"]
('choroplethmap', ['G1'], 1.0)
"""
from __future__ import annotations

from layers.geometry import polygons_to_geojson

SOURCE = "grids"
COLUMNS = ("grid_id", "name", "district_id")

OUTLINE = "rgba(94, 234, 212, 0.55)"
#: Nearly transparent, not fully: a fill of opacity 0 is not drawn, and then a
#: pointer over a grid's inside would not find it (hover, and clicks in issue 6).
FILL = "rgba(94, 234, 212, 0.03)"


def grids_to_traces(gdf, name: str = "grids") -> list[dict]:
    """One ``choroplethmap`` trace with all grids as outlines; hover shows the grid name."""
    if gdf is None or len(gdf) == 0:
        return []
    ids = gdf["grid_id"].astype(str).tolist()
    names = gdf["name"].fillna(gdf["grid_id"]).astype(str).tolist() if "name" in gdf else ids
    return [{
        "type": "choroplethmap",
        "name": name,
        "geojson": polygons_to_geojson(gdf.geometry, ids),
        "locations": ids,
        "z": [0] * len(ids),
        "colorscale": [[0, FILL], [1, FILL]],
        "showscale": False,
        "showlegend": True,
        "marker": {"line": {"width": 1.0, "color": OUTLINE}},
        "customdata": names,
        "hovertemplate": "%{customdata}<extra></extra>",
    }]
