"""The change feed of the cases layer: what was written since the screen last asked.

New and changed cases reach the screen within 3 s *by fetching only what changed*.
The screen keeps an opaque :class:`Cursor` and calls :func:`changed_since` about
once a second; each call reads only the rows whose change time falls in a short
window before the cursor, never the whole layer.

Which time says "changed"
-------------------------
* ``updated_at`` — the store stamps it on every write of a case
  (``geodata.store.STAMPED``), so it is the one exact signal: any write, whatever
  it changed, moves it to the time of the write. A status step with no time column
  of its own, and a case that arrives late with an old ``reported_at`` (an Open311
  client posting a request made an hour ago), both reach the screen by it.
* the case's own event times ``reported_at``, ``registered_at`` and ``closed_at``
  for rows without a stamp: a store written before the column existed, or rows
  written around the store. That covers the three changes the wall shows (a new
  case, its acceptance, its closure); the simulator back-dates ``reported_at`` by
  up to a minute, which is why that window reaches :data:`EVENT_LAG` back.

Times are stored in whole seconds and a writer may commit a little after the
time it stamped, so the feed cannot simply ask for "time > cursor": it re-reads a
window of ``lag`` seconds before the cursor and drops what it already delivered,
remembered in the cursor as ``change-time|kind|case_id`` keys (a few dozen at the
simulator's rate). A case therefore comes again only when it changes again.

Who sees what
-------------
Each reader takes a ``scope`` (access/scope.py, issue 16 Deliver 3) like every other
reader of cases in ``geodata/``: the feed's records carry the place columns the gate
decides by (district, grid, professional grid: :data:`PLACE_COLUMNS`), and the rows
``scope`` does not let through are dropped after the read. The cursor moves as the
town's does, so a limited reader's next poll neither repeats nor skips anything.
``scope=None`` is the caller's own whole-town work (the server's, a test's).

Examples
--------
>>> import tempfile, os, geopandas as gpd, pandas as pd, shapely
>>> from geodata.store import open_store
>>> st = open_store(os.path.join(tempfile.mkdtemp(), "t.gpkg")); st.create_schema(["cases"])
>>> now = pd.Timestamp("2025-05-01 10:00:00", tz="Asia/Shanghai")
>>> frame, cur = changed_since(st, None, now=now)          # the first call only sets the cursor
>>> len(frame)
0
>>> st.clock = lambda: now + pd.Timedelta(seconds=1)        # the time the store stamps writes with
>>> case = gpd.GeoDataFrame({"case_id": ["C1"], "category": ["street_order"],
...     "reported_at": [now - pd.Timedelta(hours=1)]}, geometry=[shapely.Point(120.6, 31.0)], crs=4326)
>>> st.append("cases", case)                               # reported an hour ago, written now
1
>>> frame, cur = changed_since(st, cur, now=now + pd.Timedelta(seconds=2))
>>> frame["case_id"].tolist(), frame["change"].tolist()
(['C1'], ['reported'])
>>> frame, cur = changed_since(st, cur, now=now + pd.Timedelta(seconds=3))  # delivered once
>>> len(frame)
0
"""
from __future__ import annotations

from dataclasses import dataclass, field

import h3
import numpy as np
import pandas as pd

from geodata import config

__all__ = [
    "EVENT_FIELDS",
    "UPDATED_FIELD",
    "Cursor",
    "cases_to_cells",
    "changed_since",
    "daily_cells",
    "is_urgent",
    "latest_cases",
    "overdue_between",
]

LAYER = "cases"
#: The column the store stamps on every write of a case (when it has it).
UPDATED_FIELD = "updated_at"
#: Event times that mark a change when there is no ``updated_at``.
EVENT_FIELDS = ("reported_at", "registered_at", "closed_at")
#: How far back each poll re-reads, in seconds: a commit landing after the time it
#: stamped (``updated_at``), or a source back-dating ``reported_at`` (the simulator
#: by up to 60 s, then registering within 30 s).
UPDATED_LAG = 10.0
EVENT_LAG = 120.0
#: More changes than this in one poll (a bulk load, a re-assignment) are not sent
#: case by case: the feed says "overflow" and the screen re-reads its totals.
MAX_CHANGES = 5000
#: The columns the feed carries; those a store lacks are left out.
#: The place columns the scope gate decides by (access/scope.py ``COLUMNS``): read with
#: every record the feed gives, so that a reader granted a professional grid, a district
#: or a grid gets the cases placed in it.
PLACE_COLUMNS = ("district_id", "grid_id", "pro_grid_id")
FEED_COLUMNS = ("case_id", "category", "subcategory", "source", "status", "reported_at",
                "registered_at", "deadline", "closed_at", *PLACE_COLUMNS, "time_limit_h", UPDATED_FIELD)
#: What makes a case urgent enough to interrupt the wall's rotation: the
#: "emergencies" major class (突发事件, GB/T 30428) or a time limit of an hour or less.
URGENT_CATEGORIES = frozenset({"emergencies"})
URGENT_LIMIT_H = 1.0
#: H3 resolution of the heat map: 8 (~0.7 km²) reads as a heat at town scale, where
#: the contract's resolution 9 (~0.1 km²) would be single dots.
HEAT_RESOLUTION = 8


@dataclass(frozen=True)
class Cursor:
    """Where the feed stands: the time of the last poll (UTC) and the keys
    (``case_id@change-time``) already delivered inside the re-read window."""

    t: pd.Timestamp
    seen: frozenset[str] = field(default_factory=frozenset)

    def as_dict(self) -> dict:
        """JSON-able form, for a ``dcc.Store``."""
        return {"t": self.t.isoformat(), "seen": sorted(self.seen)}

    @classmethod
    def from_dict(cls, d: dict | None) -> Cursor | None:
        if not d or not d.get("t"):
            return None
        return cls(pd.Timestamp(d["t"]).tz_convert("UTC"), frozenset(d.get("seen") or ()))


def _utc_now(now) -> pd.Timestamp:
    ts = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)
    if ts.tzinfo is None:
        ts = ts.tz_localize(config.timezone())
    return ts.tz_convert("UTC").floor("s")


def _windows(columns, t: pd.Timestamp) -> list[tuple[str, pd.Timestamp, dict | None]]:
    """What one poll reads: ``(time field, since, where)`` per query.

    With the stamp: rows stamped in the last :data:`UPDATED_LAG` seconds, and rows
    without a stamp (written before the column existed, or around the store) by
    their event times. Without the column: the event times alone."""
    events = [f for f in EVENT_FIELDS if f in columns]
    if UPDATED_FIELD not in columns:
        return [(f, t - pd.Timedelta(seconds=EVENT_LAG), None) for f in events]
    unstamped = {UPDATED_FIELD: None}
    return [(UPDATED_FIELD, t - pd.Timedelta(seconds=UPDATED_LAG), None),
            *[(f, t - pd.Timedelta(seconds=EVENT_LAG), unstamped) for f in events]]


def _gated(frame: pd.DataFrame, scope) -> pd.DataFrame:
    """The rows of ``frame`` that ``scope`` lets through (access/scope.py
    ``scope_mask``); all of them for ``scope=None`` (the caller's whole-town work)."""
    if scope is None or len(frame) == 0:
        return frame
    from access.scope import scope_mask
    return frame[scope_mask(frame, scope)].reset_index(drop=True)


def changed_since(store, cursor: Cursor | dict | None, *, now=None,
                  max_changes: int = MAX_CHANGES, scope=None) -> tuple[pd.DataFrame, Cursor]:
    """Cases written since ``cursor``, and the cursor to pass next time.

    Returns a frame of :data:`FEED_COLUMNS` (those present) plus ``geometry``,
    ``changed_at`` (the change time) and ``change`` (``reported`` / ``registered``
    / ``closed``, or ``updated`` for any other write, e.g. a workflow step), newest
    first. The first call (``cursor=None``) returns nothing and only places the
    cursor at ``now``. When more than ``max_changes`` rows changed, the frame is
    empty and ``frame.attrs["overflow"]`` holds their number (the town's: a limited
    reader's screen must not show it). With ``scope`` only the changes it lets through
    are returned; the cursor is the town's. Raises ``StoreError`` (or the driver's
    error) when the store cannot be read — the caller keeps its last data.
    """
    if isinstance(cursor, dict):
        cursor = Cursor.from_dict(cursor)
    now = _utc_now(now)
    present = store.columns(LAYER)  # raises when the store or the layer is gone
    if cursor is None:
        return _empty(store, present), Cursor(now, frozenset())
    windows = _windows(present, cursor.t)
    # COUNTs first: cheap on the time indexes, and most polls of a quiet store stop here.
    counts = [store.count(LAYER, start=since, time_field=f, where=where) for f, since, where in windows]
    if sum(counts) > max_changes:
        frame = _empty(store, present)
        frame.attrs["overflow"] = int(sum(counts))
        return frame, Cursor(now, frozenset())
    columns = [c for c in FEED_COLUMNS if c in present]
    parts = [store.read(LAYER, start=since, time_field=f, where=where, columns=columns)
             for (f, since, where), n in zip(windows, counts) if n]
    parts = [p for p in parts if len(p)]
    if not parts:
        return _empty(store, present), Cursor(now, _keep(cursor.seen, now))
    frame = pd.concat(parts, ignore_index=True).drop_duplicates("case_id").reset_index(drop=True)
    events = frame[[f for f in EVENT_FIELDS if f in frame]].max(axis=1)
    stamped = frame[UPDATED_FIELD].notna() if UPDATED_FIELD in frame else pd.Series(False, index=frame.index)
    frame["changed_at"] = frame[UPDATED_FIELD].where(stamped, events) if UPDATED_FIELD in frame else events
    key = (frame["changed_at"].dt.tz_convert("UTC").map(_iso) + np.where(stamped, "|u|", "|e|")
           + frame["case_id"].astype(str))
    fresh = ~key.isin(cursor.seen)
    lag = pd.to_timedelta(np.where(stamped, UPDATED_LAG, EVENT_LAG), unit="s")
    keep = (frame["changed_at"] >= now - lag).to_numpy()
    seen = frozenset(key[keep]) | _keep(cursor.seen, now)
    frame = frame[fresh.to_numpy()].copy()
    frame["change"] = _change_kind(frame)
    frame = frame.sort_values("changed_at", ascending=False, kind="stable").reset_index(drop=True)
    return _gated(frame, scope), Cursor(now, seen)


def _iso(ts) -> str:
    return pd.Timestamp(ts).strftime("%Y-%m-%dT%H:%M:%SZ")


def _keep(seen, now) -> frozenset[str]:
    """The delivered keys whose change time is still inside the next window of
    their kind (``u``: stamped, ``e``: by event time)."""
    edges = {"u": _iso(now - pd.Timedelta(seconds=UPDATED_LAG)), "e": _iso(now - pd.Timedelta(seconds=EVENT_LAG))}
    out = []
    for k in seen:
        parts = k.split("|", 2)
        if len(parts) == 3 and parts[1] in edges and parts[0] >= edges[parts[1]]:
            out.append(k)
    return frozenset(out)


def _recent(frame: pd.DataFrame, col: str) -> pd.Series:
    """``col`` happened within :data:`EVENT_LAG` of the row's change: the write was about it."""
    if col not in frame:
        return pd.Series(False, index=frame.index)
    return (frame[col].notna() & (frame[col] >= frame["changed_at"] - pd.Timedelta(seconds=EVENT_LAG))).fillna(False)


def _change_kind(frame: pd.DataFrame) -> np.ndarray:
    """What a change was: a closure, an acceptance, a new case (just reported, or
    arriving late but still unaccepted), or ``updated`` (any other write)."""
    none = pd.Series(False, index=frame.index)
    unaccepted = ((frame["registered_at"].isna() if "registered_at" in frame else ~none)
                  & (frame["closed_at"].isna() if "closed_at" in frame else ~none)
                  & (frame["status"].isna() | (frame["status"] == "reported") if "status" in frame else ~none))
    new = _recent(frame, "reported_at") | unaccepted.fillna(False).astype(bool)
    return np.select([_recent(frame, "closed_at").to_numpy(bool), _recent(frame, "registered_at").to_numpy(bool),
                      new.to_numpy(bool)], ["closed", "registered", "reported"], "updated")


def _state_kind(frame: pd.DataFrame) -> np.ndarray:
    """The last step a case has reached (for cases listed, not changed)."""
    closed = frame["closed_at"].notna() if "closed_at" in frame else pd.Series(False, index=frame.index)
    registered = (frame["registered_at"].notna() if "registered_at" in frame
                  else pd.Series(False, index=frame.index))
    return np.where(closed, "closed", np.where(registered, "registered", "reported"))


def _empty(store, present) -> pd.DataFrame:
    columns = [c for c in FEED_COLUMNS if c in present]
    frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    frame["changed_at"] = pd.Series([], dtype=f"datetime64[us, {config.timezone()}]")
    frame["change"] = pd.Series([], dtype=object)
    return frame


def overdue_between(store, start, end, *, scope=None) -> pd.DataFrame:
    """Accepted cases still open whose deadline fell in ``[start, end)``: the cases
    that became overdue (contract: ``open_overdue``) between two polls (those
    ``scope`` lets through)."""
    present = store.columns(LAYER)
    if "deadline" not in present:
        return pd.DataFrame()
    columns = [c for c in FEED_COLUMNS if c in present]
    where = {"closed_at": None} if "closed_at" in present else None
    if not store.count(LAYER, start=start, end=end, time_field="deadline", where=where):
        return pd.DataFrame()  # the usual answer, without a feature read
    frame = store.read(LAYER, start=start, end=end, time_field="deadline", where=where, columns=columns)
    if "registered_at" in frame:
        frame = frame[frame["registered_at"].notna()]
    return _gated(frame.reset_index(drop=True), scope)


def latest_cases(store, n: int = 10, *, now=None, within_days: float = 30.0, scope=None) -> pd.DataFrame:
    """The ``n`` most recently reported cases (of the last ``within_days``) that
    ``scope`` lets through, newest first, to fill the screen's ticker before the feed
    has anything to say. Widens its window (an hour, a day, the whole span) until it
    holds ``n`` of them, so a busy store reads a few rows, not a month — and a reader
    of one grid still gets its own latest cases, however busy the rest of the town."""
    now = _utc_now(now)
    present = store.columns(LAYER)
    columns = [c for c in FEED_COLUMNS if c in present]
    span = pd.Timedelta(hours=1)
    while True:
        frame = _gated(store.read(LAYER, start=now - span, time_field="reported_at", columns=columns), scope)
        if len(frame) >= n or span >= pd.Timedelta(days=within_days):
            break
        span = min(span * 24, pd.Timedelta(days=within_days))
    frame = frame.sort_values("reported_at", ascending=False, kind="stable").head(n).reset_index(drop=True)
    frame["change"] = _state_kind(frame) if len(frame) else pd.Series([], dtype=object)
    return frame


def is_urgent(frame: pd.DataFrame) -> pd.Series:
    """Which cases are urgent (:data:`URGENT_CATEGORIES`, or a time limit of at most
    :data:`URGENT_LIMIT_H` hours)."""
    urgent = pd.Series(False, index=frame.index)
    if "category" in frame:
        urgent |= frame["category"].isin(URGENT_CATEGORIES).fillna(False).astype(bool)
    if "time_limit_h" in frame:
        urgent |= (pd.to_numeric(frame["time_limit_h"], errors="coerce") <= URGENT_LIMIT_H).fillna(False)
    return urgent


def cases_to_cells(frame: pd.DataFrame, resolution: int = HEAT_RESOLUTION) -> pd.DataFrame:
    """Case counts per H3 cell: ``h3``, ``lon``, ``lat`` (the cell centre), ``n``.

    >>> import geopandas as gpd, shapely
    >>> g = gpd.GeoDataFrame(geometry=[shapely.Point(120.6, 31.0)] * 3 + [shapely.Point(120.7, 31.1)], crs=4326)
    >>> cases_to_cells(g)["n"].tolist()
    [3, 1]
    """
    if len(frame) == 0 or "geometry" not in frame:
        return pd.DataFrame({"h3": [], "lon": [], "lat": [], "n": []})
    geom = frame.geometry
    ok = geom.notna() & ~geom.is_empty
    xs, ys = geom[ok].x.to_numpy(), geom[ok].y.to_numpy()
    cells = [h3.latlng_to_cell(y, x, resolution) for x, y in zip(xs.tolist(), ys.tolist())]
    counts = pd.Series(cells, dtype=object).value_counts()
    centres = [h3.cell_to_latlng(c) for c in counts.index]
    out = pd.DataFrame({"h3": counts.index.astype(str), "lon": [c[1] for c in centres],
                        "lat": [c[0] for c in centres], "n": counts.to_numpy(dtype=int)})
    return out.sort_values(["n", "h3"], ascending=[False, True], kind="stable").reset_index(drop=True)


def daily_cells(store, days: int = 30, *, now=None, resolution: int = HEAT_RESOLUTION, scope=None) -> dict:
    """The case heat of each of the last ``days`` days, for the time slider:
    ``{"days": [ISO date, …], "frames": [[[lon, lat, n], …], …]}``, oldest first,
    cases (those ``scope`` lets through) counted on the day (in the configured zone)
    they were reported."""
    tz = config.timezone()
    today = _utc_now(now).tz_convert(tz).normalize()
    start = today - pd.Timedelta(days=days - 1)
    places = [c for c in PLACE_COLUMNS if c in store.columns(LAYER)] if scope is not None and not scope.town else []
    cases = _gated(store.read_points(LAYER, start=start, end=today + pd.Timedelta(days=1),
                                     time_field="reported_at", columns=["reported_at", *places]), scope)
    dates = [start + pd.Timedelta(days=k) for k in range(days)]
    frames = []
    if len(cases):
        day = cases["reported_at"].dt.tz_convert(tz).dt.normalize()
        for d in dates:
            cells = cases_to_cells(cases[(day == d).to_numpy()], resolution)
            frames.append([[round(x, 5), round(y, 5), int(k)]
                           for x, y, k in zip(cells["lon"], cells["lat"], cells["n"])])
    else:
        frames = [[] for _ in dates]
    return {"days": [d.strftime("%Y-%m-%d") for d in dates], "frames": frames}
