"""What the screen reads from the store, and nothing else.

The screen only reads through ``geodata.store``. Base layers (districts, grids,
rivers, roads) change rarely, so they are cached for a few minutes; case counts
are asked of the database on every refresh as ``COUNT`` queries, so the screen
never pulls the case table itself into memory.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import pandas as pd

from callbacks.as_of import ScreenPeriod, period_of
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
        for spec in BASE_LAYERS:
            if not self.store.has_layer(spec.source):
                frames[spec.id] = None
                continue
            present = set(self.store.columns(spec.source))
            frames[spec.id] = self.store.read(spec.source, columns=[c for c in spec.columns if c in present])
        with self._lock:
            self._base, self._base_at = frames, time.monotonic()
        return frames

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
            cases = self.store.read("cases", end=period.end, time_field="registered_at",
                                    columns=["registered_at", "closed_at"], geometry=False)
            out = {name: _counts_at(cases, start, period) for name, start in (("year", period.start), ("all", None))}
        with self._lock:
            if len(self._as_of_counts) >= 8:
                self._as_of_counts.pop(next(iter(self._as_of_counts)))
            self._as_of_counts[key] = (time.monotonic(), out)
        return out

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
