"""The console's filtered cases, whole, for its Export (issue 17, points 1 and 5).

The console's table shows a page of the cases its URL selects; an export takes all
of them, with every column and the point: the same state (:mod:`callbacks.console_state`,
the same valid values, the same "now" or ``as_of``) turned into the same
:class:`~geodata.case_filter.CaseFilter`, limited by the reader's scope, and read
fresh from the store by :func:`geodata.case_queries.read_cases` — the query the
console's cache is tested against (tests/geodata/test_case_queries.py). The export
route (exports/web.py) calls :func:`console_cases` with the page's query string for
a data file, and :func:`console_view` for a print map or an offline map of the view:
the same cases, with the words of the filters and the period in the page's language.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from callbacks.as_of import screen_period
from callbacks.console_state import parse_state, state_filter, state_to_search
from geodata import case_queries as cq


def _read(data, search: str | None, scope):
    """(state, now, filter, cases, cache) of the console at ``?search`` within ``scope``."""
    from callbacks.console import _known, cache_of  # the console's valid values, as its URL parser takes them
    cache = cache_of(data)
    s, _bad = parse_state(search, _known(cache), data.now().date())
    now = screen_period(dt.date.fromisoformat(s.as_of) if s.as_of else None, data.now()).at
    flt = state_filter(s, now).replace(scope=scope)
    frame = cq.read_cases(data.store, flt, columns=None, geometry=True, now=now,
                          names=cq.category_names(data.store), places=cq.place_names(data.store))
    return s, now, flt, frame, cache


def _filters_of(s, flt) -> dict:
    filters = state_to_search(s.replace(page=1, case=None, sort="reported_at", desc=True, lang="zh"))
    return {"filters": filters.lstrip("?") or "all", "start": flt.start, "end": flt.end}


def console_cases(data, search: str | None, scope) -> tuple[pd.DataFrame, dict]:
    """(the cases the console at ``?search`` selects within ``scope``, with geometry and
    every column; what the filters were, for the audit record and the file)."""
    s, _now, flt, frame, _cache = _read(data, search, scope)
    return frame, _filters_of(s, flt)


def console_view(data, search: str | None, scope):
    """(the console at ``?search`` as an :class:`exports.common.ConsoleView` within
    ``scope`` — its cases without any personal column, the words of its filters and
    period in the page's language —, what the filters were, for the audit record).

    A grid or district the filters name but the scope does not admit is left out of
    the words too: a reader's map names no unit beyond their grants."""
    from access.scope import scope_mask
    from callbacks.console_view import period_text
    from callbacks.i18n import t
    from exports.cartography import display_name
    from exports.common import ConsoleView
    s, now, flt, frame, cache = _read(data, search, scope)
    lang = s.lang

    def units(layer: str, col: str, picked) -> list[tuple[str, str]]:
        table = cache.extra(layer)
        if not picked:
            return []
        if table is None:   # no layer to name them by: the ids alone, and only for the whole town
            return [(p, p) for p in picked] if scope is not None and scope.town else []
        table = table[table[col].astype(str).isin(picked)]
        if scope is not None and not scope.town:
            table = table[scope_mask(table, scope)]
        names = table["name"] if "name" in table else table[col]
        return sorted((str(i), f"{i} {display_name(n, lang)}".strip()) for i, n in zip(table[col], names))

    cats = cache.extra("categories")
    cat_names = {}
    if cats is not None and len(cats):
        col = "name_en" if lang == "en" and "name_en" in cats else "name"
        cat_names = {str(c): (str(n) if pd.notna(n) else str(c)) for c, n in zip(cats["code"], cats[col])}
    districts, grids = units("districts", "district_id", s.districts), units("grids", "grid_id", s.grids)
    words = []
    if s.categories:
        words.append((t("c.category", lang), ", ".join(cat_names.get(c, c) for c in s.categories)))
    if s.statuses:
        words.append((t("c.status", lang), ", ".join(t(f"status.{x}", lang) for x in s.statuses)))
    if s.sources:
        words.append((t("c.source", lang), ", ".join(t(f"source.{x}", lang) for x in s.sources)))
    if districts:
        words.append((t("c.district", lang), ", ".join(w for _, w in districts)))
    if grids:
        words.append((t("c.grid", lang), ", ".join(w for _, w in grids)))
    if s.overdue:
        words.append((t("c.overdue_only", lang), ""))
    if s.q:
        words.append((t("c.search", lang), f"“{s.q}”"))
    period = f"{t('c.period', lang)}: {period_text(s, now, str(now.tz))}"
    if s.as_of:
        period += f" · {t('c.at_day_end', lang, day=s.as_of)}"
    filters = _filters_of(s, flt)
    view = ConsoleView.of(frame, filters=tuple(words), period=period, now=now,
                          grids=tuple(g for g, _ in grids), districts=tuple(d for d, _ in districts),
                          search=filters["filters"], categories=cat_names)
    return view, filters
