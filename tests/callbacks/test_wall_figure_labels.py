"""Every figure label of the wall maps to one definition (issue 15, "one meaning per
word"): a registry indicator over the period the label names, or a count that says
what it counts and over when."""
from __future__ import annotations

import pytest

from callbacks.i18n import LABELS
from callbacks.modules import TILE_INDICATORS, tile_target, trend_delta
from callbacks.wall import KPI_NAMES
from indicators.registry import REGISTRY, load_all
from layers import modules as M
from layers.module_metrics import LAYER_METRICS, METRICS

PERIOD_WORDS = {"zh": ("今年",), "en": ("this year",)}
#: Tiles of what the store holds now (no period): people, enterprises, staff, lengths.
STOCKS = {"residents", "elderly_share", "floating_share", "enterprises", "red_cards", "yellow_cards",
          "polluting_sites", "inspectors", "pro_grids", "river_km", "road_km"}
#: The year and all-time panels' tiles: registry indicators, and "open" — a count of the
#: panel's accepted cases not closed, under a title naming the year or "all time".
PANEL_TILES = {"accepted": "accepted", "disposed": "disposed", "disposal_rate": "disposal_rate", "open": None}


def module_tiles():
    return sorted({k for m in M.MODULES for k in m.kpis})


@pytest.mark.parametrize("name", module_tiles())
def test_every_module_tile_is_a_registry_indicator_of_its_period_or_a_stock_or_a_layer_figure(name):
    load_all()
    assert name in METRICS
    if name in TILE_INDICATORS:
        scope, key = TILE_INDICATORS[name]
        assert scope in ("theme", "town") and key in REGISTRY
        for lang, words in PERIOD_WORDS.items():
            label = LABELS[lang][f"metric.{name}"]
            assert any(w in label.lower() for w in words), (name, lang, label)
    else:
        # the modules' own layers say their period in the metric's declaration (layers/module_metrics.py)
        assert name in STOCKS or name in {n for n, *_ in LAYER_METRICS}, name


def test_the_case_tiles_show_the_registry_value_under_their_label():
    """The metric a tile shows is the registry indicator's key of the same name."""
    from layers.module_metrics import MetricContext, value_of
    ctx = MetricContext(theme_kpis={"accepted": 7, "disposal_rate": 0.5, "ontime_closure_rate": 0.25,
                                    "open_overdue": 3},
                        town_kpis={"composite_score": 80.0, "inspector_share": 0.9, "rule_3510_compliance": 0.4})
    for name, (scope, key) in TILE_INDICATORS.items():
        source = ctx.theme_kpis if scope == "theme" else ctx.town_kpis
        assert value_of(name, ctx) == source[key], name


def test_the_panels_tiles_are_registry_indicators_or_a_named_count():
    load_all()
    assert set(KPI_NAMES) == set(PANEL_TILES)
    for name, key in PANEL_TILES.items():
        assert key is None or key in REGISTRY
    for lang in ("zh", "en"):
        assert "{year}" in LABELS[lang]["panel.year"]
        # "open" of the year panel is of the year's accepted cases, and says so
        assert LABELS[lang]["kpi.open_year"] != LABELS[lang]["kpi.open"]
        # the cases layer counts every report: not the same word as "accepted"
        assert LABELS[lang]["base.cases"] != LABELS[lang]["kpi.accepted"]


def test_same_words_on_wall_and_console_mean_the_same_period():
    for lang in ("zh", "en"):
        L = LABELS[lang]
        # overdue of this year's accepted cases on the wall, overdue now (any year) on the console
        assert L["metric.theme_open_overdue"] != L["c.overdue_list"]
        # the grid card's overdue is the console's computation (open now, past the deadline)
        assert L["card.overdue"] != L["metric.theme_open_overdue"]
        # the grid ranking names the console's period preset
        assert L["c.period.year"].lower() in L["chart.grid_ranking"].lower()
        # the playback counts reported cases, not accepted ones
        assert L["kpi.accepted"] not in L["playback.day"]


def test_targets_come_from_the_brief_and_are_shown_with_their_direction():
    load_all()
    with_target = {n for n, i in REGISTRY.items() if i.target is not None}
    assert {"disposal_rate", "inspector_share", "rule_3510_compliance"} <= with_target
    for n in with_target:
        assert "brief.md" in REGISTRY[n].target_source and REGISTRY[n].higher_is_better is not None
    div = tile_target("theme_disposal_rate", 0.99, "en")
    assert div.children == "target ≥98.6%" and "is-met" in div.className
    assert "is-missed" in tile_target("theme_disposal_rate", 0.90, "zh").className
    assert tile_target("theme_accepted", 10, "zh") is None


@pytest.mark.parametrize("key, now, before, expected", [
    ("disposal_rate", 0.99, 0.98, ("▲ 1.0pp", "good")),
    ("open_overdue", 12, 10, ("▲ 20%", "bad")),
    ("accepted", 90, 100, ("▼ 10%", "neutral")),
    ("composite_score", 80.0, 80.0, ("＝ 0.0", "neutral")),
    ("accepted", 3, None, None),
])
def test_arrows_compare_by_the_registry_direction(key, now, before, expected):
    load_all()
    assert trend_delta(REGISTRY[key], now, before, "en") == expected
