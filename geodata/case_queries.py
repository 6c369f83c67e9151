"""Cases for the duty officers' console: filter, search, sort and page through all of them.

The console shows one page of cases out of ~400,000 in the demo town, and must
answer a filter change in well under a second. Two ways are offered, both through
:mod:`geodata.store` (the only door to storage), for the same
:class:`~geodata.case_filter.CaseFilter`:

* :func:`read_cases` pushes the filter down to the database (``where`` membership
  lists and the period as ``start``/``end`` on ``reported_at``) and finishes the
  parts SQL filters of the store cannot express (text search, "open and overdue
  now") in pandas. One query per call; right for a one-off read.
* :class:`CaseCache` keeps the console's columns of every case in the server
  process as a compact :class:`~geodata.case_frame.CaseFrame` (integer codes,
  int64 times, Arrow case ids) and refreshes it after ``ttl_s`` in a background
  thread, so a filter change is a few NumPy passes (milliseconds) and nobody waits
  for a reload.

Both give the same rows for the same filter (``tests/geodata/test_case_queries.py``).
This module also reads one case with its workflow timeline (:func:`case_detail`).

Examples
--------
>>> import pandas as pd
>>> timeline_from_case({"reported_at": pd.Timestamp("2024-05-06 08:00", tz="Asia/Shanghai"),
...                     "status": "rejected"})["step"].tolist()
['reported', 'rejected']
"""
from __future__ import annotations

import logging
import threading
import time

import numpy as np
import pandas as pd

from geodata.case_filter import (CODED, CONSOLE_COLUMNS, DEFAULT_SORT, FILTER_COLUMNS, NS_NEVER, OPTIONAL_COLUMNS,
                                 PERIOD_FIELD, PLACE_COLUMNS, SCOPE_COLUMNS, SORTABLE, TEXT_COLUMNS, TIMES, CaseFilter,
                                 overdue_mask, search_codes)
from geodata.case_frame import CaseFrame, CasePage
from geodata.case_timeline import timeline_from_case, timeline_from_history

__all__ = ["CODED", "CONSOLE_COLUMNS", "DEFAULT_SORT", "FILTER_COLUMNS", "NS_NEVER", "OPTIONAL_COLUMNS",
           "PERIOD_FIELD", "SORTABLE", "TIMES", "CaseCache", "OutOfScope", "CaseFilter", "CaseFrame", "CasePage", "case_detail",
           "category_names", "overdue_mask", "place_names", "read_cases", "search_codes", "timeline_from_case",
           "timeline_from_history"]

log = logging.getLogger(__name__)


def read_cases(store, flt: CaseFilter = CaseFilter(), *, columns=CONSOLE_COLUMNS, names=None,
               now=None, places=None, geometry: bool = False) -> pd.DataFrame:
    """The cases matching ``flt`` read with the filter pushed down to the store; search
    and "overdue now" are finished in pandas. ``names`` {code: name text} widens the
    search to category names (see :func:`category_names`), ``places`` {column: {code:
    name}} to grid and district names (:func:`place_names`). ``columns=None`` reads
    every column; ``geometry`` keeps the points (the console's Export, exports/web.py)."""
    present = set(store.columns("cases"))
    cols = None if columns is None else list(dict.fromkeys([
        *columns, "case_id", "category", "subcategory", "registered_at", "closed_at", "deadline",
        *(c for c in (*PLACE_COLUMNS, *SCOPE_COLUMNS, *TEXT_COLUMNS) if c in present)]))
    df = store.read("cases", columns=cols, geometry=geometry, **flt.store_kwargs())
    keep = np.ones(len(df), dtype=bool)
    if flt.overdue:
        keep &= overdue_mask(df, now)
    if flt.search.strip():
        needle = flt.search.strip()
        hit = np.zeros(len(df), dtype=bool)
        for col in ("case_id", *(c for c in TEXT_COLUMNS if c in df)):
            hit |= df[col].astype(object).fillna("").astype(str).str.contains(
                needle, case=False, regex=False).to_numpy(bool)
        for col, known in (("category", names), ("subcategory", names),
                           *((c, (places or {}).get(c)) for c in PLACE_COLUMNS)):
            if col not in df:
                continue
            codes = search_codes(known or {}, needle)
            v = df[col].astype(object)
            hit = hit | v.isin(codes).to_numpy(bool) | v.fillna("").astype(str).str.lower().str.contains(
                needle.lower(), regex=False).to_numpy(bool)
        keep &= hit
    if flt.scope is not None:
        from access.scope import scope_mask
        keep &= scope_mask(df, flt.scope)
    return df[keep].reset_index(drop=True)


def place_names(store) -> dict[str, dict[str, str]]:
    """{"grid_id": {id: name}, "district_id": {id: name}} from the ``grids`` and
    ``districts`` layers (a ``village`` column of the grids, when there is one, is
    part of a grid's text), for the console's search."""
    out: dict[str, dict[str, str]] = {}
    for col, layer in (("grid_id", "grids"), ("district_id", "districts")):
        if not store.has_layer(layer):
            continue
        present = set(store.columns(layer))
        text_cols = [c for c in ("name", "name_en", "village") if c in present]
        df = store.read(layer, columns=[col, *text_cols], geometry=False)
        text = (df[text_cols].astype(object).fillna("").astype(str).agg(" ".join, axis=1) if text_cols
                else pd.Series("", index=df.index))
        out[col] = dict(zip(df[col].astype(str), text))
    return out


def category_names(store) -> dict[str, str]:
    """{category code: "中文名 English name"} from the ``categories`` layer (empty without it)."""
    if not store.has_layer("categories"):
        return {}
    present = set(store.columns("categories"))
    cols = [c for c in ("code", "name", "name_en") if c in present]
    cats = store.read("categories", columns=cols, geometry=False)
    text = cats[[c for c in ("name", "name_en") if c in cats]].astype(object).fillna("").agg(" ".join, axis=1)
    return dict(zip(cats["code"].astype(str), text))


def case_detail(store, case_id: str, now=None, scope=None) -> tuple[dict | None, pd.DataFrame]:
    """One case (all its columns, no geometry) and its workflow timeline as of ``now``
    (default: everything recorded): built from the case's ``case_history`` rows when
    there are any (GB/T 30428 steps as recorded by :mod:`geodata.workflow`), else from
    the case's own columns — only steps that happened, then the step due next
    (:mod:`geodata.case_timeline`)."""
    found = store.read("cases", where={"case_id": str(case_id)}, geometry=False, limit=1)
    if len(found) == 0:
        if scope is not None and not scope.town:
            # PostGIS's row-level security hid it: whether it exists at all decides
            # between "outside your scope" (403, audited) and "no such case"
            from access.scope import town_work
            with town_work():
                if store.count("cases", where={"case_id": str(case_id)}):
                    raise OutOfScope(str(case_id))
        return None, timeline_from_case({})
    case = {k: (None if not isinstance(v, str) and pd.api.types.is_scalar(v) and pd.isna(v) else v)
            for k, v in found.iloc[0].to_dict().items()}
    if scope is not None:
        from access.scope import in_scope
        if not in_scope(case, scope):
            raise OutOfScope(str(case_id))
    # counted first: a count is a few ms where a read of nothing costs ~20 (a case of the
    # demo town has no history; the console opens a case in ≤ 300 ms, issue 15)
    if store.has_layer("case_history") and store.count("case_history", where={"case_id": str(case_id)}):
        hist = store.read("case_history", where={"case_id": str(case_id)}, geometry=False)
        return case, timeline_from_history(case, hist, now)
    return case, timeline_from_case(case, now)


class OutOfScope(LookupError):
    """A case that exists but lies outside the reader's scope (access/scope.py)."""


class CaseCache:
    """A :class:`CaseFrame` of every case plus the patrols, staff and grids the console
    ranks, kept for ``ttl_s`` seconds. After that the next caller gets the old frame
    at once and a background thread reloads it; only the very first call waits."""

    def __init__(self, store, ttl_s: float = 60.0):
        self.store = store
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._first_load = threading.Lock()  # concurrent first callers wait for one load
        self._frame: CaseFrame | None = None
        self._extras: dict = {}
        self._loading = False
        self.load_seconds: float | None = None

    def _load(self) -> tuple[CaseFrame, dict]:
        """Every case and the side layers, as the town (whoever's request or thread asks
        first: the frame is every reader's, gated per reader by :meth:`CaseFrame.mask`)."""
        from access.scope import town_work
        with town_work():
            return self._load_town()

    def _load_town(self) -> tuple[CaseFrame, dict]:
        t0 = time.perf_counter()
        present = set(self.store.columns("cases"))
        cols = [c for c in dict.fromkeys((*CONSOLE_COLUMNS, *SCOPE_COLUMNS, *OPTIONAL_COLUMNS, *TEXT_COLUMNS))
                if c in present]
        df = self.store.read("cases", columns=cols, geometry=False)
        frame = CaseFrame(df, names=category_names(self.store), places=place_names(self.store))
        for col in ("case_id", DEFAULT_SORT):  # warm the default order here, not in a request
            frame._rank(col)
        extras = {}
        if self.store.has_layer("patrols"):
            pc = [c for c in ("staff_id", "started_at", "ended_at", *SCOPE_COLUMNS)
                  if c in self.store.columns("patrols")]
            extras["patrols"] = self.store.read("patrols", columns=pc, geometry=False)
        if self.store.has_layer("staff"):
            extras["staff"] = self.store.read("staff", geometry=False)
        if self.store.has_layer("grids"):
            extras["grids"] = self.store.read("grids")
        if self.store.has_layer("districts"):
            extras["districts"] = self.store.read("districts", geometry=False)
        if self.store.has_layer("categories"):
            extras["categories"] = self.store.read("categories", geometry=False)
        self.load_seconds = time.perf_counter() - t0
        log.info("console: %d cases loaded in %.2f s", frame.n, self.load_seconds)
        return frame, extras

    def _reload(self) -> None:
        try:
            frame, extras = self._load()
            with self._lock:
                self._frame, self._extras = frame, extras
        except Exception as exc:  # noqa: BLE001 - keep serving the old frame; the next call retries
            log.warning("console: reloading cases failed: %s", exc)
        finally:
            with self._lock:
                self._loading = False

    def get(self) -> CaseFrame:
        with self._lock:
            frame = self._frame
            stale = frame is not None and time.monotonic() - frame.loaded_at > self.ttl_s
            if stale and not self._loading:
                self._loading = True
                threading.Thread(target=self._reload, name="case-cache-reload", daemon=True).start()
        if frame is not None:
            return frame
        with self._first_load:
            with self._lock:
                if self._frame is not None:
                    return self._frame
            frame, extras = self._load()
            with self._lock:
                self._frame, self._extras = frame, extras
        return frame

    def extra(self, name: str):
        """A side layer loaded with the frame (``patrols``, ``staff``, ``grids``,
        ``districts``, ``categories``), or ``None``."""
        self.get()
        return self._extras.get(name)

    def invalidate(self) -> None:
        """Forget the frame (e.g. after a write); the next :meth:`get` reloads."""
        with self._lock:
            self._frame = None
