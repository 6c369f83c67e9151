"""The wall map's layer specs (layers/leaflet.py): each kind of trace the layer files
make, turned into what assets/map.js draws, with colours and tooltips worked out."""
from __future__ import annotations

import pytest

from layers.leaflet import colour_at, fill_colours, parse_colour, to_map_layer, tooltips

SCALE = [[0, "#000000"], [1, "rgba(255, 255, 255, 0.5)"]]


def test_colours_parse_and_interpolate():
    assert parse_colour("#fff") == (255.0, 255.0, 255.0, 1.0)
    assert parse_colour("#102030") == (16.0, 32.0, 48.0, 1.0)
    assert parse_colour("rgb(1, 2, 3)") == (1.0, 2.0, 3.0, 1.0)
    assert colour_at(SCALE, 0) == "rgba(0,0,0,1.000)"
    assert colour_at(SCALE, 1) == "rgba(255,255,255,0.500)"
    assert colour_at(SCALE, 0.5) == "rgba(128,128,128,0.750)"
    # outside the scale: clamped to its ends
    assert colour_at(SCALE, -3) == colour_at(SCALE, 0) and colour_at(SCALE, 7) == colour_at(SCALE, 1)
    three = [[0, "#000000"], [0.5, "#ff0000"], [1, "#ffffff"]]
    assert colour_at(three, 0.25) == "rgba(128,0,0,1.000)" and colour_at(three, 0.75) == "rgba(255,128,128,1.000)"


def test_fill_colours_leave_missing_values_unfilled():
    assert fill_colours([0, None, 10, float("nan")], 0, 10, SCALE) == [
        "rgba(0,0,0,1.000)", None, "rgba(255,255,255,0.500)", None]
    # one value only (zmin == zmax): the low end, not a division by zero
    assert fill_colours([5], 5, 5, SCALE) == ["rgba(0,0,0,1.000)"]
    assert fill_colours([1, 2], 0, 1, None) == [None, None]


def test_tooltips_follow_the_hovertemplate():
    trace = {"lon": [1, 2], "customdata": [["A", 3], ["B", 4.0]], "z": [1.5, 2.0],
             "hovertemplate": "%{customdata[0]}: %{customdata[1]} (%{z:.1f})<extra>x</extra>"}
    assert tooltips(trace) == ["A: 3 (1.5)", "B: 4 (2)"]
    assert tooltips({**trace, "hoverinfo": "skip"}) is None
    assert tooltips({"lon": [1]}) is None
    assert tooltips({"locations": ["g1"], "hovertemplate": "%{location} %{text}", "text": ["t"]}) == ["g1 t"]


def test_a_choropleth_becomes_coloured_polygons_with_a_legend_scale():
    geojson = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": g, "properties": {}, "geometry": None} for g in ("g1", "g2", "g3")]}
    spec = to_map_layer({"type": "choroplethmap", "uid": "tb-grids-0", "name": "Grids", "geojson": geojson,
                         "locations": ["g1", "g2", "g3"], "z": [0, None, 4], "colorscale": SCALE,
                         "showscale": True, "colorbar": {"title": {"text": "Open"}, "tickformat": ".0%"},
                         "marker": {"line": {"width": 2, "color": "#123456"}, "opacity": 0.6},
                         "hovertemplate": "%{location}: %{z}<extra></extra>"})
    assert spec["kind"] == "polygons" and spec["uid"] == "tb-grids-0" and spec["name"] == "Grids"
    assert spec["ids"] == ["g1", "g2", "g3"] and spec["geojson"] is geojson
    # the range comes from the values present: the missing grid keeps its outline only
    assert spec["fill"] == ["rgba(0,0,0,1.000)", None, "rgba(255,255,255,0.500)"]
    assert spec["fillOpacity"] == 0.6 and spec["line"] == {"color": "#123456", "width": 2}
    assert spec["tips"] == ["g1: 0", "g2: ", "g3: 4"]
    assert spec["scale"] == {"title": "Open", "stops": SCALE, "min": None, "max": None, "tickformat": ".0%"}
    outline = to_map_layer({"type": "choroplethmap", "geojson": geojson, "locations": ["g1"], "z": [1],
                            "showscale": False})
    assert outline["fill"] == [None] and outline["scale"] is None and outline["tips"] is None


def test_lines_points_and_heat():
    lines = to_map_layer({"type": "scattermap", "mode": "lines", "lon": [1, 2, None, 3, 4],
                          "lat": [5, 6, None, 7, 8], "line": {"color": "#abcdef", "width": 3}, "opacity": 0.7})
    assert lines == {"kind": "lines", "lon": [1, 2, None, 3, 4], "lat": [5, 6, None, 7, 8],
                     "color": "#abcdef", "width": 3, "opacity": 0.7}
    points = to_map_layer({"type": "scattermap", "mode": "markers", "lon": [1, 2], "lat": [3, 4],
                           "marker": {"color": ["#f00", "#0f0"], "size": [6, 10]}, "visible": False,
                           "text": ["a", "b"], "hovertemplate": "%{text}<extra></extra>"})
    assert points["kind"] == "points" and points["color"] == ["#f00", "#0f0"] and points["size"] == [6, 10]
    assert points["visible"] is False and points["tips"] == ["a", "b"]
    heat = to_map_layer({"type": "densitymap", "lon": [1], "lat": [2], "z": [3], "radius": 14, "zmax": 9,
                         "colorscale": [[0, "rgba(0,0,0,0)"], [0.5, "#fbbf24"], [1, "#ef4444"]]})
    assert heat["kind"] == "heat" and heat["radius"] == 14 and heat["max"] == 9 and heat["z"] == [3]
    # Leaflet.heat's gradient: stops above 0 (the transparent start is its own)
    assert heat["gradient"] == {"0.5": "#fbbf24", "1.0": "#ef4444"}


def test_an_unknown_trace_is_refused():
    with pytest.raises(ValueError, match="scattergeo"):
        to_map_layer({"type": "scattergeo"})
