"""Cases for the duty officers' console: filter, search, sort and page through all of them.

The console (issue 6, item 4) shows one page of cases out of ~400,000 in the demo
town, and must answer a filter change in well under a second. Two ways are offered,
both through :mod:`geodata.store` (the only door to storage):

* :func:`read_cases` pushes a :class:`CaseFilter` down to the database (``where``
  membership lists and the period as ``start``/``end`` on ``reported_at``) and
  finishes the parts SQL filters of the store cannot express (text search, "open
  and overdue now") in pandas. One query per call; right for a one-off read.
* :class:`CaseCache` keeps the console's columns of every case in the server
  process as a :class:`CaseFrame` — categorical codes and int64 times, ~85 MB for
  the demo town — and refreshes it after ``ttl_s`` in a background thread, so a
  filter change is a few NumPy passes (tens of ms) and nobody waits for a reload.

Both give the same rows for the same filter (``tests/geodata/test_case_queries.py``).

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

import dataclasses
import logging
import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geodata.frames import StoreError

log = logging.getLogger(__name__)

#: What the console needs of a case (contract "Layers", plus assignment's columns).
CONSOLE_COLUMNS = ("case_id", "category", "subcategory", "source", "reported_by", "reported_at",
                   "registered_at", "deadline", "closed_at", "status", "resolved_level",
                   "district_id", "grid_id")
#: Coded columns: held as categorical codes, filtered by membership.
CODED = ("category", "subcategory", "source", "status", "district_id", "grid_id", "reported_by",
         "resolved_level")
#: Read too when the store has them: the composite score uses them (rework, extension).
OPTIONAL_COLUMNS = ("rework_count", "extended", "enforcement", "dispatched_at", "dispatched_by", "handled_by")
TIMES = ("reported_at", "registered_at", "deadline", "closed_at")
#: Columns the table may be sorted by.
SORTABLE = ("case_id", "category", "status", "source", "grid_id", "reported_at", "deadline", "closed_at")
DEFAULT_SORT = "reported_at"
#: Filter field → case column.
FILTER_COLUMNS = {"categories": "category", "statuses": "status", "sources": "source",
                  "districts": "district_id", "grids": "grid_id"}
PERIOD_FIELD = "reported_at"  # the layer's own time field: "cases reported in the period"
NS_NEVER = np.iinfo(np.int64).max


@dataclass(frozen=True)
class CaseFilter:
    """The console's filters. Empty tuples mean "any"; ``[start, end)`` is on
    ``reported_at``; ``overdue`` keeps accepted cases open now past their deadline
    (contract KPI ``open_overdue`` at as_of = now); ``search`` matches case id,
    category and subcategory codes and their names (case-insensitive substring)."""

    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    categories: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()
    grids: tuple[str, ...] = ()
    overdue: bool = False
    search: str = ""

    def replace(self, **changes) -> "CaseFilter":
        return dataclasses.replace(self, **changes)

    def store_kwargs(self) -> dict:
        """The part of the filter the store runs in SQL: ``where``, ``start``, ``end``."""
        where = {col: list(getattr(self, f)) for f, col in FILTER_COLUMNS.items() if getattr(self, f)}
        kw = {"where": where or None}
        if self.start is not None or self.end is not None:
            kw.update(start=self.start, end=self.end, time_field=PERIOD_FIELD)
        return kw


def _now(now) -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)


def _ns(values) -> np.ndarray:
    s = pd.to_datetime(pd.Series(values), utc=True)
    out = s.to_numpy(dtype="datetime64[ns]").view(np.int64).copy()
    out[out == np.iinfo(np.int64).min] = NS_NEVER
    return out


def _ts_ns(value) -> int:
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        from geodata import config
        ts = ts.tz_localize(config.timezone())
    return int(ts.as_unit("ns").value)


def overdue_mask(df: pd.DataFrame, now=None) -> np.ndarray:
    """Accepted, not closed by ``now``, deadline before ``now`` (contract: open_overdue)."""
    n = _ts_ns(_now(now))
    reg, closed, dl = _ns(df["registered_at"]), _ns(df["closed_at"]), _ns(df["deadline"])
    return (reg < n) & ~(closed < n) & (dl < n)


def search_codes(names: dict[str, str], text: str) -> set[str]:
    """Codes whose code or name text contains ``text`` (case-insensitive)."""
    needle = text.strip().lower()
    return {code for code, name in names.items() if needle in code.lower() or needle in (name or "").lower()}


def read_cases(store, flt: CaseFilter = CaseFilter(), *, columns=CONSOLE_COLUMNS, names=None,
               now=None) -> pd.DataFrame:
    """The cases matching ``flt`` read with the filter pushed down to the store; search
    and "overdue now" are finished in pandas. ``names`` {code: name text} widens the
    search to category names (see :func:`category_names`)."""
    cols = list(dict.fromkeys([*columns, "case_id", "category", "subcategory", "registered_at",
                               "closed_at", "deadline"]))
    df = store.read("cases", columns=cols, geometry=False, **flt.store_kwargs())
    keep = np.ones(len(df), dtype=bool)
    if flt.overdue:
        keep &= overdue_mask(df, now)
    if flt.search.strip():
        needle = flt.search.strip()
        codes = search_codes(names or {}, needle)
        hit = df["case_id"].astype(str).str.contains(needle, case=False, regex=False).to_numpy(bool)
        for col in ("category", "subcategory"):
            v = df[col].astype(object)
            hit = hit | v.isin(codes).to_numpy(bool) | v.fillna("").str.lower().str.contains(
                needle.lower(), regex=False).to_numpy(bool)
        keep &= hit
    return df[keep].reset_index(drop=True)


def category_names(store) -> dict[str, str]:
    """{category code: "中文名 English name"} from the ``categories`` layer (empty without it)."""
    if not store.has_layer("categories"):
        return {}
    present = set(store.columns("categories"))
    cols = [c for c in ("code", "name", "name_en") if c in present]
    cats = store.read("categories", columns=cols, geometry=False)
    text = cats[[c for c in ("name", "name_en") if c in cats]].astype(object).fillna("").agg(" ".join, axis=1)
    return dict(zip(cats["code"].astype(str), text))


@dataclass
class CasePage:
    """One page of the filtered, sorted cases; ``total`` counts them all."""

    rows: pd.DataFrame
    total: int
    page: int
    pages: int
    size: int


@dataclass
class CaseFrame:
    """The console's columns of every case, prepared for fast filtering and sorting."""

    df: pd.DataFrame
    names: dict[str, str] = field(default_factory=dict)
    loaded_at: float = field(default_factory=time.monotonic)

    def __post_init__(self):
        df = self.df.reset_index(drop=True)
        for col in CONSOLE_COLUMNS:
            if col not in df:
                df[col] = pd.NaT if col in TIMES else None
        self.df = df
        self.n = len(df)
        self.codes: dict[str, tuple[np.ndarray, pd.Index]] = {}
        for col in CODED:
            codes, uniques = pd.factorize(df[col].astype(object), use_na_sentinel=True)
            self.codes[col] = (codes.astype(np.int32), pd.Index(uniques, dtype=object))
        self.ns = {col: _ns(df[col]) for col in TIMES}
        self._case_ids = df["case_id"].astype(str)
        self._case_id_values = self._case_ids.to_numpy(object)
        self._tz = next((df[c].dt.tz for c in TIMES if getattr(df[c].dt, "tz", None) is not None), "UTC")
        self._ranks: dict[str, np.ndarray] = {}
        self._hits: dict[str, np.ndarray] = {}

    # ---- filtering ------------------------------------------------------------------
    def values(self, col: str) -> list[str]:
        """The distinct values of a coded column, sorted."""
        return sorted(str(v) for v in self.codes[col][1])

    def _member(self, col: str, wanted) -> np.ndarray:
        codes, uniques = self.codes[col]
        idx = np.flatnonzero(uniques.isin(list(wanted)))
        return np.isin(codes, idx)

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
        return m

    def _search_hits(self, needle: str) -> np.ndarray:
        """Rows whose case id, category or subcategory (code or name) contains ``needle``;
        the last few answers are kept, as one screen asks the same search several times."""
        if needle not in self._hits:
            codes = search_codes(self.names, needle)
            hit = self._case_ids.str.contains(needle, case=False, regex=False).to_numpy(bool)
            for col in ("category", "subcategory"):
                c, uniques = self.codes[col]
                match = np.array([str(u) in codes or needle.lower() in str(u).lower() for u in uniques], bool)
                hit = hit | np.append(match, False)[c]  # code -1 (missing) indexes the appended False
            if len(self._hits) >= 8:
                self._hits.pop(next(iter(self._hits)))
            self._hits[needle] = hit
        return self._hits[needle]

    def rows(self, positions: np.ndarray) -> pd.DataFrame:
        """The console's columns of the rows at ``positions``, rebuilt from the codes
        and int64 times (far cheaper than ``iloc`` on chunked Arrow columns)."""
        out = {"case_id": self._case_id_values[positions]}
        for col in CONSOLE_COLUMNS:
            if col in self.codes:
                codes, uniques = self.codes[col]
                vals = np.append(np.asarray(uniques, dtype=object), None)
                out[col] = vals[codes[positions]]
            elif col in self.ns:
                ns = self.ns[col][positions]
                t = pd.to_datetime(np.where(ns == NS_NEVER, np.iinfo(np.int64).min, ns), utc=True)
                out[col] = t.tz_convert(self._tz)
        return pd.DataFrame(out)

    # ---- sorting and paging -----------------------------------------------------------
    def _rank(self, col: str) -> np.ndarray:
        """Unique rank of each row by ``col`` ascending, ties by case id, missing last."""
        if col not in self._ranks:
            if col == "case_id":
                order = np.argsort(self._case_ids.to_numpy(object), kind="stable")
            else:
                if col in self.ns:
                    key = self.ns[col]
                else:
                    codes, uniques = self.codes[col]
                    by_text = np.argsort(np.asarray(uniques.astype(str)), kind="stable")
                    pos = np.empty(len(by_text) + 1, dtype=np.int64)
                    pos[by_text] = np.arange(len(by_text))
                    pos[-1] = len(by_text)  # missing (code -1) last
                    key = pos[codes]
                order = np.lexsort((self._rank("case_id"), key))
            rank = np.empty(self.n, dtype=np.int64)
            rank[order] = np.arange(self.n)
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
        overdue switch): overdue now (``hours=None``, most overdue first), or due within
        ``hours`` (indicator ``at_risk``, soonest first). Returns the first ``limit``
        rows and how many there are in all."""
        n = _ts_ns(_now(now))
        base = flt.replace(start=None, end=None, statuses=(), overdue=False)
        m = self.mask(base, now) & (self.ns["registered_at"] < n) & ~(self.ns["closed_at"] < n)
        dl = self.ns["deadline"]
        m &= (dl < n) if hours is None else ((dl >= n) & (dl < n + int(hours * 3600e9)))
        rows = np.flatnonzero(m)
        total = len(rows)
        rows = rows[np.argsort(dl[rows], kind="stable")][:limit]
        return self.rows(rows), total

    def frame(self, flt: CaseFilter, now=None) -> pd.DataFrame:
        return self.df[self.mask(flt, now)]


def case_detail(store, case_id: str) -> tuple[dict | None, pd.DataFrame]:
    """One case (all its columns, no geometry) and its workflow timeline.

    The timeline is the ``case_history`` rows of the case when there are any
    (GB/T 30428 steps as recorded by :mod:`geodata.workflow`); otherwise it is
    rebuilt from the case's own timestamps by :func:`timeline_from_case`.
    """
    found = store.read("cases", where={"case_id": str(case_id)}, geometry=False, limit=1)
    if len(found) == 0:
        return None, timeline_from_case({})
    case = {k: (None if not isinstance(v, str) and pd.api.types.is_scalar(v) and pd.isna(v) else v)
            for k, v in found.iloc[0].to_dict().items()}
    if store.has_layer("case_history"):
        hist = store.read("case_history", where={"case_id": str(case_id)}, geometry=False)
        if len(hist):
            hist = hist.sort_values(["at", "seq"], kind="stable")
            steps = pd.DataFrame({"step": hist["to_status"].astype(object), "action": hist["action"].astype(object),
                                  "at": hist["at"], "by": hist["by"].astype(object),
                                  "level": hist["level"].astype(object), "note": hist["note"].astype(object)})
            return case, steps.assign(source="history").reset_index(drop=True)
    return case, timeline_from_case(case)


def timeline_from_case(case: dict) -> pd.DataFrame:
    """The steps a case's own columns attest: reported, registered (立案), dispatched
    (派遣), handled (处置), closed (核查结案) with level, then evaluated or rejected
    when the status says so (their time is not recorded on the case).

    >>> import pandas as pd
    >>> t = pd.Timestamp("2024-05-06 08:00", tz="Asia/Shanghai")
    >>> timeline_from_case({"reported_at": t, "registered_at": t, "status": "registered"})["step"].tolist()
    ['reported', 'registered']
    """
    def get(k):
        v = case.get(k)
        return None if v is None or (not isinstance(v, str) and pd.isna(v)) else v

    steps = []
    if get("reported_at") is not None:
        steps.append(("reported", "report", get("reported_at"), get("reported_by"), None, get("source")))
    if get("registered_at") is not None:
        steps.append(("registered", "register", get("registered_at"), None, None, None))
    if get("dispatched_at") is not None or get("dispatched_by") is not None:
        steps.append(("dispatched", "dispatch", get("dispatched_at"), get("dispatched_by"), None, None))
    if get("handled_at") is not None or get("handled_by") is not None:
        steps.append(("handled", "handle", get("handled_at"), get("handled_by"), None, None))
    if get("closed_at") is not None:
        steps.append(("closed", "close", get("closed_at"), None, get("resolved_level"), None))
    status = get("status")
    if status == "evaluated":
        steps.append(("evaluated", "evaluate", None, None, None, None))
    elif status == "rejected":
        steps.append(("rejected", "reject", None, None, None, None))
    out = pd.DataFrame(steps, columns=["step", "action", "at", "by", "level", "note"])
    out["at"] = pd.to_datetime(out["at"], utc=True)
    return out.assign(source="case")


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
        t0 = time.perf_counter()
        present = set(self.store.columns("cases"))
        cols = [c for c in (*CONSOLE_COLUMNS, *OPTIONAL_COLUMNS) if c in present]
        df = self.store.read("cases", columns=cols, geometry=False)
        frame = CaseFrame(df, names=category_names(self.store))
        for col in ("case_id", DEFAULT_SORT):  # warm the default order here, not in a request
            frame._rank(col)
        extras = {}
        if self.store.has_layer("patrols"):
            pc = [c for c in ("staff_id", "started_at", "ended_at", "grid_id") if c in self.store.columns("patrols")]
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
