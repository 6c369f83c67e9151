"""The module registry and the module layers, as data (conventions.md: a registry
test that loops over every entry)."""
from __future__ import annotations

import json

import geopandas as gpd
import h3
import pandas as pd
import pytest
import shapely

from callbacks.i18n import LABELS, MODULE_IDS
from callbacks.modules import MAP_LAYER_ORDER, module_figure
from layers import buildings, case_heat, enterprises, patrols, population, pro_grids
from layers import modules as M
from layers.charts import CHARTS, ChartContext
from layers.module_metrics import METRICS, MetricContext, value_of


def test_the_registry_has_the_contracts_eight_modules_in_order():
    assert tuple(m.id for m in M.MODULES) == MODULE_IDS


@pytest.mark.parametrize("module", M.MODULES, ids=lambda m: m.id)
def test_every_module_is_a_complete_declaration(module):
    assert module.zh == LABELS["zh"][f"module.{module.id}"]
    assert module.en == LABELS["en"][f"module.{module.id}"]
    assert module.theme_zh and module.theme_en
    assert set(module.layers) <= set(MAP_LAYER_ORDER), module.layers
    assert module.choropleth in M.GRID_KPIS
    assert 2 <= len(module.kpis) <= 4 and set(module.kpis) <= set(METRICS)
    assert 1 <= len(module.charts) <= 2 and set(module.charts) <= set(CHARTS)
    for lang in ("zh", "en"):
        for key in ([f"metric.{k}" for k in module.kpis] + [f"chart.{c}" for c in module.charts]
                    + [f"needs.{n}" for n in module.needs] + [f"layer.{layer}" for layer in module.layers]):
            assert key in LABELS[lang], (lang, key)


def test_every_metric_and_chart_is_documented_and_survives_no_data():
    for metric in METRICS.values():
        assert metric.doc and metric.kind in ("count", "rate", "km", "score", "days")
        value_of(metric.name, MetricContext())  # nothing to compute from: None, not an error
    empty = ChartContext(now=pd.Timestamp("2026-06-01", tz="Asia/Shanghai"))
    for name, chart in CHARTS.items():
        assert chart.__doc__, name
        fig = chart(empty, lambda k: k, "en")
        json.dumps(fig)
        assert fig["layout"]["title"]["text"] == f"chart.{name}"


def test_rates_with_no_denominator_are_none():
    ctx = MetricContext(residents_total=0, residents_elderly=0)
    assert value_of("elderly_share", ctx) is None


def test_theme_masks_pick_their_cases():
    cases = pd.DataFrame({"category": ["water_environment", "transport", "labour", "greenery"],
                          "subcategory": ["water_environment/outfall", "transport/overloading", "labour/x",
                                          "greenery/y"],
                          "source": ["inspector", "hotline", "citizen", "inspector"],
                          "enforcement": [True, False, False, False]})
    assert M.case_mask(cases, M.get("ecology").theme).tolist() == [True, False, False, False]
    assert M.case_mask(cases, M.get("admin").theme).tolist() == [False, False, True, False]
    assert M.case_mask(cases, M.get("online").theme).tolist() == [False, True, True, False]
    assert M.case_mask(cases, M.get("enforcement").theme).tolist() == [True, False, False, False]
    assert M.case_mask(cases, M.get("leadership").theme).all()


POINTS = gpd.GeoDataFrame({"case_id": ["C1"], "enterprise_id": ["E1"], "name": ["厂"], "industry": ["dyeing"],
                           "credit": ["red"]},
                          geometry=gpd.points_from_xy([120.6], [31.0]), crs=4326)
LINES = gpd.GeoDataFrame({"patrol_id": ["P1"]},
                         geometry=[shapely.LineString([(120.6, 31.0), (120.61, 31.01)])], crs=4326)
POLYS = gpd.GeoDataFrame({"pro_grid_id": ["PG1"], "building_id": ["B1"], "name": ["专网"]},
                         geometry=[shapely.box(120.6, 31.0, 120.61, 31.01)], crs=4326)
LAYER_CASES = [
    (pro_grids, pro_grids.pro_grids_to_traces, POLYS),
    (buildings, buildings.buildings_to_traces, POLYS),
    (enterprises, enterprises.enterprises_to_traces, POINTS),
    (patrols, patrols.patrols_to_traces, LINES),
    (case_heat, case_heat.cases_to_heat_traces, POINTS),
]


@pytest.mark.parametrize("module,to_traces,sample", LAYER_CASES, ids=lambda x: getattr(x, "__name__", ""))
def test_every_module_layer_is_documented_plain_data_and_draws_no_text(module, to_traces, sample):
    assert module.__doc__ and ">>>" in module.__doc__
    assert to_traces.__doc__
    traces = to_traces(sample, name="label")
    assert traces
    json.dumps(traces)
    assert all("text" not in t.get("mode", "") for t in traces)
    assert to_traces(sample.iloc[0:0]) == [] and to_traces(None) == []


def test_population_sends_counts_per_cell_and_hides_small_cells():
    cell_a = h3.latlng_to_cell(31.0, 120.6, 9)
    cell_b = h3.latlng_to_cell(31.05, 120.65, 9)
    residents = pd.DataFrame({"h3": [cell_a] * 7 + [cell_b] * 2})
    counts = population.residents_to_h3_counts(residents)
    assert counts.to_dict() == {cell_a: 7}  # 2 residents are too few to show
    trace = population.h3_counts_to_traces(counts)[0]
    assert trace["locations"] == [cell_a] and trace["z"] == [7]
    assert "lon" not in trace and "lat" not in trace


def test_module_figure_for_an_empty_store_says_so():
    fig = module_figure({}, None, M.get("ecology"), M.get("ecology").layers, "theme_accepted", "en")
    assert fig["data"] == [] and fig["layout"]["annotations"][0]["text"] == LABELS["en"]["map.empty"]
