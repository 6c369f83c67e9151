"""The console's whole state as a URL query string, both ways.

A duty officer copies the address bar and a colleague sees the same view.
Every parameter is optional; the canonical form leaves out
defaults and lists values sorted, so parsing then serialising gives the same
string and "did the state change?" is a string comparison. A bad value never
breaks the page: it is dropped and named in ``bad`` for a visible note.

=========  ==============================================  =====================
parameter  meaning                                         example
=========  ==============================================  =====================
lang       ``zh`` (default) or ``en``                      ``lang=en``
period     a preset: today, 7d, 30d, 90d, year, or YYYY    ``period=30d``
from, to   custom period, local dates, ``to`` inclusive    ``from=2024-01-01``
cat        categories (comma-separated codes)              ``cat=fire_safety``
status     workflow states                                 ``status=dispatched``
source     case sources                                    ``source=citizen``
district   districts                                       ``district=D01``
grid       comprehensive grids                             ``grid=G01-01,G01-02``
overdue    ``1``: open and overdue now only                ``overdue=1``
q          search text (case id, category)                 ``q=垃圾``
sort, dir  sort column and ``asc``/``desc``                ``sort=deadline&dir=asc``
page       page number, 1-based                            ``page=3``
case       the case shown in the detail panel              ``case=C20180101-00001``
as_of      the town as of the end of that day (presets     ``as_of=2018-12-31``
           count back from it, nothing reported later
           shows, "overdue" is judged then)
=========  ==============================================  =====================

Examples
--------
>>> s, bad = parse_state("?grid=G2,G1&page=x&lang=en&sort=nope")
>>> s.grids, s.page, s.lang, s.sort, sorted(bad)
(('G1', 'G2'), 1, 'en', 'reported_at', ['page=x', 'sort=nope'])
>>> state_to_search(s)
'?lang=en&grid=G1%2CG2'
>>> parse_state(state_to_search(s))[0] == s
True
>>> import datetime as dt
>>> s, bad = parse_state("?as_of=2018-12-31&period=7d", today=dt.date(2026, 12, 5))
>>> s.as_of, [str(x) for x in period_bounds(s, pd.Timestamp("2026-12-05 10:00", tz="Asia/Shanghai"))]
('2018-12-31', ['2018-12-25 00:00:00+08:00', '2019-01-01 00:00:00+08:00'])
>>> parse_state("?as_of=2099-01-01", today=dt.date(2026, 12, 5))[1]
['as_of=2099-01-01']
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode

import pandas as pd

from callbacks.as_of import BadAsOf, parse_as_of
from geodata.case_queries import DEFAULT_SORT, SORTABLE, CaseFilter

LANGS = ("zh", "en")
PRESETS = ("today", "7d", "30d", "90d", "year")
_LIST_PARAMS = {"cat": "categories", "status": "statuses", "source": "sources",
                "district": "districts", "grid": "grids"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_Q = 100


@dataclass(frozen=True)
class ConsoleState:
    lang: str = "zh"
    period: str | None = None      # a preset id or a year "2024"
    date_from: str | None = None   # YYYY-MM-DD, local
    date_to: str | None = None     # YYYY-MM-DD, local, inclusive
    categories: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()
    grids: tuple[str, ...] = ()
    overdue: bool = False
    q: str = ""
    sort: str = DEFAULT_SORT
    desc: bool = True
    page: int = 1
    case: str | None = None
    as_of: str | None = None       # YYYY-MM-DD: the town as of the end of that day (callbacks/as_of.py)

    def replace(self, **changes) -> "ConsoleState":
        return dataclasses.replace(self, **changes)

    def filters_key(self) -> tuple:
        """What decides the set of rows (a change of it sends the table to page 1)."""
        return (self.period, self.date_from, self.date_to, self.categories, self.statuses, self.sources,
                self.districts, self.grids, self.overdue, self.q)


def _valid_period(p: str) -> bool:
    return p in PRESETS or (p.isdigit() and len(p) == 4 and 1900 < int(p) < 2200)


def _valid_date(d: str) -> bool:
    """A real calendar day in the years a period may name (1901-2199, as ``period``):
    pandas holds nanoseconds from 1677 to 2262, and a day outside them (``0001-01-01``,
    ``9999-12-31``) used to reach the case filter and raise there.

    >>> [_valid_date(d) for d in ("2024-02-29", "2024-02-30", "0001-01-01", "9999-12-31", "2199-12-31")]
    [True, False, False, False, True]
    """
    if not _DATE.match(d):
        return False
    try:
        dt.date.fromisoformat(d)
    except ValueError:
        return False
    return _valid_period(d[:4])


def parse_state(search: str | None, known: dict[str, set] | None = None,
                today: dt.date | None = None) -> tuple[ConsoleState, list[str]]:
    """The state in a query string, and the ``name=value`` pairs that were ignored.

    ``known`` maps a list field (``categories``, ``grids`` …) to its valid values;
    values outside it are ignored too (a grid that no longer exists). ``as_of`` must be
    a day from 1990 to ``today`` (the town's date; default the machine's).
    """
    known = known or {}
    q = parse_qs((search or "").lstrip("?"), keep_blank_values=True)
    bad: list[str] = []
    first = {k: v[-1] for k, v in q.items()}
    kw: dict = {}

    def reject(name, value):
        bad.append(f"{name}={value}")

    lang = first.get("lang", "zh")
    kw["lang"] = lang if lang in LANGS else (reject("lang", lang) or "zh")
    if "period" in first and first["period"] != "all":
        (kw.__setitem__("period", first["period"]) if _valid_period(first["period"])
         else reject("period", first["period"]))
    for name, key in (("from", "date_from"), ("to", "date_to")):
        if name in first and first[name]:
            (kw.__setitem__(key, first[name]) if _valid_date(first[name]) else reject(name, first[name]))
    if kw.get("date_from") and kw.get("date_to") and kw["date_from"] > kw["date_to"]:
        reject("from", kw.pop("date_from"))
        reject("to", kw.pop("date_to"))
    for name, key in _LIST_PARAMS.items():
        values = [v.strip() for raw in q.get(name, []) for v in raw.split(",") if v.strip()]
        good = known.get(key)
        ok = sorted({v for v in values if good is None or v in good})
        for v in values:
            if good is not None and v not in good:
                reject(name, v)
        if ok:
            kw[key] = tuple(ok)
    if "overdue" in first:
        if first["overdue"] in ("1", "true", "0", "false", ""):
            kw["overdue"] = first["overdue"] in ("1", "true")
        else:
            reject("overdue", first["overdue"])
    if first.get("q", "").strip():
        kw["q"] = first["q"].strip()[:MAX_Q]
    if "sort" in first:
        (kw.__setitem__("sort", first["sort"]) if first["sort"] in SORTABLE else reject("sort", first["sort"]))
    if "dir" in first:
        (kw.__setitem__("desc", first["dir"] == "desc") if first["dir"] in ("asc", "desc")
         else reject("dir", first["dir"]))
    if "page" in first:
        p = first["page"]
        (kw.__setitem__("page", int(p)) if p.isdigit() and 0 < int(p) < 10**7 else reject("page", p))
    if first.get("as_of", "").strip():
        try:
            kw["as_of"] = parse_as_of(first["as_of"].strip(), today or dt.date.today()).isoformat()
        except BadAsOf:
            reject("as_of", first["as_of"].strip()[:40])
    if first.get("case", "").strip():
        c = first["case"].strip()
        (kw.__setitem__("case", c) if len(c) <= 64 else reject("case", c[:20] + "…"))
    for name in q:
        if name not in ("lang", "period", "from", "to", "overdue", "q", "sort", "dir", "page", "case", "as_of",
                        *_LIST_PARAMS):
            reject(name, first[name])
    return ConsoleState(**kw), bad


def state_to_search(s: ConsoleState) -> str:
    """The canonical query string of a state ("" for the default view)."""
    params: list[tuple[str, str]] = []
    if s.lang != "zh":
        params.append(("lang", s.lang))
    if s.period:
        params.append(("period", s.period))
    if s.date_from:
        params.append(("from", s.date_from))
    if s.date_to:
        params.append(("to", s.date_to))
    for name, key in _LIST_PARAMS.items():
        if getattr(s, key):
            params.append((name, ",".join(sorted(getattr(s, key)))))
    if s.overdue:
        params.append(("overdue", "1"))
    if s.q:
        params.append(("q", s.q))
    if s.sort != DEFAULT_SORT:
        params.append(("sort", s.sort))
    if not s.desc:
        params.append(("dir", "asc"))
    if s.page != 1:
        params.append(("page", str(s.page)))
    if s.case:
        params.append(("case", s.case))
    if s.as_of:
        params.append(("as_of", s.as_of))
    return "?" + urlencode(params) if params else ""


def console_href(s: ConsoleState, **changes) -> str:
    """``/console`` with the state ``s`` changed by ``changes``."""
    return "/console" + state_to_search(s.replace(**changes))


def period_bounds(s: ConsoleState, now: pd.Timestamp) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """``[start, end)`` in ``now``'s zone: custom dates win over a preset. With
    ``as_of``, presets count back from that day and the period ends with it (contract:
    "the period ends there").

    >>> now = pd.Timestamp("2024-05-06 15:00", tz="Asia/Shanghai")
    >>> [str(x) for x in period_bounds(ConsoleState(period="7d"), now)]
    ['2024-04-30 00:00:00+08:00', '2024-05-07 00:00:00+08:00']
    >>> [str(x) for x in period_bounds(ConsoleState(date_to="2024-01-31"), now)]
    ['None', '2024-02-01 00:00:00+08:00']
    """
    tz = now.tz
    today = pd.Timestamp(s.as_of).tz_localize(tz) if s.as_of else now.normalize()
    tomorrow = today + pd.Timedelta(days=1)
    start, end = _bounds(s, today, tomorrow)
    if s.as_of:
        end = tomorrow if end is None else min(end, tomorrow)
    return start, end


def _bounds(s: ConsoleState, today: pd.Timestamp, tomorrow: pd.Timestamp):
    tz = today.tz
    if s.date_from or s.date_to:
        start = pd.Timestamp(s.date_from).tz_localize(tz) if s.date_from else None
        end = pd.Timestamp(s.date_to).tz_localize(tz) + pd.Timedelta(days=1) if s.date_to else None
        return start, end
    if not s.period:
        return None, None
    if s.period == "today":
        return today, tomorrow
    if s.period.endswith("d"):
        return tomorrow - pd.Timedelta(days=int(s.period[:-1])), tomorrow
    year = today.year if s.period == "year" else int(s.period)
    return pd.Timestamp(year=year, month=1, day=1, tz=tz), pd.Timestamp(year=year + 1, month=1, day=1, tz=tz)


def state_filter(s: ConsoleState, now: pd.Timestamp) -> CaseFilter:
    start, end = period_bounds(s, now)
    return CaseFilter(start=start, end=end, categories=s.categories, statuses=s.statuses, sources=s.sources,
                      districts=s.districts, grids=s.grids, overdue=s.overdue, search=s.q)
