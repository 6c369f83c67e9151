"""Frame conventions shared by both store backends.

Everything a backend receives passes through :func:`frame_to_storage` and
everything it returns through :func:`frame_from_storage`, so the GeoPackage and
PostGIS shims only move bytes: ids become text, times UTC on the way in and the
configured zone on the way out, geometry is checked to be EPSG:4326 (we refuse a
CRS mismatch rather than guess, as geopandas does before a join).
"""
from __future__ import annotations

import contextlib
import gc
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geodata import config
from geodata.schema import STORAGE_CRS, Layer

#: letters (any script: a Chinese office's column names stay Chinese), digits and '_',
#: not starting with a digit, no upper-case Latin, at most 63 bytes (PostgreSQL's limit)
_IDENT = re.compile(r"^[^\W\d][\w]*$")
_STORAGE = CRS.from_user_input(STORAGE_CRS)


@contextlib.contextmanager
def gc_paused():
    """Pause Python's cyclic garbage collector while geometries are built in bulk.

    Shapely geometries are GC-tracked objects, so building a million of them sets
    off hundreds of collections, each walking every live object of the process:
    measured here, 1 M points took 0.8 s with the collector on and 0.14 s with it
    paused. Nothing built in such a block forms reference cycles.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class StoreError(Exception):
    """A request the store cannot honour, said in one sentence."""


class StoreUnavailable(StoreError):
    """The store cannot be read or written now: its file is missing, corrupt, locked or
    unreadable, or its server is unreachable. Not the request's fault: the server
    answers 503 with ``Retry-After`` (README, issue 16 Deliver 6), and the message
    (which may name a path or a driver's words) goes to the log, not to the caller."""


def check_identifier(name: str) -> str:
    """Column and layer names are lower_snake_case identifiers, nothing else.

    They are interpolated into SQL (always double-quoted), so anything else is
    refused outright. Letters of other scripts count as letters.

    >>> check_identifier("所属社区"), check_identifier("source_original")
    ('所属社区', 'source_original')
    >>> check_identifier('a"; DROP TABLE cases; --')
    Traceback (most recent call last):
    ...
    geodata.frames.StoreError: 'a"; DROP TABLE cases; --' is not a valid column or layer name (use lower_snake_case)
    """
    if (not isinstance(name, str) or not _IDENT.match(name) or name != name.lower()
            or len(name.encode("utf-8")) > 63):
        raise StoreError(f"{name!r} is not a valid column or layer name (use lower_snake_case)")
    return name


def kind_of(series: pd.Series) -> str:
    """The data-dictionary kind of a column that is not in the dictionary."""
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_integer_dtype(series):
        return "int"
    if pd.api.types.is_float_dtype(series):
        return "float"
    if isinstance(series.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(series):
        return "datetime"
    return "text"


def column_kinds(decl: Layer, df: pd.DataFrame) -> dict[str, str]:
    """Kind of every non-geometry column of ``df`` (dictionary first, then dtype)."""
    known = {f.name: f.kind for f in decl.fields}
    out = {}
    for col in df.columns:
        if col == "geometry":
            continue
        check_identifier(col)
        out[col] = known.get(col) or kind_of(df[col])
    return out


def _to_utc(values: pd.Series, tz: str) -> pd.Series:
    s = pd.to_datetime(values, errors="raise", utc=False, format="ISO8601") \
        if not pd.api.types.is_datetime64_any_dtype(values) else values
    if getattr(s.dt, "tz", None) is None:
        s = s.dt.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward")
    # Whole seconds: both backends then hold identical values, and the GeoPackage's
    # ISO text ('YYYY-MM-DDTHH:MM:SSZ') sorts exactly like the times it encodes.
    return s.dt.tz_convert("UTC").dt.floor("s").astype("datetime64[us, UTC]")


def frame_to_storage(decl: Layer, df: pd.DataFrame, partial: bool = False) -> pd.DataFrame:
    """Normalise ``df`` for writing into layer ``decl``; raise StoreError on a mismatch.

    ``partial``: an update of some columns, without geometry.
    """
    if decl.id_field and decl.id_field not in df.columns:
        raise StoreError(f"layer {decl.name!r} needs its id column {decl.id_field!r}")
    out = pd.DataFrame(index=df.index)
    kinds = column_kinds(decl, df)
    tz = config.timezone()
    for col, kind in kinds.items():
        s = df[col]
        if kind == "text":
            # Arrow-backed text (NaN for missing), as validation gives it: no Python
            # string object per value between the file and the store (0.3 s a million
            # rows, and as much again for the store's Arrow arrays to read them back)
            out[col] = s.astype("str")
        elif kind == "datetime":
            out[col] = _to_utc(s, tz)
        elif kind == "bool":
            out[col] = s.astype("boolean")
        elif kind == "int":
            out[col] = pd.to_numeric(s, errors="raise").astype("Int64")
        else:
            out[col] = pd.to_numeric(s, errors="raise").astype("float64")
    if decl.geometry is not None and not partial:
        if "geometry" not in df.columns:
            raise StoreError(f"layer {decl.name!r} needs a 'geometry' column")
        geoms = gpd.GeoSeries(df["geometry"], index=df.index)
        crs = getattr(df, "crs", None) or geoms.crs
        if crs is None:
            raise StoreError(f"data for layer {decl.name!r} has no CRS; set it (EPSG:4326 expected)")
        if not CRS.from_user_input(crs).equals(_STORAGE):
            raise StoreError(f"data for layer {decl.name!r} is in {crs}, the store takes {STORAGE_CRS}; "
                             "convert with to_crs first")
        arr = np.asarray(geoms.values, dtype=object)
        if decl.geometry == "MultiPolygon":
            polys = shapely.get_type_id(arr) == 3
            if polys.any():
                arr = arr.copy()
                promoted = np.empty(int(polys.sum()), dtype=object)
                promoted[:] = [shapely.MultiPolygon([p]) for p in arr[polys]]
                arr[polys] = promoted
        out = gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(arr, index=df.index, crs=STORAGE_CRS))
    return out


def frame_from_storage(decl: Layer, df: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """Give a frame read from storage the dictionary's dtypes and the display zone."""
    tz = config.timezone()
    for col in df.columns:
        kind = kinds.get(col)
        if kind == "datetime":
            s = df[col]
            if not pd.api.types.is_datetime64_any_dtype(s):
                s = pd.to_datetime(s, utc=True, format="ISO8601")
            elif getattr(s.dt, "tz", None) is None:
                s = s.dt.tz_localize("UTC")
            df[col] = s.dt.tz_convert(tz).dt.as_unit("us")
        elif kind == "bool":
            df[col] = df[col].astype("boolean")
        elif kind == "int":
            df[col] = df[col].astype("Int64")
        elif kind == "text":
            df[col] = df[col].astype("string") if len(df) else df[col].astype("string")
    return df


def empty_frame(decl: Layer, kinds: dict[str, str], columns: list[str] | None = None) -> pd.DataFrame:
    """An empty frame of the layer's shape, for a read that matched nothing."""
    cols = [c for c in kinds if columns is None or c in columns]
    dtypes = {"text": "string", "int": "Int64", "float": "float64", "bool": "boolean",
              "datetime": f"datetime64[us, {config.timezone()}]"}
    df = pd.DataFrame({c: pd.Series([], dtype=dtypes[kinds[c]]) for c in cols})
    if decl.geometry is not None:
        return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries([], crs=STORAGE_CRS))
    return df
