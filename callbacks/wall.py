"""The wall (``/wall``, also ``/``): title bar, KPI panels left and right, the map in
the middle, the 8 modules along the bottom. Designed for 1920×1080.

What it shows is honest: every number is counted from the store's ``cases``
layer on each refresh, and the "data as of" stamp is when that count was made.
The page arrives whole — map and module panels — so the map waits for no callback
before its first draw (the counts follow in parallel); picking a module (``?module=ID``, the wall's own
``dcc.Location``) is switched in the browser (``assets/wall.js``).
"""
from __future__ import annotations

import logging
import threading
from types import SimpleNamespace

from dash import ClientsideFunction, Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from access.scope import TOWN, request_scope  # what the wall's reader may see (issue 16, Deliver 3)
from callbacks import ids
from callbacks.as_of import BadAsOf, ScreenPeriod, period_of
from callbacks.chrome import title_bar
from callbacks.i18n import (LABELS, MODULE_IDS, format_compact, format_count, format_rate, format_time, parse_query,
                            t, wall_href)
from callbacks.grid_card import grid_card_frame
from callbacks.fragments import store_id
from callbacks.modules import indicator_target, layer_control, module_panels, trend_line, wall_class
from callbacks.not_found import unknown_module_notice
from callbacks.paths import app_href
from callbacks.wall_map import map_stores, register_wall_map, wall_map
from callbacks.wall_warnings import register_warnings, warnings_panel
from layers import modules as M

log = logging.getLogger(__name__)

KPI_PERIODS = ("year", "all")
KPI_NAMES = ("accepted", "disposed", "disposal_rate", "open")
#: The layers whose record counts the right panel lists (contract, "Layers").
COUNTED_LAYERS = ("districts", "grids", "pro_grids", "buildings", "residents", "enterprises",
                  "roads", "rivers", "patrols", "cases")
#: How often the KPIs are re-read (ms); single cases reach the screen sooner, by the live feed.
REFRESH_MS = 30_000
#: The year's open cases are no registry indicator but accepted − disposed (``CaseCounts``):
#: judged like one, as a count of which fewer is better.
OPEN_CASES = SimpleNamespace(rate=False, unit="cases", higher_is_better=False)


# ---- panels ------------------------------------------------------------------------------
def kpi_panel(period: str, lang: str, shown: ScreenPeriod, trends: dict | None = None) -> html.Section:
    """Four KPI tiles; the numbers are filled by the refresh callback. The year's
    title names the day it runs to when the town is shown as of a day before 31 December;
    its figures carry their target and arrows (:func:`year_trends`, refreshed with them)."""
    title = t("panel.all", lang) if period == "all" else year_title(shown, lang)
    tiles = []
    for name in KPI_NAMES:
        unit = "" if name == "disposal_rate" else t("unit.cases", lang)
        tiles.append(html.Div(className=f"kpi kpi-{name}", children=[
            # the year's "open" are of the year's accepted cases; all time, every open case
            html.Div(t("kpi.open_year" if name == "open" and period == "year" else f"kpi.{name}", lang),
                     className="kpi-label"),
            html.Div([html.Span("—", id=ids.kpi_value(period, name), className="kpi-value"),
                      html.Span(unit, className="kpi-unit") if unit else None], className="kpi-figure"),
            html.Div((trends or {}).get(name, []), id=ids.kpi_trend(name), className="kpi-trends")
            if period == "year" else None,
        ]))
    # The disposal rate once more as a bar: the one figure leaders read from afar.
    bar = html.Div(html.Div(id=ids.rate_bar(period), className="rate-fill", style={"width": "0%"}),
                   className="rate-bar")
    return html.Section(className=f"panel-section kpi-period-{period}", children=[
        html.H2(title, className="panel-title"), html.Div(tiles, className="kpi-grid"), bar])


def year_trends(snap, lang: str) -> dict[str, list]:
    """{figure of the year panel: its target line (where brief.md gives one) and its
    month-on-month and year-on-year arrows}: the registry's functions over the year
    to date against last year's to the same day, and over this month to date against
    last month's (``TownSnapshot.comparisons`` of the town), as the module tiles do.

    >>> from indicators.registry import get
    >>> now = {"accepted": 120, "disposed": 110, "disposal_rate": 110 / 120}
    >>> snap = SimpleNamespace(comparisons=lambda module: {"mom": ({}, {}), "yoy": (now, {
    ...     "accepted": 100, "disposed": 98, "disposal_rate": 0.98})})
    >>> lines = year_trends(snap, "en")
    >>> [c.children for c in lines["accepted"][0].children], [c.children for c in lines["open"][0].children]
    (['YoY▲20%'], ['YoY▲400%'])
    >>> lines["disposal_rate"][0].className
    'kpi-label kpi-target is-missed'
    """
    from indicators.registry import get
    if snap is None or not hasattr(snap, "comparisons"):
        return {name: [] for name in KPI_NAMES}
    pairs = snap.comparisons(None)

    def open_of(k: dict | None) -> dict:
        k = k or {}
        have = k.get("accepted") is not None and k.get("disposed") is not None
        return {"open": k["accepted"] - k["disposed"]} if have else {}
    open_pairs = {which: tuple(open_of(k) for k in pair) for which, pair in pairs.items()}
    out = {}
    for name in KPI_NAMES:
        if name == "open":
            lines = [trend_line(OPEN_CASES, open_pairs, "open", lang)]
        else:
            lines = [indicator_target(name, (pairs["yoy"][0] or {}).get(name), lang),
                     trend_line(get(name), pairs, name, lang)]
        out[name] = [line for line in lines if line is not None]
    return out


def year_title(shown: ScreenPeriod, lang: str) -> str:
    """"2018年 案件", or "2018年 案件 · 截至6月30日" for a part of the year.

    >>> import datetime as dt, pandas as pd
    >>> from callbacks.as_of import screen_period
    >>> now = pd.Timestamp("2026-12-05 10:00", tz="Asia/Shanghai")
    >>> year_title(screen_period(dt.date(2018, 12, 31), now), "zh")
    '2018年 案件'
    >>> year_title(screen_period(dt.date(2018, 6, 30), now), "en")
    'Cases in 2018 · to 30 Jun'
    """
    year = shown.start.year
    if shown.live or (shown.day.month, shown.day.day) == (12, 31):
        return t("panel.year", lang, year=year)
    return t("as_of.panel_year", lang, year=year, month=shown.day.month, day=shown.day.day,
             month_name=shown.day.strftime("%b"))


def base_panel(lang: str) -> html.Section:
    """Record counts per layer, filled by the refresh callback."""
    total = html.Div(className="base-total", children=[
        html.Div(t("base.total", lang), className="kpi-label"),
        html.Div([html.Span("—", id=ids.base_count("total"), className="kpi-value"),
                  html.Span(t("unit.records", lang), className="kpi-unit")], className="kpi-figure")])
    rows = [html.Div(className="base-row", children=[
        # the cases layer holds every report, accepted or not: named so beside "accepted"
        html.Span(t("base.cases" if layer == "cases" else f"layer.{layer}", lang), className="base-label"),
        html.Span("—", id=ids.base_count(layer), className="base-value")])
        for layer in COUNTED_LAYERS]
    return html.Section(className="panel-section base-section", children=[
        html.H2(t("panel.base", lang), className="panel-title"), total, html.Div(rows, className="base-list")])


def module_bar(active: str | None, lang: str, rotate: int | None, as_of: str | None = None) -> html.Nav:
    return html.Nav(id=ids.MODULE_BAR, className="module-bar", children=[
        # under the app's path prefix: dcc.Link pushes its href as it is (callbacks/paths.py)
        dcc.Link(t(f"module.{m}", lang), href=app_href(wall_href(m, lang, rotate, as_of)), id=ids.module_tab(m),
                 className=_tab_class(m, active))
        for m in MODULE_IDS])


def _tab_class(module: str, active: str | None) -> str:
    return "module-tab is-active" if module == active else "module-tab"


def wall_layout(data, search: str | None) -> html.Div:
    """The whole wall for a URL query, numbers and map included, so the page draws
    without waiting for a callback; a store that cannot be read gives an empty map
    and a one-line notice, never an error page."""
    q = parse_query(search)
    lang = q["lang"]
    try:
        shown = period_of(search, data.now())
    except BadAsOf as bad:
        return bad_as_of_layout(bad, lang)
    notice = None
    scope = request_scope()
    try:
        frames = data.base_layers_for(scope)
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
            snap = modules_data.snapshot_for(scope, shown)
        except Exception as exc:  # noqa: BLE001 - the map still draws the base layers
            log.warning("wall: cannot read the module data: %s", exc)
    buildings = modules_data.buildings_for(scope) if modules_data is not None and snap is not None \
        and "buildings" in module.layers else None
    spec, view = wall_map(frames, snap, module, lang, buildings=buildings)
    tiles_html, charts_html, needs_html, needs_hidden = module_panels(data.store, snap, module, lang)
    return html.Div(id=ids.WALL, className=wall_class(module), children=[
        dcc.Location(id=ids.WALL_URL, refresh=False),
        title_bar(town, lang, page_name=module_name, as_of=shown.key),
        html.Aside(className="panel panel-left", children=[
            html.Section(id=ids.MODULE_PANEL, className="panel-section module-only module-panel"),
            dcc.Store(id=store_id(ids.MODULE_PANEL), data=tiles_html),
            kpi_panel("year", lang, shown, year_trends(snap, lang)), kpi_panel("all", lang, shown),
            warnings_panel(lang)]),
        # Nothing covers the town: notices and the legend are rows above the map, the
        # playback bar (callbacks/live.py) sits in the row kept free below it.
        html.Main(className="map-frame", children=[
            html.Div(className="map-notices", children=[
                html.Div(notice, id=ids.WALL_NOTICE, className="wall-notice", hidden=notice is None),
                unknown_module_notice(search, lang),
                old_data_note(data, q, shown) if notice is None else None]),
            html.Div(className="map-strip", children=[
                html.Div(id=ids.WALL_MAP_LEGEND, className="map-legend", hidden=True),  # filled by assets/map.js
                layer_control(module, lang)]),
            html.Div(className="map-box", children=[
                # drawn by assets/map.js (Leaflet, Canvas 2D) from the spec store below
                html.Div(id=ids.WALL_MAP, className="wall-map"),
                grid_card_frame(lang, shown.at)]),
            dcc.Store(id=ids.WALL_MAP_SPEC, data=spec),
            html.Div(className="playback-row"),
        ]),
        html.Aside(className="panel panel-right has-live" if shown.live else "panel panel-right", children=[
            base_panel(lang),
            html.Section(id=ids.MODULE_CHARTS, className="panel-section module-only module-charts"),
            dcc.Store(id=store_id(ids.MODULE_CHARTS), data=charts_html),
            html.Section(id=ids.MODULE_NEEDS, className="panel-section module-only module-needs",
                         hidden=needs_hidden),
            dcc.Store(id=store_id(ids.MODULE_NEEDS), data=needs_html),
        ]),
        module_bar(q["module"], lang, q["rotate"], shown.key),
        dcc.Interval(id=ids.WALL_REFRESH, interval=REFRESH_MS),
        dcc.Store(id=ids.WALL_CONF, data=switch_conf()),
        *map_stores(view),
    ])


#: A live wall whose newest case is older than this many days says so, with a link to
#: the town as of that case's day (the heat playback's span: older, it shows nothing).
OLD_DATA_DAYS = 30


def old_data_note(data, q: dict, shown: ScreenPeriod):
    """On a live wall whose store holds no case of the last :data:`OLD_DATA_DAYS` days
    (a town that loaded a past year's export), a note naming the newest case's day with
    a link to the wall as of that day — the way a time-filtered dashboard answers "no
    data in this range" with the range that has data, rather than a screen of zeros or
    a past day shown as if it were today. ``None`` otherwise."""
    if not shown.live:
        return None
    try:
        newest = data.newest_case_day(OLD_DATA_DAYS)
    except Exception as exc:  # noqa: BLE001 - the KPI refresh marks the store stale
        log.warning("wall: cannot find the newest case: %s", exc)
        return None
    if newest is None:
        return None
    day, lang = newest.strftime("%Y-%m-%d"), q["lang"]
    return html.Div(id=ids.OLD_DATA_NOTE, className="old-data-note", role="status", children=[
        html.Span(t("as_of.old_data", lang, day=day, days=OLD_DATA_DAYS)),
        dcc.Link(t("as_of.old_data_link", lang, day=day), id=ids.OLD_DATA_LINK,
                 href=app_href(wall_href(q["module"], lang, q["rotate"], day)), className="old-data-link")])


def bad_as_of_layout(bad: BadAsOf, lang: str) -> html.Div:
    """The page for a link whose ``as_of`` cannot be shown: what is wrong, and a way
    to the town now. A wall showing today's figures under a link meant for a past day
    would mislead, so nothing else is drawn."""
    return html.Div(id=ids.AS_OF_ERROR_PAGE, className="console", children=[
        title_bar(None, lang, show_as_of=False),
        html.Main(className="placeholder", role="alert", children=[
            html.H2(t("as_of.bad.title", lang), className="placeholder-title"),
            html.P(t("as_of.bad.body", lang, text=bad.text[:40], reason=t(f"as_of.bad.{bad.reason}", lang)),
                   id=ids.AS_OF_ERROR, className="placeholder-body"),
            dcc.Link(t("as_of.to_live", lang), href=wall_href(None, lang), className="placeholder-link"),
        ]),
    ])


def switch_conf() -> dict:
    """What ``assets/wall.js: switchModule`` needs to switch modules by itself."""
    return {"order": list(MODULE_IDS), "overview": M.OVERVIEW.id, "lang": "zh",
            "modules": {m.id: {"layers": list(m.layers), "choropleth": m.choropleth, "cls": wall_class(m)}
                        for m in (M.OVERVIEW, *M.MODULES)},
            "names": {lang: {m: LABELS[lang][f"module.{m}"] for m in MODULE_IDS} for lang in LABELS}}


# ---- the numbers -------------------------------------------------------------------------------
def kpi_texts(data, lang: str, shown: ScreenPeriod | None = None, scope=TOWN) -> dict:
    """{component id: text or style} of every KPI tile, rate bar, record count and
    the data-as-of stamp, counted now (as of the end of ``shown``'s day when it is
    not live) over what ``scope`` may see; raises when the store cannot be read."""
    now = data.now()
    counts = data.case_counts_for(scope, now, period=shown)
    snap = None if scope.town else data.modules.snapshot_for(scope, shown)
    records = data.layer_counts_for(scope, COUNTED_LAYERS, snap)
    out = {}
    for period in KPI_PERIODS:
        kpis = counts[period].as_dict()
        for name in KPI_NAMES:
            # compact (35.0万 / 350.4k): six-digit counts must fit a half-panel tile
            fmt = format_rate if name == "disposal_rate" else format_compact
            out[ids.kpi_value(period, name)] = fmt(kpis[name], lang)
        out[ids.rate_bar(period)] = {"width": f"{100 * (kpis['disposal_rate'] or 0):.1f}%"}
    present = [n for n in records.values() if n is not None]
    out[ids.base_count("total")] = format_count(sum(present) if present else None, lang)
    for layer in COUNTED_LAYERS:
        out[ids.base_count(layer)] = format_count(records[layer], lang)
    out[ids.DATA_AS_OF] = format_time(now, lang)
    return out


def warm_up(data) -> threading.Thread:
    """Read what the first wall needs (base layers, the modules' snapshot) in the
    background as the server starts, so the first visitor does not wait for it."""
    def run():
        try:
            data.base_layers()
            if getattr(data, "modules", None) is not None:
                data.modules.snapshot()
        except Exception as exc:  # noqa: BLE001 - the first page will say what is wrong
            log.warning("wall: warm-up read failed: %s", exc)
    thread = threading.Thread(target=run, name="wall-warm-up", daemon=True)
    thread.start()
    return thread


# ---- callbacks -------------------------------------------------------------------------------
def register_wall(app, data) -> None:
    value_ids = [*(ids.kpi_value(p, n) for p in KPI_PERIODS for n in KPI_NAMES),
                 *(ids.base_count(layer) for layer in ("total", *COUNTED_LAYERS))]
    bar_ids = [ids.rate_bar(p) for p in KPI_PERIODS]

    @app.callback(*(Output(i, "children") for i in value_ids), *(Output(i, "style") for i in bar_ids),
                  Output(ids.DATA_AS_OF, "children"), Output(ids.DATA_AS_OF, "className"),
                  Input(ids.WALL_REFRESH, "n_intervals"), State(ids.WALL_URL, "search"))
    def refresh_wall(_n, search):
        """Count the KPIs and records in the store (with the page: its half second of
        COUNT queries on the demo GeoPackage runs while the browser starts plotly.js and
        the map, not before); when the store cannot be read, keep the last numbers on
        screen and mark the stamp stale (as the live layer does)."""
        lang = parse_query(search)["lang"]
        try:
            shown = period_of(search, data.now())
        except BadAsOf:
            raise PreventUpdate  # the page says what is wrong with the link (bad_as_of_layout)
        try:
            texts = kpi_texts(data, lang, shown, request_scope())
        except Exception as exc:  # noqa: BLE001 - the wall stays up; the stamp says the data is stale
            log.warning("wall: cannot count cases: %s", exc)
            return [*([no_update] * (len(value_ids) + len(bar_ids) + 1)), "as-of-value is-stale"]
        return [*(texts[i] for i in value_ids), *(texts[i] for i in bar_ids), texts[ids.DATA_AS_OF], "as-of-value"]

    @app.callback(*(Output(ids.kpi_trend(name), "children") for name in KPI_NAMES),
                  Input(ids.WALL_REFRESH, "n_intervals"), State(ids.WALL_URL, "search"), prevent_initial_call=True)
    def refresh_year_trends(_n, search):
        """The year panel's targets and arrows, from the modules' snapshot (re-read at
        most once a minute); when the store cannot be read, the last ones stay."""
        lang = parse_query(search)["lang"]
        try:
            snap = data.modules.snapshot_for(request_scope(), period_of(search, data.now()))
        except BadAsOf:
            raise PreventUpdate
        except Exception as exc:  # noqa: BLE001 - the wall stays up; refresh_wall marks the stamp stale
            log.warning("wall: cannot read the year's comparisons: %s", exc)
            raise PreventUpdate
        lines = year_trends(snap, lang)
        return [lines[name] for name in KPI_NAMES]

    # A module link only changes ?module=: the browser re-marks the tabs, renames the
    # title, picks the module's layers and grid KPI and closes the grid card (assets/wall.js).
    app.clientside_callback(
        ClientsideFunction(namespace="townbrain_wall", function_name="switchModule"),
        Output(ids.WALL, "className"), *(Output(ids.module_tab(m), "className") for m in MODULE_IDS),
        Output(ids.PAGE_NAME, "children"), Output(ids.LAYER_TOGGLES, "value"), Output(ids.GRID_KPI, "value"),
        Output(ids.GRID_CARD, "hidden", allow_duplicate=True),
        Input(ids.WALL_URL, "search"), State(ids.WALL_CONF, "data"), prevent_initial_call=True)

    register_wall_map(app, data, data.modules)
    register_warnings(app, data, data.modules)
    warm_up(data)
