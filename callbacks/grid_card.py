"""The grid card: a click on a comprehensive grid of the wall map shows its name and
district, inspectors and entities, open and overdue cases, this year's KPIs and a
12-month trend.

The card is part of the page from the start, hidden, with its trend chart already
drawn: a click answers with the texts and the trend's twelve bars (about 2 kB), and
the browser only swaps them in — it builds no new chart and leaves the map alone.
"""
from __future__ import annotations

import logging

import pandas as pd
import shapely
from dash import Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from callbacks import ids
from callbacks.chrome import FONT_STACK
from callbacks.i18n import format_compact, format_rate, parse_query, t
from callbacks.module_data import grid_card_numbers, grid_monthly_cases
from layers.charts import ChartContext, theme_monthly

log = logging.getLogger(__name__)

#: The card's numbers, in reading order (three to a row).
CARD_KEYS = ("inspectors", "enterprises", "residents", "open", "overdue", "accepted",
             "disposal_rate", "ontime", "score")
TREND_PX = 190


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
            # drawn with the page; dcc.Graph resizes it to the card when the card shows
            dcc.Graph(id=ids.GRID_CARD_TREND, figure=trend_figure(now, pd.DataFrame(), None, lang),
                      className="card-trend", config={"displayModeBar": False, "staticPlot": True,
                                                      "responsive": True},
                      style={"height": f"{TREND_PX}px"}),
        ]),
    ])


def trend_figure(now: pd.Timestamp, cases: pd.DataFrame, year_start, lang: str) -> dict:
    """Accepted cases per month of the last 12 months (``layers.charts.theme_monthly``)."""
    trend = theme_monthly(ChartContext(now=now, theme_cases=cases, year_start=year_start),
                          lambda _key: t("card.trend", lang), lang)
    trend["layout"].update(height=TREND_PX, margin={"l": 6, "r": 8, "t": 36, "b": 4})
    trend["layout"]["font"]["family"] = FONT_STACK
    return trend


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
    sub = "" if not district else (f"{t('card.district', lang)}：{district}" if lang == "zh"
                                   else f"{t('card.district', lang)}: {district}")
    return {"title": name, "sub": sub, **{key: fmt(key) for key in CARD_KEYS}}


def clicked_grid(click: dict | None, grid_ids: set, grids=None) -> str | None:
    """The comprehensive grid a map click landed on: its outline or KPI colour, or a
    marker drawn over it (a camera, a car park …: plotly gives the click to the
    nearest marker, and with 1,200 cameras one is near almost every spot), found
    by the marker's place in ``grids``. ``None`` for a road, a hexagon, outside."""
    point = ((click or {}).get("points") or [{}])[0]
    grid_id = point.get("location")
    custom = point.get("customdata")
    if grid_id not in grid_ids and isinstance(custom, list) and custom:
        grid_id = custom[0]
    if grid_id not in grid_ids and grids is not None and "lon" in point and "lat" in point:
        inside = shapely.contains_xy(grids.geometry.values, point["lon"], point["lat"])
        grid_id = str(grids["grid_id"].to_numpy()[inside][0]) if inside.any() else None
    return grid_id if grid_id in grid_ids else None


def register_grid_card(app, modules_data) -> None:
    outputs = [Output(ids.GRID_CARD_TITLE, "children"), Output(ids.GRID_CARD_SUB, "children"),
               *(Output(ids.grid_card_value(key), "children") for key in CARD_KEYS),
               Output(ids.GRID_CARD_TREND, "figure"), Output(ids.GRID_CARD, "hidden")]

    @app.callback(*outputs, Input(ids.WALL_MAP, "clickData"), Input(ids.GRID_CARD_CLOSE, "n_clicks"),
                  State(ids.WALL_URL, "search"), prevent_initial_call=True)
    def open_grid_card(click, _close, search):
        """A click on a comprehensive grid opens its card; × closes it."""
        if ctx.triggered_id == ids.GRID_CARD_CLOSE:
            return [*([no_update] * (len(outputs) - 1)), True]
        try:
            snap = modules_data.snapshot()
        except Exception as exc:  # noqa: BLE001 - no card while the store is away; the stamp says why
            log.warning("grid card: cannot read the store: %s", exc)
            raise PreventUpdate
        if snap.grids is None:
            raise PreventUpdate
        grid_id = clicked_grid(click, set(snap.grids["grid_id"].astype(str)), snap.grids)
        if grid_id is None:
            raise PreventUpdate
        lang = parse_query(search)["lang"]
        texts = grid_card_texts(snap, grid_id, lang)
        trend = trend_figure(snap.now, grid_monthly_cases(snap, grid_id), snap.year_start, lang)
        return [texts["title"], texts["sub"], *(texts[key] for key in CARD_KEYS), trend, False]
