"""The 8 first-level modules of the wall, declared as data: "one module, one theme".

brief.md, "The reference town": the screen has 8 thematic modules. A module here is
a small declaration — its names, the map layers it shows (``layers``, drawing
order is fixed by :data:`layers.catalog.MAP_LAYERS`), the grid KPI its choropleth
colours by, the theme's cases (a :class:`CaseTheme`), the tiles of its KPI panel
(names of :mod:`layers.module_metrics`), its charts (names of
:mod:`layers.charts`), and the store layers of its own it draws from (``needs``:
key projects, cameras, approvals …, see :mod:`layers.theme_layers`): a town that has
not loaded one yet sees a clearly labelled "not loaded" panel naming it instead of
invented data.

Adding a module is one entry in :data:`MODULES` (plus labels of anything new);
``tests/layers/test_modules.py`` loops over the registry.

Examples
--------
>>> [m.id for m in MODULES][:3]
['ecology', 'livelihood', 'online']
>>> get("ecology").layers[:3]
('districts', 'grids', 'rivers')
>>> get("transport").theme.categories
('transport',)
>>> get(None) is OVERVIEW
True
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CaseTheme:
    """Which cases belong to a theme: any of ``categories`` or ``subcategories``
    (codes of the ``categories`` layer), further narrowed to ``sources`` and to
    enforcement cases when given. All empty = every case."""

    categories: tuple[str, ...] = ()
    subcategories: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    enforcement_only: bool = False

    @property
    def is_all(self) -> bool:
        return not (self.categories or self.subcategories or self.sources or self.enforcement_only)


@dataclass(frozen=True)
class Module:
    """One thematic module of the wall."""

    id: str
    zh: str
    en: str
    #: A one-line statement of the theme, shown above the KPI tiles.
    theme_zh: str
    theme_en: str
    #: Map layers switched on when the module opens (the others can be toggled on).
    layers: tuple[str, ...]
    #: The grid KPI the comprehensive grids are coloured by (:data:`GRID_KPIS`).
    choropleth: str
    theme: CaseTheme = field(default_factory=CaseTheme)
    #: KPI tiles (names in :data:`layers.module_metrics.METRICS`), 4 fit the panel.
    kpis: tuple[str, ...] = ()
    #: Charts of the right panel (names in :data:`layers.charts.CHARTS`).
    charts: tuple[str, ...] = ()
    #: Store layers of the module's own that a town may not have loaded (the demo has them).
    needs: tuple[str, ...] = ()


#: What the grid choropleth can show; each is a column of the per-grid KPI table
#: (``indicators.compute_all`` over the year, plus ``open_now``).
GRID_KPIS = ("theme_accepted", "open_now", "disposal_rate", "composite_score")

#: Industries counted as polluting sites (散乱污 candidates, brief.md module 1):
#: the demo's industries with waste water, gas or solid waste of their own.
POLLUTING_INDUSTRIES = ("dyeing", "chemical_fibre", "plastics", "recycling", "hazardous_chemicals",
                        "home_weaving", "building_materials", "packaging")

#: Layers drawn under everything in every module: our own basemap (no tiles).
BASEMAP = ("districts", "grids", "rivers", "roads")

MODULES: tuple[Module, ...] = (
    Module("ecology", "生态文明建设", "Ecology",
           "河道水环境 · 散乱污整治 · 环境案件", "Rivers, polluting sites, environment cases",
           layers=(*BASEMAP, "polluting", "case_heat"), choropleth="theme_accepted",
           theme=CaseTheme(categories=("water_environment", "eco_environment")),
           kpis=("theme_accepted", "theme_disposal_rate", "polluting_sites", "river_km"),
           charts=("theme_monthly", "theme_top_subcategories")),
    Module("livelihood", "民生保障服务", "Livelihood",
           "人口与新市民 · 医保参保 · 学位供需", "Population and new citizens, medical insurance, school places",
           layers=("districts", "grids", "rivers", "roads", "population", "schools"), choropleth="theme_accepted",
           theme=CaseTheme(categories=("livelihood", "floating_population", "epidemic")),
           kpis=("residents", "floating_share", "insurance_coverage_rate", "school_application_ratio"),
           charts=("age_bands", "school_places"),
           needs=("schools", "medical_insurance")),
    Module("online", "网络环境治理", "Online",
           "网络舆情 · 市民诉求", "Public opinion and citizens' reports",
           layers=(*BASEMAP, "case_heat", "opinion_items"), choropleth="theme_accepted",
           theme=CaseTheme(sources=("citizen", "hotline")),
           kpis=("opinion_items", "opinion_negative_share", "opinion_handled_rate", "theme_accepted"),
           charts=("opinion_platforms", "theme_sources"),
           needs=("opinion_items",)),
    Module("leadership", "政府领导", "Leadership",
           "重点项目一图解析 · 督办任务 · 小事不出格", "Key projects on one map · tasks · small matters stay in the grid",
           layers=(*BASEMAP, "case_heat", "key_projects"), choropleth="composite_score",
           kpis=("key_projects", "key_project_on_schedule_rate", "task_ontime_rate", "composite_score"),
           charts=("key_project_status", "resolved_level"),
           needs=("key_projects", "tasks")),
    Module("public", "社会公共管理", "Public management",
           "网格体系 · 3-5-10 · 雪亮工程 · 实时案件", "Grids, the 3-5-10 rule, video coverage, live cases",
           layers=(*BASEMAP, "patrols", "case_heat", "cameras"), choropleth="open_now",
           kpis=("inspectors", "rule_3510_compliance", "camera_online_rate", "theme_open_overdue"),
           charts=("grid_ranking", "camera_kinds"),
           needs=("cameras",)),
    Module("admin", "社会行政管理", "Administration",
           "审批服务 · 市场监管 · 劳动保障", "Approvals, market supervision, labour",
           layers=(*BASEMAP, "enterprises"), choropleth="theme_accepted",
           theme=CaseTheme(categories=("market_supervision", "labour")),
           kpis=("approvals", "approval_ontime_rate", "approval_no_visit_share", "approval_avg_days"),
           charts=("approval_channels", "theme_top_subcategories"),
           needs=("approvals",)),
    Module("enforcement", "政府综合执法", "Enforcement",
           "专业网格 · 一格两员 · 企业红黄牌", "Professional grids, enterprise red and yellow cards",
           layers=("districts", "rivers", "roads", "pro_grids", "enterprises"), choropleth="theme_accepted",
           theme=CaseTheme(enforcement_only=True),
           kpis=("theme_accepted", "red_cards", "yellow_cards", "pro_grids"),
           charts=("credit_mix", "theme_top_subcategories")),
    Module("transport", "交通运输", "Transport",
           "道路 · 交通案件 · 停车与公交", "Roads, traffic cases, parking and buses",
           layers=(*BASEMAP, "case_heat", "bus_routes", "parking"), choropleth="theme_accepted",
           theme=CaseTheme(categories=("transport",),
                           subcategories=("street_order/illegal_parking", "emergencies/traffic_accident",
                                          "public_facilities/road_damage")),
           kpis=("road_km", "bus_route_km", "parking_occupancy", "theme_accepted"),
           charts=("parking_kinds", "theme_top_subcategories"),
           needs=("parking", "bus_routes")),
)

#: The wall without a module picked: the town at a glance.
OVERVIEW = Module("overview", "全镇总览", "Town overview", "", "", layers=BASEMAP, choropleth="open_now")

_BY_ID = {m.id: m for m in MODULES}


def get(module_id: str | None) -> Module:
    """The module ``module_id``; :data:`OVERVIEW` for ``None`` or an unknown id."""
    return _BY_ID.get(module_id or "", OVERVIEW)


def case_mask(cases, theme: CaseTheme):
    """Boolean Series: the rows of ``cases`` that belong to ``theme``.

    >>> import pandas as pd
    >>> c = pd.DataFrame({"category": ["transport", "greenery", "street_order"],
    ...                   "subcategory": ["transport/x", "greenery/y", "street_order/illegal_parking"],
    ...                   "source": ["citizen", "inspector", "hotline"], "enforcement": [False, True, False]})
    >>> case_mask(c, get("transport").theme).tolist()
    [True, False, True]
    >>> case_mask(c, get("online").theme).tolist(), case_mask(c, get("enforcement").theme).tolist()
    ([True, False, True], [False, True, False])
    """
    import pandas as pd
    mask = pd.Series(True, index=cases.index)
    if theme.categories or theme.subcategories:
        pick = pd.Series(False, index=cases.index)
        if theme.categories and "category" in cases:
            pick |= cases["category"].isin(theme.categories)
        if theme.subcategories and "subcategory" in cases:
            pick |= cases["subcategory"].isin(theme.subcategories)
        mask &= pick
    if theme.sources:
        mask &= cases["source"].isin(theme.sources) if "source" in cases else False
    if theme.enforcement_only:
        mask &= cases["enforcement"].fillna(False).astype(bool) if "enforcement" in cases else False
    return mask
