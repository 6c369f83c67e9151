"""The store: one interface, two backends (PostGIS, GeoPackage).

Everything both backends have in common lives here: the schema from the data
dictionary, frame normalisation, filters, upsert semantics, extra columns. A
backend (``store_gpkg``, ``store_postgis``) only moves data in and out.

Examples
--------
>>> import tempfile, os, geopandas as gpd, shapely
>>> st = open_store(os.path.join(tempfile.mkdtemp(), "town.gpkg"))
>>> st.create_schema()
>>> g = gpd.GeoDataFrame({"district_id": ["D1"], "name": ["东片区"]},
...                      geometry=[shapely.box(120.5, 31.0, 120.6, 31.1)], crs=4326)
>>> st.upsert("districts", g)
1
>>> st.read("districts")[["district_id", "name"]].to_dict("records")
[{'district_id': 'D1', 'name': '东片区'}]
"""
from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from typing import Any, Callable, Iterable

import geopandas as gpd
import pandas as pd

from geodata import config
from geodata.frames import (StoreError, check_identifier, column_kinds, empty_frame,
                            frame_from_storage, frame_to_storage)
from geodata.query import Filter
from geodata.schema import LAYERS, Layer, layer as layer_decl

__all__ = ["Store", "StoreError", "open_store", "Filter", "STAMPED"]

#: Layers whose every write the store stamps, and the column it stamps: the live
#: change feed (geodata/changes.py) finds what changed by this time, so a status-only
#: step or a case that arrives late with an old ``reported_at`` reaches the screen.
STAMPED = {"cases": "updated_at"}


def _utc_now() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC")


def _decl(name: str) -> Layer:
    """The declaration of a layer; a layer outside the dictionary is allowed as a
    user's own polygon or point layer and gets a generic declaration."""
    check_identifier(name)
    if name in LAYERS:
        return LAYERS[name]
    return Layer(name, "id", "Geometry", ())


class Store(ABC):
    """A place layers live in. Open one with :func:`open_store`."""

    url: str
    #: The time a write is stamped with (see :data:`STAMPED`); a test may set its own clock.
    clock: Callable[[], pd.Timestamp] = staticmethod(_utc_now)
    #: The scope this store's database work runs as when nothing nearer says
    #: (geodata/row_scope.py): the server and the CLI set the town, a notebook its reader's
    #: scope; None is nothing. Only PostGIS's row-level security reads it.
    row_scope = None

    # ---- the backend shim -------------------------------------------------
    @abstractmethod
    def _table_columns(self, name: str) -> dict[str, str] | None:
        """{column: kind} of an existing table (geometry excluded), or None if absent."""

    @abstractmethod
    def _create_table(self, decl: Layer, kinds: dict[str, str]) -> None: ...

    @abstractmethod
    def _add_columns(self, decl: Layer, kinds: dict[str, str]) -> None: ...

    @abstractmethod
    def _read(self, decl: Layer, flt: Filter, columns: list[str] | None,
              limit: int | None, points: bool) -> pd.DataFrame: ...

    @abstractmethod
    def _count(self, decl: Layer, flt: Filter) -> int: ...

    @abstractmethod
    def _insert(self, decl: Layer, df: pd.DataFrame, upsert: bool) -> None: ...

    @abstractmethod
    def _update(self, decl: Layer, df: pd.DataFrame) -> int: ...

    @abstractmethod
    def _delete(self, decl: Layer, flt: Filter) -> int: ...

    @abstractmethod
    def _drop(self, decl: Layer) -> None: ...

    @abstractmethod
    def layers(self) -> list[str]:
        """Names of the layers (tables) present."""

    @abstractmethod
    def ping(self) -> dict:
        """Reachability and basic facts for /health; raises StoreError when unreachable."""

    def close(self) -> None:  # pragma: no cover - overridden where there is something to close
        pass

    # ---- the interface ----------------------------------------------------
    def create_schema(self, names: Iterable[str] | None = None) -> None:
        """Create every dictionary layer that is missing, with its indexes. Idempotent."""
        for name in names or LAYERS:
            decl = layer_decl(name)
            self._ensure(decl, {f.name: f.kind for f in decl.fields})

    def columns(self, name: str) -> list[str]:
        cols = self._table_columns(check_identifier(name))
        if cols is None:
            raise StoreError(f"layer {name!r} does not exist in {self.url}")
        return list(cols)

    def has_layer(self, name: str) -> bool:
        return self._table_columns(check_identifier(name)) is not None

    def read(self, name: str, *, bbox=None, start=None, end=None, time_field: str | None = None,
             where: dict[str, Any] | None = None, columns: list[str] | None = None,
             limit: int | None = None, geometry: bool = True) -> pd.DataFrame:
        """Read a layer whole or filtered, as a GeoDataFrame (or DataFrame for a table
        without geometry). Filters run in the database.

        bbox : (minx, miny, maxx, maxy) lon/lat — features whose envelope meets it.
        start, end : half-open time range on ``time_field`` (default: the layer's own).
        where : {column: value | list} equality / membership; ``None`` matches NULL.
        columns : the attribute columns wanted.
        geometry : False to leave the geometry in the database and get a plain DataFrame.
        """
        return self._do_read(name, bbox, start, end, time_field, where, columns, limit, points=False,
                             geometry=geometry)

    def read_points(self, name: str, *, bbox=None, start=None, end=None,
                    time_field: str | None = None, where: dict[str, Any] | None = None,
                    columns: list[str] | None = None, limit: int | None = None) -> gpd.GeoDataFrame:
        """Like :meth:`read` for a point layer, on the fast path: coordinates travel as
        two float columns and points are built in bulk, instead of parsing geometry
        per row."""
        return self._do_read(name, bbox, start, end, time_field, where, columns, limit, points=True)

    def count(self, name: str, *, bbox=None, start=None, end=None, time_field: str | None = None,
              where: dict[str, Any] | None = None) -> int:
        decl, kinds = self._existing(name)
        return self._count(decl, self._filter(decl, kinds, bbox, start, end, time_field, where))

    def append(self, name: str, df: pd.DataFrame) -> int:
        """Insert rows; an id that already exists is an error (use :meth:`upsert`)."""
        return self._write(name, df, upsert=False)

    def upsert(self, name: str, df: pd.DataFrame) -> int:
        """Insert rows, replacing those whose id already exists. Within ``df`` the last
        row of an id wins."""
        return self._write(name, df, upsert=True)

    def write(self, name: str, df: pd.DataFrame, mode: str = "replace") -> int:
        """``replace``: drop the layer and write ``df``; ``append``: as :meth:`append`."""
        if mode not in ("replace", "append"):
            raise StoreError(f"mode must be 'replace' or 'append', not {mode!r}")
        if mode == "replace" and self.has_layer(name):
            self._drop(_decl(name))
        return self._write(name, df, upsert=False)

    def update_columns(self, name: str, df: pd.DataFrame) -> int:
        """Set some columns of existing rows, matched by id (adds the columns if new).
        Used by assignment to write grid ids without rewriting geometry."""
        decl = _decl(name)
        if not decl.id_field or decl.id_field not in df.columns:
            raise StoreError(f"update of {name!r} needs its id column {decl.id_field!r}")
        existing = self._table_columns(name)
        if existing is None:
            raise StoreError(f"layer {name!r} does not exist in {self.url}")
        frame = frame_to_storage(decl, self._stamp(name, pd.DataFrame(df).drop(columns="geometry", errors="ignore")),
                                 partial=True)
        kinds = column_kinds(decl, frame)
        new = {c: k for c, k in kinds.items() if c not in existing}
        if new:
            self._add_columns(decl, new)
        return self._update(decl, frame)

    def delete(self, name: str, *, where: dict[str, Any] | None = None, start=None, end=None,
               time_field: str | None = None) -> int:
        decl, kinds = self._existing(name)
        if not where and start is None and end is None:
            raise StoreError("delete needs a filter; use write(..., mode='replace') to empty a layer")
        return self._delete(decl, self._filter(decl, kinds, None, start, end, time_field, where))

    # ---- shared machinery -------------------------------------------------
    def _existing(self, name: str) -> tuple[Layer, dict[str, str]]:
        decl = _decl(name)
        kinds = self._table_columns(name)
        if kinds is None:
            raise StoreError(f"layer {name!r} does not exist in {self.url}; "
                             "load it first (townbrain load) or create the schema")
        return decl, kinds

    def _ensure(self, decl: Layer, kinds: dict[str, str]) -> dict[str, str]:
        existing = self._table_columns(decl.name)
        if existing is None:
            base = {f.name: f.kind for f in decl.fields}
            base.update(kinds)
            self._create_table(decl, base)
            return base
        new = {c: k for c, k in kinds.items() if c not in existing}
        if new:
            self._add_columns(decl, new)
        return {**existing, **new}

    @staticmethod
    def _filter(decl, kinds, bbox, start, end, time_field, where) -> Filter:
        tf = time_field or (decl.time_field if (start is not None or end is not None) else None)
        for col in [*(where or {}), *([tf] if tf else [])]:
            if check_identifier(col) not in kinds:
                raise StoreError(f"layer {decl.name!r} has no column {col!r}")
        if bbox is not None and decl.geometry is None:
            raise StoreError(f"layer {decl.name!r} has no geometry to filter by bbox")
        return Filter(bbox=bbox, start=start, end=end, time_field=tf, where=dict(where or {}))

    def _do_read(self, name, bbox, start, end, time_field, where, columns, limit, points, geometry=True):
        decl, kinds = self._existing(name)
        flt = self._filter(decl, kinds, bbox, start, end, time_field, where)
        if not geometry:  # the backends then neither fetch nor decode it
            decl = dataclasses.replace(decl, geometry=None)
        if columns is not None:
            columns = [c for c in columns if c != "geometry"]
            missing = [c for c in columns if c not in kinds]
            if missing:
                raise StoreError(f"layer {name!r} has no column(s) {', '.join(missing)}")
        if points and decl.geometry not in ("Point", "Geometry"):
            raise StoreError(f"layer {name!r} holds {decl.geometry} geometry, not points")
        df = self._read(decl, flt, columns, limit, points)
        if len(df) == 0:
            return empty_frame(decl, kinds, columns)
        return frame_from_storage(decl, df, kinds)

    def _stamp(self, name: str, df: pd.DataFrame) -> pd.DataFrame:
        """``df`` with the layer's :data:`STAMPED` column set to now (a copy; the
        caller's frame is left alone). Whole seconds, like every stored time."""
        col = STAMPED.get(name)
        if col is None:
            return df
        now = pd.Timestamp(self.clock())
        now = (now.tz_localize("UTC") if now.tzinfo is None else now.tz_convert("UTC")).floor("s")
        out = df.copy(deep=False)
        out[col] = pd.Series(now, index=df.index, dtype="datetime64[us, UTC]")
        return out

    def _write(self, name: str, df: pd.DataFrame, upsert: bool) -> int:
        decl = _decl(name)
        if len(df) == 0:
            self._ensure(decl, column_kinds(decl, df))
            return 0
        frame = frame_to_storage(decl, self._stamp(name, df))
        if decl.id_field:
            ids = frame[decl.id_field]
            if ids.isna().any():
                raise StoreError(f"{int(ids.isna().sum())} row(s) for {name!r} have no {decl.id_field}")
            dup = ids.duplicated(keep="last")
            if dup.any():
                if not upsert:
                    raise StoreError(f"{int(dup.sum())} duplicate {decl.id_field} value(s) in data for {name!r}, "
                                     f"e.g. {ids[dup].iloc[0]!r}")
                frame = frame[~dup]
        self._ensure(decl, column_kinds(decl, frame))
        self._insert(decl, frame, upsert)
        return len(frame)

    # ---- several layers in one transaction (the live intake's group commit) ----
    def append_together(self, frames: list[tuple[str, pd.DataFrame]]) -> int:
        """Append rows to several layers in ONE transaction: all are committed or none.

        The live intake (geodata/intake.py) writes a batch of cases with their
        idempotency records this way, so an answer is never stored without its case
        nor a case without its answer. An id that already exists fails the whole
        transaction (StoreError). Table shapes are checked once per column set.
        """
        prepared = []
        for name, df in frames:
            if len(df) == 0:
                continue
            decl = _decl(name)
            frame = frame_to_storage(decl, self._stamp(name, df))
            if decl.id_field and frame[decl.id_field].isna().any():
                raise StoreError(f"row(s) for {name!r} have no {decl.id_field}")
            shape = (name, tuple(frame.columns))
            ensured = self.__dict__.setdefault("_ensured_shapes", set())
            if shape not in ensured:
                self._ensure(decl, column_kinds(decl, frame))
                ensured.add(shape)
            prepared.append((decl, frame))
        if prepared:
            self._insert_together(prepared)
        return sum(len(f) for _, f in prepared)

    # ---- a hash chain (the audit trail, access/audit.py) ----------------------------------
    def append_chained(self, name: str, build: Callable[[dict | None], dict]) -> dict:
        """Append ONE record whose content depends on the last one, atomically.

        ``build(last)`` gets the record with the highest ``seq`` (a dict, or None on
        an empty layer) and returns the new record: plain values, times as
        ``YYYY-MM-DDTHH:MM:SSZ`` text. Writers take turns (an IMMEDIATE transaction
        on SQLite, a transaction-scoped advisory lock on PostgreSQL, which a role
        that may only INSERT and SELECT can take), so two writers never chain onto
        the same record. Returns the record written; a failure raises StoreError.
        """
        decl = _decl(name)
        if "_chain_ready" not in self.__dict__.setdefault("_chains", {}).get(name, ""):
            self.create_schema([name])
            self._chains[name] = "_chain_ready"
        return self._append_chained(decl, build)

    def _append_chained(self, decl: Layer, build) -> dict:
        raise StoreError(f"{type(self).__name__} cannot append to a chain")

    def protect_append_only(self, name: str, keep_days: int) -> None:
        """Make the database itself refuse to change or empty ``name``: every UPDATE
        and TRUNCATE, and a DELETE of a record younger than ``keep_days`` (by its
        time field), fail. Idempotent. A second lock beside the hash chain, which
        detects what a database owner could still do."""
        self.create_schema([name])
        self._protect_append_only(_decl(name), int(keep_days))

    def _protect_append_only(self, decl: Layer, keep_days: int) -> None:
        raise StoreError(f"{type(self).__name__} cannot protect a layer")

    def _insert_together(self, items: list[tuple[Layer, pd.DataFrame]]) -> None:
        raise StoreError(f"{type(self).__name__} cannot write several layers in one transaction")

    def append_records_together(self, rows: dict[str, list[dict]]) -> int:
        """:meth:`append_together` for records: ``{layer: [dict, ...]}``, every dict of
        a layer with the same keys, a layer with geometry giving each a shapely
        ``geometry``. A backend may write them without building frames (PostGIS
        does: the live intake's group commit is then a few ms, not pandas-bound)."""
        return self.append_together(records_to_frames(rows))

    def _ensure_records(self, name: str, records: list[dict]) -> tuple[Layer, list[str]]:
        """Declaration and columns of records about to be written; the table is
        created or widened from the first records, once per column set."""
        decl = _decl(name)
        cols = [c for c in records[0] if c != "geometry"]
        stamp = STAMPED.get(name)
        if stamp and stamp not in cols:
            cols.append(stamp)
        shape = (name, tuple(cols))
        ensured = self.__dict__.setdefault("_ensured_shapes", set())
        if shape not in ensured:
            sample = records_to_frames({name: records[:50]})[0][1]
            self._ensure(decl, column_kinds(decl, frame_to_storage(decl, self._stamp(name, sample))))
            ensured.add(shape)
        return decl, cols

    def __repr__(self):
        return f"{type(self).__name__}({self.url!r})"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def records_to_frames(rows: dict[str, list[dict]]) -> list[tuple[str, pd.DataFrame]]:
    """``{layer: [record, ...]}`` as ``[(layer, frame), ...]`` (GeoDataFrame where the
    layer has geometry, from each record's ``geometry``)."""
    out = []
    for name, records in rows.items():
        if not records:
            continue
        df = pd.DataFrame.from_records(records)
        if _decl(name).geometry is not None:
            df = gpd.GeoDataFrame(df, geometry="geometry", crs="EPSG:4326")
        out.append((name, df))
    return out


def open_store(url: str | None = None, create: bool = True) -> Store:
    """Open the store at ``url`` (default ``$TOWNBRAIN_DB``, else ``data/town.gpkg``).

    A ``postgresql://`` URL opens PostGIS; anything else is a GeoPackage path
    (``gpkg:///abs/path.gpkg`` or a plain path), created on first write — unless
    ``create`` is False (the server): then a missing file is
    :class:`~geodata.frames.StoreUnavailable`, and nothing creates it.
    """
    url = config.db_url(url)
    if config.is_postgis(url):
        from geodata.store_postgis import PostGISStore
        return PostGISStore(url)
    from geodata.store_gpkg import GeoPackageStore
    return GeoPackageStore(url, create=create)
