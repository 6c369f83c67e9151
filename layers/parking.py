"""Car parks (停车场, 智慧停车): a dot per car park sized by its spaces and coloured by
how full it is now — green has room, amber is filling, red is full.

brief.md, module 8: "smart parking (智慧停车)".

Examples
--------
>>> import geopandas as gpd
>>> g = gpd.GeoDataFrame({"lot_id": ["P1", "P2"], "name": ["甲", "乙"], "spaces": [100, 400],
...                       "occupied": [95, 100]},
...                      geometry=gpd.points_from_xy([120.6, 120.7], [31.0, 31.1]), crs=4326)
>>> t = parking_to_traces(g)[0]
>>> t["marker"]["color"], t["marker"]["size"]
(['#f87171', '#34d399'], [13.0, 18.0])
"""
from __future__ import annotations

import numpy as np

from layers.markers import marker_trace, scaled_sizes

SOURCE = "parking"
COLUMNS = ("lot_id", "name", "kind", "spaces", "occupied")
#: Occupancy bands: below 70 % has room, up to 90 % is filling, above is full.
BANDS = ((0.7, "#34d399"), (0.9, "#fbbf24"), (np.inf, "#f87171"))


def occupancy_colour(share: float) -> str:
    for top, colour in BANDS:
        if share < top:
            return colour
    return BANDS[-1][1]


def parking_to_traces(gdf, name: str = "parking", label=lambda k: k) -> list[dict]:
    """One marker trace of every car park; hover: name, spaces taken / spaces."""
    if gdf is None or len(gdf) == 0:
        return []
    spaces = gdf["spaces"].fillna(0).astype(float).to_numpy()
    taken = gdf["occupied"].fillna(0).astype(float).to_numpy()
    share = np.divide(taken, spaces, out=np.zeros_like(spaces), where=spaces > 0)
    rows = [[str(n), int(o), int(s), f"{100 * r:.0f}%"] for n, o, s, r in
            zip(gdf["name"].fillna(""), taken, spaces, share)]
    return [marker_trace(gdf, name, "parking", [occupancy_colour(r) for r in share],
                         scaled_sizes(spaces, 8, 18), rows,
                         "%{customdata[0]}<br>%{customdata[1]} / %{customdata[2]} · %{customdata[3]}")]
