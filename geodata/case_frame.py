"""Every case's console columns in the server's memory, compact and fast to query.

The duty console filters, searches, sorts and pages ~400,000 cases of the demo town
on every click, so it keeps them in the server process and refreshes them every
minute (``geodata.case_queries.CaseCache``). What is held is chosen for memory as
much as for speed — no DataFrame of Python strings:

* coded columns (category, status, grid …) as integer codes of the smallest width
  that fits (``int8`` for a few dozen values) plus one index of their values;
* times as ``int64`` nanoseconds (UTC), missing as :data:`NS_NEVER`, so "before t"
  is one comparison and a missing time is never before anything;
* case ids as one Arrow string array (a buffer of bytes and offsets): searched with
  Arrow's substring kernel, sorted once into a rank;
* the few numeric or boolean columns the ranking needs as nullable arrays.

A DataFrame is rebuilt on demand: one page of rows (:meth:`CaseFrame.rows`) or, for
the rankings, categorical columns that share the codes (:meth:`CaseFrame.to_frame`).
``python -m bench.console_cache`` measures the memory and the answers.

Examples
--------
>>> import pandas as pd
>>> t = lambda s: pd.Timestamp(s, tz="Asia/Shanghai")
>>> df = pd.DataFrame({"case_id": ["C1", "C2", "C3"], "category": ["a", "b", "a"],
...     "status": ["closed", "dispatched", "dispatched"], "source": ["inspector"] * 3,
...     "grid_id": ["G1", "G1", "G2"], "district_id": ["D1"] * 3,
...     "reported_at": [t("2024-01-01"), t("2024-01-02"), t("2024-01-03")],
...     "registered_at": [t("2024-01-01"), t("2024-01-02"), t("2024-01-03")],
...     "deadline": [t("2024-01-02"), t("2024-01-03"), t("2024-02-01")],
...     "closed_at": [t("2024-01-01 12:00"), pd.NaT, pd.NaT]})
>>> f = CaseFrame(df)
>>> p = f.page(CaseFilter(categories=("a",)), sort="reported_at", descending=True, now=t("2024-01-10"))
>>> p.total, p.rows["case_id"].tolist()
(2, ['C3', 'C1'])
>>> f.page(CaseFilter(overdue=True), now=t("2024-01-10")).rows["case_id"].tolist()
['C2']
>>> f.counts_by(CaseFilter(), "grid_id", now=t("2024-01-10")).to_dict()
{'G1': 2, 'G2': 1}
"""
from __future__ import annotations

import math
import time
from dataclasses import InitVar, dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geodata.case_filter import (CODED, CONSOLE_COLUMNS, DEFAULT_SORT, FILTER_COLUMNS, NS_NEVER, PERIOD_FIELD,
                                 PLACE_COLUMNS, SORTABLE, TEXT_COLUMNS, TIMES, CaseFilter, _now, _ns, _ts_ns,
                                 search_codes)
from geodata.frames import StoreError

__all__ = ["CaseFrame", "CasePage"]


def _narrow_codes(codes: np.ndarray, n_values: int) -> np.ndarray:
    """Codes (-1 = missing) in the narrowest signed integer that holds ``n_values``."""
    for dtype in (np.int8, np.int16, np.int32):
        if n_values <= np.iinfo(dtype).max:
            return codes.astype(dtype)
    return codes.astype(np.int64)


def _narrow_numbers(s: pd.Series):
    """A numeric or boolean column as a compact nullable array (Int64 → Int16 when it fits)."""
    if pd.api.types.is_bool_dtype(s) or isinstance(s.dtype, pd.BooleanDtype):
        return s.astype("boolean").array
    if pd.api.types.is_integer_dtype(s) and s.notna().any():
        lo, hi = s.min(), s.max()
        for name, dtype in (("Int8", np.int8), ("Int16", np.int16), ("Int32", np.int32)):
            if np.iinfo(dtype).min <= lo and hi <= np.iinfo(dtype).max:
                return s.astype(name).array
    return s.array


@dataclass
class CasePage:
    """One page of the filtered, sorted cases; ``total`` counts them all."""

    rows: pd.DataFrame
    total: int
    page: int
    pages: int
    size: int


@dataclass(eq=False)
class CaseFrame:
    """The console's columns of every case (built from ``df``, which is not kept)."""

    df: InitVar[pd.DataFrame]
    names: dict[str, str] = field(default_factory=dict)
    loaded_at: float = field(default_factory=time.monotonic)
    #: {place column: {code: name text}} the search matches besides the codes
    #: (grid and district names, see ``geodata.case_queries.place_names``)
    places: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self, df: pd.DataFrame):
        self.n = len(df)
        self.codes: dict[str, tuple[np.ndarray, pd.Index]] = {}
        self.ns: dict[str, np.ndarray] = {}
        self.numbers: dict[str, pd.api.extensions.ExtensionArray] = {}
        self.texts: dict[str, pa.Array] = {}
        for col in dict.fromkeys([*CONSOLE_COLUMNS, *df.columns]):
            if col == "case_id" or col == "geometry":
                continue
            if col in TEXT_COLUMNS:  # free text: one Arrow string array, searched, never a code
                self.texts[col] = pa.array(df[col].astype(object).where(df[col].notna(), None).to_numpy(object),
                                           type=pa.string())
                continue
            s = df[col] if col in df else None
            if col in TIMES or (s is not None and pd.api.types.is_datetime64_any_dtype(s)):
                self.ns[col] = _ns(s) if s is not None else np.full(self.n, NS_NEVER, dtype=np.int64)
            elif col in CODED or s is None or not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
                values = s.astype(object) if s is not None else pd.Series([None] * self.n, dtype=object)
                codes, uniques = pd.factorize(values, use_na_sentinel=True)
                self.codes[col] = (_narrow_codes(codes, len(uniques)), pd.Index(uniques, dtype=object))
            else:
                self.numbers[col] = _narrow_numbers(s)
        ids = df["case_id"].astype(str).to_numpy(object) if "case_id" in df else np.array([], dtype=object)
        self._case_ids = pa.array(ids, type=pa.string())
        self._tz = next((df[c].dt.tz for c in df.columns if c in self.ns
                         and getattr(df[c].dt, "tz", None) is not None), "UTC")
        self._ranks: dict[str, np.ndarray] = {}
        self._hits: dict[str, np.ndarray] = {}

    # ---- filtering ------------------------------------------------------------------
    def values(self, col: str) -> list[str]:
        """The distinct values of a coded column, sorted."""
        return sorted(str(v) for v in self.codes[col][1])

    def _member(self, col: str, wanted) -> np.ndarray:
        codes, uniques = self.codes[col]
        idx = np.flatnonzero(uniques.isin(list(wanted)))
        return np.isin(codes, idx.astype(codes.dtype))

    def mask(self, flt: CaseFilter, now=None, skip: tuple[str, ...] = ()) -> np.ndarray:
        """Boolean mask of the cases matching ``flt``; ``skip`` names filter fields
        to ignore (the map shows every grid while the table is filtered to one)."""
        m = np.ones(self.n, dtype=bool)
        rep = self.ns[PERIOD_FIELD]
        if flt.start is not None:
            m &= rep >= _ts_ns(flt.start)
        if flt.end is not None:
            m &= rep < _ts_ns(flt.end)
        for f, col in FILTER_COLUMNS.items():
            wanted = getattr(flt, f)
            if wanted and f not in skip:
                m &= self._member(col, wanted)
        if flt.overdue:
            n = _ts_ns(_now(now))
            m &= (self.ns["registered_at"] < n) & ~(self.ns["closed_at"] < n) & (self.ns["deadline"] < n)
        if flt.search.strip():
            m &= self._search_hits(flt.search.strip())
        if flt.scope is not None:
            m &= self._scope_mask(flt.scope)
        return m

    def _scope_mask(self, scope) -> np.ndarray:
        """The gate (``access.scope.scope_mask``) over the place columns as categoricals
        that share the held codes: no row is decoded."""
        from access.scope import COLUMNS, scope_mask
        return scope_mask(self.to_frame(columns=[c for c in COLUMNS.values() if c in self.codes]), scope)

    def _search_hits(self, needle: str) -> np.ndarray:
        """Rows whose case id, category or subcategory (code or name), grid or district
        (id or name) or address contains ``needle``; the last few answers are kept, as
        one screen asks the same search several times."""
        if needle not in self._hits:
            hit = np.zeros(self.n, dtype=bool)
            for arr in (self._case_ids, *self.texts.values()):
                found = pc.match_substring(arr, needle, ignore_case=True)
                hit |= found.fill_null(False).to_numpy(zero_copy_only=False).astype(bool)
            for col, names in (("category", self.names), ("subcategory", self.names),
                               *((c, self.places.get(c, {})) for c in PLACE_COLUMNS)):
                if col not in self.codes:
                    continue
                codes = search_codes(names, needle)
                c, uniques = self.codes[col]
                match = np.array([str(u) in codes or needle.lower() in str(u).lower() for u in uniques], bool)
                hit = hit | np.append(match, False)[c]  # code -1 (missing) indexes the appended False
            if len(self._hits) >= 8:
                self._hits.pop(next(iter(self._hits)))
            self._hits[needle] = hit
        return self._hits[needle]

    def _time_column(self, col: str, positions=None) -> pd.DatetimeIndex:
        ns = self.ns[col] if positions is None else self.ns[col][positions]
        # int64 → datetime64[ns] by a view (NaT is int64's minimum): pd.to_datetime of the
        # int64 array went through Python objects, 0.2 s a column of 400k cases
        t = pd.DatetimeIndex(np.where(ns == NS_NEVER, np.iinfo(np.int64).min, ns).view("datetime64[ns]"))
        return t.tz_localize("UTC").tz_convert(self._tz)

    def rows(self, positions: np.ndarray) -> pd.DataFrame:
        """The console's columns of the rows at ``positions``, rebuilt from the codes
        and int64 times (a page is a few dozen rows)."""
        ids = self._case_ids.take(pa.array(np.asarray(positions, dtype=np.int64))).to_pylist()
        out = {"case_id": np.array(ids, dtype=object)}
        for col in CONSOLE_COLUMNS:
            if col in self.codes:
                codes, uniques = self.codes[col]
                vals = np.append(np.asarray(uniques, dtype=object), None)
                out[col] = vals[codes[positions]]
            elif col in self.ns:
                out[col] = self._time_column(col, positions)
        return pd.DataFrame(out)

    def to_frame(self, columns=None) -> pd.DataFrame:
        """Every case as a DataFrame for the indicators (the rankings): coded columns
        as categoricals sharing the held codes, times in the display zone, case ids
        as Arrow strings. Built on each call; ``columns`` limits it."""
        want = list(columns) if columns is not None else ["case_id", *self.codes, *self.ns, *self.numbers]
        out = {}
        for col in want:
            if col == "case_id":
                out[col] = pd.Series(pd.arrays.ArrowStringArray(self._case_ids))
            elif col in self.codes:
                codes, uniques = self.codes[col]
                out[col] = pd.Categorical.from_codes(codes, categories=uniques.astype(str)) \
                    if len(uniques) else pd.Series([None] * self.n, dtype=object)
            elif col in self.ns:
                out[col] = self._time_column(col)
            elif col in self.numbers:
                out[col] = self.numbers[col]
        return pd.DataFrame(out, index=pd.RangeIndex(self.n))

    # ---- sorting and paging -----------------------------------------------------------
    def _rank(self, col: str) -> np.ndarray:
        """Unique rank of each row by ``col`` ascending, ties by case id, missing last."""
        if col not in self._ranks:
            if col == "case_id":
                order = pc.array_sort_indices(self._case_ids).to_numpy()
            else:
                if col in self.ns:
                    key = self.ns[col]
                else:
                    codes, uniques = self.codes[col]
                    by_text = np.argsort(np.asarray(uniques.astype(str)), kind="stable")
                    pos = np.empty(len(by_text) + 1, dtype=np.int32)
                    pos[by_text] = np.arange(len(by_text))
                    pos[-1] = len(by_text)  # missing (code -1) last
                    key = pos[codes]
                order = np.lexsort((self._rank("case_id"), key))
            rank = np.empty(self.n, dtype=np.int32 if self.n < 2**31 else np.int64)
            rank[order] = np.arange(self.n, dtype=rank.dtype)
            self._ranks[col] = rank
        return self._ranks[col]

    def _missing(self, col: str, rows: np.ndarray) -> np.ndarray:
        if col in self.ns:
            return self.ns[col][rows] == NS_NEVER
        if col in self.codes:
            return self.codes[col][0][rows] < 0
        return np.zeros(len(rows), dtype=bool)

    def order(self, mask: np.ndarray, sort: str = DEFAULT_SORT, descending: bool = True,
              first: int | None = None) -> np.ndarray:
        """Row positions of ``mask`` sorted by ``sort`` (ties by case id, in the same
        direction; missing values last either way); only the ``first`` ones when given,
        found by a partial sort (a page near the top never sorts the whole town)."""
        if sort not in SORTABLE:
            raise StoreError(f"cannot sort cases by {sort!r}; sortable: {', '.join(SORTABLE)}")
        rows = np.flatnonzero(mask)
        key = self._rank(sort)[rows]
        if 2 * self.n >= np.iinfo(key.dtype).max:
            key = key.astype(np.int64)
        if descending:  # present: -rank; missing: after them, later case ids first
            key = np.where(self._missing(sort, rows), 2 * self.n - key, -key)
        if first is not None and first < len(rows):
            part = np.argpartition(key, first - 1)[:first]
            return rows[part[np.argsort(key[part], kind="stable")]]
        return rows[np.argsort(key, kind="stable")]

    def page(self, flt: CaseFilter = CaseFilter(), *, sort: str = DEFAULT_SORT, descending: bool = True,
             page: int = 1, size: int = 20, now=None) -> CasePage:
        """Page ``page`` (1-based, clamped to the last page) of the matching cases."""
        m = self.mask(flt, now)
        total = int(m.sum())
        pages = max(1, math.ceil(total / size))
        page = min(max(1, int(page)), pages)
        rows = self.order(m, sort, descending, first=page * size)[(page - 1) * size: page * size]
        return CasePage(self.rows(rows), total, page, pages, size)

    def counts_by(self, flt: CaseFilter, col: str, now=None, skip: tuple[str, ...] = ()) -> pd.Series:
        """Number of matching cases per value of a coded column (missing values left out)."""
        codes, uniques = self.codes[col]
        c = codes[self.mask(flt, now, skip) & (codes >= 0)]
        n = np.bincount(c, minlength=len(uniques))
        s = pd.Series(n, index=pd.Index(uniques.astype(str), name=col))
        return s[s > 0].sort_index()

    def due_soon(self, flt: CaseFilter, now=None, *, hours: float | None = None,
                 limit: int = 50) -> tuple[pd.DataFrame, int]:
        """Open accepted cases matching ``flt``'s place and kind (not its period, status or
        overdue switch): overdue now (``hours=None``, most recently due first: the work
        still in reach heads the list, not a case forgotten for two years), or due
        within ``hours`` (indicator ``at_risk``, soonest first). Returns the first
        ``limit`` rows and how many there are in all."""
        n = _ts_ns(_now(now))
        base = flt.replace(start=None, end=None, statuses=(), overdue=False)
        m = self.mask(base, now) & (self.ns["registered_at"] < n) & ~(self.ns["closed_at"] < n)
        dl = self.ns["deadline"]
        m &= (dl < n) if hours is None else ((dl >= n) & (dl < n + int(hours * 3600e9)))
        rows = np.flatnonzero(m)
        total = len(rows)
        order = np.argsort(-dl[rows] if hours is None else dl[rows], kind="stable")
        rows = rows[order][:limit]
        return self.rows(rows), total

    def frame(self, flt: CaseFilter, now=None) -> pd.DataFrame:
        """The matching cases as a DataFrame (see :meth:`to_frame`)."""
        return self.to_frame()[self.mask(flt, now)]
