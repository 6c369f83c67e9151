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


@dataclass(frozen=True)
class Metric:
    name: str
    kind: str          # "count" | "rate" | "km" | "score"
    compute: Callable[[MetricContext], object]
    doc: str


def _share(part, whole):
    # contract.md: a rate with a zero denominator is null, not 0
    return None if part is None or not whole else part / whole


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
)}


def value_of(name: str, ctx: MetricContext):
    """The value of metric ``name`` in ``ctx`` (``None`` when it cannot be computed)."""
    return METRICS[name].compute(ctx)
