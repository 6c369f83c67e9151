"""Read filters, rendered to SQL for either backend.

A read takes a bounding box, a time range on one time column and attribute
equality / membership filters. They are turned into one SQL ``WHERE`` text so the
database does the filtering (GeoPackage: SQLite under OGR; PostGIS: PostgreSQL).
Values are rendered as SQL literals because OGR attribute filters take no bound
parameters; names are checked identifiers and strings are quoted by doubling
``'``, which both SQLite and PostgreSQL (standard_conforming_strings, the default
since 9.1) read the same way.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from geodata import config
from geodata.frames import StoreError, check_identifier


@dataclass
class Filter:
    """What to read: ``bbox`` (minx, miny, maxx, maxy) in lon/lat, a half-open time range
    ``[start, end)`` on ``time_field``, and ``where`` {column: value | list of values};
    a value of ``None`` matches NULL."""

    bbox: tuple[float, float, float, float] | None = None
    start: Any = None
    end: Any = None
    time_field: str | None = None
    where: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        if self.bbox is not None:
            bb = tuple(float(v) for v in self.bbox)
            if len(bb) != 4 or not all(np.isfinite(bb)) or bb[0] > bb[2] or bb[1] > bb[3]:
                raise StoreError(f"bbox must be (minx, miny, maxx, maxy) with min <= max, got {self.bbox!r}")
            self.bbox = bb
        if (self.start is not None or self.end is not None) and not self.time_field:
            raise StoreError("a time range needs a time field; this layer has none, pass time_field=")
        self.start = to_utc(self.start)
        self.end = to_utc(self.end)
        for col in self.where:
            check_identifier(col)


def to_utc(value) -> pd.Timestamp | None:
    """A bound of a time range as a UTC timestamp (naive values take the configured zone)."""
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise StoreError(f"cannot read {value!r} as a time") from exc
    if ts.tzinfo is None:
        ts = ts.tz_localize(config.timezone())
    return ts.tz_convert("UTC")


def render_literal(value, time_literal: Callable[[pd.Timestamp], str]) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            raise StoreError(f"cannot filter on a non-finite number {value!r}")
        return repr(float(value))
    if isinstance(value, (dt.datetime, pd.Timestamp, dt.date)):
        return time_literal(to_utc(value))
    return "'" + str(value).replace("'", "''") + "'"


def render_where(flt: Filter, time_literal: Callable[[pd.Timestamp], str],
                 bool_literal: Callable[[bool], str] | None = None) -> str | None:
    """The attribute and time part of ``flt`` as one SQL condition (bbox is the backend's)."""
    parts = []
    if flt.start is not None:
        parts.append(f"{flt.time_field} >= {time_literal(flt.start)}")
    if flt.end is not None:
        parts.append(f"{flt.time_field} < {time_literal(flt.end)}")
    for col, value in flt.where.items():
        if isinstance(value, (list, tuple, set, np.ndarray, pd.Series, pd.Index)):
            values = list(value)
            nulls = any(v is None for v in values)
            values = [v for v in values if v is not None]
            alts = []
            if values:
                alts.append(f"{col} IN ({', '.join(_lit(v, time_literal, bool_literal) for v in values)})")
            if nulls:
                alts.append(f"{col} IS NULL")
            parts.append("(" + " OR ".join(alts) + ")" if alts else "1 = 0")
        elif value is None:
            parts.append(f"{col} IS NULL")
        else:
            parts.append(f"{col} = {_lit(value, time_literal, bool_literal)}")
    return " AND ".join(parts) if parts else None


def _lit(value, time_literal, bool_literal):
    if bool_literal is not None and isinstance(value, (bool, np.bool_)):
        return bool_literal(bool(value))
    return render_literal(value, time_literal)
