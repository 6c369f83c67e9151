"""The duty console's filter: which cases, in what order — shared by the pushed-down
read (``geodata.case_queries.read_cases``) and the in-memory frame
(``geodata.case_frame.CaseFrame``), so both answer the same question.

Examples
--------
>>> CaseFilter(categories=("fire_safety",), grids=("G1",)).store_kwargs()
{'where': {'category': ['fire_safety'], 'grid_id': ['G1']}}
>>> sorted(search_codes({"emergencies/flooding": "道路积水内涝 Flooded road"}, "积水"))
['emergencies/flooding']
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: What the console needs of a case (contract "Layers", plus assignment's columns).
CONSOLE_COLUMNS = ("case_id", "category", "subcategory", "source", "reported_by", "reported_at",
                   "registered_at", "deadline", "closed_at", "status", "resolved_level",
                   "district_id", "grid_id")
#: Coded columns: held as categorical codes, filtered by membership.
CODED = ("category", "subcategory", "source", "status", "district_id", "grid_id", "pro_grid_id", "reported_by",
         "resolved_level")
#: The place columns the reader's scope is decided by (access/scope.py ``COLUMNS``):
#: read with the cases whenever the store has them, shown or not.
SCOPE_COLUMNS = ("district_id", "grid_id", "pro_grid_id")
#: Read too when the store has them: the grid ranking's composite score uses them
#: (rework, extension). Nothing else of a case is held: its detail is read on demand.
OPTIONAL_COLUMNS = ("rework_count", "extended")
#: Free text of a case the search reads when the store has it (a 311 export's or an
#: Open311 report's street address); the demo town's cases have none.
TEXT_COLUMNS = ("address",)
#: Coded place columns the search matches by their names too (grid and village names:
#: a village's grids carry its name, 凌家村第一网格; districts are 片区).
PLACE_COLUMNS = ("grid_id", "district_id")
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
    (contract KPI ``open_overdue`` at as_of = now); ``search`` matches the case id,
    the category and subcategory (code or name), the grid and district (id or name, so
    a village's name finds its grids) and the address text (case-insensitive
    substring)."""

    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    categories: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()
    grids: tuple[str, ...] = ()
    overdue: bool = False
    search: str = ""
    #: What the reader may see (access/scope.py): None = no limit set by the caller,
    #: a Scope = only its districts / grids / professional grids (empty = nothing).
    scope: object = None

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
