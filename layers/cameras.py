"""Video cameras (视频监控点位, 雪亮工程): small violet dots, offline ones larger and red
on top — the wall shows what is broken.

brief.md, module 5: "video coverage ('Sharp Eyes', 雪亮工程)".

Examples
--------
>>> import geopandas as gpd
>>> g = gpd.GeoDataFrame({"camera_id": ["C1", "C2"], "kind": ["traffic", "river"],
...                       "status": ["online", "offline"]},
...                      geometry=gpd.points_from_xy([120.6, 120.7], [31.0, 31.1]), crs=4326)
>>> [(t["name"], t["marker"]["color"]) for t in cameras_to_traces(g, label=lambda k: k)]
[('camera.online', '#a78bfa'), ('camera.offline', '#f87171')]
"""
from __future__ import annotations

from layers.markers import marker_trace

SOURCE = "cameras"
COLUMNS = ("camera_id", "kind", "status")
STYLE = {"online": ("#a78bfa", 5), "offline": ("#f87171", 9)}


def cameras_to_traces(gdf, name: str = "cameras", label=lambda k: k) -> list[dict]:
    """One trace of online and one of offline cameras (drawn on top); hover: kind and
    status. ``label(key)`` gives the screen text of ``camera.<status>`` and ``camera_kind.<kind>``."""
    if gdf is None or len(gdf) == 0:
        return []
    traces = []
    for status, (colour, size) in STYLE.items():
        sel = gdf[gdf["status"].astype(str) == status]
        if len(sel) == 0:
            continue
        rows = [[label(f"camera_kind.{k}"), label(f"camera.{status}")] for k in sel["kind"].astype(str)]
        traces.append(marker_trace(sel, label(f"camera.{status}"), name, colour, size, rows,
                                   "%{customdata[0]} · %{customdata[1]}"))
    return traces
