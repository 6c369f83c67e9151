"""The live wall: the change feed, the case ticker, the heat playback, rotation, and
the "stale since" banner.

How a new case reaches the screen
---------------------------------
``ids.LIVE_POLL`` ticks every second; ``poll_feed`` asks
:func:`geodata.changes.changed_since` for what changed since the cursor the
browser keeps in ``ids.LIVE_FEED`` and answers with a few kilobytes: the count,
the changed cases aggregated into H3 cells for the heat map, the ticker's latest
cases, and a focus target when a case is urgent or has just become overdue. The
browser (``assets/live.js``) then bumps ``ids.WALL_REFRESH`` so the wall re-counts
its KPIs, draws the changed cells on the map, and flies the map to a focus case.
Nothing here keeps per-client state on the server; the cursor lives in the page.
A reader whose grants are less than the town gets the feed, the ticker, the focus
and the playback of the cases the gate lets through (access/scope.py, issue 16
Deliver 3), and no count of what it leaves out.

When the store is unreachable the feed keeps its cursor and the screen its last
data, and a banner says since when the data is stale; the next successful poll
removes it. Rotation (``?rotate=SECONDS``) steps ``?module=`` through the eight
modules and pauses while the map shows a focus case. A step is what a click on a
module tab is (the URL changes and every ``dcc.Location`` hears of it, so the
title, panels and map follow); its position is the URL's module, so after a click
the rotation goes on from there, one period after the click.

Shared with the map: ``ids.MAP_FOCUS`` (a ``dcc.Store``) holds the case the wall
is showing; the traces this file draws on ``ids.WALL_MAP`` carry the uids
``tb-live`` and ``tb-playback``, so a map callback can keep or drop them.
"""
from __future__ import annotations

import logging
import threading
import time

import h3
import pandas as pd
from dash import ClientsideFunction, Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from access.scope import request_scope  # issue 16, Deliver 3
from callbacks import ids
from callbacks.as_of import BadAsOf
from callbacks.i18n_names import english_name
from callbacks.i18n import MODULE_IDS, format_count, format_time, parse_query, t
from callbacks.paths import local_path
from geodata import changes

log = logging.getLogger(__name__)

POLL_MS = 1000
#: The ticker's length.
TICKER_LEN = 8
#: How long the map stays on a focus case (ms) before rotation resumes.
FOCUS_MS = 12_000
#: A newly overdue case flies the map at most once in this many seconds (an urgent
#: new case always does): the wall is watched unattended, and a busy town (or the
#: demo's simulator, far faster than a real town) has a case falling overdue every
#: few minutes. With the simulator's urgent cap that is a few interruptions an hour.
OVERDUE_FOCUS_GAP_S = 1800
#: The changes that make an urgent case fly the map: its arrival, not later steps.
URGENT_FOCUS_CHANGES = ("reported", "registered")
#: A focus stays in the feed's answers this long: on a busy page the browser may run
#: its focus callback only after a later poll (with no focus of its own) has landed.
#: The browser ignores a focus on the case it is already showing or has shown.
FOCUS_CARRY_S = 10
FOCUS_ZOOM = 17.0  # Leaflet's zoom (256 px tiles): a street block on the wall's map
PLAYBACK_DAYS = 30
PLAYBACK_STEP_MS = 900
#: The slider's last position means "live" (no playback trace).
LIVE_POS = PLAYBACK_DAYS
WALL_PATHS = ("/", "/wall")
LIVE_KEY = "live-key"     # dcc.Store: [on the wall?, lang, as_of] the overlay was drawn for
LIVE_CONF = "live-conf"   # dcc.Store: constants for assets/live.js
ROTATE_STEP = "rotate-step"  # dcc.Store: the rotation's last step, {"module", "at"} (assets/live.js: rotate)


class LiveData:
    """What the live overlay reads besides the feed, cached: category names and the
    playback frames (both change slowly)."""

    def __init__(self, store, ttl_s: float = 60.0):
        self.store = store
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._names: tuple[float, dict] | None = None
        self._days: dict = {}   # (last day, scope) → (read at, days)

    def category_names(self) -> dict[str, tuple[str, str]]:
        """{code: (Chinese name, English name)} from the optional ``categories`` layer."""
        with self._lock:
            if self._names and time.monotonic() - self._names[0] < 600:
                return self._names[1]
        names = {}
        if self.store.has_layer("categories"):
            cols = self.store.columns("categories")
            want = [c for c in ("code", "name", "name_en") if c in cols]
            if "code" in want:
                cats = self.store.read("categories", columns=want, geometry=False)
                for row in cats.itertuples(index=False):
                    zh = getattr(row, "name", None)
                    en = getattr(row, "name_en", None)
                    names[str(row.code)] = (str(zh) if pd.notna(zh) else str(row.code),
                                            english_name(en) if pd.notna(en) else None)
        with self._lock:
            self._names = (time.monotonic(), names)
        return names

    def playback(self, last_day: pd.Timestamp, scope) -> dict:
        """The :data:`PLAYBACK_DAYS` days ending on ``last_day`` (today when live, the
        as_of day otherwise) of the cases ``scope`` may see, kept a minute per last day
        and scope (a live and a past wall may share the server)."""
        key = (last_day.strftime("%Y-%m-%d"), scope)
        with self._lock:
            hit = self._days.get(key)
            if hit is not None and time.monotonic() - hit[0] < self.ttl_s:
                return hit[1]
        days = changes.daily_cells(self.store, PLAYBACK_DAYS, now=last_day, scope=scope)
        days["zmax"] = max((c[2] for f in days["frames"] for c in f), default=1)
        with self._lock:
            if len(self._days) >= 8:
                self._days.pop(next(iter(self._days)))
            self._days[key] = (time.monotonic(), days)
        return days


# ---- layout ------------------------------------------------------------------------------
def live_layer() -> html.Div:
    """What the shell carries for the live wall: timers and stores (static, so they
    survive page and language changes) and the overlay, drawn per language."""
    return html.Div([
        dcc.Interval(id=ids.LIVE_POLL, interval=POLL_MS, disabled=True),
        dcc.Interval(id=ids.ROTATE_TICK, interval=60_000, disabled=True),
        dcc.Interval(id=ids.PLAYBACK_TIMER, interval=PLAYBACK_STEP_MS, disabled=True),
        dcc.Store(id=ids.LIVE_FEED),
        dcc.Store(id=ids.MAP_FOCUS),
        dcc.Store(id=ids.PLAYBACK_FRAME),
        dcc.Store(id=LIVE_KEY),
        dcc.Store(id=ROTATE_STEP),
        dcc.Store(id=LIVE_CONF, data={"map": ids.WALL_MAP, "focus_ms": FOCUS_MS, "zoom": FOCUS_ZOOM,
                                      "modules": list(MODULE_IDS), "live_pos": LIVE_POS,
                                      "card": ids.FOCUS_CARD, "ring": ids.FOCUS_RING, "play": ids.PLAYBACK_PLAY,
                                      "stop": ids.PLAYBACK_STOP}),
        html.Div(id=ids.LIVE, className="live-layer", hidden=True),
    ])


def live_overlay(lang: str, as_of: str | None = None) -> list:
    """The focus card above the ticker (top right of the map, clear of the legend at the
    top left and of the grid card opened there), the banner and the playback bar
    (bottom of the map). As of a past day there is no feed: no ticker, no focus card,
    and the playback's last position is that day."""
    end_label = t("playback.live", lang) if as_of is None else t("playback.as_of", lang)
    return [
        html.Div(id=ids.STALE_BANNER, className="stale-banner", hidden=True, role="alert"),
        *([] if as_of is not None else [html.Div(className="live-side", children=[
            html.Div(id=ids.FOCUS_CARD, className="focus-card", hidden=True),
            html.Section(className="live-ticker-box", children=[
                html.Div([html.Span(className="live-dot"), html.Span(t("live.title", lang), className="live-title")],
                         className="live-head"),
                html.Ul(html.Li(t("live.empty", lang), className="live-item is-empty"),
                        id=ids.LIVE_TICKER, className="live-list"),
                html.Div(t("live.count", lang, n=0), id=ids.LIVE_COUNT, className="live-count"),
            ]),
        ])]),
        html.Div(id=ids.FOCUS_RING, className="focus-ring", hidden=True),
        html.Section(className="playback", children=[
            html.Span(t("playback.title", lang), className="playback-title"),
            html.Button(t("playback.play", lang), id=ids.PLAYBACK_PLAY, className="playback-btn", n_clicks=0),
            html.Button(t("playback.stop", lang) if as_of is None else "■ " + end_label, id=ids.PLAYBACK_STOP,
                        className="playback-btn", n_clicks=0),
            html.Div(dcc.Slider(id=ids.PLAYBACK_SLIDER, min=0, max=LIVE_POS, step=1, value=LIVE_POS,
                                marks=None, included=False, updatemode="drag", allow_direct_input=False),
                     className="playback-slider"),
            html.Span(end_label, id=ids.PLAYBACK_DAY, className="playback-day"),
        ]),
    ]


def slider_marks(last_day: pd.Timestamp, lang: str, live: bool = True) -> dict:
    """Weekly dates of the days ending on ``last_day``, and the end: "live", or the as_of day."""
    start = last_day.normalize() - pd.Timedelta(days=PLAYBACK_DAYS - 1)
    # weekly dates, none within three days of the "live" end (their labels would run together)
    marks = {k: (start + pd.Timedelta(days=k)).strftime("%m-%d") for k in range(0, LIVE_POS - 3, 7)}
    marks[LIVE_POS] = t("playback.live", lang) if live else last_day.strftime("%m-%d")
    return marks


# ---- the feed, as the browser receives it -------------------------------------------------
def _label(row, names: dict, lang: str) -> str:
    code = row.get("subcategory") if pd.notna(row.get("subcategory")) else row.get("category")
    code = "" if code is None or pd.isna(code) else str(code)
    zh, en = names.get(code, (code, None))
    return (en or code) if lang == "en" else zh


def _point(row) -> tuple[float, float] | None:
    """Where the wall may show a case: the centre of its heat cell (H3 at
    :data:`changes.HEAT_RESOLUTION`, the cells the heat map already draws), never the
    case's own point — residents' records never leave the server one by one; the wall
    shows aggregates (brief.md; issue 16, Deliver 4 and 7)."""
    g = row.get("geometry")
    if g is None or g.is_empty:
        return None
    lat, lon = h3.cell_to_latlng(h3.latlng_to_cell(float(g.y), float(g.x), changes.HEAT_RESOLUTION))
    return round(lon, 5), round(lat, 5)


def feed_items(frame: pd.DataFrame, names: dict, lang: str) -> list[dict]:
    """Ticker entries of the changed cases: id, time, kind of change, label — no place and
    no text of the case (its description or address): the ticker needs none."""
    out = []
    for row in frame.head(TICKER_LEN).to_dict("records"):
        when = row.get("changed_at", row.get("reported_at"))
        out.append({"id": str(row["case_id"]), "time": pd.Timestamp(when).strftime("%H:%M:%S"),
                    "kind": str(row.get("change") or "reported"), "label": _label(row, names, lang),
                    "status": None if pd.isna(row.get("status", None)) else str(row["status"])})
    return out


def _kind_text(item: dict, lang: str) -> str:
    """What happened: reported / accepted / closed, or the workflow step reached."""
    if item["kind"] == "updated" and item.get("status"):
        return t(f"status.{item['status']}", lang)
    return t(f"live.change.{item['kind']}", lang)


def ticker_children(items: list[dict], lang: str) -> list:
    if not items:
        return [html.Li(t("live.empty", lang), className="live-item is-empty")]
    return [html.Li(className=f"live-item is-{it['kind']}", **{"data-case": it["id"]}, children=[
        html.Span(it["time"], className="live-time"),
        html.Span(_kind_text(it, lang), className="live-kind"),
        html.Span(it["label"], className="live-label"),
        html.Span(it["id"], className="live-id"),
    ]) for it in items]


def pick_focus(frame: pd.DataFrame, overdue: pd.DataFrame, names: dict, lang: str) -> dict | None:
    """The case the wall should fly to: the newest urgent case that has just
    arrived, else a case that has just become overdue."""
    arrived = frame["change"].isin(URGENT_FOCUS_CHANGES) if len(frame) else None
    for kind, rows in (("urgent", frame[changes.is_urgent(frame) & arrived] if len(frame) else frame),
                       ("overdue", overdue)):
        for row in rows.to_dict("records"):
            pt = _point(row)
            if pt is None:
                continue
            return {"case_id": str(row["case_id"]), "kind": kind, "lon": pt[0], "lat": pt[1],
                    "text": f"{t('focus.' + kind, lang)} · {_label(row, names, lang)} · {row['case_id']}"}
    return None


def choose_focus(frame: pd.DataFrame, overdue: pd.DataFrame, feed: dict, now: pd.Timestamp, names: dict,
                 lang: str) -> tuple[dict | None, str | None]:
    """The focus of this poll's answer and the time of the last overdue focus.

    An urgent arrival always flies the map; a newly overdue case at most once in
    :data:`OVERDUE_FOCUS_GAP_S`; a focus is carried for :data:`FOCUS_CARRY_S` (see
    there). ``feed`` is the previous answer, as the browser kept it."""
    last_overdue = feed.get("overdue_focus_t")
    if last_overdue and now - pd.Timestamp(last_overdue) < pd.Timedelta(seconds=OVERDUE_FOCUS_GAP_S):
        overdue = overdue.iloc[:0]
    focus = pick_focus(frame, overdue, names, lang)
    if focus is not None:
        focus["t"] = now.isoformat()
        if focus["kind"] == "overdue":
            last_overdue = focus["t"]
        return focus, last_overdue
    carried = feed.get("focus") or {}
    if carried.get("t") and now - pd.Timestamp(carried["t"]) < pd.Timedelta(seconds=FOCUS_CARRY_S):
        return carried, last_overdue
    return None, last_overdue


# ---- callbacks ------------------------------------------------------------------------------
def register_live(app, data) -> None:
    """``data`` is the app's ``ScreenData``."""
    live = LiveData(data.store)

    @app.callback(Output(ids.LIVE, "children"), Output(ids.LIVE, "hidden"), Output(LIVE_KEY, "data"),
                  Output(ids.LIVE_POLL, "disabled"),
                  Input(ids.PAGE_WANTED, "data"), State(ids.URL, "pathname"), State(ids.URL, "search"),
                  State(LIVE_KEY, "data"))
    def draw_overlay(_wanted, pathname, search, shown):
        """The overlay on the wall only, redrawn when the language or the as_of day
        changes. The feed is polled only on a live wall: as of a past day, cases that
        arrive now belong to another day (a wall showing 2018 must not fly to today's
        urgent case), so the screen shows that day's counts and nothing after it; a
        link without as_of is the live wall. A link with a bad as_of gets no overlay."""
        on_wall = local_path(pathname, app.config.requests_pathname_prefix) in WALL_PATHS
        try:
            as_of = data.period_of(search).key
        except BadAsOf:
            on_wall, as_of = False, None
        key = [on_wall, parse_query(search)["lang"], as_of]
        if key == shown:
            raise PreventUpdate
        polled = on_wall and as_of is None
        return (live_overlay(key[1], as_of) if on_wall else []), not on_wall, key, not polled

    @app.callback(Output(ids.LIVE_FEED, "data"), Output(ids.LIVE_TICKER, "children"),
                  Output(ids.LIVE_COUNT, "children"),
                  Output(ids.STALE_BANNER, "children"), Output(ids.STALE_BANNER, "hidden"),
                  Input(ids.LIVE_POLL, "n_intervals"), State(ids.LIVE_FEED, "data"),
                  State(ids.URL, "search"), prevent_initial_call=True)
    def poll_feed(_n, feed, search):
        """Ask the change feed; on failure keep everything and raise the banner."""
        lang = parse_query(search)["lang"]
        feed = feed or {}
        prev = changes.Cursor.from_dict(feed.get("cursor"))
        now = data.now()
        try:
            scope = request_scope()   # reads the grants: in an outage that fails too, and says so
            frame, cursor = changes.changed_since(data.store, prev, now=now, scope=scope)
            overflow = int(frame.attrs.get("overflow", 0)) if scope.town else 0  # the town's count: not theirs
            overdue = changes.overdue_between(data.store, prev.t, cursor.t, scope=scope) if prev else frame.iloc[:0]
            names = live.category_names()
            fresh_page = "latest" not in feed
            start = changes.latest_cases(data.store, TICKER_LEN, now=now, scope=scope) if fresh_page else frame
        except Exception as exc:  # noqa: BLE001 - any failure: keep the last data, say since when
            log.warning("live: cannot read the change feed: %s", str(exc).splitlines()[0] if str(exc) else exc)
            since = feed.get("ok_text") or "—"
            out = {**feed, "ok": False, "count": 0, "cells": [], "focus": None, "overflow": 0}
            return out, no_update, no_update, t("live.stale", lang, since=since), False
        items = feed_items(start, names, lang)
        if not fresh_page:
            known = {it["id"] for it in items}
            items = (items + [it for it in feed["latest"] if it["id"] not in known])[:TICKER_LEN]
        total = int(feed.get("total", 0)) + len(frame)
        # the map glows where cases arrive or close; a workflow step in between is ticker news only
        cells = changes.cases_to_cells(frame[frame["change"] != "updated"] if len(frame) else frame)
        focus, last_overdue = choose_focus(frame, overdue, feed, now, names, lang)
        out = {
            "ok": True, "recovered": feed.get("ok") is False, "cursor": cursor.as_dict(),
            "ok_text": now.strftime("%H:%M:%S"), "as_of_text": format_time(now, lang),
            "count": len(frame), "total": total, "overflow": overflow,
            "cells": [[round(x, 5), round(y, 5), int(k)] for x, y, k in zip(cells.lon, cells.lat, cells.n)],
            "latest": items, "focus": focus, "overdue_focus_t": last_overdue,
        }
        changed = fresh_page or len(frame) > 0
        count_text = (t("live.overflow", lang, n=format_count(overflow, lang)) if overflow
                      else t("live.count", lang, n=format_count(total, lang)))
        return (out, ticker_children(items, lang) if changed else no_update,
                count_text if changed or overflow else no_update,
                no_update if feed.get("ok", True) else "", True)

    @app.callback(Output(ids.PLAYBACK_FRAME, "data"), Output(ids.PLAYBACK_DAY, "children"),
                  Output(ids.PLAYBACK_SLIDER, "marks"),
                  Input(ids.PLAYBACK_SLIDER, "value"), State(ids.URL, "search"))
    def playback_frame(pos, search):
        """One day of the heat playback (all 30 are aggregated once a minute, server side)."""
        lang = parse_query(search)["lang"]
        try:
            shown = data.period_of(search)
        except BadAsOf:
            raise PreventUpdate  # no playback on the page of a bad link
        marks = slider_marks(shown.last_day, lang, shown.live)
        if pos is None or pos >= LIVE_POS:
            return None, t("playback.live" if shown.live else "playback.as_of", lang), marks
        try:
            days = live.playback(shown.last_day, request_scope())
        except Exception as exc:  # noqa: BLE001 - the live banner reports the store; keep the map
            log.warning("live: cannot read the playback: %s", exc)
            return no_update, no_update, marks
        cells = days["frames"][int(pos)]
        day = days["days"][int(pos)]
        n = sum(c[2] for c in cells)
        return ({"day": day, "cells": cells, "zmax": days["zmax"]},
                t("playback.day", lang, day=day, n=format_count(n, lang)), marks)

    # ---- in the browser: assets/live.js ----
    app.clientside_callback(
        ClientsideFunction(namespace="townbrain_live", function_name="onFeed"),
        Output(ids.WALL_REFRESH, "n_intervals", allow_duplicate=True),
        Output(ids.DATA_AS_OF, "children", allow_duplicate=True),
        Output(ids.DATA_AS_OF, "className", allow_duplicate=True),
        Input(ids.LIVE_FEED, "data"), State(ids.WALL_REFRESH, "n_intervals"), State(LIVE_CONF, "data"),
        prevent_initial_call=True)
    # On its own, with only this file's components: a callback that also writes to the
    # wall's components is dropped when the wall re-renders them (a module switch).
    app.clientside_callback(
        ClientsideFunction(namespace="townbrain_live", function_name="pickFocus"),
        Output(ids.MAP_FOCUS, "data"),
        Input(ids.LIVE_FEED, "data"), State(ids.MAP_FOCUS, "data"), State(LIVE_CONF, "data"),
        prevent_initial_call=True)
    app.clientside_callback(
        ClientsideFunction(namespace="townbrain_live", function_name="showFocus"),
        Output(ids.FOCUS_CARD, "children"), Output(ids.FOCUS_CARD, "hidden"),
        Input(ids.MAP_FOCUS, "data"), State(LIVE_CONF, "data"), prevent_initial_call=True)
    app.clientside_callback(
        ClientsideFunction(namespace="townbrain_live", function_name="rotationConf"),
        Output(ids.ROTATE_TICK, "interval"), Output(ids.ROTATE_TICK, "disabled"),
        Input(ids.URL, "pathname"), Input(ids.URL, "search"))
    app.clientside_callback(
        ClientsideFunction(namespace="townbrain_live", function_name="rotate"),
        Output(ROTATE_STEP, "data"),
        Input(ids.ROTATE_TICK, "n_intervals"), State(ids.MAP_FOCUS, "data"), State(LIVE_CONF, "data"),
        prevent_initial_call=True)
    app.clientside_callback(
        ClientsideFunction(namespace="townbrain_live", function_name="playback"),
        Output(ids.PLAYBACK_SLIDER, "value"), Output(ids.PLAYBACK_TIMER, "disabled"),
        Input(ids.PLAYBACK_PLAY, "n_clicks"), Input(ids.PLAYBACK_STOP, "n_clicks"),
        Input(ids.PLAYBACK_TIMER, "n_intervals"),
        State(ids.PLAYBACK_SLIDER, "value"), State(ids.PLAYBACK_TIMER, "disabled"), State(LIVE_CONF, "data"),
        prevent_initial_call=True)
    app.clientside_callback(
        ClientsideFunction(namespace="townbrain_live", function_name="drawPlayback"),
        Output(ids.PLAYBACK_PLAY, "className"),
        Input(ids.PLAYBACK_FRAME, "data"), State(ids.PLAYBACK_TIMER, "disabled"), State(LIVE_CONF, "data"),
        prevent_initial_call=True)
