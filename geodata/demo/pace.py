"""The town's own pace, read from its history: how many cases arrive in each hour of
each weekday, and how fast open cases close. The live simulator
(:mod:`geodata.demo.simulate`) follows it, so a wall left on shows the town's
usual open-case count and rates instead of a town filling up.

Arrivals are counted over the last :data:`RATE_DAYS` days (eight of each weekday),
separately for registered cases (立案, what the open count and the disposal rate
are made of) and for problems fixed on the spot (即知即改: reported and closed at
once, never registered, see :mod:`geodata.demo.cases`).

Closing is a life table (occurrence / exposure, as in actuarial and survival
analysis: Chiang, *The Life Table and its Applications*, 1984): a case's age is
measured in multiples of its time limit, and in each age band the hazard is the
cases that closed in it divided by the time all cases spent in it, the ones still
open counted up to the end of the history (censored). The long-stuck cases are
part of the exposure, so the oldest bands close slowly, as in the history.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

TZ = "Asia/Shanghai"
#: Arrivals are counted over this many days before now: eight of each weekday.
RATE_DAYS = 56
#: Closings are learned from the cases registered this many days before now.
HAZARD_DAYS = 365
#: Age bands of the life table, in multiples of a case's time limit (the last is open-ended).
AGE_EDGES = np.concatenate([[0.0], np.geomspace(0.01, 100.0, 41)])


@dataclass(frozen=True)
class Pace:
    """Registered and fixed-on-the-spot cases per hour, ``[weekday (Monday 0), hour]``,
    and the closing hazard per unit of age (age in time limits) in each band of
    :data:`AGE_EDGES`."""
    registered_per_hour: np.ndarray
    spot_per_hour: np.ndarray
    hazard: np.ndarray

    def per_second(self, now: pd.Timestamp) -> tuple[float, float]:
        """(registered, fixed on the spot) cases per second at ``now`` (local time).

        >>> p = Pace(np.full((7, 24), 36.0), np.zeros((7, 24)), np.zeros(41))
        >>> p.per_second(pd.Timestamp("2026-11-04 10:30", tz=TZ))
        (0.01, 0.0)
        """
        now = now.tz_convert(TZ)
        return (float(self.registered_per_hour[now.weekday(), now.hour]) / 3600,
                float(self.spot_per_hour[now.weekday(), now.hour]) / 3600)

    def close_probability(self, age_limits: np.ndarray, step_limits: np.ndarray) -> np.ndarray:
        """Chance that a case of age ``age_limits`` closes in the next ``step_limits``
        (both in multiples of its time limit).

        >>> p = Pace(np.zeros((7, 24)), np.zeros((7, 24)), np.full(41, np.log(2)))
        >>> p.close_probability(np.array([0.5]), np.array([1.0])).round(3)
        array([0.5])
        """
        band = np.clip(np.searchsorted(AGE_EDGES, age_limits, side="right") - 1, 0, len(self.hazard) - 1)
        return 1.0 - np.exp(-self.hazard[band] * step_limits)


def arrivals_per_hour(times: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
    """Mean count of ``times`` in each [weekday, hour] of ``[start, end)``.

    >>> t = pd.Series(pd.to_datetime(["2026-11-02 09:10", "2026-11-02 09:50", "2026-11-09 09:30"]).tz_localize(TZ))
    >>> float(arrivals_per_hour(t, pd.Timestamp("2026-11-02", tz=TZ), pd.Timestamp("2026-11-16", tz=TZ))[0, 9])
    1.5
    """
    local = pd.to_datetime(times.dropna()).dt.tz_convert(TZ)
    local = local[(local >= start) & (local < end)]
    counts = np.zeros((7, 24))
    np.add.at(counts, (local.dt.day_of_week.to_numpy(), local.dt.hour.to_numpy()), 1)
    hours = pd.date_range(start.tz_convert(TZ).ceil("h"), end.tz_convert(TZ), freq="h", inclusive="left")
    seen = np.zeros((7, 24))
    np.add.at(seen, (hours.day_of_week.to_numpy(), hours.hour.to_numpy()), 1)
    return np.divide(counts, seen, out=np.zeros_like(counts), where=seen > 0)


def closing_hazard(registered: pd.Series, closed: pd.Series, limit_h: pd.Series, end: pd.Timestamp) -> np.ndarray:
    """Closings per unit of age (in time limits) in each band of :data:`AGE_EDGES`:
    closed in the band / time spent in it, open cases counted up to ``end``.

    Two cases with a 1 h limit, one closed after 2 h, one open for 4 h: in [1, 1.26)
    both are exposed, nobody closes; the band holding 2.0 sees the one closing.

    >>> reg = pd.Series(pd.to_datetime(["2026-11-04 06:00", "2026-11-04 06:00"]).tz_localize(TZ))
    >>> cl = pd.Series(pd.to_datetime(["2026-11-04 08:00", None]).tz_localize(TZ))
    >>> h = closing_hazard(reg, cl, pd.Series([1.0, 1.0]), pd.Timestamp("2026-11-04 10:00", tz=TZ))
    >>> band = np.searchsorted(AGE_EDGES, 2.0, side="right") - 1
    >>> float(h[band]) > 0, float(h[band - 1]), float(h[band + 1])
    (True, 0.0, 0.0)
    """
    reg = pd.to_datetime(registered)
    done = pd.to_datetime(closed)
    ok = (reg.notna() & (reg < end)).to_numpy()
    reg, done = reg[ok], done[ok]
    lim = np.maximum(pd.to_numeric(limit_h[ok], errors="coerce").fillna(24.0).to_numpy(dtype=float), 1e-3) * 3600
    event = (done.notna() & (done < end)).to_numpy()
    stop = done.where(event, end)
    age = np.maximum((stop - reg).dt.total_seconds().to_numpy(), 0.0) / lim
    lo, hi = AGE_EDGES[:-1], np.append(AGE_EDGES[1:-1], np.inf)
    exposure = (np.clip(age[:, None], lo, hi) - lo).sum(axis=0)
    events = np.bincount(np.searchsorted(AGE_EDGES, age[event], side="right") - 1, minlength=len(lo))[:len(lo)]
    hazard = pd.Series(np.where(exposure > 0, events / np.where(exposure > 0, exposure, 1), np.nan))
    return hazard.ffill().fillna(0.0).to_numpy()


def read_cases(store, columns: list[str], **kw) -> pd.DataFrame:
    """``store.read("cases", …)`` of the ``columns`` the store has; the others are
    empty (a town loaded from a 311 export has no patrols, perhaps no time limits)."""
    have = set(store.columns("cases"))
    frame = store.read("cases", columns=[c for c in columns if c in have], **kw)
    for c in columns:
        if c not in have:
            frame[c] = None
    return frame


def read_pace(store, now: pd.Timestamp) -> Pace:
    """The pace of the history before ``now``; for a store whose history ended long
    ago, of the weeks before its last case."""
    cols = ["reported_at", "registered_at", "closed_at", "time_limit_h", "self_handled", "status"]
    frame = read_cases(store, cols, start=now - pd.Timedelta(days=HAZARD_DAYS), end=now, geometry=False)
    if len(frame) == 0 or frame.reported_at.max() < now - pd.Timedelta(days=7):
        last = store.read("cases", columns=["reported_at"], geometry=False).reported_at.max()
        if pd.isna(last):
            return Pace(np.zeros((7, 24)), np.zeros((7, 24)), np.zeros(len(AGE_EDGES) - 1))
        now = pd.Timestamp(last).tz_convert(TZ).floor("D")
        frame = read_cases(store, cols, start=now - pd.Timedelta(days=HAZARD_DAYS), end=now, geometry=False)
    start = now - pd.Timedelta(days=RATE_DAYS)
    spot = frame.self_handled.fillna(False).astype(bool)
    live = ~spot & (frame.status != "rejected")
    return Pace(registered_per_hour=arrivals_per_hour(frame.registered_at[live], start, now),
                spot_per_hour=arrivals_per_hour(frame.reported_at[spot], start, now),
                hazard=closing_hazard(frame.registered_at[live], frame.closed_at[live],
                                      frame.time_limit_h[live], now))
