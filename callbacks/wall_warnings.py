"""The wall's warnings (预警): surges and hot spots as a list a duty officer
acknowledges, one tap each.

What is warned about comes from the indicators, unchanged: surges of a grid's
cases of one category against their own last four weeks (``indicators/surge.py``,
exact conditional Poisson test, at most 0.001 × tests false alarms) and hot spots
of the last :data:`HOT_DAYS` days' cases on H3 cells (``indicators/hotspots.py``,
Gi* with FDR). They are computed once per module snapshot (re-read once a minute at
most) and sent as data; ``assets/warnings.js`` draws the list. Which warnings this
wall's browser has acknowledged is kept in the browser (``dcc.Store`` with local
storage: a wall is one screen in one room, and acknowledging is said to the room,
not to the town), so a reload or a rotation does not bring them back.
"""
from __future__ import annotations

import logging

import h3
import pandas as pd
import shapely
from dash import ClientsideFunction, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from access.scope import request_scope  # what the wall's reader may see (issue 16, Deliver 3)
from callbacks import ids
from callbacks.as_of import BadAsOf
from callbacks.i18n import parse_query, t
from callbacks.i18n_names import romanise
from indicators.early_warning import hotspot_warnings, surge_warnings

log = logging.getLogger(__name__)

#: Hot spots are looked for among the cases of the last this many days (the map's heat).
HOT_DAYS = 3
#: The most warnings the wall lists, strongest first (a wall is not a work queue).
MAX_WARNINGS = 12
H3_RES = 9


def warnings_panel(lang: str) -> html.Section:
    """The left panel's warnings list: the title with the count not yet acknowledged,
    the list (drawn in the browser) and the acknowledged ids kept in this browser."""
    return html.Section(id=ids.WALL_WARNINGS, className="panel-section warnings-section", children=[
        html.H2([t("warnings.title", lang), html.Span(id=ids.WARNINGS_COUNT, className="warnings-count")],
                className="panel-title warnings-title"),
        html.Ul(html.Li(t("warnings.none", lang), className="warning is-empty"), id=ids.WARNINGS_LIST,
                className="warnings-list", **{"data-ack": t("warnings.ack", lang),
                                              "data-acked": t("warnings.acked", lang),
                                              "data-none": t("warnings.none", lang)}),
        dcc.Store(id=ids.WARNINGS_DATA),
        dcc.Store(id=ids.WARNINGS_ACK, storage_type="local"),
    ])


def _grid_names(snap) -> dict:
    if snap.grids is None or "name" not in snap.grids:
        return {}
    return dict(zip(snap.grids["grid_id"].astype(str), snap.grids["name"].astype(str)))


def surges_of(snap, lang: str, names: dict) -> list[dict]:
    """Today's and yesterday's surges, per grid and category."""
    c = snap.cases
    if len(c) == 0 or not {"grid_id", "category", "reported_at"} <= set(c.columns):
        return []
    day = snap.now.normalize()
    w = surge_warnings(c, freq="D", start=day - pd.Timedelta(days=1), end=day + pd.Timedelta(days=1))
    cats = snap.subcategory_names.get(lang, {})
    out = []
    for r in w.itertuples(index=False):
        grid = names.get(str(r.where), str(r.where))
        ratio = "—" if r.strength is None or pd.isna(r.strength) else f"{r.strength:.1f}×"
        out.append({"id": f"surge:{r.where}:{r.category}:{r.period_start:%Y-%m-%d}", "kind": "surge",
                    "strength": float(r.strength or 99),
                    "text": t("warnings.surge", lang, grid=grid, category=cats.get(r.category, r.category),
                              n=int(r.count), ratio=ratio),
                    "title": r.message_zh if lang == "zh" else r.message_en})
    return out


def hotspots_of(snap, lang: str, names: dict) -> list[dict]:
    """Hot spots of the last :data:`HOT_DAYS` days' cases, named by the grid most of
    their cases are in."""
    heat = snap.heat
    if heat is None or len(heat) == 0:
        return []
    start = snap.now - pd.Timedelta(days=HOT_DAYS)
    pts = pd.DataFrame({"case_id": heat["case_id"].astype(str) if "case_id" in heat else None,
                        "h3": [h3.latlng_to_cell(y, x, H3_RES) for x, y in zip(heat.geometry.x, heat.geometry.y)]})
    w = hotspot_warnings(pts.assign(reported_at=snap.now), seed=0)
    if len(w) == 0:
        return []
    grid_of = {}
    if "grid_id" in snap.cases and pts["case_id"] is not None:
        joined = pts.merge(snap.cases[["case_id", "grid_id"]].astype({"case_id": str}), on="case_id", how="left")
        grid_of = joined.dropna(subset=["grid_id"]).groupby("h3")["grid_id"].agg(lambda s: s.mode().iat[0]).to_dict()
    if snap.grids is not None and "geometry" in snap.grids:
        # a cell whose cases have no grid yet (not registered): the grid it lies in
        for cell in set(w["where"]) - set(grid_of):
            lat, lon = h3.cell_to_latlng(cell)
            hit = snap.grids[snap.grids.geometry.contains(shapely.Point(lon, lat))]
            if len(hit):
                grid_of[cell] = str(hit["grid_id"].iat[0])
    out = []
    for r in w.itertuples(index=False):
        if r.where not in grid_of:
            continue  # outside every grid: not the town's to act on
        place = names.get(str(grid_of[r.where]), str(grid_of[r.where]))
        out.append({"id": f"hot:{r.where}:{start:%Y-%m-%d}", "kind": "hotspot", "strength": float(r.strength),
                    "place": place,
                    "text": t("warnings.hotspot", lang, place=place, n=int(r.count), days=HOT_DAYS),
                    "title": r.message_zh if lang == "zh" else r.message_en})
    return out


def wall_warnings(snap, lang: str) -> list[dict]:
    """The warnings the wall lists, strongest first: surges, then hot spots."""
    def build():
        names = _grid_names(snap)
        if lang != "zh":
            names = {g: romanise(n) for g, n in names.items()}
        surges = sorted(surges_of(snap, lang, names), key=lambda w: -w["strength"])
        hot, seen = [], set()
        for w in sorted(hotspots_of(snap, lang, names), key=lambda w: -w["strength"]):
            if w["place"] not in seen:  # one warning per place: its strongest cell
                seen.add(w["place"])
                hot.append(w)
        return (surges + hot)[:MAX_WARNINGS]
    return snap.memo(("warnings", lang), build)


def register_warnings(app, data, modules_data) -> None:
    @app.callback(Output(ids.WARNINGS_DATA, "data"), Input(ids.WALL_REFRESH, "n_intervals"),
                  State(ids.WALL_URL, "search"))
    def refresh_warnings(_n, search):
        try:
            shown = data.period_of(search)
            snap = modules_data.snapshot_for(request_scope(), shown)
            return wall_warnings(snap, parse_query(search)["lang"])
        except BadAsOf:
            raise PreventUpdate
        except Exception as exc:  # noqa: BLE001 - the wall stays up; the list keeps what it had
            log.warning("wall warnings: %s", exc)
            raise PreventUpdate

    app.clientside_callback(
        ClientsideFunction(namespace="townbrain_warnings", function_name="draw"),
        Output(ids.WARNINGS_COUNT, "children"),
        Input(ids.WARNINGS_DATA, "data"), Input(ids.WARNINGS_ACK, "data"), prevent_initial_call=True)
