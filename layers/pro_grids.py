"""Professional grids (专业网格): amber outlines over the town, one per 80 enterprises at most.

Examples
--------
>>> import geopandas as gpd, shapely
>>> g = gpd.GeoDataFrame({"pro_grid_id": ["P1"], "name": ["一专网"]}, geometry=[shapely.box(0, 0, 1, 1)], crs=4326)
>>> t = pro_grids_to_traces(g, counts={"P1": 42})[0]
>>> t["type"], t["locations"], t["customdata"]
('choroplethmap', ['P1'], [['一专网', 42]])
"""
from __future__ import annotations

from layers.geometry import polygons_to_geojson

SOURCE = "pro_grids"
COLUMNS = ("pro_grid_id", "name")

OUTLINE = "rgba(251, 191, 36, 0.9)"
FILL = "rgba(251, 191, 36, 0.06)"


def pro_grids_to_traces(gdf, name: str = "pro_grids", counts: dict | None = None,
                        hover_unit: str = "") -> list[dict]:
    """One ``choroplethmap`` trace of amber outlines; hover shows the name and the
    number of enterprises in the grid (``counts``: pro_grid_id → n)."""
    if gdf is None or len(gdf) == 0:
        return []
    ids = gdf["pro_grid_id"].astype(str).tolist()
    names = gdf["name"].fillna(gdf["pro_grid_id"]).astype(str).tolist() if "name" in gdf else ids
    counts = counts or {}
    return [{
        "type": "choroplethmap", "name": name, "legendgroup": "pro_grids",
        "geojson": polygons_to_geojson(gdf.geometry, ids), "locations": ids,
        "z": [0] * len(ids), "colorscale": [[0, FILL], [1, FILL]], "showscale": False,
        "showlegend": True, "marker": {"line": {"width": 2.0, "color": OUTLINE}},
        "customdata": [[n, int(counts.get(i, 0))] for i, n in zip(ids, names)],
        "hovertemplate": "%{customdata[0]}<br>%{customdata[1]} " + hover_unit + "<extra></extra>",
    }]
