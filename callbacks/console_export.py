"""The console's filtered cases, whole, for its Export (issue 17, point 5).

The console's table shows a page of the cases its URL selects; an export takes all
of them, with every column and the point: the same state (:mod:`callbacks.console_state`,
the same valid values, the same "now" or ``as_of``) turned into the same
:class:`~geodata.case_filter.CaseFilter`, limited by the reader's scope, and read
fresh from the store by :func:`geodata.case_queries.read_cases` — the query the
console's cache is tested against (tests/geodata/test_case_queries.py). The export
route (exports/web.py) calls :func:`console_cases` with the page's query string.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from callbacks.as_of import screen_period
from callbacks.console_state import parse_state, state_filter, state_to_search
from geodata import case_queries as cq


def console_cases(data, search: str | None, scope) -> tuple[pd.DataFrame, dict]:
    """(the cases the console at ``?search`` selects within ``scope``, with geometry and
    every column; what the filters were, for the audit record and the file)."""
    from callbacks.console import _known, cache_of  # the console's valid values, as its URL parser takes them
    cache = cache_of(data)
    s, _bad = parse_state(search, _known(cache), data.now().date())
    now = screen_period(dt.date.fromisoformat(s.as_of) if s.as_of else None, data.now()).at
    flt = state_filter(s, now).replace(scope=scope)
    frame = cq.read_cases(data.store, flt, columns=None, geometry=True, now=now,
                          names=cq.category_names(data.store), places=cq.place_names(data.store))
    filters = state_to_search(s.replace(page=1, case=None, sort="reported_at", desc=True, lang="zh"))
    return frame, {"filters": filters.lstrip("?") or "all", "start": flt.start, "end": flt.end}
