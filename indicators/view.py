"""A period's cases prepared once, so that every indicator is a few vector operations.

Times become int64 nanoseconds since the epoch (UTC) once; a missing time becomes
:data:`NS_MAX` ("never"), so "closed before as_of" is simply ``closed < as_of`` and
an open case or a case without a deadline falls out of every "before" test by
itself. The grouping column becomes integer codes once; a count per group is one
``np.bincount``. Indicators (``indicators/<name>.py``) read the masks below and each
other's values through :meth:`CaseView.value`, which computes each at most once.

The masks follow ``../shared/contract.md`` ("KPI definitions"), quoted at each.

Examples
--------
>>> import pandas as pd
>>> t = lambda s: pd.Timestamp(s, tz="Asia/Shanghai")
>>> cases = pd.DataFrame({
...     "registered_at": [t("2018-01-02"), t("2018-01-03"), pd.NaT],
...     "closed_at": [t("2018-01-04"), pd.NaT, pd.NaT],
...     "deadline": [t("2018-01-05"), t("2018-01-04"), pd.NaT],
...     "grid_id": ["G1", "G2", "G1"]})
>>> v = CaseView(cases, start="2018-01-01", end="2018-02-01")
>>> int(v.accepted.sum()), int(v.disposed.sum()), int(v.open_overdue.sum())
(2, 1, 1)
>>> CaseView(cases, start="2018-01-01", end="2018-02-01", by="grid").count(v.accepted).tolist()
[1, 1]
"""
from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd

from geodata import config
from indicators.registry import REGISTRY, load_all, to_python

__all__ = ["CaseView", "to_ns", "timestamp_ns", "local_day", "BY_COLUMNS", "NS_MAX"]

NS_MAX = np.iinfo(np.int64).max
NS_MIN = np.iinfo(np.int64).min + 1
HOUR_NS = 3_600 * 10**9
DAY_NS = 24 * HOUR_NS
#: ``by`` shorthands → the columns ``townbrain assign`` writes onto cases (contract).
BY_COLUMNS = {"district": "district_id", "grid": "grid_id", "h3": "h3", "pro_grid": "pro_grid_id"}
#: Label of the group of records whose grouping column is empty (contract, assign:
#: "a point outside all grids keeps NULL and is counted as unassigned").
UNASSIGNED = None


def _as_tz_series(values, tz: str) -> pd.Series:
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if not pd.api.types.is_datetime64_any_dtype(s):
        s = pd.to_datetime(s, format="ISO8601", utc=False)
    if getattr(s.dt, "tz", None) is None:
        s = s.dt.tz_localize(tz)
    return s


def to_ns(values, tz: str | None = None) -> np.ndarray:
    """int64 ns since the epoch (UTC) of a time column; missing → :data:`NS_MAX`.

    Naive times are taken to be in ``tz`` (default: the configured zone).
    """
    if values is None:
        raise ValueError("a time column is missing")
    s = _as_tz_series(values, tz or config.timezone())
    out = s.to_numpy(dtype="datetime64[ns]").view(np.int64).copy()
    out[out == np.iinfo(np.int64).min] = NS_MAX
    return out


def timestamp_ns(value, tz: str | None = None) -> int | None:
    """A bound (date, text or Timestamp) as UTC ns; naive values are in ``tz``."""
    if value is None:
        return None
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        ts = ts.tz_localize(tz or config.timezone())
    return int(ts.as_unit("ns").value)


def local_day(values, tz: str | None = None) -> np.ndarray:
    """Local calendar day (days since 1970-01-01 in ``tz``) of each time; -1 when missing.

    contract.md, 3-5-10: "day in Asia/Shanghai" — the configured zone, which is
    Asia/Shanghai by default.
    """
    tz = tz or config.timezone()
    s = _as_tz_series(values, tz).dt.tz_convert(tz).dt.tz_localize(None)
    ns = s.to_numpy(dtype="datetime64[ns]").view(np.int64)
    out = np.floor_divide(ns, DAY_NS)
    out[ns == np.iinfo(np.int64).min] = -1
    return out


class CaseView:
    """Cases (and optionally patrols) of the period ``[start, end)`` seen at ``as_of``,
    grouped by ``by``.

    Parameters
    ----------
    cases : DataFrame
        Needs ``registered_at``; uses ``closed_at``, ``deadline``, ``source``,
        ``enforcement``, ``resolved_level``, ``rework_count``, ``extended`` and the
        ``by`` column when present.
    start, end : time-like, optional
        The period ``[start, end)`` on ``registered_at`` (contract: "accepted — cases
        with registered_at in the period"). Naive values are in the configured zone.
        Without ``end`` the period runs to ``now``.
    as_of : time-like, optional
        The instant "before as_of" refers to; default ``min(end, now)`` (contract:
        "as_of = the earlier of to and now, unless --as-of is given").
    by : None, "district", "grid", "h3", "pro_grid" or a column name
        The grouping; ``None`` is the whole town (one group).
    patrols : DataFrame, optional
        ``staff_id``, ``started_at``, ``ended_at`` (and the ``by`` column) for 3-5-10.
    reports : DataFrame, optional
        Cases with ``reported_by`` and ``reported_at`` counted for 3-5-10; default ``cases``.
    history : DataFrame, optional
        The ``case_history`` layer; used where a case column is missing (extension, rework).
    groups : list, optional
        Group labels to show even when they have no record (e.g. every grid).
    risk_hours : float
        "At risk" horizon: deadline within this many hours after as_of.
    now : time-like, optional
        The current time (tests pin it); default the wall clock.
    """

    def __init__(self, cases: pd.DataFrame, *, start=None, end=None, as_of=None, by=None,
                 patrols: pd.DataFrame | None = None, reports: pd.DataFrame | None = None,
                 history: pd.DataFrame | None = None, groups=None, risk_hours: float = 24.0,
                 now=None, tz: str | None = None):
        load_all()
        self.tz = tz or config.timezone()
        self.cases = cases
        self.patrols = patrols
        self.reports = cases if reports is None else reports
        self.history = history
        self.risk_hours = float(risk_hours)
        now_ns = timestamp_ns(now, self.tz) if now is not None else pd.Timestamp.now(tz="UTC").value
        self.start_ns = timestamp_ns(start, self.tz) if start is not None else NS_MIN
        self.end_ns = timestamp_ns(end, self.tz) if end is not None else now_ns
        if self.end_ns <= self.start_ns:
            raise ValueError(f"the period is empty: from {start} is not before to {end}")
        self.as_of_ns = timestamp_ns(as_of, self.tz) if as_of is not None else min(self.end_ns, now_ns)
        self.by = by
        self.by_column = None if by is None else BY_COLUMNS.get(by, by)
        if "registered_at" not in cases.columns:
            raise ValueError("cases need a registered_at column")
        self.registered = to_ns(cases["registered_at"], self.tz)
        n = len(cases)
        self.closed_ns = to_ns(cases["closed_at"], self.tz) if "closed_at" in cases else np.full(n, NS_MAX)
        self.deadline_ns = to_ns(cases["deadline"], self.tz) if "deadline" in cases else np.full(n, NS_MAX)
        self._group(groups)
        self._values: dict[str, np.ndarray] = {}

    # ---- grouping ------------------------------------------------------------
    def _group(self, groups) -> None:
        col = self.by_column
        if col is None:
            self.codes = np.zeros(len(self.cases), dtype=np.intp)
            self.labels = ["town"]
            return
        if col not in self.cases.columns:
            raise ValueError(f"cases have no {col!r} column to group by; run `townbrain assign` first")
        values = self.cases[col]
        known = pd.Index(pd.unique(values.dropna()).astype(str))
        extra = []
        if groups is not None:
            extra.append(pd.Index([str(g) for g in groups if g is not None and not pd.isna(g)]))
        if self.patrols is not None and col in self.patrols.columns:
            extra.append(pd.Index(pd.unique(self.patrols[col].dropna().astype(str))))
        for e in extra:
            known = known.append(e.difference(known))
        index = pd.Index(sorted(known), dtype=object)
        codes = self._codes_of(values, index)
        self._index = index
        self.codes = codes
        self.labels = list(index)
        unassigned = (codes < 0).any() or (
            self.patrols is not None and col in self.patrols.columns and self.patrols[col].isna().any())
        if unassigned:
            self.labels.append(UNASSIGNED)
        self.codes = np.where(codes < 0, len(index), codes)

    def _codes_of(self, values: pd.Series, index: pd.Index | None = None) -> np.ndarray:
        index = self._index if index is None else index
        if isinstance(values.dtype, pd.CategoricalDtype):
            cats = index.get_indexer(values.cat.categories.astype(str))
            return np.where(values.cat.codes.to_numpy() < 0, -1, cats[values.cat.codes.to_numpy()])
        # Factorise first (hash of the raw values, ~40 ns a row), then look up the few
        # distinct values: ten times faster than get_indexer on every row.
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        lookup = np.append(index.get_indexer(pd.Index(uniques).astype(str)), -1)
        return lookup[codes]

    def group_codes_of(self, values: pd.Series) -> np.ndarray:
        """Codes of another table's grouping column in this view's groups (empty or
        unknown → the unassigned group)."""
        if self.by_column is None:
            return np.zeros(len(values), dtype=np.intp)
        codes = self._codes_of(values)
        return np.where(codes < 0, self.n_groups - 1 if self.labels[-1] is UNASSIGNED else -1, codes)

    @property
    def n_groups(self) -> int:
        return len(self.labels)

    def count(self, mask: np.ndarray) -> np.ndarray:
        """Number of cases in ``mask`` per group."""
        return np.bincount(self.codes[mask], minlength=self.n_groups)

    def count_codes(self, codes: np.ndarray, weights=None) -> np.ndarray:
        codes = codes[codes >= 0]
        return np.bincount(codes, weights=weights, minlength=self.n_groups)

    # ---- columns -------------------------------------------------------------
    def has(self, column: str) -> bool:
        return column in self.cases.columns

    def flag(self, column: str) -> np.ndarray:
        """A boolean column as a numpy bool array (missing values are False)."""
        s = self.cases[column]
        if pd.api.types.is_bool_dtype(s) and not s.hasnans:
            return s.to_numpy(dtype=bool)
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            return (pd.to_numeric(s).fillna(0) > 0).to_numpy()
        return s.astype("boolean").fillna(False).to_numpy(dtype=bool)

    def equals(self, column: str, value: str) -> np.ndarray:
        """``column == value`` as a bool array (missing → False)."""
        s = self.cases[column]
        return (s == value).fillna(False).to_numpy(dtype=bool)

    def cases_with_action(self, action: str) -> np.ndarray | None:
        """Cases with at least one ``action`` row in the history; None without history."""
        h = self.history
        if h is None or "case_id" not in self.cases.columns or not {"case_id", "action"} <= set(h.columns):
            return None
        ids = h.loc[(h["action"] == action).fillna(False).to_numpy(dtype=bool), "case_id"]
        return self.cases["case_id"].isin(pd.unique(ids)).to_numpy(dtype=bool)

    def marker(self, column: str, action: str) -> np.ndarray | None:
        """Cases marked by ``column`` (a flag or count kept on the case), else by an
        ``action`` in the history; None when the data holds neither."""
        if self.has(column):
            return self.flag(column)
        return self.cases_with_action(action)

    def share_of(self, marked: np.ndarray | None, base: str) -> np.ndarray:
        """Per group: cases of the set ``base`` that are ``marked`` / cases of ``base``;
        NaN (null) when the data cannot tell."""
        if marked is None:
            return np.full(self.n_groups, np.nan)
        from indicators.registry import ratio
        return ratio(self.count(getattr(self, base) & marked), self.value(base))

    # ---- the sets of cases the contract defines ------------------------------
    @cached_property
    def accepted(self) -> np.ndarray:
        """contract: "accepted — cases with registered_at in the period"."""
        return (self.registered >= self.start_ns) & (self.registered < self.end_ns)

    @cached_property
    def closed_before_as_of(self) -> np.ndarray:
        return self.closed_ns < self.as_of_ns

    @cached_property
    def disposed(self) -> np.ndarray:
        """contract: "disposed — accepted cases with closed_at before as_of"."""
        return self.accepted & self.closed_before_as_of

    @cached_property
    def due(self) -> np.ndarray:
        """contract: "due (应结案数) — accepted cases with a deadline before as_of"."""
        return self.accepted & (self.deadline_ns < self.as_of_ns)

    @cached_property
    def closed(self) -> np.ndarray:
        """contract: "closed — due cases closed before as_of"."""
        return self.due & self.closed_before_as_of

    @cached_property
    def closed_on_time(self) -> np.ndarray:
        """contract: "closed_on_time — due cases with closed_at ≤ deadline"."""
        return self.due & (self.closed_ns <= self.deadline_ns)

    @cached_property
    def open_at_as_of(self) -> np.ndarray:
        """Accepted, registered before as_of and not closed before as_of (a case
        registered after as_of — possible only with an explicit earlier as_of — was
        not open then)."""
        return self.accepted & (self.registered < self.as_of_ns) & ~self.closed_before_as_of

    @cached_property
    def open_overdue(self) -> np.ndarray:
        """contract: "open_overdue — accepted cases still open at as_of whose deadline is
        before as_of"."""
        return self.open_at_as_of & (self.deadline_ns < self.as_of_ns)

    @cached_property
    def at_risk(self) -> np.ndarray:
        """Open at as_of, deadline in [as_of, as_of + risk_hours)."""
        horizon = self.as_of_ns + int(self.risk_hours * HOUR_NS)
        return self.open_at_as_of & (self.deadline_ns >= self.as_of_ns) & (self.deadline_ns < horizon)

    # ---- values --------------------------------------------------------------
    def value(self, name: str) -> np.ndarray:
        """Indicator ``name`` per group, computed once per view."""
        if name not in self._values:
            try:
                ind = REGISTRY[name]
            except KeyError:
                raise KeyError(f"unknown indicator {name!r}") from None
            self._values[name] = ind.func(self)
        return self._values[name]

    def output(self, name: str, values: np.ndarray):
        """Values as a user sees them: a number (or dict of parts) for the whole town,
        a Series (or DataFrame of parts) per group; NaN of a rate → None / <NA>."""
        ind = REGISTRY[name]
        values = np.asarray(values)
        if self.by_column is None:
            v = values[0]
            if ind.parts:
                return {p: to_python(x) for p, x in zip(ind.parts, v)}
            return to_python(v)
        index = pd.Index(self.labels, name=self.by_column, dtype=object)
        if ind.parts:
            return pd.DataFrame(values, index=index, columns=list(ind.parts))
        if values.dtype.kind == "f":
            return pd.Series(values, index=index, name=name, dtype="Float64").where(~np.isnan(values), pd.NA)
        return pd.Series(values, index=index, name=name)

    def period(self) -> dict:
        """The period and as_of as ISO text in the configured zone."""
        def iso(ns):
            if ns in (NS_MIN, NS_MAX):
                return None
            return pd.Timestamp(ns, tz="UTC").tz_convert(self.tz).isoformat()
        return {"from": iso(self.start_ns), "to": iso(self.end_ns), "as_of": iso(self.as_of_ns)}
