"""The wall (``/wall``, also ``/``): title bar, KPI panels left and right, the map in
the middle, the 8 modules along the bottom. Designed for 1920×1080.

What it shows is honest: every number is counted from the store's ``cases``
layer on each refresh, and the "data as of" stamp is when that count was made.
Picking a module (``?module=ID``) only highlights it for now.
"""
from __future__ import annotations

import logging

from dash import Input, Output, State, dcc, html

from callbacks import ids
from callbacks.chrome import FONT_STACK, title_bar
from callbacks.i18n import (MODULE_IDS, format_compact, format_count, format_rate, format_time, parse_query,
                            t, wall_href)
from callbacks.modules import (grid_card_frame, layer_control, module_charts, module_figure, module_needs,
                               module_tiles, wall_class)
from layers import BASE_LAYERS
from layers import modules as M
from layers.basemap import map_layout, view_for_frames

log = logging.getLogger(__name__)

KPI_PERIODS = ("year", "all")
KPI_NAMES = ("accepted", "disposed", "disposal_rate", "open")
#: The layers whose record counts the right panel lists (contract, "Layers").
COUNTED_LAYERS = ("districts", "grids", "pro_grids", "buildings", "residents", "enterprises",
                  "roads", "rivers", "patrols", "cases")
#: How often the KPIs are re-read (ms). The live feed of issue 6 will replace this.
REFRESH_MS = 30_000
#: Map size at 1920×1080 (see the grid in assets/wall.css), for the initial view.
MAP_PX = (1000, 800)


# ---- the map ---------------------------------------------------------------------------
def wall_figure(frames: dict, lang: str) -> dict:
    """The map figure from the base layer frames: traces of ``BASE_LAYERS`` in order,
    the view fitted to the polygons (or whatever there is)."""
    traces = []
    for spec in BASE_LAYERS:
        traces.extend(spec.to_traces(frames.get(spec.id), name=t(f"layer.{spec.id}", lang)))
    view = view_for_frames(frames, *MAP_PX)
    layout = map_layout(view, FONT_STACK)
    if not traces:
        layout["annotations"] = [{"text": t("map.empty", lang), "showarrow": False,
                                  "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5,
                                  "font": {"size": 24, "color": "#8aa4bf"}}]
    return {"data": traces, "layout": layout}


# ---- panels ------------------------------------------------------------------------------
def kpi_panel(period: str, lang: str, year: int) -> html.Section:
    """Four KPI tiles; the numbers are filled by the refresh callback."""
    title = t("panel.year", lang, year=year) if period == "year" else t("panel.all", lang)
    tiles = []
    for name in KPI_NAMES:
        unit = "" if name == "disposal_rate" else t("unit.cases", lang)
        tiles.append(html.Div(className=f"kpi kpi-{name}", children=[
            html.Div(t(f"kpi.{name}", lang), className="kpi-label"),
            html.Div([html.Span("—", id=ids.kpi_value(period, name), className="kpi-value"),
                      html.Span(unit, className="kpi-unit") if unit else None], className="kpi-figure"),
        ]))
    # The disposal rate once more as a bar: the one figure leaders read from afar.
    bar = html.Div(html.Div(id=ids.rate_bar(period), className="rate-fill", style={"width": "0%"}),
                   className="rate-bar")
    return html.Section(className=f"panel-section kpi-period-{period}", children=[
        html.H2(title, className="panel-title"), html.Div(tiles, className="kpi-grid"), bar])


def base_panel(lang: str) -> html.Section:
    """Record counts per layer, filled by the refresh callback."""
    total = html.Div(className="base-total", children=[
        html.Div(t("base.total", lang), className="kpi-label"),
        html.Div([html.Span("—", id=ids.base_count("total"), className="kpi-value"),
                  html.Span(t("unit.records", lang), className="kpi-unit")], className="kpi-figure")])
    rows = [html.Div(className="base-row", children=[
        html.Span(t(f"layer.{layer}", lang), className="base-label"),
        html.Span("—", id=ids.base_count(layer), className="base-value")])
        for layer in COUNTED_LAYERS]
    return html.Section(className="panel-section base-section", children=[
        html.H2(t("panel.base", lang), className="panel-title"), total, html.Div(rows, className="base-list")])


def module_bar(active: str | None, lang: str, rotate: int | None) -> html.Nav:
    return html.Nav(id=ids.MODULE_BAR, className="module-bar", children=[
        dcc.Link(t(f"module.{m}", lang), href=wall_href(m, lang, rotate), id=ids.module_tab(m),
                 className=_tab_class(m, active))
        for m in MODULE_IDS])


def _tab_class(module: str, active: str | None) -> str:
    return "module-tab is-active" if module == active else "module-tab"


def wall_layout(data, search: str | None) -> html.Div:
    """The whole wall for a URL query; a store that cannot be read gives an empty map
    and a one-line notice, never an error page."""
    q = parse_query(search)
    lang = q["lang"]
    notice = None
    try:
        frames = data.base_layers()
        town = data.town_name()
    except Exception as exc:  # noqa: BLE001 - the wall must stay up whatever the store does
        log.warning("wall: cannot read the store: %s", exc)
        frames, town = {}, None
        notice = t("notice.store", lang, error=str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    module_name = t(f"module.{q['module']}", lang) if q["module"] else ""
    module = M.get(q["module"])
    modules_data = getattr(data, "modules", None)
    snap = None
    if notice is None and modules_data is not None:
        try:
            snap = modules_data.snapshot()
        except Exception as exc:  # noqa: BLE001 - the map still draws the base layers
            log.warning("wall: cannot read the module data: %s", exc)
    buildings = modules_data.buildings() if modules_data is not None and snap is not None \
        and "buildings" in module.layers else None
    figure = module_figure(frames, snap, module, module.layers, module.choropleth, lang, buildings=buildings)
    needs, needs_hidden = module_needs(data.store, module, lang)
    return html.Div(id=ids.WALL, className=wall_class(module), children=[
        title_bar(town, lang, page_name=module_name),
        html.Aside(className="panel panel-left", children=[
            html.Section(module_tiles(snap, module, lang), id=ids.MODULE_PANEL,
                         className="panel-section module-only module-panel"),
            kpi_panel("year", lang, data.now().year), kpi_panel("all", lang, data.now().year)]),
        html.Main(className="map-frame", children=[
            dcc.Graph(id=ids.WALL_MAP, figure=figure, className="wall-map",
                      config={"displayModeBar": False, "displaylogo": False, "scrollZoom": True,
                              "responsive": True},
                      style={"height": "100%", "width": "100%"}),
            layer_control(module, lang),
            grid_card_frame(lang),
            html.Div(notice, id=ids.WALL_NOTICE, className="wall-notice", hidden=notice is None),
        ]),
        html.Aside(className="panel panel-right", children=[
            base_panel(lang),
            html.Section(module_charts(snap, module, lang), id=ids.MODULE_CHARTS,
                         className="panel-section module-only module-charts"),
            html.Section(needs, id=ids.MODULE_NEEDS, className="panel-section module-only module-needs",
                         hidden=needs_hidden),
        ]),
        module_bar(q["module"], lang, q["rotate"]),
        dcc.Interval(id=ids.WALL_REFRESH, interval=REFRESH_MS),
    ])


# ---- callbacks -------------------------------------------------------------------------------
def register_wall(app, data) -> None:
    kpi_outputs = [Output(ids.kpi_value(p, n), "children") for p in KPI_PERIODS for n in KPI_NAMES]
    bar_outputs = [Output(ids.rate_bar(p), "style") for p in KPI_PERIODS]
    count_outputs = [Output(ids.base_count(layer), "children") for layer in ("total", *COUNTED_LAYERS)]

    @app.callback(*kpi_outputs, *bar_outputs, *count_outputs,
                  Output(ids.DATA_AS_OF, "children"), Output(ids.DATA_AS_OF, "className"),
                  Input(ids.WALL_REFRESH, "n_intervals"), State(ids.URL, "search"))
    def refresh_wall(_n, search):
        """Count the KPIs and records in the store; on failure show dashes and say so."""
        lang = parse_query(search)["lang"]
        now = data.now()
        try:
            counts = data.case_counts(now)
            records = data.layer_counts(COUNTED_LAYERS)
        except Exception as exc:  # noqa: BLE001 - the wall stays up; the stamp says why
            log.warning("wall: cannot count cases: %s", exc)
            return [*(["—"] * len(kpi_outputs)), *([{"width": "0%"}] * len(bar_outputs)),
                    *(["—"] * len(count_outputs)), t("clock.unavailable", lang), "as-of-value is-stale"]
        values, bars = [], []
        for period in KPI_PERIODS:
            kpis = counts[period].as_dict()
            for name in KPI_NAMES:
                # compact (35.0万 / 350.4k): six-digit counts must fit a half-panel tile
                fmt = format_rate if name == "disposal_rate" else format_compact
                values.append(fmt(kpis[name], lang))
            bars.append({"width": f"{100 * (kpis['disposal_rate'] or 0):.1f}%"})
        present = [n for n in records.values() if n is not None]
        totals = [format_count(sum(present) if present else None, lang),
                  *(format_count(records[layer], lang) for layer in COUNTED_LAYERS)]
        return [*values, *bars, *totals, format_time(now, lang), "as-of-value"]

    @app.callback(*[Output(ids.module_tab(m), "className") for m in MODULE_IDS],
                  Output(ids.PAGE_NAME, "children"),
                  Input(ids.URL, "search"), prevent_initial_call=True)
    def highlight_module(search):
        """A module link only changes the query string: re-mark the tabs, rename the title."""
        q = parse_query(search)
        name = t(f"module.{q['module']}", q["lang"]) if q["module"] else ""
        return [*(_tab_class(m, q["module"]) for m in MODULE_IDS), name]
