"""What the console shows, built as Dash components from query results.

Every navigation inside the console — sorting, paging, opening a case, picking a
grid in a list — is a plain ``dcc.Link`` to the URL of the new state
(:func:`callbacks.console_state.console_href`), so the address bar always holds
the view and the browser's back button walks through it.
"""
from __future__ import annotations

import pandas as pd
from dash import dcc, html

from callbacks import ids
from callbacks.console_state import ConsoleState, console_href
from callbacks.i18n import format_count, format_datetime, format_duration, format_rate, t
from layers.basemap import map_layout, view_for_bounds
from layers.geometry import polygons_to_geojson

#: Table columns, in order; all sortable.
TABLE_COLUMNS = ("case_id", "category", "status", "source", "grid_id", "reported_at", "deadline")
OPEN_STATUSES = ("reported", "registered", "dispatched", "handled", "feedback", "rework")
MAP_PX = (560, 330)
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
        head.append(html.Th(dcc.Link(t(f"col.{col}", lang) + arrow, id=ids.console_sort(col),
                                     href=console_href(s, sort=col, desc=desc_next, page=1),
                                     className="sort-link is-active" if active else "sort-link"),
                            className=f"col-{col}"))
    body = []
    for r in rows.itertuples(index=False):
        # open at ``now`` (the end of the as_of day, when one is asked for): closed later counts as open
        overdue = (not _missing(r.deadline) and (_missing(r.closed_at) or r.closed_at >= now)
                   and not _missing(r.registered_at) and r.deadline < now)
        cls = "case-row" + (" is-selected" if r.case_id == s.case else "") + (" is-overdue" if overdue else "")
        body.append(html.Tr(className=cls, children=[
            html.Td(dcc.Link(r.case_id, href=console_href(s, case=r.case_id), className="case-link")),
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
        return dcc.Link(label, id=ids.console_page(which), href=console_href(s, page=target), className="page-link")

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
    close = dcc.Link("×", href=console_href(s, case=None), className="detail-close", title=t("c.close", lang))
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
    steps = []
    for st in timeline.itertuples(index=False):
        extra = []
        if not _missing(st.by):
            extra.append(t("c.by", lang, who=st.by))
        if not _missing(st.level):
            extra.append(t("c.level", lang, level=names.code("level", st.level)))
        if st.step == "reported" and not _missing(st.note):
            extra.append(names.code("source", st.note))
        steps.append(html.Li(className=f"step step-{st.step}", children=[
            html.Span(className="step-dot"),
            html.Span(t(f"step.{st.step}", lang), className="step-name"),
            html.Span(format_datetime(st.at, lang, tz) if not _missing(st.at) else t("c.time_unknown", lang),
                      className="step-time num"),
            html.Span(" · ".join(extra), className="step-extra"),
        ]))
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


# ---- lists and rankings ---------------------------------------------------------------------
def due_list(rows: pd.DataFrame, total: int, s: ConsoleState, names: Names, now: pd.Timestamp,
             overdue: bool) -> list:
    lang = s.lang
    title = t("c.overdue_list" if overdue else "c.at_risk", lang)
    head = html.H2([title, html.Span(format_count(total), className="count-badge")], className="panel-title")
    if not len(rows):
        return [head, html.P(t("c.none", lang), className="muted")]
    items = []
    for r in rows.itertuples(index=False):
        d = format_duration(now - r.deadline if overdue else r.deadline - now, lang)
        items.append(html.Li(dcc.Link(href=console_href(s, case=r.case_id), className="list-link", children=[
            html.Span(r.case_id, className="list-id"),
            html.Span(names.category(r.category), className="list-cat"),
            html.Span(names.grid_name(r.grid_id), className="list-grid"),
            html.Span(t("c.overdue_by" if overdue else "c.due_in", lang, d=d),
                      className="list-due " + ("is-late" if overdue else "is-due")),
        ])))
    return [head, html.Ul(items, className="case-list")]


def grid_ranking(rank: pd.DataFrame, s: ConsoleState, names: Names) -> list:
    lang = s.lang
    head = html.H2(t("c.grid_rank", lang), className="panel-title")
    rank = rank.dropna(subset=["score"]).sort_values(["rank", "score"], ascending=[True, False])
    if not len(rank):
        return [head, html.P(t("c.none", lang), className="muted")]
    rows = [html.Tr([html.Th(t("c.rank", lang)), html.Th(t("col.grid_id", lang)), html.Th(t("c.score", lang)),
                     html.Th(t("kpi.disposal_rate", lang))])]
    for gid, r in rank.iterrows():
        sel = str(gid) in s.grids
        rows.append(html.Tr(className="is-selected" if sel else None, children=[
            html.Td(str(r["rank"]), className="num"),
            html.Td(dcc.Link(names.grid_name(gid), href=console_href(s, grids=(str(gid),), page=1))),
            html.Td(f"{float(r['score']):.1f}", className="num"),
            html.Td(format_rate(r.get("disposal_rate"), lang), className="num")]))
    return [head, html.Table(rows, className="rank-table")]


def inspector_ranking(comp: pd.DataFrame, s: ConsoleState, names: Names) -> list:
    lang = s.lang
    head = html.H2(t("c.inspector_rank", lang), className="panel-title")
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


# ---- the map ------------------------------------------------------------------------------------
def map_figure(grids, names: Names, font_family: str) -> dict:
    """Grids as a choropleth of case counts; ``z`` and the outlines of the selected
    grids (:func:`grid_outlines`) are patched in by the callback. Aggregated: no
    case is drawn as a point."""
    if grids is None or not len(grids):
        return {"data": [], "layout": map_layout(view_for_bounds((120.5, 30.9, 120.8, 31.1), *MAP_PX), font_family)}
    gids = grids["grid_id"].astype(str).tolist()
    geo = polygons_to_geojson(grids.geometry, gids)
    label = [names.grid_name(g) for g in gids]
    counts = {
        "type": "choroplethmap", "name": t("c.map", names.lang), "geojson": geo, "locations": gids,
        "z": [0] * len(gids), "zmin": 0, "zmax": 1, "colorscale": COLORSCALE, "showlegend": False,
        "showscale": True, "customdata": label,
        "colorbar": {"thickness": 10, "len": 0.8, "x": 0.99, "xanchor": "right", "outlinewidth": 0,
                     "tickfont": {"color": "#cfe0f1", "size": 11}, "bgcolor": "rgba(7,18,31,0.6)"},
        "marker": {"line": grid_outlines(gids, ())},
        "hovertemplate": "%{customdata}<br>%{z:,}<extra></extra>",
    }
    layout = map_layout(view_for_bounds(grids.total_bounds, *MAP_PX, padding=0.03), font_family)
    layout.update(showlegend=False, uirevision="console-map")
    return {"data": [counts], "layout": layout}


def grid_outlines(gids, selected) -> dict:
    """``marker.line`` of the map: selected grids thick and amber, the others thin."""
    sel = set(selected)
    return {"width": [3.0 if g in sel else 0.6 for g in gids],
            "color": ["#fbbf24" if g in sel else "rgba(94,234,212,0.45)" for g in gids]}
