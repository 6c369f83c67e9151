"""The grid card: a click on a comprehensive grid of the wall map shows its name and
district, inspectors and entities, open and overdue cases, this year's KPIs and a
12-month trend.

The card is part of the page from the start, hidden: a click answers with the texts
and the trend's twelve bars as one HTML fragment (callbacks/bar_chart.py,
callbacks/fragments.py, a few kB), and the browser only swaps them in — no chart
library starts, no Dash component is created, and the map is left alone.
"""
from __future__ import annotations

import logging

import pandas as pd
import shapely
from dash import Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate

from access.scope import request_scope  # what the wall's reader may see (issue 16, Deliver 3)
from callbacks import ids
from callbacks.bar_chart import bar_chart
from callbacks.fragments import fragment_store, register_fragment, store_id, to_html
from callbacks.i18n import format_compact, format_rate, parse_query, t
from callbacks.i18n_names import romanise
from callbacks.module_data import grid_card_numbers, grid_monthly_cases
from layers.charts import ChartContext, theme_monthly

log = logging.getLogger(__name__)

#: The card's numbers, in reading order (three to a row).
CARD_KEYS = ("inspectors", "enterprises", "residents", "open", "overdue", "accepted",
             "disposal_rate", "ontime", "score")


def grid_card_frame(lang: str, now: pd.Timestamp) -> html.Div:
    """The (hidden) card over the map's right edge, every field in place."""
    cells = [html.Div(className=f"card-cell card-{key}", children=[
        html.Div(t(f"card.{key}", lang), className="card-label"),
        html.Div("—", id=ids.grid_card_value(key), className="card-value")]) for key in CARD_KEYS]
    return html.Div(id=ids.GRID_CARD, className="grid-card", hidden=True, children=[
        html.Button("×", id=ids.GRID_CARD_CLOSE, className="card-close", title=t("card.close", lang)),
        html.Div(id=ids.GRID_CARD_BODY, children=[
            html.Div(className="card-head", children=[
                html.H3(id=ids.GRID_CARD_TITLE, className="card-title"),
                html.Div(id=ids.GRID_CARD_SUB, className="card-sub")]),
            html.Div(cells, className="card-grid"),
            html.Div(id=ids.GRID_CARD_TREND, className="card-trend"),
            fragment_store(ids.GRID_CARD_TREND, trend_chart(now, pd.DataFrame(), None, lang)),
        ]),
    ])


def trend_chart(now: pd.Timestamp, cases: pd.DataFrame, year_start, lang: str) -> html.Figure:
    """Accepted cases per month of the last 12 months (``layers.charts.theme_monthly``),
    as HTML bars."""
    trend = theme_monthly(ChartContext(now=now, theme_cases=cases, year_start=year_start),
                          lambda _key: t("card.trend", lang), lang)
    return bar_chart(trend, class_name="card-trend-chart")


def grid_card_texts(snap, grid_id: str, lang: str) -> dict:
    """{"title", "sub", key of :data:`CARD_KEYS`: text} of one grid."""
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
    if lang != "zh":  # romanised, as the map's labels and tooltips are (callbacks/wall_map.py)
        name = romanise(name)
        district = romanise(district) if district else district
    sub = "" if not district else (f"{t('card.district', lang)}：{district}" if lang == "zh"
                                   else f"{t('card.district', lang)}: {district}")
    return {"title": name, "sub": sub, **{key: fmt(key) for key in CARD_KEYS}}


def clicked_grid(click: dict | None, grid_ids: set, grids=None) -> str | None:
    """The comprehensive grid a map click landed on, from the click's ``location`` or
    ``customdata`` (a plotly click on a grid) or else its place in ``grids`` (the wall's
    map sends where it was clicked, ``assets/map.js``; a click on a camera, a car park
    … over a grid opens that grid). ``None`` outside every grid."""
    point = ((click or {}).get("points") or [{}])[0]
    grid_id = point.get("location")
    custom = point.get("customdata")
    if grid_id not in grid_ids and isinstance(custom, list) and custom:
        grid_id = custom[0]
    if grid_id not in grid_ids and grids is not None and "lon" in point and "lat" in point:
        inside = shapely.contains_xy(grids.geometry.values, point["lon"], point["lat"])
        grid_id = str(grids["grid_id"].to_numpy()[inside][0]) if inside.any() else None
    return grid_id if grid_id in grid_ids else None


def register_grid_card(app, data, modules_data) -> None:
    """``data`` is the app's ``ScreenData`` (the clock, the URL's period), ``modules_data``
    its ``ModuleData`` (the snapshots)."""
    register_fragment(app, ids.GRID_CARD_TREND)
    outputs = [Output(ids.GRID_CARD_TITLE, "children"), Output(ids.GRID_CARD_SUB, "children"),
               *(Output(ids.grid_card_value(key), "children") for key in CARD_KEYS),
               Output(store_id(ids.GRID_CARD_TREND), "data"), Output(ids.GRID_CARD, "hidden")]

    @app.callback(*outputs, Input(ids.WALL_MAP_CLICK, "data"), Input(ids.GRID_CARD_CLOSE, "n_clicks"),
                  State(ids.WALL_URL, "search"), prevent_initial_call=True)
    def open_grid_card(click, _close, search):
        """A click on a comprehensive grid opens its card; × closes it."""
        if ctx.triggered_id == ids.GRID_CARD_CLOSE:
            return [*([no_update] * (len(outputs) - 1)), True]
        try:
            snap = modules_data.snapshot_for(request_scope(), data.period_of(search))
        except Exception as exc:  # noqa: BLE001 - no card while the store is away; the stamp says why (a bad as_of: the page)
            log.warning("grid card: cannot read the store: %s", exc)
            raise PreventUpdate
        if snap.grids is None:
            raise PreventUpdate
        grid_id = clicked_grid(click, set(snap.grids["grid_id"].astype(str)), snap.grids)
        if grid_id is None:
            raise PreventUpdate
        lang = parse_query(search)["lang"]
        texts = grid_card_texts(snap, grid_id, lang)
        trend = trend_chart(snap.now, grid_monthly_cases(snap, grid_id), snap.year_start, lang)
        return [texts["title"], texts["sub"], *(texts[key] for key in CARD_KEYS), to_html(trend), False]
