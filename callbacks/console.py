"""The duty officers' console (``/console``): filters, a case table over all cases,
the case detail with its workflow, overdue and at-risk lists, rankings and a map.

brief.md ("Who uses it"): duty officers "filter, search and drill into a grid or a
case; see what is overdue now; follow a case through its workflow".

The whole state lives in the URL (:mod:`callbacks.console_state`). One callback
(``sync``) writes form changes and map clicks into the URL and, on back/forward,
the URL into the form (a grid clicked on the map lands in the grid filter too); the
other callbacks only read the URL. Queries run on an in-process frame of all cases
(:class:`geodata.case_queries.CaseCache`), so the browser only ever receives one
page of rows and per-grid counts.

Speed (issue 15: every interaction ≤ 300 ms to the screen updated, measured in the
page by ``bench/ui_console.py``). The map is the wall's Leaflet on a Canvas 2D
renderer (``assets/map.js``), not plotly's MapLibre: without a GPU every MapLibre
frame is drawn in software and read back, and a page of the table took a 2.9 s long
task on the main thread re-rendering it. The map is sent once and then patched (the
grid colours, the selected outline); the rankings are memoised per period and place
for ten minutes (they take 0.3 s), the case detail per case for half a minute.
"""
from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
import time
from urllib.parse import urlencode

import pandas as pd
from dash import ClientsideFunction, Input, Output, Patch, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from callbacks import ids
from callbacks.as_of import BadAsOf, as_of_text, parse_as_of, screen_period
from callbacks.chrome import FONT_STACK, title_bar
from callbacks.console_state import (PRESETS, ConsoleState, console_href, parse_state, state_filter,
                                     state_to_search)
from callbacks.fragments import register_fragment, store_id, to_html
from callbacks.data import case_cache
from callbacks.console_view import (Names, case_detail, case_table, due_list, grid_count_layer, grid_ranking,
                                    inspector_ranking, map_spec, pager, period_text, scope_text, selected_layer)
from callbacks.i18n import format_count, parse_query, t, wall_href
from callbacks.paths import app_href, local_path
# what the signed-in reader may see (issue 16, Deliver 3): the table, counts, map, lists,
# rankings and filter choices all go through the one gate
from access.scope import request_scope, scope_mask, scope_mask_by
from geodata import case_queries as cq
from geodata.schema import SOURCES, STATUSES

log = logging.getLogger(__name__)

PAGE_SIZE = 20
#: The panels sent as HTML fragments (callbacks/fragments.py), each filled from its store.
FRAGMENTS = (ids.CONSOLE_TABLE, ids.CONSOLE_PAGER, ids.CONSOLE_OVERDUE_LIST, ids.CONSOLE_AT_RISK_LIST,
             ids.CONSOLE_DETAIL, ids.CONSOLE_GRID_RANKING, ids.CONSOLE_INSPECTOR_RANKING)
REFRESH_MS = 60_000
FIRST_YEAR = 2018  # the demo town's cases start in 2018 (contract, "The demo town")


#: The console's case cache, one per screen-data object (created on first use).
cache_of = case_cache


def _known(cache: cq.CaseCache) -> dict[str, set]:
    frame = cache.get()
    known = {"statuses": set(STATUSES), "sources": set(SOURCES)}
    cats = cache.extra("categories")
    known["categories"] = set(frame.values("category")) | (
        set(cats["code"].astype(str)) if cats is not None else set())
    for key, layer, col in (("districts", "districts", "district_id"), ("grids", "grids", "grid_id")):
        df = cache.extra(layer)
        known[key] = set(df[col].astype(str)) if df is not None else set(frame.values(col))
    return known


def _names(cache: cq.CaseCache, lang: str) -> Names:
    return Names(lang, cache.extra("categories"), cache.extra("grids"), cache.extra("districts"))


# ---- layout -----------------------------------------------------------------------------------
def _period_options(lang: str, now: pd.Timestamp) -> list[dict]:
    opts = [{"label": t("c.period.all", lang), "value": "all"}]
    opts += [{"label": t(f"c.period.{p}", lang), "value": p} for p in PRESETS]
    opts += [{"label": t("c.period.y", lang, year=y), "value": str(y)} for y in range(now.year, FIRST_YEAR - 1, -1)]
    return opts


def _dropdown(id_, options, value, lang, placeholder_key, multi=True):
    labels = ({"select_all": "全选", "deselect_all": "全不选", "selected_count": "已选 {num} 项",
               "search": "搜索", "clear_search": "清除", "clear_selection": "清除",
               "no_options_found": "无匹配项"} if lang == "zh" else {})
    return dcc.Dropdown(id=id_, options=options, value=list(value) if multi else value, multi=multi,
                        placeholder=t(placeholder_key, lang), labels=labels, clearable=True,
                        className="console-dropdown", searchable=True)


def scoped_units(cache: cq.CaseCache, layer: str, scope):
    """The districts or grids (side tables of the console's frame) ``scope`` may see."""
    units = cache.extra(layer)
    return None if units is None else units[scope_mask(units, scope)]


def filter_bar(s: ConsoleState, cache: cq.CaseCache, names: Names, today: pd.Timestamp, scope) -> html.Div:
    """The filters; the district and grid choices are those ``scope`` may see."""
    lang = s.lang
    frame = cache.get()
    cats = cache.extra("categories")
    top = (cats[cats["parent"].isna()]["code"].astype(str).tolist() if cats is not None and "parent" in cats
           else frame.values("category"))
    top += [c for c in frame.values("category") if c not in top]
    grids = scoped_units(cache, "grids", scope)
    grid_ids = sorted(grids["grid_id"].astype(str)) if grids is not None else []
    dists = scoped_units(cache, "districts", scope)
    dist_ids = sorted(dists["district_id"].astype(str)) if dists is not None else []

    def field(label_key, control, cls=""):
        return html.Label([html.Span(t(label_key, lang), className="field-label"), control],
                          className="field " + cls)

    period = s.period or ("custom" if (s.date_from or s.date_to) else "all")
    period_opts = _period_options(lang, today) + ([{"label": t("c.period.custom", lang), "value": "custom"}]
                                                if period == "custom" else [])
    return html.Div(className="console-filters", children=[
        field("c.period", dcc.Dropdown(id=ids.CONSOLE_PERIOD, options=period_opts, value=period, clearable=False,
                                       searchable=False, className="console-dropdown"), "f-period"),
        field("c.from", dcc.Input(id=ids.CONSOLE_FROM, value=s.date_from or "", debounce=True,
                                  placeholder=t("c.date_ph", lang), className="console-input"), "f-date"),
        field("c.to", dcc.Input(id=ids.CONSOLE_TO, value=s.date_to or "", debounce=True,
                                placeholder=t("c.date_ph", lang), className="console-input"), "f-date"),
        field("c.category", _dropdown(ids.CONSOLE_CATEGORY, [{"label": names.category(c), "value": c} for c in top],
                                      s.categories, lang, "c.any"), "f-wide"),
        field("c.status", _dropdown(ids.CONSOLE_STATUS, [{"label": t(f"status.{x}", lang), "value": x}
                                                         for x in STATUSES], s.statuses, lang, "c.any")),
        field("c.source", _dropdown(ids.CONSOLE_SOURCE, [{"label": t(f"source.{x}", lang), "value": x}
                                                         for x in SOURCES], s.sources, lang, "c.any")),
        field("c.district", _dropdown(ids.CONSOLE_DISTRICT, [{"label": names.district.get(d, d), "value": d}
                                                             for d in dist_ids], s.districts, lang, "c.any")),
        field("c.grid", _dropdown(ids.CONSOLE_GRID, [{"label": names.grid_name(g), "value": g} for g in grid_ids],
                                  s.grids, lang, "c.any"), "f-wide"),
        field("c.search", dcc.Input(id=ids.CONSOLE_SEARCH, value=s.q, debounce=True, type="search",
                                    placeholder=t("c.search_ph", lang), className="console-input"), "f-search"),
        dcc.Checklist(id=ids.CONSOLE_OVERDUE, options=[{"label": t("c.overdue_only", lang), "value": "1"}],
                      value=["1"] if s.overdue else [], className="f-overdue", inputClassName="overdue-box"),
        html.Div(className="filter-links", children=[
            # under the app's path prefix: dcc.Link pushes its href as it is (callbacks/paths.py)
            dcc.Link(t("c.clear", lang), id=ids.CONSOLE_CLEAR,
                     href=app_href(console_href(ConsoleState(lang=lang, as_of=s.as_of))), className="chip-link"),
            dcc.Link(t("c.lang_switch", lang), id=ids.CONSOLE_LANG,
                     href=app_href(console_href(s, lang="en" if lang == "zh" else "zh")), className="chip-link"),
            dcc.Link(t("console.to_wall", lang), href=app_href(wall_href(None, lang, as_of=s.as_of)),
                     className="chip-link"),
        ]),
    ])


def console_layout(data, search: str | None) -> html.Div:
    lang = parse_query(search)["lang"]
    cache = cache_of(data)
    try:
        known = _known(cache)
        town = data.town_name()
    except Exception as exc:  # noqa: BLE001 - the page says what is wrong instead of failing
        log.warning("console: cannot read the store: %s", exc)
        msg = t("notice.store", lang, error=str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        return html.Div(id=ids.CONSOLE, className="console", children=[
            title_bar(None, lang, page_name=t("page.console", lang), show_as_of=False, page=None),
            html.Div(msg, id=ids.CONSOLE_NOTE, className="console-note")])
    s, _ = parse_state(search, known, data.now().date())
    names = _names(cache, lang)
    shown = screen_period(dt.date.fromisoformat(s.as_of) if s.as_of else None, data.now())

    def panel(id_, cls=""):
        return html.Section(id=id_, className="console-panel " + cls)

    return html.Div(id=ids.CONSOLE, className="console console-page", lang="en" if lang == "en" else "zh-CN", children=[
        title_bar(town, lang, page_name=t("page.console", lang), show_as_of=False, as_of=s.as_of, page="/console"),
        filter_bar(s, cache, names, shown.last_day, request_scope()),
        html.Div(id=ids.CONSOLE_NOTE, className="console-note", hidden=True),
        html.Div(className="console-body", children=[
            html.Section(className="console-panel table-panel", children=[
                html.Div(className="table-head", children=[
                    html.Span(id=ids.CONSOLE_TOTAL, className="total"),
                    html.Span(id=ids.CONSOLE_SCOPE, className="scope muted"),
                    html.Span(id=ids.CONSOLE_TIMING, className="timing muted")]),
                html.Div(id=ids.CONSOLE_TABLE, className="table-wrap"),
                html.Nav(id=ids.CONSOLE_PAGER, className="pager"),
            ]),
            html.Div(className="console-middle", children=[
                html.Section(className="console-panel map-panel", children=[
                    html.H2([t("c.map", lang), html.Span(t("c.map_hint", lang), className="muted small")],
                            className="panel-title"),
                    # drawn by assets/map.js from CONSOLE_MAP_SPEC (Leaflet, Canvas 2D); its
                    # legend goes in the row above the map ("<map id>-legend"), off the town
                    html.Div(id=f"{ids.CONSOLE_MAP}-legend", className="map-legend console-map-legend", hidden=True),
                    html.Div(id=ids.CONSOLE_MAP, className="console-map"),
                    dcc.Store(id=ids.CONSOLE_MAP_SPEC), dcc.Store(id=ids.CONSOLE_MAP_DRAWN),
                    dcc.Store(id=ids.CONSOLE_MAP_CLICK)]),
                panel(ids.CONSOLE_DETAIL, "detail-panel"),
            ]),
            html.Div(className="console-right", children=[
                panel(ids.CONSOLE_OVERDUE_LIST, "list-panel"),
                panel(ids.CONSOLE_AT_RISK_LIST, "list-panel"),
                panel(ids.CONSOLE_GRID_RANKING, "rank-panel"),
                panel(ids.CONSOLE_INSPECTOR_RANKING, "rank-panel"),
            ]),
        ]),
        dcc.Interval(id=ids.CONSOLE_REFRESH, interval=REFRESH_MS),
        dcc.Store(id=ids.CONSOLE_RENDERED, data=None),
        dcc.Store(id=ids.CONSOLE_RANK_KEY), dcc.Store(id=ids.CONSOLE_CASE_KEY),
        *[dcc.Store(id=store_id(target)) for target in FRAGMENTS],
        # The page's own view of the URL: the shell's Location lives on every page, so a
        # callback mixing it with the console's inputs would fire where those do not exist.
        dcc.Location(id=ids.CONSOLE_URL, refresh=False),
    ])


def bad_params_note(search: str | None, bad: list[str], lang: str, today) -> str:
    """The note naming the ignored link parameters; a bad ``as_of`` gets its reason
    too (the console then shows the town now, and says so)."""
    note = t("c.bad_params", lang, params=", ".join(bad))
    try:
        parse_as_of(as_of_text(search), today)
    except BadAsOf as exc:
        note += " " + t("as_of.bad.body", lang, text=exc.text[:40], reason=t(f"as_of.bad.{exc.reason}", lang))
    return note


# ---- rankings (memoised: they depend on the period and place only) ----------------------------
_NO_RANK = pd.DataFrame({"rank": pd.Series(dtype="Int64"), "score": pd.Series(dtype="float64")})
#: How long a ranking is reused (s): a composite score over a period moves slowly, and
#: computing one takes ~0.3 s on the demo town — too long for a click (issue 15).
RANK_TTL_S = 600


@functools.lru_cache(maxsize=32)  # periods × the scopes asking (a town's and a few districts')
def _period_rankings(cache: cq.CaseCache, start, end, bucket: int, scope):
    """(grid ranking of every grid, compliance of every inspector with their grid and
    district) of the period over what ``scope`` may see — its cases, its inspectors'
    patrols, its grids — from the frame of the ten-minute ``bucket`` it is first
    asked in: the costly part (~0.3 s on the demo town), shared by every place."""
    from indicators.composite_score import composite_ranking
    from indicators.rule_3510 import compliance_by, inspector_days
    frame = cache.get()
    df, patrols, staff = frame.to_frame(), cache.extra("patrols"), cache.extra("staff")
    all_grids = cache.extra("grids")
    if not scope.town:
        df = df[frame.mask(cq.CaseFilter(scope=scope))]
        patrols = None if patrols is None else patrols[scope_mask_by(patrols, scope, staff, "staff_id")]
        staff = None if staff is None else staff[scope_mask(staff, scope)]
        all_grids = None if all_grids is None else all_grids[scope_mask(all_grids, scope)]
    groups = sorted(all_grids["grid_id"].astype(str)) if all_grids is not None else None
    rank = composite_ranking(df, by="grid", start=start, end=end, patrols=patrols, groups=groups)
    rank.index = rank.index.astype(object)
    rank = rank[rank.index.notna()]
    comp = None
    if patrols is not None and len(patrols):
        days = inspector_days(patrols, df[["reported_by", "reported_at"]], start=start, end=end)
        if len(days):
            comp = compliance_by(days, "staff_id").reset_index()
            if staff is not None:
                cols = [c for c in ("staff_id", "grid_id", "district_id") if c in staff]
                comp = comp.merge(staff[cols].astype(object), on="staff_id", how="left")
                for c in ("grid_id", "district_id"):
                    if c not in comp:
                        comp[c] = None
            else:
                comp["grid_id"], comp["district_id"] = None, None
            comp = comp.sort_values(["compliance", "inspector_days", "staff_id"], ascending=[False, False, True])
    return rank, comp


def _rankings(cache: cq.CaseCache, start, end, districts, grids, bucket: int, scope):
    """(grid ranking, inspector compliance) of the period and place within ``scope``:
    the period's rankings (:func:`_period_rankings`) narrowed to the districts, and the
    inspectors to the districts and grids."""
    rank, comp = _period_rankings(cache, start, end, bucket, scope)
    all_grids = cache.extra("grids")
    if districts and all_grids is not None:
        inside = set(all_grids[all_grids["district_id"].isin(districts)]["grid_id"].astype(str))
        rank = rank[rank.index.isin(inside)]
    if comp is not None:
        if districts:
            comp = comp[comp["district_id"].isin(districts)]
        if grids:
            comp = comp[comp["grid_id"].isin(grids)]
        comp = comp.head(100)
    return rank, comp


# ---- callbacks ---------------------------------------------------------------------------------
CONTROLS = (ids.CONSOLE_PERIOD, ids.CONSOLE_FROM, ids.CONSOLE_TO, ids.CONSOLE_CATEGORY, ids.CONSOLE_STATUS,
            ids.CONSOLE_SOURCE, ids.CONSOLE_DISTRICT, ids.CONSOLE_GRID, ids.CONSOLE_OVERDUE, ids.CONSOLE_SEARCH)


def _controls_of(s: ConsoleState) -> list:
    period = s.period or ("custom" if (s.date_from or s.date_to) else "all")
    return [period, s.date_from or "", s.date_to or "", list(s.categories), list(s.statuses), list(s.sources),
            list(s.districts), list(s.grids), ["1"] if s.overdue else [], s.q]


def register_console(app, data) -> None:
    cache = cache_of(data)

    def state_of(search):
        return parse_state(search, _known(cache), data.now().date())

    def at_of(s: ConsoleState) -> pd.Timestamp:
        """The instant the console judges "open" and "overdue" at: now, or the end of
        the as_of day (callbacks/as_of.py)."""
        return screen_period(dt.date.fromisoformat(s.as_of) if s.as_of else None, data.now()).at

    def bucket_of(now: pd.Timestamp) -> int:
        return int(now.timestamp() // RANK_TTL_S)

    def grids_system():
        """The comprehensive grids as a :class:`grids.systems.GridSystem` (a map click
        goes to the grid that covers it, by the assignment's own rule), per grid frame."""
        from grids.systems import GridSystem
        frame = cache.extra("grids")
        if frame is None or not len(frame):
            return None
        held = getattr(cache, "_console_grid_system", None)
        if held is None or held[0] is not frame:
            held = (frame, GridSystem.from_frame(frame, "grid_id"))
            cache._console_grid_system = held
        return held[1]

    app.clientside_callback(
        ClientsideFunction(namespace="townbrain_map", function_name="draw"),
        Output(ids.CONSOLE_MAP_DRAWN, "data"), Input(ids.CONSOLE_MAP_SPEC, "data"), State(ids.CONSOLE_MAP, "id"))
    for target in FRAGMENTS:
        register_fragment(app, target)
    app.clientside_callback(
        ClientsideFunction(namespace="townbrain_console", function_name="keys"),
        Output(ids.CONSOLE_RANK_KEY, "data"), Output(ids.CONSOLE_CASE_KEY, "data"),
        Input(ids.CONSOLE_URL, "search"), State(ids.CONSOLE_RANK_KEY, "data"), State(ids.CONSOLE_CASE_KEY, "data"))

    @app.callback(Output(ids.CONSOLE_URL, "search"),
                  *[Output(c, "value") for c in CONTROLS],
                  *[Input(c, "value") for c in CONTROLS],
                  Input(ids.CONSOLE_MAP_CLICK, "data"), Input(ids.CONSOLE_URL, "search"),
                  State(ids.CONSOLE_URL, "pathname"), prevent_initial_call=True)
    def sync(period, date_from, date_to, cats, statuses, sources, districts, grids, overdue, q, click, search,
             pathname):
        """Form → URL, and URL → form (back/forward, links, a grid clicked on the map):
        one callback, so no cycle. Only controls whose value differs are written, so a
        page or a case link redraws no dropdown."""
        if local_path(pathname, app.config.requests_pathname_prefix) != "/console":
            raise PreventUpdate
        s, _ = state_of(search)
        shown = [period, date_from or "", date_to or "", list(cats or []), list(statuses or []),
                 list(sources or []), list(districts or []), list(grids or []), list(overdue or []), q or ""]

        def controls(state):
            return [no_update if _same(want, have) else want for want, have in zip(_controls_of(state), shown)]

        if ctx.triggered_id == ids.CONSOLE_URL:
            out = controls(s)
            if all(v is no_update for v in out):
                raise PreventUpdate
            return no_update, *out
        if ctx.triggered_id == ids.CONSOLE_MAP_CLICK:
            point = ((click or {}).get("points") or [{}])[0]
            system = grids_system()
            gid = (system.id_of(point["lon"], point["lat"]) if system is not None and "lon" in point
                   else point.get("location"))
            if not gid:
                raise PreventUpdate
            new = s.replace(grids=() if s.grids == (gid,) else (gid,), page=1)
            # the URL and the grid filter at once: the form shows what the table is filtered by
            return state_to_search(new), *controls(new)
        date_from, date_to = (date_from or "").strip(), (date_to or "").strip()
        if ctx.triggered_id == ids.CONSOLE_PERIOD and period != "custom":
            date_from = date_to = ""  # a preset replaces custom dates
        preset = "" if date_from or date_to or period in ("all", "custom", None) else period
        parsed, _ = state_of("?" + urlencode({"period": preset, "from": date_from, "to": date_to}))
        new = s.replace(period=parsed.period, date_from=parsed.date_from, date_to=parsed.date_to,
                        categories=tuple(sorted(cats or ())), statuses=tuple(sorted(statuses or ())),
                        sources=tuple(sorted(sources or ())), districts=tuple(sorted(districts or ())),
                        grids=tuple(sorted(grids or ())), overdue=bool(overdue),
                        q=(q or "").strip()[:100])
        if new.filters_key() != s.filters_key():
            new = new.replace(page=1)
        out = state_to_search(new)
        if out == (search or ""):
            raise PreventUpdate
        return out, *[no_update] * len(CONTROLS)

    @app.callback(Output(ids.CONSOLE_NOTE, "children"), Output(ids.CONSOLE_NOTE, "hidden"),
                  Output(ids.CONSOLE_TOTAL, "children"), Output(ids.CONSOLE_SCOPE, "children"),
                  Output(ids.CONSOLE_TIMING, "children"),
                  Output(store_id(ids.CONSOLE_TABLE), "data"), Output(store_id(ids.CONSOLE_PAGER), "data"),
                  Output(ids.CONSOLE_MAP_SPEC, "data"),
                  Output(store_id(ids.CONSOLE_OVERDUE_LIST), "data"),
                  Output(store_id(ids.CONSOLE_AT_RISK_LIST), "data"),
                  Output(ids.CONSOLE_RENDERED, "data"),
                  Input(ids.CONSOLE_URL, "search"), Input(ids.CONSOLE_REFRESH, "n_intervals"),
                  State(ids.CONSOLE_RENDERED, "data"))
    def render(search, _tick, rendered):
        if rendered and rendered.get("search") == (search or "") and ctx.triggered_id == ids.CONSOLE_URL:
            raise PreventUpdate  # the page's Location reporting the URL it was opened with
        t0 = time.perf_counter()
        s, bad = state_of(search)
        lang, now, tz = s.lang, at_of(s), data.tz
        frame = cache.get()
        names = _names(cache, lang)
        scope = request_scope()
        flt = state_filter(s, now).replace(scope=scope)  # table, counts, map and lists alike
        page = frame.page(flt, sort=s.sort, descending=s.desc, page=s.page, size=PAGE_SIZE, now=now)
        grids = scoped_units(cache, "grids", scope)  # the map draws the grids the reader may see
        # what the map and the lists show depends on part of the state only: a page, a
        # sort or a case opened leaves them as they are (the minute's refresh redoes all)
        keys = {"map": repr(_map_key(s)), "lists": repr(_lists_key(s))}
        fresh = ctx.triggered_id == ids.CONSOLE_REFRESH or not rendered
        same = {k: not fresh and (rendered or {}).get(k) == v for k, v in keys.items()}
        spec = no_update
        title = t("c.map_title", lang, period=period_text(s, now, tz))
        if same["map"] and rendered.get("map"):
            pass
        elif rendered and rendered.get("map") and grids is not None and len(grids):
            counts = frame.counts_by(flt, "grid_id", now=now, skip=("grids",))
            # the map is drawn: only the colours, tooltips and the selected outline change
            spec = Patch()
            layer = grid_count_layer(grids, names, counts, title)
            for key in ("fill", "tips", "scale", "meta", "name"):
                spec["layers"][0][key] = layer[key]
            if rendered.get("selected") != list(s.grids):
                spec["layers"][1] = selected_layer(grids, s.grids)
        else:
            counts = frame.counts_by(flt, "grid_id", now=now, skip=("grids",))
            spec = map_spec(grids, names, counts, s.grids, title)
        overdue_html = risk_html = no_update
        if not same["lists"]:
            overdue, n_overdue = frame.due_soon(flt, now)
            risk, n_risk = frame.due_soon(flt, now, hours=24)
            overdue_html = to_html(due_list(overdue, n_overdue, s, names, now, overdue=True))
            risk_html = to_html(due_list(risk, n_risk, s, names, now, overdue=False))
        ms = (time.perf_counter() - t0) * 1000
        log.debug("console query %s: %d rows in %.0f ms", search, page.total, ms)
        note = bad_params_note(search, bad, lang, data.now().date()) if bad else None
        return (note, not bad,
                t("c.total", lang, n=format_count(page.total)),
                scope_text(s, now, tz),
                t("c.ms", lang, ms=f"{ms:.0f}"),
                to_html(case_table(page.rows, s.replace(page=page.page), names, tz, now)),
                to_html(pager(page.page, page.pages, s)),
                spec, overdue_html, risk_html,
                {"search": search or "", "map": bool(grids is not None and len(grids)), "selected": list(s.grids),
                 **keys})

    detail_lock = threading.Lock()
    detail_memo: dict = {}

    def read_detail(case_id: str, now: pd.Timestamp, as_of: str | None, scope):
        """The case and its timeline, read again at most every 30 s (a page or filter
        change re-runs the detail callback with the same case); a case outside ``scope``
        raises :class:`geodata.case_queries.OutOfScope`."""
        key = (case_id, as_of, scope, int(time.monotonic() // 30))
        with detail_lock:
            hit = detail_memo.get(key)
        if hit is None:
            hit = cq.case_detail(data.store, case_id, now if as_of else None, scope=scope)
            with detail_lock:
                if len(detail_memo) >= 16:
                    detail_memo.pop(next(iter(detail_memo)))
                detail_memo[key] = hit
        return hit

    @app.callback(Output(store_id(ids.CONSOLE_DETAIL), "data"), Input(ids.CONSOLE_CASE_KEY, "data"),
                  State(ids.CONSOLE_URL, "search"))
    def detail(_key, search):
        s, _ = state_of(search)
        names = _names(cache, s.lang)
        now = at_of(s)
        case, timeline = None, None
        if s.case:
            try:
                case, timeline = read_detail(s.case, now, s.as_of, request_scope())
            except cq.OutOfScope:
                # refused (403, the gate's answer) and audited as a refusal (issue 16, Deliver 3)
                _audit_case("refused", s.case, "outside the reader's scope")
                _refuse_out_of_scope()
            else:
                if case is not None:
                    _audit_case("ok", s.case, None)
                    case = _personal_masked(case)
        return to_html(case_detail(case, timeline, s, names, data.tz, now))

    @app.callback(Output(store_id(ids.CONSOLE_GRID_RANKING), "data"),
                  Output(store_id(ids.CONSOLE_INSPECTOR_RANKING), "data"),
                  Input(ids.CONSOLE_RANK_KEY, "data"), Input(ids.CONSOLE_REFRESH, "n_intervals"),
                  State(ids.CONSOLE_URL, "search"))
    def rankings(_key, _tick, search):
        s, _ = state_of(search)
        now = at_of(s)
        flt = state_filter(s, now)
        names = _names(cache, s.lang)
        period = period_text(s, now, data.tz)
        if flt.start is not None and flt.end is not None and flt.start >= flt.end:
            # a year after the as_of day (?period=2020&as_of=2018-12-31): nothing to rank
            return to_html(grid_ranking(_NO_RANK, s, names, period)), to_html(inspector_ranking(None, s, names, period))
        scope = request_scope()
        key = (s.lang, s.as_of, s.period, s.date_from, s.date_to, s.districts, s.grids, bucket_of(now), scope)
        with rank_lock:
            hit = rank_memo.get(key)
        if hit is None:  # the two tables as HTML, kept: their links carry only what they change
            rank, comp = _rankings(cache, flt.start, flt.end, s.districts, s.grids, bucket_of(now), scope)
            hit = to_html(grid_ranking(rank, s, names, period)), to_html(inspector_ranking(comp, s, names, period))
            with rank_lock:
                if len(rank_memo) >= 16:
                    rank_memo.pop(next(iter(rank_memo)))
                rank_memo[key] = hit
        warm_presets(s, now, scope)
        return hit

    warmed: set = set()
    rank_lock = threading.Lock()
    rank_memo: dict = {}

    def warm_presets(s: ConsoleState, now: pd.Timestamp, scope) -> None:
        """Rank every period preset once per ten minutes for ``scope``, behind the page,
        so that picking a period finds its ranking ready."""
        key = (s.as_of, bucket_of(now), scope)
        if key in warmed:
            return
        if len(warmed) > 64:  # old buckets: bounded, nothing kept per request
            warmed.clear()
        warmed.add(key)

        def work():
            for p in ("all", *PRESETS):
                f = state_filter(s.replace(period=None if p == "all" else p, date_from=None, date_to=None), now)
                try:
                    _period_rankings(cache, f.start, f.end, bucket_of(now), scope)
                except Exception as exc:  # noqa: BLE001 - a warm-up only; the click computes it
                    log.debug("console: warming the rankings failed: %s", exc)
        threading.Thread(target=work, name="console-rank-warm", daemon=True).start()


def _audit_case(outcome: str, case_id: str, detail: str | None) -> None:
    """Every view of a case's details, and every refusal of one, in the audit trail
    (issue 16, Deliver 5); a view that cannot be audited is not shown."""
    import flask
    access = flask.current_app.extensions.get("townbrain_access") if flask.has_request_context() else None
    if access is None:
        return
    sess = flask.g.get("tb_session")
    access.audit.record("case_view", outcome=outcome, user=sess.name if sess else None,
                        source=flask.request.remote_addr, object=f"case {case_id}"[:200], detail=detail)


def _refuse_out_of_scope():
    """A 403 for a case outside the reader's scope, in the body the gate answers a
    refused callback with (access/gate.py); its existence is not told."""
    import flask
    resp = flask.jsonify({"error": "not allowed for this account", "status": 403})
    resp.status_code = 403
    resp.headers["Cache-Control"] = "no-store"
    flask.abort(resp)


def _personal_masked(case: dict) -> dict:
    """The case as the reader may see it: who reported it and how to reach them only for
    a role that may see personal data (access/roles.py ``PERSONAL_ROLES``; a planner
    opens the console to pick cases to export, not to learn who reported them)."""
    import flask
    from access.roles import may_see_personal
    from exports.data_export import PERSONAL_COLUMNS
    sess = flask.g.get("tb_session") if flask.has_request_context() else None
    if sess is None or may_see_personal(sess.role):
        return case
    return {k: (None if k in PERSONAL_COLUMNS else v) for k, v in case.items()}


def _map_key(s: ConsoleState) -> tuple:
    """What the map shows: counts of the filters but the grid, the grids outlined."""
    return (s.lang, s.as_of, s.filters_key(), s.grids)


def _lists_key(s: ConsoleState) -> tuple:
    """What the overdue and at-risk lists show: open cases of the place, kind and search
    (not the period, status or overdue switch: ``CaseFrame.due_soon``)."""
    return (s.lang, s.as_of, s.categories, s.sources, s.districts, s.grids, s.q, s.case)


def _same(a, b) -> bool:
    """Whether a control's wanted value equals what it shows (lists in any order)."""
    if isinstance(a, list) and isinstance(b, list):
        return sorted(map(str, a)) == sorted(map(str, b))
    return (a or "") == (b or "")
