"""Key projects (重点项目) "on one map": a dot per project sized by its investment and
coloured by its schedule — on schedule, lagging, completed, suspended, not begun.

brief.md, module 4: "key projects 'on one map' (一图解析)". A project lags when its
actual progress is below its planned progress (indicators/key_project_on_schedule_rate.py).

Examples
--------
>>> import geopandas as gpd
>>> g = gpd.GeoDataFrame({"project_id": ["K1", "K2"], "name": ["甲", "乙"], "status": ["in_progress"] * 2,
...                       "investment_wan": [5000.0, 20000.0], "planned_progress": [50.0, 50.0],
...                       "actual_progress": [60.0, 40.0]},
...                      geometry=gpd.points_from_xy([120.6, 120.7], [31.0, 31.1]), crs=4326)
>>> [(t["name"], t["marker"]["color"]) for t in key_projects_to_traces(g, label=lambda k: k)]
[('project.on_schedule', '#38bdf8'), ('project.lagging', '#fbbf24')]
"""
from __future__ import annotations

import numpy as np

from layers.markers import marker_trace, scaled_sizes

SOURCE = "key_projects"
COLUMNS = ("project_id", "name", "kind", "status", "investment_wan", "planned_progress", "actual_progress")
#: Schedule states in drawing order (the worrying ones on top).
COLOURS = {"planned": "#94a3b8", "completed": "#5eead4", "on_schedule": "#38bdf8", "lagging": "#fbbf24",
           "suspended": "#f87171"}


def schedule_state(status, planned, actual) -> np.ndarray:
    """``planned`` / ``completed`` / ``suspended`` as the status says; a project in
    progress is ``on_schedule`` when actual ≥ planned progress, else ``lagging``."""
    status = np.asarray(status, dtype=object)
    behind = np.asarray(actual, dtype=float) < np.asarray(planned, dtype=float)
    return np.where(status == "in_progress", np.where(behind, "lagging", "on_schedule"), status)


def key_projects_to_traces(gdf, name: str = "key_projects", label=lambda k: k) -> list[dict]:
    """One trace per schedule state; hover: name, investment (万元) and progress."""
    if gdf is None or len(gdf) == 0:
        return []
    state = schedule_state(gdf["status"], gdf["planned_progress"], gdf["actual_progress"])
    sizes = np.asarray(scaled_sizes(gdf["investment_wan"].fillna(0), 9, 22))
    traces = []
    for key, colour in COLOURS.items():
        m = state == key
        if not m.any():
            continue
        sel = gdf[m]
        rows = [[str(n), f"{inv:,.0f}", f"{a:.0f}%", f"{p:.0f}%"] for n, inv, a, p in
                zip(sel["name"].fillna(""), sel["investment_wan"].fillna(0), sel["actual_progress"].fillna(0),
                    sel["planned_progress"].fillna(0))]
        traces.append(marker_trace(sel, label(f"project.{key}"), name, colour, sizes[m].tolist(), rows,
                                   "%{customdata[0]}<br>%{customdata[1]} " + label("unit.wan_yuan")
                                   + " · %{customdata[2]} / %{customdata[3]}"))
    return traces
