"""Buildings (建筑): dim footprints, the finest part of our own basemap.

33,000 footprints are about 7.7 MB of GeoJSON (1.05 MB gzipped) at 6 decimals —
a third of the wall's byte budget — so the wall sends them only when the layer is
switched on, rounded to 5 decimals (≈1 m, plenty at town zoom) and without
attributes (docs/map-rendering.md).

Examples
--------
>>> import geopandas as gpd, shapely
>>> g = gpd.GeoDataFrame({"building_id": ["B1"]}, geometry=[shapely.box(0, 0, 1e-4, 1e-4)], crs=4326)
>>> t = buildings_to_traces(g)[0]
>>> t["type"], t["hoverinfo"], t["geojson"]["features"][0]["id"]
('choroplethmap', 'skip', 'B1')
"""
from __future__ import annotations

import shapely

SOURCE = "buildings"
COLUMNS = ("building_id",)
DECIMALS = 5
FILL = "rgba(148, 163, 184, 0.30)"


def buildings_to_traces(gdf, name: str = "buildings") -> list[dict]:
    """One ``choroplethmap`` trace of flat grey footprints, no outline, no hover."""
    if gdf is None or len(gdf) == 0:
        return []
    geoms = shapely.transform(gdf.geometry.values, lambda xy: xy.round(DECIMALS))
    ids = gdf["building_id"].astype(str).tolist()
    features = [{"type": "Feature", "id": i, "properties": {}, "geometry": shapely.geometry.mapping(g)}
                for i, g in zip(ids, geoms) if g is not None and not g.is_empty]
    return [{
        "type": "choroplethmap", "name": name, "legendgroup": "buildings",
        "geojson": {"type": "FeatureCollection", "features": features},
        "locations": [f["id"] for f in features], "z": [0] * len(features),
        "colorscale": [[0, FILL], [1, FILL]], "showscale": False, "showlegend": True,
        "marker": {"line": {"width": 0}}, "hoverinfo": "skip",
    }]
