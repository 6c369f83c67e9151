"""The day the screen shows the town as of (``?as_of=YYYY-MM-DD``), and the period
that day implies. Pure: no Dash, no store.

contract.md, "The screen and the API": "``/wall?as_of=YYYY-MM-DD`` shows the town
as of that day (the period ends there)". Without ``as_of`` the screen is live: its
figures are taken now and "this year" is the calendar year of today. With it, every
figure is taken at the end of that day — the instant the next day begins, in the
town's zone, or now when the day is today — so:

- the year-to-date period is [1 January of that year, the end of that day);
- "open" and "overdue" are judged at that instant (a case closed later was open);
- the last days of the heat map and the playback end on that day;
- nothing that happened after it is shown (the live feed is off).

A bad value is refused with a reason the page can state (:class:`BadAsOf`), never an
exception that reaches the log: not ``YYYY-MM-DD``, not a calendar date, before 1990
(issue 14: the same sane range as the loaders' dates) or after today.

Examples
--------
>>> now = pd.Timestamp("2026-12-05 18:30", tz="Asia/Shanghai")
>>> p = screen_period(parse_as_of("2018-12-31", now.date()), now)
>>> p.live, p.day.isoformat(), str(p.start), str(p.end), p.at == p.end
(False, '2018-12-31', '2018-01-01 00:00:00+08:00', '2019-01-01 00:00:00+08:00', True)
>>> live = screen_period(None, now)
>>> live.live, live.at == now, str(live.end)
(True, True, '2027-01-01 00:00:00+08:00')
>>> parse_as_of("", now.date()) is None
True
>>> for bad in ("foo", "2018-02-30", "0001-01-01", "1989-12-31", "2026-12-06"):
...     try:
...         parse_as_of(bad, now.date())
...     except BadAsOf as e:
...         print(bad, e.reason)
foo format
2018-02-30 date
0001-01-01 early
1989-12-31 early
2026-12-06 future
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import parse_qs

import pandas as pd

#: The earliest day the screen can be asked for (issue 14: "dates outside a sane
#: range (say before 1990 or years ahead)").
EARLIEST = dt.date(1990, 1, 1)
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits only (``\d`` takes ２０１８ too)
#: The query parameter (contract: ``?as_of=YYYY-MM-DD``).
PARAM = "as_of"


class BadAsOf(ValueError):
    """An ``as_of`` the screen cannot show; ``reason`` is ``format``, ``date``,
    ``early`` or ``future`` (labels ``as_of.bad.<reason>`` in callbacks/i18n.py)."""

    def __init__(self, text: str, reason: str):
        super().__init__(f"as_of={text!r}: {reason}")
        self.text = text
        self.reason = reason


def as_of_text(search: str | None) -> str | None:
    """The raw ``as_of`` of a URL query string (the last one given), or ``None``.

    >>> as_of_text("?module=ecology&as_of=2018-12-31"), as_of_text("?lang=en")
    ('2018-12-31', None)
    """
    values = parse_qs((search or "").lstrip("?"), keep_blank_values=True).get(PARAM)
    return values[-1].strip() if values else None


def parse_as_of(text: str | None, today: dt.date) -> dt.date | None:
    """The day ``text`` names, checked against ``today`` (the town's date); ``None``
    (live) for no value; :class:`BadAsOf` for anything else."""
    if text is None or text == "":
        return None
    if not _DAY.fullmatch(text):
        raise BadAsOf(text, "format")
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise BadAsOf(text, "date") from None
    if day < EARLIEST:
        raise BadAsOf(text, "early")
    if day > today:
        raise BadAsOf(text, "future")
    return day


@dataclass(frozen=True)
class ScreenPeriod:
    """What the screen shows: the town live (``day`` None) or as of the end of ``day``.

    ``at`` is the instant every figure is taken at ("before as_of" in the contract's
    KPI definitions); ``[start, end)`` is the year-to-date period on ``registered_at``.
    """

    day: dt.date | None
    at: pd.Timestamp
    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def live(self) -> bool:
        return self.day is None

    @property
    def key(self) -> str | None:
        """The ``as_of`` of the URL (ISO day), ``None`` when live."""
        return None if self.day is None else self.day.isoformat()

    @property
    def last_day(self) -> pd.Timestamp:
        """Midnight starting the last day shown (the heat playback's last day)."""
        day = self.day if self.day is not None else self.at.date()
        return pd.Timestamp(day).tz_localize(self.at.tz)


def screen_period(day: dt.date | None, now: pd.Timestamp) -> ScreenPeriod:
    """The period of ``day`` (``None``: live) seen from ``now`` (tz-aware, the town's zone)."""
    tz = now.tz
    if day is None:
        start = pd.Timestamp(year=now.year, month=1, day=1, tz=tz)
        return ScreenPeriod(None, now, start, pd.Timestamp(year=now.year + 1, month=1, day=1, tz=tz))
    end = pd.Timestamp(day + dt.timedelta(days=1)).tz_localize(tz)
    return ScreenPeriod(day, min(end, now), pd.Timestamp(year=day.year, month=1, day=1, tz=tz), end)


def period_of(search: str | None, now: pd.Timestamp) -> ScreenPeriod:
    """The period a URL query asks for; :class:`BadAsOf` when its ``as_of`` is bad."""
    return screen_period(parse_as_of(as_of_text(search), now.date()), now)
