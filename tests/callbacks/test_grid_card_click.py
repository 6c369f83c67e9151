"""Which grid a map click opens: the grid itself, or the grid under a marker."""
from __future__ import annotations

import geopandas as gpd
import shapely

from callbacks.grid_card import clicked_grid

GRIDS = gpd.GeoDataFrame({"grid_id": ["G1", "G2"]},
                         geometry=[shapely.box(120.0, 31.0, 120.1, 31.1), shapely.box(120.1, 31.0, 120.2, 31.1)],
                         crs=4326)
IDS = {"G1", "G2"}


def test_a_click_on_the_grid_trace_opens_that_grid():
    assert clicked_grid({"points": [{"location": "G2"}]}, IDS, GRIDS) == "G2"


def test_a_click_on_a_marker_opens_the_grid_the_marker_is_in():
    camera = {"points": [{"lon": 120.15, "lat": 31.05, "customdata": ["CAM0001", "traffic"]}]}
    assert clicked_grid(camera, IDS, GRIDS) == "G2"
    assert clicked_grid(camera, IDS) is None  # without the polygons there is nothing to look in


def test_a_click_outside_every_grid_or_on_a_hexagon_opens_nothing():
    assert clicked_grid({"points": [{"lon": 121.0, "lat": 31.05}]}, IDS, GRIDS) is None
    assert clicked_grid({"points": [{"location": "89309a0b0d7ffff"}]}, IDS, GRIDS) is None
    assert clicked_grid(None, IDS, GRIDS) is None
