"""What the console shows, built from query results with ``dash.html`` components
and sent as HTML fragments (``callbacks/fragments.py``): the table, the lists, the
rankings and the case detail are a thousand elements or more, and as Dash children
every one of them costs a store action on every update (2.6 s of dash-renderer work
for a page of the table, measured in headless Chromium) — as one fragment each they
are swapped in whole.

Every navigation inside the console — sorting, paging, opening a case, picking a
grid in a list — is a link (:func:`nav`) to the URL of the new state
(:func:`callbacks.console_state.console_href`), followed in the page the way
``dcc.Link`` does (``assets/console.js``), so the address bar always holds the view
and the browser's back button walks through it.
"""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import pandas as pd
from dash import html

from callbacks import ids
from callbacks.console_state import ConsoleState, console_href, period_bounds, state_to_search
from callbacks.i18n import format_count, format_datetime, format_duration, format_rate, t
from callbacks.modules import tile_url
from callbacks.paths import app_href
from callbacks.wall_map import map_bounds
from layers.basemap import BACKGROUND
from layers.geometry import polygons_to_geojson
from layers.leaflet import to_map_layer

#: Table columns, in order; all sortable.
TABLE_COLUMNS = ("case_id", "category", "status", "source", "grid_id", "reported_at", "deadline")
OPEN_STATUSES = ("reported", "registered", "dispatched", "handled", "feedback", "rework")
COLORSCALE = [[0.0, "rgba(56,189,248,0.10)"], [0.3, "rgba(56,189,248,0.55)"],
              [0.7, "rgba(251,191,36,0.7)"], [1.0, "rgba(248,113,113,0.9)"]]


class Names:
    """Display names of codes in one language: categories, grids, districts, staff."""

    def __init__(self, lang: str, categories=None, grids=None, districts=None):
        self.lang = lang
        self.cat: dict[str, str] = {}
        if categories is not None and len(categories):
            col = "name_en" if lang == "en" and "name_en" in categories else "name"
            self.cat = dict(zip(categories["code"].astype(str),
                                categories[col].astype(object).where(categories[col].notna(),
                                                                     categories["code"]).astype(str)))
        self.grid = {}
        if grids is not None and len(grids):
            self.grid = {g: (f"{g} {n}" if lang == "en" else str(n)) for g, n in
                         zip(grids["grid_id"].astype(str), grids["name"].astype(object).fillna(""))}
        self.district = {}
        if districts is not None and len(districts):
            self.district = {d: (f"{d} {n}" if lang == "en" else str(n)) for d, n in
                             zip(districts["district_id"].astype(str), districts["name"].astype(object).fillna(""))}

    def category(self, code) -> str:
        return "—" if code is None or pd.isna(code) else self.cat.get(str(code), str(code))

    def grid_name(self, gid) -> str:
        return "—" if gid is None or pd.isna(gid) else self.grid.get(str(gid), str(gid))

    def code(self, kind: str, value) -> str:
        return "—" if value is None or pd.isna(value) else t(f"{kind}.{value}", self.lang)


def nav(children, s: ConsoleState, changes: dict, **kw) -> html.A:
    """A link to the console's state ``s`` with ``changes``, followed without a page
    load (``assets/console.js`` pushes it to the history, as ``dcc.Link`` does).

    The link also carries just what it changes (``data-patch``: the URL parameters it
    sets, empty for one it removes), and the page applies that to the URL of the
    moment: a list or ranking that was not redrawn for a page or a sort still leads to
    the view on screen with its one change.

    The patch names every parameter ``changes`` touches, changed from ``s`` or not, so
    it means the same from any view (a ranking drawn on page 1 still sends page 1).

    ``href`` is the address the browser reaches, under the app's path prefix
    (callbacks/paths.py ``app_href``): opened in a new tab it still reaches the app.

    >>> a = nav("C1", ConsoleState(page=3, q="x"), {"case": "C1"})
    >>> a.href, getattr(a, "data-patch")
    ('/console?q=x&page=3&case=C1', 'case=C1')
    >>> getattr(nav("G1", ConsoleState(), {"grids": ("G1",), "page": 1}), "data-patch")
    'grid=G1&page='
    """
    after = dict(parse_qsl(state_to_search(s.replace(**changes)).lstrip("?")))
    params = [_PARAM.get(k, k) for k in changes]
    patch = urlencode([(p, after.get(p, "")) for p in params])
    return html.A(children, href=app_href(console_href(s, **changes)), **{"data-patch": patch}, **kw)


#: ConsoleState field → its URL parameter (callbacks/console_state.py), where they differ.
_PARAM = {"desc": "dir", "grids": "grid", "districts": "district", "categories": "cat", "statuses": "status",
          "sources": "source", "date_from": "from", "date_to": "to"}


def _missing(v) -> bool:
    return v is None or (not isinstance(v, str) and pd.isna(v))


# ---- the table -------------------------------------------------------------------------------
def case_table(rows: pd.DataFrame, s: ConsoleState, names: Names, tz: str, now: pd.Timestamp) -> html.Table:
    lang = s.lang
    head = []
    for col in TABLE_COLUMNS:
        active = s.sort == col
        arrow = (" ▼" if s.desc else " ▲") if active else ""
        desc_next = not s.desc if active else col in ("reported_at", "deadline", "closed_at")
        head.append(html.Th(nav(t(f"col.{col}", lang) + arrow, s, {"sort": col, "desc": desc_next, "page": 1},
                                     id=ids.console_sort(col),
                                     className="sort-link is-active" if active else "sort-link"),
                            className=f"col-{col}"))
    body = []
    for r in rows.itertuples(index=False):
        # open at ``now`` (the end of the as_of day, when one is asked for): closed later counts as open
        overdue = (not _missing(r.deadline) and (_missing(r.closed_at) or r.closed_at >= now)
                   and not _missing(r.registered_at) and r.deadline < now)
        cls = "case-row" + (" is-selected" if r.case_id == s.case else "") + (" is-overdue" if overdue else "")
        body.append(html.Tr(className=cls, children=[
            html.Td(nav(r.case_id, s, {"case": r.case_id}, className="case-link")),
            html.Td(names.category(r.category), title=names.category(r.subcategory)),
            html.Td(html.Span(names.code("status", r.status), className=f"badge status-{r.status}")),
            html.Td(names.code("source", r.source)),
            html.Td(names.grid_name(r.grid_id)),
            html.Td(format_datetime(r.reported_at, lang, tz, short_year=now.year), className="num"),
            html.Td(format_datetime(r.deadline, lang, tz, short_year=now.year),
                    className="num" + (" is-late" if overdue else "")),
        ]))
    if not body:
        body = [html.Tr(html.Td(t("c.empty", lang), colSpan=len(TABLE_COLUMNS), className="empty"))]
    return html.Table(className="case-table", children=[html.Thead(html.Tr(head)), html.Tbody(body)])


def pager(page: int, pages: int, s: ConsoleState) -> list:
    lang = s.lang

    def link(which, target, enabled):
        label = t(f"c.{which}", lang)
        if not enabled:
            return html.Span(label, id=ids.console_page(which), className="page-link is-disabled")
        return nav(label, s, {"page": target}, id=ids.console_page(which), className="page-link")

    return [link("first", 1, page > 1), link("prev", page - 1, page > 1),
            html.Span(t("c.page", lang, page=format_count(page), pages=format_count(pages)),
                      id=ids.CONSOLE_PAGE_INFO, className="page-info"),
            link("next", page + 1, page < pages), link("last", pages, page < pages)]


# ---- the case detail -------------------------------------------------------------------------
def case_detail(case: dict | None, timeline: pd.DataFrame, s: ConsoleState, names: Names, tz: str,
                now: pd.Timestamp) -> list:
    lang = s.lang
    head = [html.H2(t("c.detail", lang), className="panel-title")]
    if not s.case:
        return head + [html.P(t("c.detail_none", lang), className="muted")]
    if case is None:
        return head + [html.P(t("c.not_found", lang, id=s.case), className="muted")]
    close = nav("×", s, {"case": None}, className="detail-close", title=t("c.close", lang))
    deadline, closed = case.get("deadline"), case.get("closed_at")
    if not _missing(deadline) and _missing(closed) and not _missing(case.get("registered_at")):
        due = (t("c.overdue_by", lang, d=format_duration(now - deadline, lang)) if deadline < now
               else t("c.due_in", lang, d=format_duration(deadline - now, lang)))
        due_cls = "is-late" if deadline < now else "is-due"
    elif not _missing(deadline) and not _missing(closed):
        due, due_cls = (t("c.on_time", lang), "is-ok") if closed <= deadline else (t("c.late", lang), "is-late")
    else:
        due, due_cls = "", ""
    fields = [("col.category", names.category(case.get("category"))),
              ("col.subcategory", names.category(case.get("subcategory"))),
              ("col.source", names.code("source", case.get("source"))),
              ("col.reported_by", case.get("reported_by") or "—"),
              ("col.district_id", names.district.get(str(case.get("district_id")), case.get("district_id") or "—")),
              ("col.grid_id", names.grid_name(case.get("grid_id"))),
              ("col.deadline", format_datetime(deadline, lang, tz)),
              ("col.resolved_level", names.code("level", case.get("resolved_level")))]
    info = html.Dl(className="detail-fields", children=[
        c for key, value in fields for c in (html.Dt(t(key, lang)), html.Dd(str(value)))])
    steps = [_timeline_step(st, names, lang, tz, now) for st in timeline.itertuples(index=False)]
    src = timeline["source"].iloc[0] if len(timeline) else "case"
    return [html.Div(className="detail-head", children=[
                html.H2([t("c.detail", lang), html.Span(case["case_id"], className="detail-id")],
                        className="panel-title"), close]),
            html.Div([html.Span(names.code("status", case.get("status")),
                                className=f"badge status-{case.get('status')}"),
                      html.Span(due, className=f"due {due_cls}")], className="detail-status"),
            info,
            html.H3([t("c.timeline", lang), html.Span(t(f"c.timeline.{src}", lang), className="muted small")],
                    className="sub-title"),
            html.Ol(steps, id=ids.CONSOLE_TIMELINE, className="timeline")]


def _timeline_step(st, names: Names, lang: str, tz: str, now: pd.Timestamp) -> html.Li:
    """One step of a timeline (``geodata.case_timeline``): one that happened, with its
    time (or "time not recorded" when the case proves it happened without one), or the
    step due next — hollow, with its deadline and how long is left or overdue."""
    due = getattr(st, "state", "done") == "due"
    extra = []
    if not _missing(st.by):
        extra.append(t("c.by", lang, who=st.by))
    if not _missing(st.level):
        extra.append(t("c.level", lang, level=names.code("level", st.level)))
    if st.step == "reported" and not _missing(st.note):
        extra.append(names.code("source", st.note))
    elif st.step == "rework" and not _missing(st.note):
        extra.append(str(st.note))
    deadline = getattr(st, "deadline", None)
    if st.step == "extended" and not _missing(deadline):
        extra.append(t("c.new_deadline", lang, at=format_datetime(deadline, lang, tz)))
    if due:
        when = (t("c.due_by", lang, at=format_datetime(deadline, lang, tz)) if not _missing(deadline)
                else t("c.no_deadline", lang))
        if not _missing(deadline):
            late = deadline < now
            extra.append(html.Span(t("c.overdue_by" if late else "c.due_in", lang,
                                     d=format_duration(now - deadline if late else deadline - now, lang)),
                                   className="is-late" if late else "is-due"))
        name = t("c.next_step", lang, step=t(f"step.{st.step}", lang))
    else:
        when = format_datetime(st.at, lang, tz) if not _missing(st.at) else t("c.time_unknown", lang)
        name = t(f"step.{st.step}", lang)
    parts = []
    for x in extra:
        parts += [" · ", x] if parts else [x]
    return html.Li(className=f"step step-{st.step}" + (" is-due" if due else " is-done"), children=[
        html.Span(className="step-dot"),
        html.Span(name, className="step-name"),
        html.Span(when, className="step-time num"),
        html.Span(parts, className="step-extra"),
    ])


# ---- lists and rankings ---------------------------------------------------------------------
def due_list(rows: pd.DataFrame, total: int, s: ConsoleState, names: Names, now: pd.Timestamp,
             overdue: bool) -> list:
    lang = s.lang
    title = t("c.overdue_list" if overdue else "c.at_risk", lang)
    scope = t("c.overdue_scope" if overdue else "c.at_risk_scope", lang) + (
        t("c.scope_place", lang) if (s.districts or s.grids or s.categories or s.sources or s.q) else "")
    head = html.H2([title, html.Span(format_count(total), className="count-badge"),
                    html.Span(scope, className="list-scope muted small")], className="panel-title")
    if not len(rows):
        return [head, html.P(t("c.none", lang), className="muted")]
    items = []
    for r in rows.itertuples(index=False):
        d = format_duration(now - r.deadline if overdue else r.deadline - now, lang)
        items.append(html.Li(nav([
            html.Span(r.case_id, className="list-id"),
            html.Span(names.category(r.category), className="list-cat"),
            html.Span(names.grid_name(r.grid_id), className="list-grid"),
            html.Span(t("c.overdue_by" if overdue else "c.due_in", lang, d=d),
                      className="list-due " + ("is-late" if overdue else "is-due")),
        ], s, {"case": r.case_id}, className="list-link")))
    return [head, html.Ul(items, className="case-list")]


def grid_ranking(rank: pd.DataFrame, s: ConsoleState, names: Names, period: str = "") -> list:
    lang = s.lang
    head = html.H2([t("c.grid_rank", lang), html.Span(period, className="muted small")], className="panel-title")
    rank = rank.dropna(subset=["score"]).sort_values(["rank", "score"], ascending=[True, False])
    if not len(rank):
        return [head, html.P(t("c.none", lang), className="muted")]
    rows = [html.Tr([html.Th(t("c.rank", lang)), html.Th(t("col.grid_id", lang)), html.Th(t("c.score", lang)),
                     html.Th(t("kpi.disposal_rate", lang))])]
    for gid, r in rank.iterrows():
        sel = str(gid) in s.grids
        rows.append(html.Tr(className="is-selected" if sel else None, children=[
            html.Td(str(r["rank"]), className="num"),
            html.Td(nav(names.grid_name(gid), s, {"grids": (str(gid),), "page": 1})),
            html.Td(f"{float(r['score']):.1f}", className="num"),
            html.Td(format_rate(r.get("disposal_rate"), lang), className="num")]))
    return [head, html.Table(rows, className="rank-table")]


def inspector_ranking(comp: pd.DataFrame, s: ConsoleState, names: Names, period: str = "") -> list:
    lang = s.lang
    head = html.H2([t("c.inspector_rank", lang), html.Span(period, className="muted small")],
                   className="panel-title")
    if comp is None or not len(comp):
        return [head, html.P(t("c.none", lang), className="muted")]
    rows = [html.Tr([html.Th(t("c.rank", lang)), html.Th(t("c.inspector", lang)), html.Th(t("col.grid_id", lang)),
                     html.Th(t("c.days", lang)), html.Th(t("c.compliance", lang))])]
    for i, r in enumerate(comp.itertuples(index=False), start=1):
        rows.append(html.Tr([html.Td(str(i), className="num"), html.Td(r.staff_id),
                             html.Td(names.grid_name(r.grid_id)),
                             html.Td(format_count(r.inspector_days), className="num"),
                             html.Td(format_rate(r.compliance, lang), className="num")]))
    return [head, html.Table(rows, className="rank-table")]


# ---- the period and scope of the figures ------------------------------------------------------
def period_text(s: ConsoleState, now: pd.Timestamp, tz: str) -> str:
    """The period the console counts, named and dated: "近30天（11月6日–12月5日）",
    "全部时间" — every figure that depends on it says so."""
    lang = s.lang
    start, end = period_bounds(s, now)
    if s.date_from or s.date_to:
        name = t("c.period.custom", lang)
    elif not s.period:
        name = t("c.period.all", lang)
    elif s.period.isdigit():
        name = t("c.period.y", lang, year=s.period)
    else:
        name = t(f"c.period.{s.period}", lang)
    if start is None and end is None:
        return name
    def day(ts):  # the date of format_datetime, without its time of day
        return format_datetime(ts, lang, tz).rsplit(" ", 1)[0]

    first = day(start) if start is not None else "…"
    last = day(end - pd.Timedelta(days=1)) if end is not None else "…"
    return f"{name} ({first} – {last})"


def scope_text(s: ConsoleState, now: pd.Timestamp, tz: str) -> str:
    """What the total counts: cases reported in the period, with the filters shown
    above, and when "open" and "overdue" are judged."""
    lang = s.lang
    at = t("c.at_now", lang) if not s.as_of else t("c.at_day_end", lang, day=s.as_of)
    return t("c.scope", lang, period=period_text(s, now, tz), at=at)


# ---- the map (Leaflet on Canvas 2D, as the wall's: assets/map.js, layers/leaflet.py) ----------
GRID_LINE = {"width": 0.6, "color": "rgba(94,234,212,0.45)"}
SELECTED_LINE = {"width": 3.0, "color": "#fbbf24"}


_OUTLINES: dict = {}


def _grid_geojson(grids, gids: list) -> dict:
    """The grids' outlines as GeoJSON, built once per grid frame (the cache re-reads it
    once a minute; every query recolours the same outlines)."""
    held = _OUTLINES.get("grids")
    if held is None or held[0] is not grids:
        held = _OUTLINES["grids"] = (grids, polygons_to_geojson(grids.geometry, gids))
    return held[1]


def grid_count_layer(grids, names: Names, counts: pd.Series, title: str) -> dict:
    """Every grid coloured by its number of cases (``counts``, by grid id), with its
    name and count as tooltip: aggregated, no case is drawn as a point."""
    gids = grids["grid_id"].astype(str).tolist()
    z = [int(v) for v in counts.reindex(gids, fill_value=0)]
    layer = to_map_layer({
        "type": "choroplethmap", "name": title, "geojson": _grid_geojson(grids, gids),
        "locations": gids, "z": z, "zmin": 0, "zmax": max(1, max(z, default=1)), "colorscale": COLORSCALE,
        "showscale": True, "showlegend": False, "colorbar": {"title": {"text": title}},
        "customdata": [names.grid_name(g) for g in gids], "marker": {"line": GRID_LINE},
        "hovertemplate": "%{customdata}<br>%{z}<extra></extra>"})
    # a new ``meta`` recolours the layer in place (assets/map.js: recolour); ``rev`` never changes
    layer.update(uid="console-grids", slot="grids", rev="grids", visible=True, meta=f"{title}|{hash(tuple(z))}")
    return layer


def selected_layer(grids, selected) -> dict:
    """The outline of the grids the table is filtered to, thick and amber, over the
    counts; redrawn when the selection changes (its ``rev``)."""
    sub = grids[grids["grid_id"].astype(str).isin(set(selected))] if selected else grids.iloc[:0]
    gids = sub["grid_id"].astype(str).tolist()
    layer = to_map_layer({"type": "choroplethmap", "name": "", "geojson": polygons_to_geojson(sub.geometry, gids),
                          "locations": gids, "z": [None] * len(gids), "showscale": False, "showlegend": False,
                          "hoverinfo": "skip", "marker": {"line": SELECTED_LINE}})
    layer.update(uid="console-selected", slot="selected", rev="sel:" + ",".join(sorted(gids)), visible=True)
    return layer


def map_spec(grids, names: Names, counts: pd.Series, selected, title: str) -> dict:
    """The console map's spec for ``assets/map.js`` (``townbrain_map.draw``): the grid
    counts and the selected grids' outline; a click reports its place in
    ``ids.CONSOLE_MAP_CLICK``."""
    has = grids is not None and len(grids)
    layers = [grid_count_layer(grids, names, counts, title), selected_layer(grids, selected)] if has else []
    return {"layers": layers, "bounds": map_bounds({"grids": grids} if has else {}), "tiles": tile_url(),
            "background": BACKGROUND, "lang": names.lang, "click": ids.CONSOLE_MAP_CLICK}
