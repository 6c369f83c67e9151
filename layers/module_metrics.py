"""The KPI tiles of the modules: each a name, a kind (how it is formatted) and a pure
function of the module's context.

The context (:class:`MetricContext`) is made once per refresh by the screen from
the store: the KPIs of the module's cases for the year (``indicators.compute_kpis``),
the town's KPIs, and a few aggregates (residents by age band and household,
enterprises by credit, lengths in km). No function here reads a store.

Examples
--------
>>> ctx = MetricContext(theme_kpis={"accepted": 120, "disposal_rate": 0.9}, residents_total=200,
...                     residents_elderly=50, residents_floating=80)
>>> value_of("theme_accepted", ctx), value_of("elderly_share", ctx), value_of("floating_share", ctx)
(120, 0.25, 0.4)
>>> METRICS["elderly_share"].kind, METRICS["river_km"].kind
('rate', 'km')
>>> value_of("red_cards", MetricContext()) is None
True
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class MetricContext:
    """What the tiles are computed from (all optional: a missing input gives ``None``,
    which the wall shows as "—")."""

    theme_kpis: dict = field(default_factory=dict)   # compute_kpis of the theme's cases, this year
    town_kpis: dict = field(default_factory=dict)    # compute_kpis of all cases, this year
    residents_total: int | None = None
    residents_elderly: int | None = None              # age 60+ (bands 60-79 and 80+)
    residents_floating: int | None = None             # household == "floating"
    enterprises_total: int | None = None
    credit_counts: dict = field(default_factory=dict)  # credit → n
    polluting_sites: int | None = None
    inspectors: int | None = None
    pro_grids: int | None = None
    river_km: float | None = None
    road_km: float | None = None
    #: aggregates of the modules' own layers (callbacks/module_data.py: TownSnapshot.layer_stats)
    layer_stats: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Metric:
    name: str
    kind: str          # "count" | "rate" | "km" | "score" | "days"
    compute: Callable[[MetricContext], object]
    doc: str
    #: i18n key of the unit shown after a count (empty: the screen's default for the name)
    unit: str = ""


def _share(part, whole):
    # contract.md: a rate with a zero denominator is null, not 0
    return None if part is None or not whole else part / whole


#: Tiles of the modules' own layers: (name = key of ``layer_stats``, kind, doc, unit key).
LAYER_METRICS = (
    ("key_projects", "count", "key projects on the map (重点项目)", "unit.count"),
    ("key_project_on_schedule_rate", "rate", "indicators/key_project_on_schedule_rate.py", ""),
    ("task_ontime_rate", "rate", "indicators/task_ontime_rate.py, tasks issued this year", ""),
    ("cameras", "count", "video cameras (雪亮工程)", "unit.count"),
    ("camera_online_rate", "rate", "indicators/camera_online_rate.py", ""),
    ("approvals", "count", "applications submitted this year", "unit.cases"),
    ("approval_ontime_rate", "rate", "indicators/approval_ontime_rate.py, completed this year", ""),
    ("approval_no_visit_share", "rate", "indicators/approval_no_visit_share.py, submitted this year", ""),
    ("approval_avg_days", "days", "indicators/approval_avg_days.py, completed this year", "unit.days"),
    ("opinion_items", "count", "public-opinion items published this year", "unit.items"),
    ("opinion_negative_share", "rate", "indicators/opinion_negative_share.py, this year", ""),
    ("opinion_handled_rate", "rate", "indicators/opinion_handled_rate.py, this year", ""),
    ("parking_occupancy", "rate", "indicators/parking_occupancy.py, at the last sensor report", ""),
    ("parking_spaces", "count", "parking spaces of all car parks", "unit.spaces"),
    ("bus_routes", "count", "bus routes (村村通 included)", "unit.routes"),
    ("bus_route_km", "km", "length of the bus routes, km (EPSG:4549)", ""),
    ("insurance_coverage_rate", "rate", "indicators/insurance_coverage_rate.py, latest year", ""),
    ("school_place_utilisation", "rate", "indicators/school_place_utilisation.py", ""),
    ("school_application_ratio", "rate", "indicators/school_application_ratio.py (above 100 %: a warning)", ""),
)

METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric("theme_accepted", "count", lambda c: c.theme_kpis.get("accepted"),
           "the theme's cases accepted this year (contract: accepted)"),
    Metric("theme_disposal_rate", "rate", lambda c: c.theme_kpis.get("disposal_rate"),
           "disposed / accepted of the theme's cases this year"),
    Metric("theme_ontime_closure_rate", "rate", lambda c: c.theme_kpis.get("ontime_closure_rate"),
           "按期结案率 of the theme's cases this year"),
    Metric("theme_open_overdue", "count", lambda c: c.theme_kpis.get("open_overdue"),
           "the theme's cases accepted this year, open and past their deadline"),
    Metric("composite_score", "score", lambda c: c.town_kpis.get("composite_score"),
           "the town's composite score this year (indicators/composite_score.py)"),
    Metric("inspector_share", "rate", lambda c: c.town_kpis.get("inspector_share"),
           "share of accepted cases reported by inspectors (brief: 88.04% in 2018)"),
    Metric("rule_3510_compliance", "rate", lambda c: c.town_kpis.get("rule_3510_compliance"),
           "complying inspector-days / inspector-days with a patrol (the 3-5-10 rule)"),
    Metric("residents", "count", lambda c: c.residents_total, "residents in the store"),
    Metric("elderly_share", "rate", lambda c: _share(c.residents_elderly, c.residents_total),
           "residents aged 60 or more / residents"),
    Metric("floating_share", "rate", lambda c: _share(c.residents_floating, c.residents_total),
           "floating population (新市民) / residents"),
    Metric("enterprises", "count", lambda c: c.enterprises_total, "enterprises in the credit base"),
    Metric("red_cards", "count", lambda c: c.credit_counts.get("red") if c.credit_counts else None,
           "enterprises with a red card"),
    Metric("yellow_cards", "count", lambda c: c.credit_counts.get("yellow") if c.credit_counts else None,
           "enterprises with a yellow card"),
    Metric("polluting_sites", "count", lambda c: c.polluting_sites,
           "enterprises of polluting industries (layers.modules.POLLUTING_INDUSTRIES)"),
    Metric("inspectors", "count", lambda c: c.inspectors, "staff with the inspector role"),
    Metric("pro_grids", "count", lambda c: c.pro_grids, "professional grids"),
    Metric("river_km", "km", lambda c: c.river_km, "length of rivers and canals, km (EPSG:4549)"),
    Metric("road_km", "km", lambda c: c.road_km, "length of roads, km (EPSG:4549)"),
    # the modules' own layers: numbers from TownSnapshot.layer_stats, rates from indicators/
    *(Metric(name, kind, (lambda key: lambda c: c.layer_stats.get(key))(name), doc, unit)
      for name, kind, doc, unit in LAYER_METRICS),
)}


def value_of(name: str, ctx: MetricContext):
    """The value of metric ``name`` in ``ctx`` (``None`` when it cannot be computed)."""
    return METRICS[name].compute(ctx)
