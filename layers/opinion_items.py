"""Public-opinion items (网络舆情) at the place they concern: negative ones warm and on
top, sized by their heat. No author and no text of the post reach the browser —
only platform, topic and sentiment.

brief.md, module 3: "public-opinion monitoring (舆情)".

Examples
--------
>>> import geopandas as gpd
>>> g = gpd.GeoDataFrame({"item_id": ["O1", "O2"], "platform": ["weibo", "wechat"],
...                       "topic": ["transport", "greenery"], "sentiment": ["negative", "positive"],
...                       "heat": [5000, 20]},
...                      geometry=gpd.points_from_xy([120.6, 120.7], [31.0, 31.1]), crs=4326)
>>> [(t["name"], t["marker"]["color"]) for t in opinion_items_to_traces(g, label=lambda k: k)]
[('sentiment.positive', '#5eead4'), ('sentiment.negative', '#fb7185')]
"""
from __future__ import annotations

import numpy as np

from layers.markers import marker_trace

SOURCE = "opinion_items"
COLUMNS = ("item_id", "platform", "topic", "sentiment", "heat", "published_at")
COLOURS = {"positive": "#5eead4", "neutral": "#94a3b8", "negative": "#fb7185"}


def opinion_items_to_traces(gdf, name: str = "opinion_items", label=lambda k: k,
                            topic_names: dict | None = None) -> list[dict]:
    """One trace per sentiment (negative last, on top); size grows with log(heat);
    hover: platform, topic, heat. ``topic_names`` maps category codes to names."""
    if gdf is None or len(gdf) == 0:
        return []
    topic_names = topic_names or {}
    heat = gdf["heat"].fillna(0).astype(float).to_numpy()
    sizes = np.round(5 + 2.2 * np.log10(1 + heat), 1)
    traces = []
    for key, colour in COLOURS.items():
        m = (gdf["sentiment"].astype(str) == key).to_numpy()
        if not m.any():
            continue
        sel = gdf[m]
        rows = [[label(f"platform.{p}"), topic_names.get(t, t), int(h)] for p, t, h in
                zip(sel["platform"].astype(str), sel["topic"].astype(str), heat[m])]
        traces.append(marker_trace(sel, label(f"sentiment.{key}"), name, colour, sizes[m].tolist(), rows,
                                   "%{customdata[0]} · %{customdata[1]}<br>" + label("opinion.heat")
                                   + " %{customdata[2]}", opacity=0.85))
    return traces
