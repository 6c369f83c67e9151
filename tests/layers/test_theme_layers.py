"""The map layers of the modules' own data, as data (conventions.md: "test the
serialised JSON against golden files, not pixels"), their aggregates and charts.

Golden files are in ``tests/layers/golden/``; after a deliberate change of a layer's
look, rewrite them with ``TOWNBRAIN_UPDATE_GOLDEN=1 pytest tests/layers/test_theme_layers.py``
and review the diff.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

import layers
from layers.charts import CHARTS, ChartContext
from layers.layer_stats import layer_stats
from layers.theme_layers import THEME_LAYERS

GOLDEN = Path(__file__).parent / "golden"
TZ = "Asia/Shanghai"


def _points(**cols) -> gpd.GeoDataFrame:
    n = len(next(iter(cols.values())))
    return gpd.GeoDataFrame(cols, geometry=gpd.points_from_xy([120.6 + 0.01 * i for i in range(n)],
                                                             [31.0 + 0.005 * i for i in range(n)]), crs=4326)


SAMPLES = {
    "cameras": _points(camera_id=["C1", "C2", "C3"], kind=["traffic", "river", "community"],
                       status=["online", "offline", "online"]),
    "parking": _points(lot_id=["P1", "P2", "P3"], name=["中山路公共停车场", "医院停车场", "村停车场"],
                       kind=["public", "hospital", "public"], spaces=[100, 400, 25], occupied=[50, 380, 20]),
    "schools": _points(school_id=["S1", "S2"], name=["实验小学", "中心幼儿园"], level=["primary", "kindergarten"],
                       places=[1800, 360], enrolled=[1700, 350], applications=[400, 100], intake_places=[300, 120]),
    "key_projects": _points(project_id=["K1", "K2", "K3", "K4"], name=["甲工厂", "乙道路", "丙学校", "丁河道"],
                            kind=["industry", "infrastructure", "livelihood", "ecology"],
                            status=["in_progress", "in_progress", "completed", "planned"],
                            investment_wan=[50000.0, 8000.0, 12000.0, 3000.0],
                            planned_progress=[40.0, 60.0, 100.0, 0.0], actual_progress=[45.0, 50.0, 100.0, 0.0]),
    "opinion_items": _points(item_id=["O1", "O2", "O3"], platform=["weibo", "wechat", "douyin"],
                             topic=["交通运输", "园林绿化", "市容环境"], sentiment=["negative", "neutral", "positive"],
                             heat=[9999, 99, 0], published_at=pd.to_datetime(["2026-03-01"] * 3).tz_localize(TZ)),
    "bus_routes": gpd.GeoDataFrame({"route_id": ["B1", "B2"], "name": ["镇区1路", "村村通1路"],
                                    "kind": ["town", "village"], "stops": [12, 8]},
                                   geometry=[shapely.LineString([(120.6, 31.0), (120.61, 31.01), (120.62, 31.0)]),
                                             shapely.LineString([(120.6, 31.0), (120.55, 30.98)])], crs=4326),
}


def _label(key: str) -> str:
    return f"<{key}>"


@pytest.mark.parametrize("layer", list(THEME_LAYERS))
def test_theme_layer_traces_match_their_golden_json(layer):
    traces = THEME_LAYERS[layer].to_traces(SAMPLES[layer], name=layer, label=_label)
    text = json.dumps(traces, ensure_ascii=False, indent=1, sort_keys=True)
    path = GOLDEN / f"{layer}.json"
    if os.environ.get("TOWNBRAIN_UPDATE_GOLDEN") == "1":
        path.write_text(text + "\n", encoding="utf-8")
    assert text + "\n" == path.read_text(encoding="utf-8"), f"{layer} differs from {path}"


@pytest.mark.parametrize("layer", list(THEME_LAYERS))
def test_theme_layers_are_documented_plain_data_without_text_or_records(layer):
    spec = THEME_LAYERS[layer]
    module = getattr(layers, layer)
    assert module.__doc__ and ">>>" in module.__doc__ and spec.to_traces.__doc__
    assert set(spec.columns) <= set(SAMPLES[layer].columns) | {"published_at", "enrolled", "applications",
                                                                "intake_places"}
    traces = spec.to_traces(SAMPLES[layer], name=layer, label=_label)
    assert traces and all(t["type"] == "scattermap" for t in traces)
    assert all("text" not in t.get("mode", "") for t in traces)     # no glyphs needed (offline style)
    assert {t["legendgroup"] for t in traces} == {layer}             # the wall toggles a layer by its group
    assert sum(len(t["lon"]) for t in traces if t["mode"] == "markers") in (0, len(SAMPLES[layer]))
    assert spec.to_traces(SAMPLES[layer].iloc[0:0]) == [] and spec.to_traces(None) == []


def test_key_projects_are_coloured_by_their_schedule():
    traces = THEME_LAYERS["key_projects"].to_traces(SAMPLES["key_projects"], label=_label)
    assert [t["name"] for t in traces] == ["<project.planned>", "<project.completed>", "<project.on_schedule>",
                                           "<project.lagging>"]
    lagging = traces[-1]
    assert lagging["customdata"] == [["乙道路", "8,000", "50%", "60%"]]
    # the biggest investment gets the biggest dot
    sizes = {row[0]: s for t in traces for row, s in zip(t["customdata"], t["marker"]["size"])}
    assert max(sizes, key=sizes.get) == "甲工厂"


def test_opinion_items_send_no_post_text_and_grow_with_heat():
    traces = THEME_LAYERS["opinion_items"].to_traces(SAMPLES["opinion_items"].assign(title="网友反映……"),
                                                    label=_label)
    assert "网友反映" not in json.dumps(traces, ensure_ascii=False)
    size = {t["name"]: t["marker"]["size"][0] for t in traces}
    assert size["<sentiment.negative>"] > size["<sentiment.neutral>"] > size["<sentiment.positive>"]
    assert traces[-1]["name"] == "<sentiment.negative>"   # drawn on top


def test_parking_colour_bands_follow_occupancy():
    t = THEME_LAYERS["parking"].to_traces(SAMPLES["parking"])[0]
    assert t["marker"]["color"] == ["#34d399", "#f87171", "#fbbf24"]   # 50 %, 95 %, 80 %


# ---- aggregates and charts -----------------------------------------------------------------------------
NOW = pd.Timestamp("2026-06-01 12:00", tz=TZ)
YEAR = (pd.Timestamp("2026-01-01", tz=TZ), pd.Timestamp("2027-01-01", tz=TZ))


def _frames() -> dict:
    sub = pd.to_datetime(["2025-12-20", "2026-02-01", "2026-03-01", "2026-04-01"]).tz_localize(TZ)
    approvals = pd.DataFrame({"submitted_at": sub, "deadline": sub + pd.Timedelta(days=3),
                              "completed_at": sub + pd.Timedelta(days=1), "channel": ["window", "online", "online",
                                                                                      "self_service"],
                              "visits": [1, 0, 0, 0], "status": "completed"})
    pub = pd.to_datetime(["2025-12-01", "2026-02-01", "2026-02-02", "2026-05-01"]).tz_localize(TZ)
    opinion = SAMPLES["opinion_items"].iloc[[0, 1, 2, 0]].reset_index(drop=True).assign(
        published_at=pub, handled_at=[pd.NaT, pd.NaT, pd.NaT, pub[3] + pd.Timedelta(hours=2)])
    return {"cameras": SAMPLES["cameras"], "parking": SAMPLES["parking"], "schools": SAMPLES["schools"],
            "key_projects": SAMPLES["key_projects"], "bus_routes": SAMPLES["bus_routes"],
            "approvals": approvals, "opinion_items": opinion}


def test_layer_stats_count_this_years_records_by_hand():
    s = layer_stats(_frames(), *YEAR, NOW)
    assert s["cameras"] == 3 and s["camera_online_rate"] == pytest.approx(2 / 3)
    assert s["cameras_by_kind"]["river"] == {"offline": 1, "online": 0}
    assert s["approvals"] == 3 and s["approvals_by_channel"] == {"online": 2, "self_service": 1}
    assert s["approval_no_visit_share"] == 1.0 and s["approval_avg_days"] == pytest.approx(1.0)
    assert s["opinion_items"] == 3 and s["opinion_negative_share"] == pytest.approx(1 / 3)
    assert s["opinion_handled_rate"] == 1.0        # the one negative post of 2026 was answered
    assert s["opinion_by_platform"] == {"weibo": {"negative": 1, "other": 0}, "wechat": {"negative": 0, "other": 1},
                                        "douyin": {"negative": 0, "other": 1}}
    assert s["parking_occupancy"] == pytest.approx(450 / 525) and s["parking_spaces"] == 525
    assert s["parking_by_kind"] == pytest.approx({"hospital": 0.95, "public": 70 / 125})
    assert s["key_projects"] == 4 and s["key_project_on_schedule_rate"] == pytest.approx(2 / 3)
    assert s["projects_by_state"] == {"completed": 1, "lagging": 1, "on_schedule": 1, "planned": 1}
    assert s["schools_by_level"] == {"kindergarten": {"intake_places": 120, "applications": 100},
                                     "primary": {"intake_places": 300, "applications": 400}}
    assert s["bus_routes"] == 2 and 6 < s["bus_route_km"] < 10
    assert "insurance_coverage_rate" not in s and "task_ontime_rate" not in s   # layers not loaded
    json.dumps(s)


def test_layer_charts_draw_the_stats():
    ctx = ChartContext(now=NOW, layer_stats=layer_stats(_frames(), *YEAR, NOW))
    fig = CHARTS["school_places"](ctx, _label, "en")
    assert fig["data"][1]["y"] == [100, 400] and fig["data"][1]["marker"]["color"][1] == "#fbbf24"  # short of places
    fig = CHARTS["opinion_platforms"](ctx, _label, "en")
    assert fig["layout"]["barmode"] == "stack" and fig["data"][-1]["text"] == [1, 1, 1]
    fig = CHARTS["key_project_status"](ctx, _label, "en")
    assert fig["data"][0]["y"] == ["<project.on_schedule>", "<project.lagging>", "<project.completed>",
                                   "<project.planned>"]
    fig = CHARTS["parking_kinds"](ctx, _label, "en")
    assert fig["data"][0]["text"] == ["95%", "56%"]
    for name in ("camera_kinds", "approval_channels"):
        assert CHARTS[name](ctx, _label, "en")["data"][0]["x"]
