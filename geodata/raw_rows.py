"""What every format reader hands to :func:`geodata.readers.read_source`.

A reader turns one file into :class:`RawRows`: the records in file order with
their attributes as read, their geometry (or ``None`` for a table whose
coordinates are in columns), a per-record error where the record itself could
not be read, and each record's original text for the quarantine. Whole-file
failures raise :class:`LoadError`, one sentence a user can act on.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import pandas as pd
from pyproj import CRS

__all__ = ["LoadError", "RawRows", "RawOf", "json_lines", "first_line", "raw_of_list", "raw_of_frame"]

#: positions of records → their original text; called for the quarantined ones only,
#: so a million good rows are never written out as JSON
RawOf = Callable[[Sequence[int]], list]


class LoadError(Exception):
    """A file that cannot be read at all, said in one sentence."""


@dataclass
class RawRows:
    """One file's records as read, before columns are named and values checked."""

    frame: pd.DataFrame                      #: attributes, RangeIndex 0…n-1
    geoms: np.ndarray | None                 #: object array of shapely geometries; None = coordinates in columns
    errors: list                             #: per record: None or "code: detail"
    raw_of: RawOf                            #: the original records as JSON text, on demand
    format: str                              #: what the file is, in words ("CSV", "KML", "OSM PBF"…)
    declared_crs: CRS | None = None          #: the CRS the file names, if any
    notes: dict = field(default_factory=dict)            #: encoding, sheet, source layer, filter…
    default_mapping: dict = field(default_factory=dict)  #: {FIELD: SOURCE} a format preset suggests
    #: where each record is when a person opens the file: the spreadsheet row of a CSV
    #: or Excel record (the header counted); None = the record's number, 1…
    lines: np.ndarray | None = None


def first_line(exc: BaseException) -> str:
    """A library's message, first line only (GDAL and openpyxl write paragraphs)."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def raw_of_list(raws: list[str]) -> RawOf:
    """Originals already at hand (a GeoJSON feature's text)."""
    return lambda idx: [raws[i] for i in idx]


def raw_of_frame(df: pd.DataFrame, geoms: np.ndarray | None = None) -> RawOf:
    """Originals as the rows of ``df`` (and their geometry as WKT), made when asked."""
    import shapely

    def raw_of(idx):
        idx = np.asarray(idx, dtype=np.int64)
        part = df.iloc[idx].copy()
        if geoms is not None:
            part["geometry"] = shapely.to_wkt(np.asarray(geoms, dtype=object)[idx])
        return json_lines(part)
    return raw_of


def json_lines(df: pd.DataFrame) -> list[str]:
    """Each row as one JSON object (fast: pandas' C writer).

    pandas escapes every '/' as '\\/'; undoing that is exact because a '/'
    only ever appears behind that escape.

    >>> json_lines(pd.DataFrame({"a": ["x/y", None], "b": [1, 2]}))
    ['{"a":"x/y","b":1}', '{"a":null,"b":2}']
    """
    if not len(df):
        return []
    text = df.to_json(orient="records", lines=True, force_ascii=False,
                      date_format="iso", default_handler=str)
    # split on '\n' only: str.splitlines would also cut at U+2028, U+0085…,
    # which JSON leaves unescaped inside strings.
    lines = text.replace("\\/", "/").rstrip("\n").split("\n")
    if len(lines) != len(df):  # pragma: no cover - would be a pandas bug
        raise RuntimeError(f"{len(lines)} JSON lines for {len(df)} rows")
    return lines
