"""Districts (片区): quiet dark fills, one shade per district, with a bright boundary.

Examples
--------
>>> import geopandas as gpd, shapely
>>> g = gpd.GeoDataFrame({"district_id": ["D1", "D2"], "name": ["东片区", "西片区"]},
...                      geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], crs=4326)
>>> [t["type"] for t in districts_to_traces(g)]
['choroplethmap']
>>> districts_to_traces(g)[0]["locations"], districts_to_traces(g)[0]["z"]
(['D1', 'D2'], [0, 1])
>>> districts_to_traces(g.iloc[0:0])
[]
"""
from __future__ import annotations

from layers.geometry import polygons_to_geojson

SOURCE = "districts"
COLUMNS = ("district_id", "name")

#: Dark, low-contrast blues and teals: districts are context, not the message.
FILLS = ("#10304a", "#123a46", "#162f52", "#0f3a3f", "#1a2d4a", "#113447")
BOUNDARY = "rgba(125, 211, 252, 0.85)"


def districts_to_traces(gdf, name: str = "districts") -> list[dict]:
    """One ``choroplethmap`` trace: each district a shade of ``FILLS`` (cycling), its
    outline ``BOUNDARY``; hover shows the district's name."""
    if gdf is None or len(gdf) == 0:
        return []
    ids = gdf["district_id"].astype(str).tolist()
    names = gdf["name"].fillna(gdf["district_id"]).astype(str).tolist() if "name" in gdf else ids
    n = len(FILLS)
    return [{
        "type": "choroplethmap",
        "name": name,
        "geojson": polygons_to_geojson(gdf.geometry, ids),
        "locations": ids,
        "z": [i % n for i in range(len(ids))],
        # Stops exactly at the integers 0..n-1, so each z picks one colour unblended.
        "colorscale": [[k / (n - 1), c] for k, c in enumerate(FILLS)],
        "zmin": 0, "zmax": n - 1,
        "showscale": False,
        "showlegend": True,
        "marker": {"opacity": 0.95, "line": {"width": 2.5, "color": BOUNDARY}},
        "customdata": names,
        "hovertemplate": "%{customdata}<extra></extra>",
    }]
