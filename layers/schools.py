"""Schools and kindergartens (学校), a colour per level and sized by their places.

brief.md, module 2: "schools"; early warning on school applications.

Examples
--------
>>> import geopandas as gpd
>>> g = gpd.GeoDataFrame({"school_id": ["S1", "S2"], "name": ["甲小学", "乙幼儿园"],
...                       "level": ["primary", "kindergarten"], "places": [1800, 300]},
...                      geometry=gpd.points_from_xy([120.6, 120.7], [31.0, 31.1]), crs=4326)
>>> [(t["name"], t["marker"]["color"]) for t in schools_to_traces(g, label=lambda k: k)]
[('school.kindergarten', '#f9a8d4'), ('school.primary', '#60a5fa')]
"""
from __future__ import annotations

from layers.markers import marker_trace, scaled_sizes

SOURCE = "schools"
COLUMNS = ("school_id", "name", "level", "places", "enrolled", "applications", "intake_places")
COLOURS = {"kindergarten": "#f9a8d4", "primary": "#60a5fa", "junior_middle": "#34d399"}


def schools_to_traces(gdf, name: str = "schools", label=lambda k: k) -> list[dict]:
    """One trace per level (legend ``school.<level>``); hover: name and places."""
    if gdf is None or len(gdf) == 0:
        return []
    sizes = dict(zip(gdf.index, scaled_sizes(gdf["places"].fillna(0), 8, 17)))
    traces = []
    for level, colour in COLOURS.items():
        sel = gdf[gdf["level"].astype(str) == level]
        if len(sel) == 0:
            continue
        rows = [[str(n), int(p)] for n, p in zip(sel["name"].fillna(""), sel["places"].fillna(0))]
        traces.append(marker_trace(sel, label(f"school.{level}"), name, colour, [sizes[i] for i in sel.index],
                                   rows, "%{customdata[0]}<br>%{customdata[1]} " + label("school.places")))
    return traces
