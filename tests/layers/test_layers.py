"""Map layers are data: check the specs, not pixels (conventions.md, "Layers are data")."""
from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely

import layers
from layers import BASE_LAYERS
from layers.basemap import OFFLINE_STYLE, view_for_bounds

SAMPLES = {
    "districts": gpd.GeoDataFrame({"district_id": ["D1"], "name": ["东片区"]},
                                  geometry=[shapely.box(120.6, 30.9, 120.7, 31.0)], crs=4326),
    "grids": gpd.GeoDataFrame({"grid_id": ["G1"], "name": ["一网格"], "district_id": ["D1"]},
                              geometry=[shapely.box(120.6, 30.9, 120.65, 31.0)], crs=4326),
    "rivers": gpd.GeoDataFrame({"river_id": ["R1"], "name": ["运河"]},
                               geometry=[shapely.LineString([(120.6, 30.91), (120.7, 30.92)])], crs=4326),
    "roads": gpd.GeoDataFrame({"road_id": ["A"], "name": ["大道"], "road_class": ["main"]},
                              geometry=[shapely.LineString([(120.6, 30.95), (120.7, 30.96)])], crs=4326),
}


@pytest.mark.parametrize("spec", BASE_LAYERS, ids=lambda s: s.id)
def test_every_registered_layer_is_documented_and_declared_as_json(spec):
    assert spec.to_traces.__doc__, f"{spec.id}: to_traces needs a docstring"
    module = getattr(layers, spec.id)
    assert module.__doc__ and ">>>" in module.__doc__, f"layers/{spec.id}.py needs a doctest example"
    traces = spec.to_traces(SAMPLES[spec.id], name="label")
    assert traces and all(t["type"] in ("choroplethmap", "scattermap") for t in traces)
    assert {t["name"] for t in traces} == {"label"}
    json.dumps(traces)  # plain data, nothing plotly.js could not receive
    assert spec.to_traces(SAMPLES[spec.id].iloc[0:0]) == []
    assert spec.to_traces(None) == []


def test_no_layer_draws_text_that_would_need_glyphs():
    for spec in BASE_LAYERS:
        for trace in spec.to_traces(SAMPLES[spec.id]):
            assert "text" not in trace.get("mode", ""), spec.id


def test_offline_style_names_nothing_to_fetch():
    text = json.dumps(OFFLINE_STYLE)
    assert "http" not in text and "glyphs" not in OFFLINE_STYLE and "sprite" not in OFFLINE_STYLE
    # one local source, an empty GeoJSON collection (see layers/basemap.py for why)
    assert [s["type"] for s in OFFLINE_STYLE["sources"].values()] == ["geojson"]
    assert all(s["data"]["features"] == [] for s in OFFLINE_STYLE["sources"].values())


def test_view_fits_a_town_inside_the_map():
    view = view_for_bounds((120.55, 30.85, 120.75, 31.05), 1000, 800)
    assert 10 < view["zoom"] < 13
    assert view["center"]["lon"] == pytest.approx(120.65)


def test_enterprise_tooltips_name_the_industry_and_tolerate_a_missing_one():
    import pandas as pd
    from layers.enterprises import enterprises_to_traces
    gdf = gpd.GeoDataFrame({"name": ["甲厂", "乙厂", "丙厂"],
                            "industry": pd.array(["C17", pd.NA, "C99"], dtype="string"),
                            "credit": ["green", "green", "green"]},
                           geometry=shapely.points([(120.6, 31.0), (120.61, 31.0), (120.62, 31.0)]), crs=4326)
    (trace,) = enterprises_to_traces(gdf, industry_labels={"C17": "纺织业"})
    assert [row[1] for row in trace["customdata"]] == ["纺织业", "", "C99"]
