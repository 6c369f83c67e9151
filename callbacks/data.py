"""What the screen reads from the store, and nothing else.

The screen only reads through ``geodata.store``. Base layers (districts, grids,
rivers, roads) change rarely, so they are cached for a few minutes; case counts
are asked of the database on every refresh as ``COUNT`` queries, so the screen
never pulls the case table itself into memory.

A reader whose grants are less than the town (access/scope.py) is answered by the
``*_for`` methods: the same figures over what the one gate lets through — the
console's frame of every case (``geodata.case_queries.CaseCache``, shared with the
console) for the case counts, the scoped module snapshot for the units and
entities. A town grant takes the COUNT queries above, unchanged.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import pandas as pd

from access.scope import GEOGRAPHY, town_work
from callbacks.as_of import ScreenPeriod, period_of, screen_period
from indicators.view import CaseView
from layers import BASE_LAYERS

#: One-row layer naming the town (data dictionary ``town``); without it the title
#: bar says "TownBrain".
TOWN_LAYER = "town"


@dataclass(frozen=True)
class CaseCounts:
    """Case KPIs of one period, per the brief: accepted = ``registered_at`` set,
    disposed = accepted and ``closed_at`` set, open = accepted and not closed."""

    accepted: int
    open: int

    @property
    def disposed(self) -> int:
        return self.accepted - self.open

    @property
    def disposal_rate(self) -> float | None:
        # Contract, "KPI definitions": a rate with a zero denominator is null, not 0.
        return self.disposed / self.accepted if self.accepted else None

    def as_dict(self) -> dict:
        return {"accepted": self.accepted, "disposed": self.disposed,
                "disposal_rate": self.disposal_rate, "open": self.open}


def year_bounds(now: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[1 January, next 1 January) of ``now``'s year, in ``now``'s zone.

    >>> year_bounds(pd.Timestamp("2025-06-30 12:00", tz="Asia/Shanghai"))[0]
    Timestamp('2025-01-01 00:00:00+0800', tz='Asia/Shanghai')
    """
    start = pd.Timestamp(year=now.year, month=1, day=1, tz=now.tz)
    return start, pd.Timestamp(year=now.year + 1, month=1, day=1, tz=now.tz)


def _counts_at(cases: pd.DataFrame, start, period: ScreenPeriod) -> CaseCounts:
    """Accepted in [start, period.end) and, of those, open at ``period.at``."""
    view = CaseView(cases, start=start, end=period.end, as_of=period.at, now=period.at, tz=str(period.at.tz))
    return CaseCounts(int(view.accepted.sum()), int(view.open_at_as_of.sum()))


def case_cache(data):
    """The frame of every case the console queries and a limited reader's wall counts
    (:class:`geodata.case_queries.CaseCache`), one per screen-data object, made on first use."""
    from geodata.case_queries import CaseCache
    cache = getattr(data, "_console_cases", None)
    if cache is None:
        cache = CaseCache(data.store, ttl_s=60.0)
        data._console_cases = cache
    return cache


class ScreenData:
    """The screen's window on a store; safe to share between server threads."""

    def __init__(self, store, tz: str, base_ttl_s: float = 300.0):
        self.store = store
        self.tz = tz
        self.base_ttl_s = base_ttl_s
        self._lock = threading.Lock()
        self._base: dict | None = None
        self._base_at = 0.0
        self.past_ttl_s = 60.0
        self._as_of_counts: dict = {}
        self._newest: tuple[float, pd.Timestamp | None] | None = None
        self._scoped_base: dict = {}

    def now(self) -> pd.Timestamp:
        return pd.Timestamp.now(tz=self.tz).floor("s")

    def period_of(self, search: str | None) -> ScreenPeriod:
        """The period a page's URL query asks for (``BadAsOf`` for a bad ``as_of``)."""
        return period_of(search, self.now())

    # ---- base layers --------------------------------------------------------------
    def base_layers(self) -> dict:
        """{layer id: GeoDataFrame} of ``layers.BASE_LAYERS``; a layer absent from the
        store is an empty entry, any other failure raises."""
        with self._lock:
            if self._base is not None and time.monotonic() - self._base_at < self.base_ttl_s:
                return self._base
        frames = {}
        with town_work():  # shared by every reader (base_layers_for gates it)
            for spec in BASE_LAYERS:
                if not self.store.has_layer(spec.source):
                    frames[spec.id] = None
                    continue
                present = set(self.store.columns(spec.source))
                frames[spec.id] = self.store.read(spec.source, columns=[c for c in spec.columns if c in present])
        with self._lock:
            self._base, self._base_at = frames, time.monotonic()
        return frames

    def base_layers_for(self, scope) -> dict:
        """:meth:`base_layers` as ``scope`` may see them: the districts and grids through
        the gate (a district duty officer's map is its district), rivers and roads whole.
        One dict per base read and scope, so the map's layer cache keys on it."""
        from access.scope import scope_mask
        base = self.base_layers()
        if scope is not None and scope.town:
            return base
        key = (id(base), scope)
        with self._lock:
            hit = self._scoped_base.get(key)
            if hit is not None and hit[0] is base:
                return hit[1]
        out = {k: (v[scope_mask(v, scope)] if v is not None and k in ("districts", "grids") else v)
               for k, v in base.items()}
        with self._lock:
            if len(self._scoped_base) >= 16:
                self._scoped_base.pop(next(iter(self._scoped_base)))
            self._scoped_base[key] = (base, out)
        return out

    def town_name(self) -> str | None:
        """The town's name from the optional ``town`` layer, else ``None``."""
        if not self.store.has_layer(TOWN_LAYER) or "name" not in self.store.columns(TOWN_LAYER):
            return None
        rows = self.store.read(TOWN_LAYER, columns=["name"], limit=1)
        if len(rows) == 0 or pd.isna(rows["name"].iloc[0]):
            return None
        return str(rows["name"].iloc[0])

    # ---- cases ----------------------------------------------------------------------
    def case_counts(self, now: pd.Timestamp | None = None,
                    period: ScreenPeriod | None = None) -> dict[str, CaseCounts]:
        """{"year": counts for the calendar year of ``now``, "all": counts over all time};
        with a past ``period`` (``?as_of=``), the counts as of its end instead
        (:meth:`case_counts_as_of`).

        Six COUNT queries. NULL tests use the store's ``where={col: None}``;
        "not NULL" is a total minus a NULL count.
        """
        if period is not None and not period.live:
            return self.case_counts_as_of(period)
        now = now or self.now()
        if not self.store.has_layer("cases"):
            # a store that is away raises here (StoreError: the screen keeps its numbers
            # and shows "stale"); a missing GeoPackage is not a town without cases
            self.store.ping()
            return {"year": CaseCounts(0, 0), "all": CaseCounts(0, 0)}
        count = self.store.count
        total = count("cases")
        unregistered = count("cases", where={"registered_at": None})
        unclosed = count("cases", where={"closed_at": None})
        unclosed_unregistered = count("cases", where={"registered_at": None, "closed_at": None})
        start, end = year_bounds(now)
        year = dict(start=start, end=end, time_field="registered_at")
        accepted_year = count("cases", **year)
        open_year = count("cases", where={"closed_at": None}, **year)
        return {
            "year": CaseCounts(accepted_year, open_year),
            "all": CaseCounts(total - unregistered, unclosed - unclosed_unregistered),
        }

    def case_counts_as_of(self, period: ScreenPeriod) -> dict[str, CaseCounts]:
        """{"year": the year-to-date of ``period``, "all": every case registered before
        its end}, as of ``period.at``: a case closed later was open then.

        "Registered in [start, end) and closed before at" takes two time ranges, more
        than a store COUNT filters on, so the two time columns of the cases registered
        before the end are read (36,715 rows for 2018 in the demo town) and counted by
        the KPI engine's own masks (``indicators.view.CaseView``, contract "KPI
        definitions"); kept for a minute per day asked for.
        """
        key = ("as_of", period.key, period.at)
        with self._lock:
            hit = self._as_of_counts.get(key)
            if hit is not None and time.monotonic() - hit[0] < self.past_ttl_s:
                return hit[1]
        if not self.store.has_layer("cases"):
            self.store.ping()
            out = {"year": CaseCounts(0, 0), "all": CaseCounts(0, 0)}
        else:
            with town_work():  # kept for the town's readers, whoever asks first
                cases = self.store.read("cases", end=period.end, time_field="registered_at",
                                        columns=["registered_at", "closed_at"], geometry=False)
            out = {name: _counts_at(cases, start, period) for name, start in (("year", period.start), ("all", None))}
        with self._lock:
            if len(self._as_of_counts) >= 8:
                self._as_of_counts.pop(next(iter(self._as_of_counts)))
            self._as_of_counts[key] = (time.monotonic(), out)
        return out

    def case_counts_for(self, scope, now: pd.Timestamp | None = None,
                        period: ScreenPeriod | None = None) -> dict[str, CaseCounts]:
        """:meth:`case_counts` of the cases ``scope`` may see: for the town the COUNT
        queries; otherwise the console's frame of every case through the gate, counted
        by the KPI engine's masks (``_counts_at``: accepted in the period, open at its
        instant) — "all" from the first case on."""
        from geodata.case_filter import CaseFilter
        if scope is not None and scope.town:
            return self.case_counts(now, period)
        period = period if period is not None else screen_period(None, now or self.now())
        if not self.store.has_layer("cases"):
            self.store.ping()
            return {"year": CaseCounts(0, 0), "all": CaseCounts(0, 0)}
        frame = case_cache(self).get()
        cases = frame.to_frame(columns=["registered_at", "closed_at"])[frame.mask(CaseFilter(scope=scope))]
        return {name: _counts_at(cases, start, period) for name, start in (("year", period.start), ("all", None))}

    def newest_case_day(self, recent_days: int = 30) -> pd.Timestamp | None:
        """The local day of the newest case reported before now when none was reported in
        the last ``recent_days`` days (a town that loaded a past year's export), else
        ``None``; a town without cases is ``None`` too. One COUNT when the town is
        current; otherwise one column read, kept for five minutes."""
        with self._lock:
            if self._newest is not None and time.monotonic() - self._newest[0] < self.base_ttl_s:
                return self._newest[1]
        now = self.now()
        day = None
        with town_work():  # the town's newest day, kept for every reader
            if self.store.has_layer("cases") and not self.store.count(
                    "cases", start=now - pd.Timedelta(days=recent_days), end=now + pd.Timedelta(days=1),
                    time_field="reported_at"):
                reported = self.store.read("cases", end=now, time_field="reported_at", columns=["reported_at"],
                                           geometry=False)["reported_at"].dropna()
                if len(reported):
                    day = reported.max().tz_convert(self.tz).normalize()
        with self._lock:
            self._newest = (time.monotonic(), day)
        return day

    def layer_counts(self, layers) -> dict[str, int | None]:
        """Record count of each of ``layers``; ``None`` for a layer the store lacks
        (StoreError when the store itself is away, as for :meth:`case_counts`)."""
        out = {name: self.store.count(name) if self.store.has_layer(name) else None for name in layers}
        if any(v is None for v in out.values()):
            self.store.ping()
        return out

    def layer_counts_for(self, scope, layers, snap) -> dict[str, int | None]:
        """:meth:`layer_counts` of what ``scope`` may see: units, entities and residents
        of the scoped module snapshot ``snap`` (``ModuleData.snapshot_for``), cases of the
        console's frame and patrols (through their inspector) of its side tables, all
        through the gate; buildings by the grid each lies in; rivers and roads whole."""
        from access.scope import scope_mask, scope_mask_by
        from geodata.case_filter import CaseFilter
        if scope is not None and scope.town:
            return self.layer_counts(layers)
        out: dict[str, int | None] = {}
        for name in layers:
            if not self.store.has_layer(name):
                out[name] = None
            elif name in GEOGRAPHY:
                out[name] = self.store.count(name)
            elif name == "cases":
                out[name] = int(case_cache(self).get().mask(CaseFilter(scope=scope)).sum())
            elif name == "patrols":
                cache = case_cache(self)
                patrols = cache.extra("patrols")
                out[name] = 0 if patrols is None else int(
                    scope_mask_by(patrols, scope, cache.extra("staff"), "staff_id").sum())
            elif name == "residents":
                out[name] = (snap.residents_total or 0) if snap is not None else 0
            elif name == "buildings":
                b = self.modules.buildings_for(scope) if getattr(self, "modules", None) is not None else None
                out[name] = 0 if b is None else len(b)
            else:
                frame = getattr(snap, name, None) if snap is not None else None
                if frame is None and snap is not None:
                    frame = snap.theme_frames.get(name)
                out[name] = 0 if frame is None else int(scope_mask(frame, scope).sum())
        if any(v is None for v in out.values()):
            self.store.ping()
        return out

    # ---- health -------------------------------------------------------------------------
    def health(self) -> dict:
        """``{"status": "ok"|"degraded", "store": {...}}`` for ``/health``."""
        try:
            info = dict(self.store.ping())
        except Exception as exc:  # noqa: BLE001 - any failure means the store is unreachable
            return {"status": "degraded",
                    "store": {"reachable": False,
                              # First line only: drivers append SQL and links after it.
                              "error": f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"}}
        info["reachable"] = True
        return {"status": "ok", "store": info}
