"""The wall's modules: the map of a module (layers, toggles, grid choropleth), its
KPI tiles and charts, and the "data not loaded yet" panel.

Dash wiring only: what a module shows is declared in ``layers/modules.py``; the
traces come from the layer files; the numbers from ``callbacks/module_data.py``.
Everything is rendered with the page (no initial callback round trip); the panels
are re-rendered when ``?module=`` changes, the card when a grid is clicked. The map
draws every layer once and switches them in the browser (``callbacks/wall_map.py``).
"""
from __future__ import annotations

import logging
import os

from dash import Input, Output, dcc, html
from dash.exceptions import PreventUpdate

from access.scope import request_scope  # what the wall's reader may see (issue 16, Deliver 3)
from callbacks import ids
from callbacks.as_of import BadAsOf
from callbacks.bar_chart import bar_chart
from callbacks.fragments import register_fragment, store_id, to_html
from callbacks.chrome import FONT_STACK
from callbacks.i18n_names import romanise, short_place
from callbacks.i18n import format_compact, format_count, format_rate, parse_query, t
from callbacks.grid_card import register_grid_card
from geodata.code_names import industry_labels
from layers import modules as M
from layers.basemap import map_layout, map_style, view_for_frames
from layers.buildings import buildings_to_traces
from layers.case_heat import cases_to_heat_traces
from layers.charts import CHARTS, ChartContext
from layers.districts import districts_to_traces
from layers.enterprises import enterprises_to_traces
from layers.grids import grids_to_choropleth, grids_to_traces
from layers.module_metrics import METRICS, MetricContext, value_of
from layers.patrols import patrols_to_traces
from layers.population import colorbar, h3_counts_to_traces
from layers.pro_grids import pro_grids_to_traces
from layers.rivers import rivers_to_traces
from layers.roads import roads_to_traces
from layers.theme_layers import THEME_LAYERS

log = logging.getLogger(__name__)

#: Every layer the map can show, in drawing order (bottom first): ours, then the
#: modules' own layers (layers/theme_layers.py).
MAP_LAYER_ORDER = ("districts", "buildings", "population", "grids", "pro_grids", "rivers", "roads",
                   "patrols", "case_heat", "polluting", "enterprises", *THEME_LAYERS)
#: Map size at 1920×1080 (assets/wall.css), for the initial view.
MAP_PX = (1000, 800)
#: KPIs where a high value is good (the colour scale is turned round for them).
HIGHER_IS_BETTER = {"disposal_rate", "composite_score"}
#: What each module tile's figure is: (scope, registry indicator) — "theme" is this year's
#: cases of the module's theme, "town" this year's cases of the whole town (with patrols
#: and every report) — or ("stock", what is counted) for a count of what the store holds
#: now, which has no period. One meaning per word (issue 15): a tile's number is the
#: registry's function over the period its label names (``tests/callbacks``).
TILE_INDICATORS = {
    "theme_accepted": ("theme", "accepted"),
    "theme_disposal_rate": ("theme", "disposal_rate"),
    "theme_ontime_closure_rate": ("theme", "ontime_closure_rate"),
    "theme_open_overdue": ("theme", "open_overdue"),
    "composite_score": ("town", "composite_score"),
    "inspector_share": ("town", "inspector_share"),
    "rule_3510_compliance": ("town", "rule_3510_compliance"),
}
#: Arrow colours: better, worse, a change with no better direction (a count of cases).
TREND_COLOURS = {"good": "#5eead4", "bad": "#f87171", "neutral": "#8aa4bf"}
RATE_KPIS = {"disposal_rate"}
INDUSTRIES = {lang: industry_labels(lang) for lang in ("zh", "en")}  # codes without a name show as they are


def tile_url() -> str | None:
    """``TOWNBRAIN_TILES``: an XYZ raster URL on the intranet (e.g. Tianditu), else no tiles."""
    return os.environ.get("TOWNBRAIN_TILES") or None


# ---- the map ----------------------------------------------------------------------------------
def format_grid_value(kpi: str, v, lang: str) -> str:
    if v is None:
        return "—"
    if kpi in RATE_KPIS:
        return format_rate(v, lang)
    if kpi == "composite_score":
        return f"{v:.1f}"
    return format_count(v, lang)


def layer_traces(layer: str, base: dict, snap, module: M.Module, lang: str, buildings=None) -> list[dict]:
    """The traces of one map layer (an id of :data:`MAP_LAYER_ORDER`); comprehensive
    grids as plain outlines (their KPI colours are :func:`grid_kpi_traces`)."""
    name = t(f"layer.{layer}", lang)
    if layer == "districts":
        return districts_to_traces(base.get("districts"), name=name)
    if layer == "buildings":
        return buildings_to_traces(buildings, name=name)
    if layer == "grids":
        return grids_to_traces(base.get("grids"), name=name)
    if layer == "rivers":
        return rivers_to_traces(base.get("rivers"), name=name)
    if layer == "roads":
        return roads_to_traces(base.get("roads"), name=name)
    if snap is None:
        return []
    if layer == "population":
        return h3_counts_to_traces(snap.residents_h3, name=name, colorbar_title=t("layer.population", lang),
                                   hover_unit=t("unit.people", lang))
    if layer == "pro_grids":
        counts = snap.enterprises["pro_grid_id"].value_counts().to_dict() \
            if snap.enterprises is not None and "pro_grid_id" in snap.enterprises else {}
        return pro_grids_to_traces(snap.pro_grids, name=name, counts=counts,
                                   hover_unit=t("metric.enterprises", lang))
    if layer == "patrols":
        return patrols_to_traces(snap.patrols_recent, name=name)
    if layer == "case_heat":
        return cases_to_heat_traces(snap.heat, name=name)
    if layer in THEME_LAYERS:
        frame = snap.layer_frame(layer, lang) if hasattr(snap, "layer_frame") else None
        return THEME_LAYERS[layer].to_traces(frame, name=name, label=lambda key: t(key, lang))
    if layer in ("polluting", "enterprises"):
        frame = snap.polluting() if layer == "polluting" else snap.enterprises
        return enterprises_to_traces(frame, name=name,
                                     labels={c: t(f"credit.{c}", lang) for c in ("green", "yellow", "red")},
                                     industry_labels=INDUSTRIES.get(lang, {}))
    return []


def grid_kpi_traces(grids, snap, module: M.Module, kpi: str, lang: str) -> list[dict]:
    """The comprehensive grids coloured by ``kpi`` of ``module`` (grids without a
    value as outlines), with a colour bar titled by the KPI."""
    values = snap.grid_values(kpi, module)
    label = t(f"grid_kpi.{kpi}", lang)
    bar = colorbar(label)
    if kpi in RATE_KPIS:
        bar["tickformat"] = ".0%"
    return grids_to_choropleth(grids, values, name=t("layer.grids", lang), kpi_label=label,
                               higher_is_better=kpi in HIGHER_IS_BETTER, colorbar=bar,
                               value_text={g: format_grid_value(kpi, v, lang) for g, v in values.items()})


def module_figure(base: dict, snap, module: M.Module, layers_on, kpi: str, lang: str,
                  buildings=None) -> dict:
    """The map figure of ``module`` with only the layers ``layers_on`` (ids of
    :data:`MAP_LAYER_ORDER`), grids coloured by ``kpi`` (outlines while the
    population layer is on). The wall itself draws every layer once and toggles
    them (``callbacks/wall_map.py``); this is the figure for an export or a test."""
    on = set(layers_on or ())
    traces: list[dict] = []
    for layer in MAP_LAYER_ORDER:
        if layer not in on:
            continue
        if layer == "grids" and snap is not None and kpi and "population" not in on:
            traces += grid_kpi_traces(base.get("grids"), snap, module, kpi, lang)
        else:
            traces += layer_traces(layer, base, snap, module, lang, buildings=buildings)
    view = view_for_frames(base, *MAP_PX)
    layout = map_layout(view, FONT_STACK, style=map_style(tile_url()))
    if not traces:
        layout["annotations"] = [empty_map_note(lang)]
    return {"data": traces, "layout": layout}


def empty_map_note(lang: str) -> dict:
    """The annotation of a map with nothing to draw."""
    return {"text": t("map.empty", lang), "showarrow": False, "xref": "paper", "yref": "paper",
            "x": 0.5, "y": 0.5, "font": {"size": 24, "color": "#8aa4bf"}}


def layer_control(module: M.Module, lang: str) -> html.Div:
    """The layer checklist and the grid-KPI switch, in the map's top-right corner."""
    return html.Div(className="map-control", children=[
        html.Div(t("map.layers", lang), className="map-control-title"),
        dcc.Checklist(id=ids.LAYER_TOGGLES, className="layer-toggles",
                      options=[{"label": t(f"layer.{layer}", lang), "value": layer} for layer in MAP_LAYER_ORDER],
                      value=list(module.layers), inputClassName="layer-toggle-input"),
        html.Div(t("map.grid_kpi", lang), className="map-control-title"),
        dcc.RadioItems(id=ids.GRID_KPI, className="grid-kpi",
                       options=[{"label": t(f"grid_kpi.{k}", lang), "value": k} for k in M.GRID_KPIS],
                       value=module.choropleth),
    ])


# ---- panels --------------------------------------------------------------------------------------
def metric_text(name: str, value, lang: str) -> tuple[str, str]:
    """(number, unit) of a KPI tile in the language."""
    kind = METRICS[name].kind
    if value is None:
        return "—", ""
    if kind == "rate":
        return format_rate(value, lang), ""
    if kind == "km":
        return (f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"), t("unit.km", lang)
    if kind == "score":
        return f"{value:.1f}", t("unit.points", lang)
    if kind == "days":
        return f"{value:.1f}", t("unit.days", lang)
    unit = {"residents": "unit.people", "inspectors": "unit.people", "enterprises": "unit.enterprises",
            "red_cards": "unit.enterprises", "yellow_cards": "unit.enterprises",
            "polluting_sites": "unit.enterprises", "pro_grids": "unit.count"}.get(name, "unit.cases")
    unit = METRICS[name].unit or unit
    return format_compact(value, lang), t(unit, lang)


def metric_context(snap, module: M.Module) -> MetricContext:
    if snap is None:
        return MetricContext()
    ent = snap.enterprises
    pol = snap.polluting()
    elderly = None
    if snap.age_bands:
        elderly = sum(int(v) for k, v in snap.age_bands.items() if str(k) in ("60-79", "80+"))
    return MetricContext(
        theme_kpis=snap.theme_kpis(module), town_kpis=snap.town_kpis(),
        residents_total=snap.residents_total, residents_elderly=elderly,
        residents_floating=snap.residents_floating,
        enterprises_total=None if ent is None else len(ent), credit_counts=snap.credit_counts(),
        polluting_sites=None if pol is None else len(pol), inspectors=snap.inspectors(),
        pro_grids=None if snap.pro_grids is None else len(snap.pro_grids),
        river_km=snap.river_km, road_km=snap.road_km, layer_stats=snap.layer_stats())


#: The module's panels, swapped whole on a switch (their fragments' containers).
PANELS = (ids.MODULE_PANEL, ids.MODULE_CHARTS, ids.MODULE_NEEDS)


def trend_delta(indicator, now, before, lang: str) -> tuple[str, str] | None:
    """(text, colour kind) of the change from ``before`` to ``now`` of a registry
    indicator: "▲ 1.2pp" for a rate (percentage points), "▼ 12%" for a count (relative;
    the absolute change when there was nothing before), "▲ 0.8" for a score; coloured
    "good" / "bad" by the indicator's ``higher_is_better``, "neutral" when it has no
    better direction. ``None`` when either side is missing.

    >>> from indicators.registry import get
    >>> trend_delta(get("disposal_rate"), 0.95, 0.97, "en")
    ('▼ 2.0pp', 'bad')
    >>> trend_delta(get("open_overdue"), 30, 40, "zh")
    ('▼ 25%', 'good')
    >>> trend_delta(get("accepted"), 5, 0, "en"), trend_delta(get("accepted"), 5, None, "en")
    (('▲ 5', 'neutral'), None)
    """
    if now is None or before is None:
        return None
    d = float(now) - float(before)
    arrow = "▲" if d > 0 else "▼" if d < 0 else "＝"
    if indicator.rate:
        text = f"{abs(d) * 100:.1f}pp"
    elif indicator.unit == "points":
        text = f"{abs(d):.1f}"
    elif before:
        text = f"{abs(d) / abs(float(before)):.0%}"
    else:
        text = f"{abs(d):,.0f}"
    hib = indicator.higher_is_better
    kind = "neutral" if hib is None or d == 0 else ("good" if (d > 0) == hib else "bad")
    return f"{arrow} {text}", kind


def trend_line(ind, pairs: dict, key: str, lang: str) -> html.Div | None:
    """The month-on-month and year-on-year arrows of ``key`` in ``pairs``
    (``TownSnapshot.comparisons``), judged by the registry indicator ``ind``."""
    parts = []
    for which in ("mom", "yoy"):
        now, before = (pairs[which][0] or {}).get(key), (pairs[which][1] or {}).get(key)
        delta = trend_delta(ind, now, before, lang)
        if delta is None:
            continue
        text, kind = delta
        parts.append(html.Span(className=f"kpi-trend-part trend-{which} is-{kind}",
                               title=t(f"trend.{which}.help", lang),
                               style={"color": TREND_COLOURS[kind], "marginRight": "0.5rem",
                                      "whiteSpace": "nowrap"},
                               children=f"{t(f'trend.{which}', lang)}{text.replace(' ', '')}"))
    if not parts:
        return None
    return html.Div(parts, className="kpi-label kpi-trend")


def tile_trends(snap, module: M.Module, name: str, lang: str) -> html.Div | None:
    """The month-on-month and year-on-year arrows of a tile whose figure is a registry
    indicator (:data:`TILE_INDICATORS`): the same function over this month to date
    against last month to the same day, and over the year to date against last
    year's to the same day (``TownSnapshot.comparisons``)."""
    from indicators.registry import get
    if snap is None or name not in TILE_INDICATORS or not hasattr(snap, "comparisons"):
        return None
    scope, key = TILE_INDICATORS[name]
    return trend_line(get(key), snap.comparisons(module if scope == "theme" else None), key, lang)


def indicator_target(key: str, value, lang: str) -> html.Div | None:
    """"目标 ≥ 98.6%" for registry indicator ``key`` when it has a ``target`` (where
    brief.md gives one), coloured by whether ``value`` reaches it."""
    from indicators.registry import get
    ind = get(key)
    if ind.target is None:
        return None
    sign = "≥" if ind.higher_is_better else "≤"
    shown = format_rate(ind.target, lang) if ind.rate else f"{ind.target:g}"
    met = None if value is None else (value >= ind.target if ind.higher_is_better else value <= ind.target)
    colour = TREND_COLOURS["neutral" if met is None else "good" if met else "bad"]
    return html.Div(t("trend.target", lang, sign=sign, value=shown), title=ind.target_source,
                    className="kpi-label kpi-target" + ("" if met is None else " is-met" if met else " is-missed"),
                    style={"color": colour})


def tile_target(name: str, value, lang: str) -> html.Div | None:
    """The target line of a tile whose figure is a registry indicator (:data:`TILE_INDICATORS`)."""
    return indicator_target(TILE_INDICATORS[name][1], value, lang) if name in TILE_INDICATORS else None


def module_tiles(snap, module: M.Module, lang: str) -> list:
    """The module's KPI section: a theme line and its tiles, each headline figure with
    its month-on-month and year-on-year arrows and, where brief.md gives one, its target."""
    if module is M.OVERVIEW:
        return []
    mctx = metric_context(snap, module)
    tiles = []
    for name in module.kpis:
        value = value_of(name, mctx)
        number, unit = metric_text(name, value, lang)
        tiles.append(html.Div(className=f"kpi module-kpi kind-{METRICS[name].kind}", children=[
            html.Div(t(f"metric.{name}", lang), className="kpi-label"),
            html.Div([html.Span(number, id=ids.module_kpi(name), className="kpi-value"),
                      html.Span(unit, className="kpi-unit") if unit else None], className="kpi-figure"),
            tile_target(name, value, lang), tile_trends(snap, module, name, lang)]))
    theme = module.theme_zh if lang == "zh" else module.theme_en
    return [html.H2(t("panel.module", lang, module=t(f"module.{module.id}", lang)), className="panel-title"),
            html.Div(theme, className="module-theme"),
            html.Div(tiles, className="kpi-grid")]


def chart_context(snap, module: M.Module, lang: str) -> ChartContext | None:
    if snap is None:
        return None
    scores = snap.grid_table(None).get("composite_score")
    if scores is not None and snap.grids is not None:
        names = dict(zip(snap.grids["grid_id"].astype(str), snap.grids["name"].astype(str)))
        if lang != "zh":
            names = {g: short_place(romanise(n)) for g, n in names.items()}
        scores = scores.astype("float64").rename(index=lambda g: names.get(g, g))
        scores = scores[[i in names.values() for i in scores.index]]
    return ChartContext(now=snap.now, theme_cases=snap.theme_cases(module), year_start=snap.year_start,
                        subcategory_names=snap.subcategory_names.get(lang, {}), age_bands=snap.age_bands,
                        credit_counts=snap.credit_counts(),
                        resolved_level=snap.town_kpis().get("resolved_level", {}) or {},
                        layer_stats=snap.layer_stats(),
                        **({"grid_scores": scores} if scores is not None else {}))


def module_charts(snap, module: M.Module, lang: str) -> list:
    if module is M.OVERVIEW:
        return []
    cctx = chart_context(snap, module, lang)
    if cctx is None:
        return []
    label = lambda key: t(key, lang)
    # static pictures on the wall: HTML bars, not plotly (callbacks/bar_chart.py)
    return [bar_chart(CHARTS[name](cctx, label, lang), name) for name in module.charts]


def module_needs(store, module: M.Module, lang: str, withheld=()) -> tuple[list, bool]:
    """The module's note: the "data not loaded yet" panel (the module's ``needs`` the
    store lacks) and, for a reader whose grants are less than the town, the layers of
    the module whose records have no place and are not shown to them (``withheld``:
    access/scope.py ``UNPLACED``) — so that a district's tiles are not read as the town's."""
    missing = [n for n in module.needs if not _has_layer(store, n)]
    hidden = [n for n in module.needs if n in withheld and n not in missing]
    out = []
    if missing:
        out += [html.H2(t("needs.title", lang), className="panel-title needs-title"),
                html.P(t("needs.body", lang), className="needs-body"),
                html.Ul([html.Li([html.Span(t(f"needs.{n}", lang)), html.Code(n, className="needs-layer")])
                         for n in missing], className="needs-list")]
    if hidden:
        out += [html.H2(t("withheld.title", lang), className="panel-title needs-title", id=ids.MODULE_WITHHELD),
                html.P(t("withheld.body", lang), className="needs-body"),
                html.Ul([html.Li([html.Span(t(f"withheld.{n}", lang)), html.Code(n, className="needs-layer")])
                         for n in hidden], className="needs-list")]
    return out, not out


def _has_layer(store, name: str) -> bool:
    """The layer is in the store with at least one record: a schema creates every
    layer of the data dictionary empty, and an empty layer is not loaded."""
    from access.scope import town_work
    try:
        with town_work():  # whether the town has loaded it, not whether this reader sees a row of it
            return store.has_layer(name) and store.count(name) > 0
    except Exception:  # noqa: BLE001 - an unreadable store has nothing loaded
        return False


def wall_class(module: M.Module) -> str:
    return "wall" if module is M.OVERVIEW else f"wall has-module module-is-{module.id}"


def module_panels(store, snap, module: M.Module, lang: str) -> tuple[str, str, str, bool]:
    """(tiles, charts, needs as HTML fragments, needs hidden) of ``module``, built once
    per module snapshot (re-read once a minute at most) and language: a module switch
    then costs the server a dictionary lookup."""
    def build():
        needs, hidden = module_needs(store, module, lang, snap.withheld if snap is not None else ())
        return (to_html(module_tiles(snap, module, lang)), to_html(module_charts(snap, module, lang)),
                to_html(needs), hidden)
    return build() if snap is None else snap.memo(("panels", module.id, lang), build)


# ---- callbacks ----------------------------------------------------------------------------------------
def register_modules(app, data, modules_data) -> None:
    """Wire the module panels and the grid card (callbacks/grid_card.py)."""

    def snapshot_or_none(shown):
        try:
            return modules_data.snapshot_for(request_scope(), shown)
        except Exception as exc:  # noqa: BLE001 - the wall stays up; refresh_wall shows the stale stamp
            log.warning("wall modules: cannot read the store: %s", exc)
            return None

    # The module switch itself (tabs, title, layers, grid KPI) runs in the browser
    # (callbacks/wall.py, assets/wall.js); the map follows (callbacks/wall_map.py).
    # the panels are HTML fragments (callbacks/fragments.py): one store each, no Dash children
    for target in PANELS:
        register_fragment(app, target)

    @app.callback(*(Output(store_id(target), "data") for target in PANELS), Output(ids.MODULE_NEEDS, "hidden"),
                  Input(ids.WALL_URL, "search"), Input(ids.WALL_REFRESH, "n_intervals"), prevent_initial_call=True)
    def refresh_module_panels(search, _n):
        q = parse_query(search)
        module = M.get(q["module"])
        try:
            shown = data.period_of(search)
        except BadAsOf:
            raise PreventUpdate  # the page says what is wrong with the link
        return module_panels(data.store, snapshot_or_none(shown), module, q["lang"])

    register_grid_card(app, data, modules_data)
