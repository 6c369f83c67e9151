"""The wall's modules: the map of a module (layers, toggles, grid choropleth), its
KPI tiles and charts, the "data not loaded yet" panel, and the grid card.

Dash wiring only: what a module shows is declared in ``layers/modules.py``; the
traces come from the layer files; the numbers from ``callbacks/module_data.py``.
Everything is rendered with the page (no initial callback round trip), and
re-rendered when ``?module=`` changes, a layer is toggled or a grid clicked.
"""
from __future__ import annotations

import logging
import os

from dash import Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from callbacks import ids
from callbacks.chrome import FONT_STACK
from callbacks.i18n import format_compact, format_count, format_rate, parse_query, t
from callbacks.module_data import grid_card_numbers, grid_monthly_cases
from layers import modules as M
from layers.basemap import map_layout, map_style, view_for_frames
from layers.buildings import buildings_to_traces
from layers.case_heat import cases_to_heat_traces
from layers.charts import CHARTS, ChartContext, theme_monthly
from layers.districts import districts_to_traces
from layers.enterprises import enterprises_to_traces
from layers.grids import grids_to_choropleth, grids_to_traces
from layers.module_metrics import METRICS, MetricContext, value_of
from layers.patrols import patrols_to_traces
from layers.population import colorbar, h3_counts_to_traces
from layers.pro_grids import pro_grids_to_traces
from layers.rivers import rivers_to_traces
from layers.roads import roads_to_traces

log = logging.getLogger(__name__)

#: Every layer the map can show, in drawing order (bottom first).
MAP_LAYER_ORDER = ("districts", "buildings", "population", "grids", "pro_grids", "rivers", "roads",
                   "patrols", "case_heat", "polluting", "enterprises")
#: Map size at 1920×1080 (assets/wall.css), for the initial view.
MAP_PX = (1000, 800)
#: KPIs where a high value is good (the colour scale is turned round for them).
HIGHER_IS_BETTER = {"disposal_rate", "composite_score"}
RATE_KPIS = {"disposal_rate"}
INDUSTRIES = {"zh": {}, "en": {}}  # industry codes are shown as they are until the dictionary has names


def tile_url() -> str | None:
    """``TOWNBRAIN_TILES``: an XYZ raster URL on the intranet (e.g. Tianditu), else no tiles."""
    return os.environ.get("TOWNBRAIN_TILES") or None


# ---- the map ----------------------------------------------------------------------------------
def _format_grid_value(kpi: str, v, lang: str) -> str:
    if v is None:
        return "—"
    if kpi in RATE_KPIS:
        return format_rate(v, lang)
    if kpi == "composite_score":
        return f"{v:.1f}"
    return format_count(v, lang)


def module_figure(base: dict, snap, module: M.Module, layers_on, kpi: str, lang: str,
                  buildings=None) -> dict:
    """The map figure of ``module`` with the layers ``layers_on`` (ids of
    :data:`MAP_LAYER_ORDER`), grids coloured by ``kpi``."""
    on = set(layers_on or ())
    traces: list[dict] = []
    name = lambda layer: t(f"layer.{layer}", lang)
    for layer in MAP_LAYER_ORDER:
        if layer not in on:
            continue
        if layer == "districts":
            traces += districts_to_traces(base.get("districts"), name=name(layer))
        elif layer == "buildings":
            traces += buildings_to_traces(buildings, name=name(layer))
        elif layer == "population" and snap is not None:
            traces += h3_counts_to_traces(snap.residents_h3, name=name(layer),
                                          colorbar_title=t("layer.population", lang),
                                          hover_unit=t("unit.people", lang))
        elif layer == "grids":
            grids = base.get("grids")
            if snap is None or "population" in on or not kpi:
                traces += grids_to_traces(grids, name=name(layer))
            else:
                values = snap.grid_values(kpi, module)
                label = t(f"grid_kpi.{kpi}", lang)
                bar = colorbar(label)
                if kpi in RATE_KPIS:
                    bar["tickformat"] = ".0%"
                traces += grids_to_choropleth(
                    grids, values, name=name(layer), kpi_label=label,
                    higher_is_better=kpi in HIGHER_IS_BETTER, colorbar=bar,
                    value_text={g: _format_grid_value(kpi, v, lang) for g, v in values.items()})
        elif layer == "pro_grids" and snap is not None:
            counts = snap.enterprises["pro_grid_id"].value_counts().to_dict() \
                if snap.enterprises is not None and "pro_grid_id" in snap.enterprises else {}
            traces += pro_grids_to_traces(snap.pro_grids, name=name(layer), counts=counts,
                                          hover_unit=t("metric.enterprises", lang))
        elif layer == "rivers":
            traces += rivers_to_traces(base.get("rivers"), name=name(layer))
        elif layer == "roads":
            traces += roads_to_traces(base.get("roads"), name=name(layer))
        elif layer == "patrols" and snap is not None:
            traces += patrols_to_traces(snap.patrols_recent, name=name(layer))
        elif layer == "case_heat" and snap is not None:
            traces += cases_to_heat_traces(snap.heat, name=name(layer))
        elif layer in ("polluting", "enterprises") and snap is not None:
            frame = snap.polluting() if layer == "polluting" else snap.enterprises
            traces += enterprises_to_traces(frame, name=name(layer),
                                            labels={c: t(f"credit.{c}", lang) for c in ("green", "yellow", "red")},
                                            industry_labels=INDUSTRIES.get(lang, {}))
    view = view_for_frames(base, *MAP_PX)
    layout = map_layout(view, FONT_STACK, style=map_style(tile_url()))
    if not traces:
        layout["annotations"] = [{"text": t("map.empty", lang), "showarrow": False,
                                  "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5,
                                  "font": {"size": 24, "color": "#8aa4bf"}}]
    return {"data": traces, "layout": layout}


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
    unit = {"residents": "unit.people", "inspectors": "unit.people", "enterprises": "unit.enterprises",
            "red_cards": "unit.enterprises", "yellow_cards": "unit.enterprises",
            "polluting_sites": "unit.enterprises", "pro_grids": "unit.count"}.get(name, "unit.cases")
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
        river_km=snap.river_km, road_km=snap.road_km)


def module_tiles(snap, module: M.Module, lang: str) -> list:
    """The module's KPI section: a theme line and its tiles."""
    if module is M.OVERVIEW:
        return []
    mctx = metric_context(snap, module)
    tiles = []
    for name in module.kpis:
        number, unit = metric_text(name, value_of(name, mctx), lang)
        tiles.append(html.Div(className=f"kpi module-kpi kind-{METRICS[name].kind}", children=[
            html.Div(t(f"metric.{name}", lang), className="kpi-label"),
            html.Div([html.Span(number, id=ids.module_kpi(name), className="kpi-value"),
                      html.Span(unit, className="kpi-unit") if unit else None], className="kpi-figure")]))
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
        scores = scores.astype("float64").rename(index=lambda g: names.get(g, g))
        scores = scores[[i in names.values() for i in scores.index]]
    return ChartContext(now=snap.now, theme_cases=snap.theme_cases(module), year_start=snap.year_start,
                        subcategory_names=snap.subcategory_names.get(lang, {}), age_bands=snap.age_bands,
                        credit_counts=snap.credit_counts(),
                        resolved_level=snap.town_kpis().get("resolved_level", {}) or {},
                        **({"grid_scores": scores} if scores is not None else {}))


def _graph(fig: dict, key: str) -> dcc.Graph:
    fig["layout"]["font"]["family"] = FONT_STACK
    return dcc.Graph(figure=fig, id={"type": "module-chart", "chart": key}, className="module-chart",
                     config={"displayModeBar": False, "staticPlot": True, "responsive": True},
                     style={"height": f"{fig['layout']['height']}px"})


def module_charts(snap, module: M.Module, lang: str) -> list:
    if module is M.OVERVIEW:
        return []
    cctx = chart_context(snap, module, lang)
    if cctx is None:
        return []
    label = lambda key: t(key, lang)
    return [_graph(CHARTS[name](cctx, label, lang), name) for name in module.charts]


def module_needs(store, module: M.Module, lang: str) -> tuple[list, bool]:
    """The "data not loaded yet" panel: the module's ``needs`` the store lacks."""
    missing = [n for n in module.needs if not _has_layer(store, n)]
    if not missing:
        return [], True
    return [html.H2(t("needs.title", lang), className="panel-title needs-title"),
            html.P(t("needs.body", lang), className="needs-body"),
            html.Ul([html.Li([html.Span(t(f"needs.{n}", lang)), html.Code(n, className="needs-layer")])
                     for n in missing], className="needs-list")], False


def _has_layer(store, name: str) -> bool:
    try:
        return store.has_layer(name)
    except Exception:  # noqa: BLE001 - an unreadable store has nothing loaded
        return False


def grid_card_frame(lang: str) -> html.Div:
    """The (hidden) card over the map's right edge; its body is filled by a click."""
    return html.Div(id=ids.GRID_CARD, className="grid-card", hidden=True, children=[
        html.Button("×", id=ids.GRID_CARD_CLOSE, className="card-close", title=t("card.close", lang)),
        html.Div(id=ids.GRID_CARD_BODY)])


def wall_class(module: M.Module) -> str:
    return "wall" if module is M.OVERVIEW else f"wall has-module module-is-{module.id}"


# ---- the grid card ---------------------------------------------------------------------------------
def grid_card(snap, grid_id: str, lang: str) -> list:
    """Name and district, inspectors and entities, open and overdue cases, this
    year's KPIs and a 12-month trend of one grid."""
    grids = snap.grids
    row = grids[grids["grid_id"].astype(str) == grid_id]
    name = str(row["name"].iloc[0]) if len(row) and "name" in row else grid_id
    district = str(row["district_id"].iloc[0]) if len(row) and "district_id" in row else None
    if district is not None and snap.districts is not None and "name" in snap.districts:
        names = dict(zip(snap.districts["district_id"].astype(str), snap.districts["name"].astype(str)))
        district = names.get(district, district)
    n = grid_card_numbers(snap, grid_id)

    def fmt(key):
        v = n[key]
        if key in ("disposal_rate", "ontime"):
            return format_rate(v, lang)
        if key == "score":
            return "—" if v is None else f"{v:.1f}"
        return format_compact(v, lang)
    cells = [html.Div(className=f"card-cell card-{key}", children=[
        html.Div(t(f"card.{key}", lang), className="card-label"),
        html.Div(fmt(key), id=ids.grid_card_value(key), className="card-value")])
        for key in ("inspectors", "enterprises", "residents", "open", "overdue", "accepted",
                    "disposal_rate", "ontime", "score")]
    trend_ctx = ChartContext(now=snap.now, theme_cases=grid_monthly_cases(snap, grid_id), year_start=snap.year_start)
    trend = theme_monthly(trend_ctx, lambda k: t("card.trend", lang), lang)
    trend["layout"].update(height=190, margin={"l": 6, "r": 8, "t": 36, "b": 4})
    trend["layout"]["font"]["family"] = FONT_STACK
    return [
        html.Div(className="card-head", children=[
            html.H3(name, className="card-title"),
            html.Div(f"{t('card.district', lang)}：{district}" if lang == "zh" and district
                     else (f"{t('card.district', lang)}: {district}" if district else ""),
                     className="card-sub")]),
        html.Div(cells, className="card-grid"),
        dcc.Graph(figure=trend, className="card-trend",
                  config={"displayModeBar": False, "staticPlot": True}, style={"height": "190px"}),
    ]


# ---- callbacks ----------------------------------------------------------------------------------------
def register_modules(app, data, modules_data) -> None:
    """Wire the module switch, the layer toggles, the panels and the grid card."""

    def snapshot_or_none():
        try:
            return modules_data.snapshot()
        except Exception as exc:  # noqa: BLE001 - the wall stays up; refresh_wall shows the stale stamp
            log.warning("wall modules: cannot read the store: %s", exc)
            return None

    @app.callback(Output(ids.WALL, "className"), Output(ids.LAYER_TOGGLES, "value"),
                  Output(ids.GRID_KPI, "value"), Output(ids.GRID_CARD, "hidden", allow_duplicate=True),
                  Input(ids.URL, "search"), prevent_initial_call=True)
    def switch_module(search):
        """A module link: its default layers and grid KPI, its panels shown."""
        module = M.get(parse_query(search)["module"])
        return wall_class(module), list(module.layers), module.choropleth, True

    @app.callback(Output(ids.MODULE_PANEL, "children"), Output(ids.MODULE_CHARTS, "children"),
                  Output(ids.MODULE_NEEDS, "children"), Output(ids.MODULE_NEEDS, "hidden"),
                  Input(ids.URL, "search"), Input(ids.WALL_REFRESH, "n_intervals"), prevent_initial_call=True)
    def refresh_module_panels(search, _n):
        q = parse_query(search)
        module = M.get(q["module"])
        snap = snapshot_or_none()
        needs, hidden = module_needs(data.store, module, q["lang"])
        return module_tiles(snap, module, q["lang"]), module_charts(snap, module, q["lang"]), needs, hidden

    @app.callback(Output(ids.WALL_MAP, "figure"),
                  Input(ids.LAYER_TOGGLES, "value"), Input(ids.GRID_KPI, "value"),
                  State(ids.URL, "search"), prevent_initial_call=True)
    def redraw_map(layers_on, kpi, search):
        q = parse_query(search)
        try:
            base = data.base_layers()
        except Exception:  # noqa: BLE001
            raise PreventUpdate
        buildings = modules_data.buildings() if "buildings" in (layers_on or ()) else None
        return module_figure(base, snapshot_or_none(), M.get(q["module"]), layers_on, kpi, q["lang"],
                             buildings=buildings)

    @app.callback(Output(ids.GRID_CARD_BODY, "children"), Output(ids.GRID_CARD, "hidden"),
                  Input(ids.WALL_MAP, "clickData"), Input(ids.GRID_CARD_CLOSE, "n_clicks"),
                  State(ids.URL, "search"), prevent_initial_call=True)
    def open_grid_card(click, _close, search):
        """A click on a comprehensive grid opens its card; × closes it."""
        if ctx.triggered_id == ids.GRID_CARD_CLOSE:
            return no_update, True
        snap = snapshot_or_none()
        if not click or snap is None or snap.grids is None:
            raise PreventUpdate
        point = (click.get("points") or [{}])[0]
        grid_ids = set(snap.grids["grid_id"].astype(str))
        custom = point.get("customdata")
        grid_id = point.get("location")
        if grid_id not in grid_ids and isinstance(custom, list) and custom:
            grid_id = custom[0]
        if grid_id not in grid_ids:
            raise PreventUpdate  # a click on a road, a hexagon, an enterprise …
        return grid_card(snap, grid_id, parse_query(search)["lang"]), False
