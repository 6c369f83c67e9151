"""GeoPackage backend: the embedded default (one file, no server).

Features are written and read by GDAL through pyogrio (Arrow I/O, R-tree spatial
index maintained by GDAL); schema changes, deletes and attribute updates go
through SQLite directly. That is safe because the GeoPackage R-tree triggers fire
only on geometry changes and the feature-count triggers are plain SQL. A large
write goes through SQLite too, in one transaction that rebuilds the indexes and
bulk-loads the R-tree (:meth:`GeoPackageStore._insert_bulk`, geodata/gpkg_rtree.py).
"""
from __future__ import annotations

import concurrent.futures
import contextlib
import datetime
import os
import pathlib
import sqlite3
import struct
import tempfile
import threading
from typing import NamedTuple

import adbc_driver_sqlite.dbapi
import geopandas as gpd
import numpy as np
import shapely
import pandas as pd
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)
import pyogrio
import pyogrio.errors

from geodata import config
from geodata.arrow_exit import to_pandas
from geodata.frames import StoreError, StoreUnavailable
from geodata.gdal_lock import GDAL_LOCK
from geodata.gpkg_rtree import Packed, node_size, rtree_boxes, rtree_entries, rtree_pack, rtree_rebuild, rtree_replace
from geodata.query import Filter, render_where
from geodata.schema import LAYERS, Layer
from geodata.store import Store

_SQL_TYPES = {"text": "TEXT", "int": "INTEGER", "float": "REAL", "bool": "BOOLEAN", "datetime": "DATETIME"}
_EMPTY_DTYPES = {"text": object, "int": "int64", "float": "float64", "bool": "bool",
                 "datetime": "datetime64[ms, UTC]"}
#: A write of at least this many rows (and a third of the layer, see
#: GeoPackageStore._insert_bulk) rebuilds indexes and R-tree instead of maintaining
#: them per row (issue 14: 1 M cases took 28 s through GDAL's per-row triggers).
BULK_ROWS = 20_000
BULK_CACHE_KIB = 256 * 1024  # page cache of a bulk write: the rows and index sorts stay in memory
#: SQLite result codes (the primary code, the low byte) that mean the file cannot be used
#: now, not that the statement was wrong: BUSY, LOCKED, IOERR, CORRUPT, CANTOPEN, NOTADB
#: (https://www.sqlite.org/rescode.html). Anything else stays a bug of ours.
_UNAVAILABLE_CODES = frozenset({5, 6, 10, 11, 14, 26})
_GEOM_TYPES = {"Point": "Point", "LineString": "LineString", "Polygon": "Polygon",
               "MultiPolygon": "MultiPolygon", "Geometry": "Unknown"}


def _kind_of_sql(decl_type: str) -> str:
    t = decl_type.upper()
    if t in ("BOOLEAN",):
        return "bool"
    if t in ("DATETIME", "DATE"):
        return "datetime"
    if "INT" in t:
        return "int"
    if t in ("REAL", "DOUBLE", "FLOAT", "NUMERIC"):
        return "float"
    return "text"


def _time_literal(ts: pd.Timestamp) -> str:
    # Stored values are whole UTC seconds (frames.frame_to_storage), so rounding a
    # bound up to the next second keeps  v >= t  and  v < t  exact as text comparisons.
    sec = pd.Timestamp(ts).ceil("s")
    return "'" + sec.strftime("%Y-%m-%dT%H:%M:%SZ") + "'"


_FILE_LOCKS: dict[str, threading.RLock] = {}
_FILE_LOCKS_GUARD = threading.Lock()


def _file_lock(path) -> threading.RLock:
    """One lock per GeoPackage file, shared by every store object on it in this process.

    GDAL (inside pyogrio) carries its own copy of SQLite, the ``sqlite3`` module
    another. Two SQLite copies in one process do not see each other's POSIX locks,
    and one closing the file drops the other's locks (sqlite.org/howtocorrupt.html
    §2.2); a write committed by one while the other reads crashed the process with
    SIGBUS on the WAL index. So GDAL reads and writes and our SQLite writes take
    turns on a file, and so do reads through ``sqlite3`` (:meth:`GeoPackageStore._sql`).

    Taking turns is not enough in WAL mode: the two copies then share the WAL and its
    index (``-shm``) from one connection to the next, and a commit now and then
    vanished — a row GDAL had just appended, a wall's revocation written through
    ``sqlite3`` — once GDAL had read another layer in between (4 to 8 commits in 600
    on two threads; CI: a revoked wall let in). The store therefore keeps its file in
    SQLite's rollback-journal mode, where a commit is in the file itself when it
    returns and nothing is shared between connections (:func:`_rollback_journal`).
    """
    key = os.path.realpath(str(path))
    with _FILE_LOCKS_GUARD:
        return _FILE_LOCKS.setdefault(key, threading.RLock())


def _rollback_journal(con: sqlite3.Connection) -> None:
    """Bring a GeoPackage out of WAL mode (see :func:`_file_lock`): a store written by
    an earlier TownBrain, or a town's own file, may be in WAL mode, which is kept in
    the file, and another program may set it at any time, so every connection asks
    (a read of the header it has just read). Switching needs every other connection
    gone; while another process holds the file, or it cannot be written, it is tried
    again at the next connection."""
    try:
        if str(con.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
            con.execute("PRAGMA journal_mode = DELETE").fetchone()
    except sqlite3.Error:
        pass


class GeoPackageStore(Store):
    """Layers in one GeoPackage file (created on first write)."""

    def __init__(self, url: str, create: bool = True):
        self.url = url
        self.path = config.gpkg_path(url)
        # The server opens its store with create=False: a missing file is a store that is
        # away (503), and a request must not leave an empty GeoPackage in its place.
        self.create = create
        self._lock = _file_lock(self.path)  # one GDAL or SQLite user of the file at a time, see _file_lock

    # ---- connections -------------------------------------------------------
    @contextlib.contextmanager
    def _sql(self):
        # Under the file's lock like every GDAL use: a sqlite3 read while GDAL's
        # SQLite closes the file (and with it checkpoints and truncates the WAL
        # index this connection has mapped) dies with SIGBUS, see _file_lock.
        if not self.path.exists():
            raise StoreUnavailable(f"GeoPackage {self.path} does not exist yet")
        with self._lock, _unavailable_as_such(self.path):
            con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            try:
                con.execute("PRAGMA busy_timeout = 30000")
                _rollback_journal(con)
                _register_gpkg_functions(con)
                yield con
            finally:
                con.close()

    def _missing(self) -> bool:
        """Whether the file is not there; a server's store (``create=False``) raises then."""
        if self.path.exists():
            return False
        if not self.create:
            raise StoreUnavailable(f"GeoPackage {self.path} not found")
        return True

    def ping(self) -> dict:
        if not self.path.exists():
            raise StoreError(f"GeoPackage {self.path} not found")
        with self._sql() as con:
            n = con.execute("SELECT count(*) FROM gpkg_contents").fetchone()[0]
        return {"backend": "geopackage", "path": str(self.path), "layers": n}

    def layers(self) -> list[str]:
        if self._missing():
            return []
        with self._sql() as con:
            return [r[0] for r in con.execute("SELECT table_name FROM gpkg_contents ORDER BY table_name")]

    def _geom_column(self, con, name: str) -> str | None:
        row = con.execute("SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", (name,)).fetchone()
        return row[0] if row else None

    def _table_columns(self, name: str) -> dict[str, str] | None:
        if self._missing():
            return None
        with self._sql() as con:
            if not con.execute("SELECT 1 FROM gpkg_contents WHERE table_name = ?", (name,)).fetchone():
                return None
            geom = self._geom_column(con, name)
            cols = con.execute(f'PRAGMA table_info("{name}")').fetchall()
        return {c[1]: _kind_of_sql(c[2]) for c in cols if c[1] not in ("fid", geom)}

    # ---- schema --------------------------------------------------------------
    def _create_table(self, decl: Layer, kinds: dict[str, str]) -> None:
        self._missing()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        empty = pd.DataFrame({c: pd.Series([], dtype=_EMPTY_DTYPES[k]) for c, k in kinds.items()})
        kwargs = {}
        if decl.geometry is not None:
            import geopandas as gpd
            empty = gpd.GeoDataFrame(empty, geometry=gpd.GeoSeries([], crs="EPSG:4326"))
            kwargs["geometry_type"] = _GEOM_TYPES[decl.geometry]
        with self._lock:
            with GDAL_LOCK:
                pyogrio.write_dataframe(empty, self.path, layer=decl.name, driver="GPKG", **kwargs)
            with self._sql() as con:   # rollback-journal mode, as GDAL creates it (see _file_lock)
                if decl.id_field:
                    con.execute(f'CREATE UNIQUE INDEX IF NOT EXISTS "ix_{decl.name}_{decl.id_field}" '
                                f'ON "{decl.name}" ("{decl.id_field}")')
                for f in decl.fields:
                    if f.kind == "datetime" or f.name in ("grid_id", "district_id", "staff_id", "category"):
                        con.execute(f'CREATE INDEX IF NOT EXISTS "ix_{decl.name}_{f.name}" '
                                    f'ON "{decl.name}" ("{f.name}")')

    def _add_columns(self, decl: Layer, kinds: dict[str, str]) -> None:
        with self._sql() as con:
            for col, kind in kinds.items():
                con.execute(f'ALTER TABLE "{decl.name}" ADD COLUMN "{col}" {_SQL_TYPES[kind]}')

    def _drop(self, decl: Layer) -> None:
        name = decl.name
        with self._sql() as con:
            geom = self._geom_column(con, name)
            con.execute("BEGIN")
            con.execute(f'DROP TABLE IF EXISTS "{name}"')
            if geom:
                con.execute(f'DROP TABLE IF EXISTS "rtree_{name}_{geom}"')
            for meta in ("gpkg_contents", "gpkg_geometry_columns", "gpkg_ogr_contents",
                         "gpkg_extensions", "gpkg_data_columns"):
                with contextlib.suppress(sqlite3.OperationalError):
                    con.execute(f"DELETE FROM {meta} WHERE table_name = ?", (name,))
            con.execute("COMMIT")

    # ---- reading -------------------------------------------------------------
    def _where(self, flt: Filter) -> str | None:
        return render_where(flt, _time_literal)

    def _read(self, decl, flt, columns, limit, points):
        # the layer as declared: a spatial layer read without its geometry stays with GDAL
        if decl.name in LAYERS and LAYERS[decl.name].geometry is None:
            return self._read_table(decl, flt, columns, limit)
        kwargs = {}
        if flt.bbox is not None:
            kwargs["bbox"] = flt.bbox
        where = self._where(flt)
        if where:
            kwargs["where"] = where
        if limit is not None:
            kwargs["max_features"] = int(limit)
        with self._lock, _unavailable_as_such(self.path), GDAL_LOCK:
            meta, table = pyogrio.read_arrow(self.path, layer=decl.name, columns=columns,
                                             read_geometry=decl.geometry is not None, **kwargs)
        return _frame_of_arrow(meta, table)

    def _read_table(self, decl, flt, columns, limit) -> pd.DataFrame:
        """A table without geometry (accounts, sessions, devices, the audit trail,
        categories…) read by the same SQLite that writes it (:meth:`_sql`), in one
        connection with its column list. It was brought in when a wall's device row,
        just enrolled or revoked, was now and then read back as before, and GDAL's copy
        of SQLite was blamed; the rows had in fact been lost, by the two copies sharing
        the WAL (see :func:`_file_lock`), which reading through ``sqlite3`` did not cure."""
        kinds = self._table_columns(decl.name) or {}
        cols = list(columns) if columns is not None else list(kinds)
        if not cols:
            return pd.DataFrame()   # nothing asked for: as GDAL answers
        picks = ", ".join(f'"{c}"' for c in cols)
        sql = f'SELECT {picks} FROM "{decl.name}"'
        where = self._where(flt)
        if where:
            sql += f" WHERE {where}"
        sql += " ORDER BY fid" + (f" LIMIT {int(limit)}" if limit is not None else "")
        with self._sql() as con:
            rows = con.execute(sql).fetchall()
        df = pd.DataFrame.from_records(rows, columns=cols)
        for c in cols:
            if kinds.get(c) == "float":
                df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
        return df

    def _count(self, decl, flt):
        sql, params = f'SELECT count(*) FROM "{decl.name}"', []
        conds = [c for c in [self._where(flt)] if c]
        if flt.bbox is not None:
            with self._sql() as con:
                geom = self._geom_column(con, decl.name)
            conds.append(f'fid IN (SELECT id FROM "rtree_{decl.name}_{geom}" '
                         "WHERE maxx >= ? AND minx <= ? AND maxy >= ? AND miny <= ?)")
            minx, miny, maxx, maxy = flt.bbox
            params = [minx, maxx, miny, maxy]
        if conds:
            sql += " WHERE " + " AND ".join(conds)
        with self._sql() as con:
            return con.execute(sql, params).fetchone()[0]

    # ---- writing -------------------------------------------------------------
    def _delete_ids(self, con, decl: Layer, ids) -> None:
        self._stage_ids(con, ids)
        con.execute(f'DELETE FROM "{decl.name}" WHERE "{decl.id_field}" IN (SELECT id FROM _ids)')

    def _stage_ids(self, con, ids) -> None:
        """The ids of a write into the temporary table ``_ids``."""
        con.execute("CREATE TEMP TABLE IF NOT EXISTS _ids (id TEXT PRIMARY KEY)")
        con.execute("DELETE FROM _ids")
        con.executemany("INSERT OR IGNORE INTO _ids VALUES (?)", ((i,) for i in ids))

    def _refuse_existing_ids(self, con, decl: Layer) -> None:
        """StoreError if a staged id (:meth:`_stage_ids`) is already in the layer."""
        clash = con.execute(f'SELECT "{decl.id_field}" FROM "{decl.name}" '
                            f'WHERE "{decl.id_field}" IN (SELECT id FROM _ids) LIMIT 1').fetchone()
        if clash:
            raise StoreError(f"{decl.id_field} {clash[0]!r} already exists in {decl.name!r}; "
                             "use upsert to replace")

    def _insert(self, decl, df, upsert):
        with self._lock:
            if len(df) >= BULK_ROWS:
                existing = self._row_count(decl)
                if 3 * len(df) >= existing:
                    return self._insert_bulk(decl, df, upsert, existing)
            if decl.id_field:
                with self._sql() as con:
                    if upsert:
                        self._delete_ids(con, decl, df[decl.id_field].tolist())
                    else:
                        self._stage_ids(con, df[decl.id_field].tolist())
                        self._refuse_existing_ids(con, decl)
            kwargs = {}
            if decl.geometry is not None:
                kwargs["geometry_type"] = _GEOM_TYPES[decl.geometry]
            with GDAL_LOCK:
                pyogrio.write_dataframe(df, self.path, layer=decl.name, driver="GPKG", append=True,
                                        use_arrow=True, **kwargs)

    def _row_count(self, decl: Layer) -> int:
        with self._sql() as con:
            return con.execute(f'SELECT count(*) FROM "{decl.name}"').fetchone()[0]

    def _insert_bulk(self, decl: Layer, df: pd.DataFrame, upsert: bool, existing: int) -> None:
        """A large write in ONE SQLite transaction (SQLite DDL is transactional):
        drop the layer's triggers and secondary indexes, delete replaced rows, insert
        the rows with explicit fids, rebuild the R-tree in bulk (geodata/gpkg_rtree.py)
        from the kept entries and the new rows' bounds, set the feature count,
        re-create the triggers and indexes from their saved SQL, commit. Any failure
        (a duplicate id when the unique index is re-created, a bad value) rolls all
        of it back: the file is as before.

        Taken by a write of at least a third of the layer's ``existing`` rows: per
        row, GDAL's triggers and the indexes cost ~25 µs (R-tree ~15 µs, indexes
        ~9 µs), a rebuild ~6 µs per row of the whole layer. Keeping even the indexes
        whose keys arrive in order and rebuilding the rest measured 2x slower."""
        name = decl.name
        order = _time_order(decl, df)
        # the place of each row of df in the table: its fid is first + pos
        pos = np.arange(len(df), dtype=np.int64)
        if order is not None:
            pos[order] = np.arange(len(df), dtype=np.int64)

        def plan_tree():   # runs while the driver binds the rows
            plan = self._rtree_plan(decl, df, pos) if not existing else None
            return plan, ({"rtree_rowid": plan.rowid_table} if plan else {})

        with _staged(df, plan_tree, order) as (stage, plan), self._transaction(attach=stage.path) as con:
            con.execute(f"PRAGMA cache_size = {-BULK_CACHE_KIB}")
            saved = con.execute("SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ? "
                                "AND type IN ('index', 'trigger') AND sql IS NOT NULL", (name,)).fetchall()
            for kind, obj, _ in saved:
                con.execute(f'DROP {kind.upper()} "{obj}"')
            gone = np.empty(0, np.int64)
            if decl.id_field and existing:
                self._stage_ids(con, sorted(df[decl.id_field].tolist()))  # in order: B-tree appends
                if upsert:
                    gone = np.array([r[0] for r in con.execute(
                        f'DELETE FROM "{name}" WHERE "{decl.id_field}" IN (SELECT id FROM _ids) RETURNING fid')],
                        dtype=np.int64)
                else:
                    self._refuse_existing_ids(con, decl)
            first = self._first_fid(con, name)
            fids = first + pos
            self._insert_staged(con, decl, stage, first)
            geom = self._geom_column(con, name) if decl.geometry is not None else None
            rtree = f"rtree_{name}_{geom}"
            create = con.execute("SELECT sql FROM sqlite_master WHERE name = ?", (rtree,)).fetchone()
            if create and "geometry" in df.columns:
                old_ids, old_boxes = rtree_entries(con, rtree)
                if plan and plan.first == first and not len(old_ids):
                    rtree_replace(con, rtree, create[0], plan.packed, "_stage.rtree_rowid")
                else:   # rows kept, or another writer came between the plan and this transaction
                    geoms = np.asarray(df.geometry.values, dtype=object)
                    has = _has_box(geoms)
                    keep = ~np.isin(old_ids, gone)
                    rtree_rebuild(con, rtree, create[0], np.concatenate([old_ids[keep], fids[has]]),
                                  np.concatenate([old_boxes[keep], rtree_boxes(shapely.bounds(geoms[has]))]))
            con.execute(f'UPDATE gpkg_ogr_contents SET feature_count = (SELECT count(*) FROM "{name}") '
                        "WHERE lower(table_name) = lower(?)", (name,))
            for _, _, sql in saved:
                con.execute(sql)

    def _insert_rows(self, con, decl: Layer, df: pd.DataFrame, fids=None) -> None:
        """Rows by plain INSERT with GeoPackage geometry blobs (fids given, or the
        table's next ones)."""
        cols = [c for c in df.columns if c != "geometry"]
        values = [_sqlite_values(df[c]) for c in cols]
        names = [f'"{c}"' for c in cols]
        geom = self._geom_column(con, decl.name) if decl.geometry is not None else None
        if geom and "geometry" in df.columns:
            names.append(f'"{geom}"')
            values.append(_gpkg_blobs(df.geometry.values))
        if fids is not None:
            names.append("fid")
            values.append(fids.tolist())
        con.executemany(f'INSERT INTO "{decl.name}" ({", ".join(names)}) '
                        f'VALUES ({", ".join("?" * len(names))})', zip(*values))

    @staticmethod
    def _first_fid(con, name: str) -> int:
        """The fid the next row of ``name`` gets (AUTOINCREMENT never reuses one)."""
        row = con.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (name,)).fetchone()
        top = con.execute(f'SELECT max(fid) FROM "{name}"').fetchone()[0]
        return max(row[0] if row else 0, top or 0) + 1

    def _rtree_plan(self, decl: Layer, df: pd.DataFrame, pos: np.ndarray) -> "_RtreePlan | None":
        """The R-tree of a bulk write into an empty layer, packed before the write's
        transaction (its entry → leaf map goes into the staging file with the rows);
        row *i* of ``df`` gets the fid ``first + pos[i]``.
        The transaction uses it only if the layer's next fid is still the one it was
        packed for and the tree is still empty; otherwise it packs again inside."""
        if decl.geometry is None or "geometry" not in df.columns:
            return None
        with self._sql() as con:
            geom = self._geom_column(con, decl.name)
            rtree = f"rtree_{decl.name}_{geom}"
            if not con.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (rtree,)).fetchone():
                return None
            size, first = node_size(con, rtree), self._first_fid(con, decl.name)
        geoms = np.asarray(df.geometry.values, dtype=object)
        has = _has_box(geoms)
        if not has.any():
            return None
        packed = rtree_pack(first + pos[has], rtree_boxes(shapely.bounds(geoms[has])), size)
        ids, leaves = packed.rowids
        return _RtreePlan(first, packed, pa.table({"id": ids, "nodeno": leaves}))

    def _insert_staged(self, con, decl: Layer, stage: "_Stage", first: int) -> None:
        """The staged rows (:func:`_staged`) into the layer in one ``INSERT … SELECT``,
        SQLite to SQLite with no Python value in between; fids ``first``, ``first``+1,
        … in the order of the frame."""
        names = [f'"{c}"' for c in stage.columns]
        geom = self._geom_column(con, decl.name) if decl.geometry is not None else None
        if "geometry" in stage.columns:
            names[stage.columns.index("geometry")] = f'"{geom}"'
        picks = ", ".join(f'"c{i}"' for i in range(len(names)))
        con.execute(f'INSERT INTO "{decl.name}" ({", ".join(names)}, fid) '
                    f'SELECT {picks}, rowid + ? FROM _stage.rows ORDER BY rowid', (first - 1,))

    def _insert_together(self, items):
        """One SQLite transaction over several layers (Store.append_together): rows go
        in by plain INSERT with GeoPackage geometry blobs; GDAL's R-tree and
        feature-count triggers keep the spatial index and counts right."""
        with self._transaction() as con:
            for decl, df in items:
                self._insert_rows(con, decl, df)

    @contextlib.contextmanager
    def _transaction(self, attach: str | None = None):
        """One write transaction; a unique-id clash becomes StoreError, anything
        else rolls back and propagates. ``attach``: a staging database (see
        :func:`_staged`) attached as ``_stage`` (SQLite attaches only outside a
        transaction)."""
        with self._sql() as con:
            if attach:
                con.execute("ATTACH DATABASE ? AS _stage", (attach,))
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
                con.execute("COMMIT")
            except sqlite3.IntegrityError as exc:
                con.execute("ROLLBACK")
                raise StoreError(f"an id already exists ({exc})") from exc
            except BaseException:
                con.execute("ROLLBACK")
                raise

    def append_records_together(self, rows):
        """Records straight into one SQLite transaction (no frames), normalised as
        frame_to_storage would: times as whole-second UTC ISO text, the layer's write
        stamp set, geometry as GeoPackage blobs."""
        from geodata.store import STAMPED
        items = [(self._ensure_records(name, recs), recs) for name, recs in rows.items() if recs]
        if not items:
            return 0
        now = _sqlite_value(pd.Timestamp(self.clock()))
        with self._transaction() as con:
            for (decl, cols), recs in items:
                stamp = STAMPED.get(decl.name)
                names = [f'"{c}"' for c in cols]
                geom = self._geom_column(con, decl.name) if decl.geometry is not None else None
                if geom:
                    names.append(f'"{geom}"')
                values = [[now if c == stamp else _sqlite_value(r.get(c)) for c in cols] for r in recs]
                if geom:
                    values = [v + [b] for v, b in zip(values, _gpkg_blobs([r.get("geometry") for r in recs]))]
                con.executemany(f'INSERT INTO "{decl.name}" ({", ".join(names)}) '
                                f'VALUES ({", ".join("?" * len(names))})', values)
        return sum(len(r) for _, r in items)

    def _append_chained(self, decl, build):
        """Store.append_chained: read the last record and write the next in one
        IMMEDIATE transaction (SQLite's write lock, across processes too)."""
        with self._transaction() as con:
            con.row_factory = sqlite3.Row
            last = con.execute(f'SELECT * FROM "{decl.name}" ORDER BY "seq" DESC LIMIT 1').fetchone()
            record = build(dict(last) if last is not None else None)
            cols = list(record)
            names = ", ".join(f'"{c}"' for c in cols)
            con.execute(f'INSERT INTO "{decl.name}" ({names}) '
                        f'VALUES ({", ".join("?" * len(cols))})', [_sqlite_value(record[c]) for c in cols])
        return record

    def _protect_append_only(self, decl, keep_days):
        """SQLite triggers that abort an UPDATE, and a DELETE of a record younger
        than ``keep_days`` (SQLite has no TRUNCATE); a unique index on ``seq``."""
        name, tf = decl.name, decl.time_field
        with self._sql() as con:
            con.execute(f'CREATE UNIQUE INDEX IF NOT EXISTS "ux_{name}_seq" ON "{name}" ("seq")')
            con.execute(f'CREATE TRIGGER IF NOT EXISTS "{name}_no_update" BEFORE UPDATE ON "{name}" '
                        f"BEGIN SELECT RAISE(ABORT, '{name} is append-only'); END")
            con.execute(f'CREATE TRIGGER IF NOT EXISTS "{name}_keep_{keep_days}d" BEFORE DELETE ON "{name}" '
                        f"WHEN old.\"{tf}\" > strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-{keep_days} days') "
                        f"BEGIN SELECT RAISE(ABORT, '{name} records are kept {keep_days} days'); END")

    def _update(self, decl, df):
        cols = [c for c in df.columns if c != decl.id_field]
        if not cols:
            return 0
        values = [_sqlite_values(df[c]) for c in cols]
        ids = df[decl.id_field].tolist()
        sets = ", ".join(f'"{c}" = ?' for c in cols)
        with self._sql() as con:
            con.execute("BEGIN")
            cur = con.executemany(f'UPDATE "{decl.name}" SET {sets} WHERE "{decl.id_field}" = ?',
                                  zip(*values, ids))
            n = cur.rowcount
            con.execute("COMMIT")
        return n

    def _delete(self, decl, flt):
        where = self._where(flt)
        with self._sql() as con:
            return con.execute(f'DELETE FROM "{decl.name}" WHERE {where}').rowcount


def _frame_of_arrow(meta: dict, table: pa.Table) -> pd.DataFrame:
    """A layer read by GDAL as Arrow, as a (Geo)DataFrame: text as Arrow-backed
    strings, times as GDAL parsed them (``timestamp[ms, UTC]``: the store writes
    ``YYYY-MM-DDTHH:MM:SSZ``), the geometry from its WKB, EPSG:4326.

    ``pyogrio.read_dataframe`` asks GDAL for every time as text and parses it again in
    pandas (it allows for mixed offsets, which the store never writes): 0.5 s for a
    read of the 400 k demo cases, more than a third of the read.
    """
    gname = meta.get("geometry_name") or "wkb_geometry"
    wkb = None
    if gname in table.column_names:
        wkb = table.column(gname)
        table = table.drop_columns([gname])
    if not table.num_columns and wkb is None:
        return pd.DataFrame()   # nothing asked for: as read_dataframe answers
    df = to_pandas(table)
    if wkb is None:
        return df
    geoms = shapely.from_wkb(pa.chunked_array([c.storage if isinstance(c, pa.ExtensionArray) else c
                                               for c in wkb.chunks], pa.binary()).to_numpy(zero_copy_only=False))
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms, index=df.index, crs=meta.get("crs") or "EPSG:4326"))


@contextlib.contextmanager
def _unavailable_as_such(path):
    """Errors that say the file cannot be used now (corrupt, locked, unreadable) become
    :class:`StoreUnavailable`; a wrong statement or a missing layer stays what it is."""
    try:
        yield
    except sqlite3.Error as exc:
        code = getattr(exc, "sqlite_errorcode", None)
        if code is not None and code & 0xFF in _UNAVAILABLE_CODES:
            raise StoreUnavailable(f"GeoPackage {path} cannot be used: {exc}") from exc
        raise
    except pyogrio.errors.DataSourceError as exc:
        # GDAL cannot open the file as a GeoPackage at all (a missing layer is a DataLayerError)
        raise StoreUnavailable(f"GeoPackage {path} cannot be opened: {str(exc).splitlines()[0]}") from exc


def _sqlite_values(s: pd.Series) -> list:
    """A column as SQLite values: times as stored ISO text (whole UTC seconds), NULL
    for missing, numpy scalars as Python ones. Vectorised: a bulk write passes
    millions of values (strftime took 1.8 s a million; see :func:`_iso_utc_array`)."""
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        return _utc_text(s).to_pylist()
    missing = s.isna().to_numpy()
    v = s.to_numpy(dtype=object, copy=True)
    v[missing] = None
    if (s.dtype == object or not isinstance(s.dtype, np.dtype)) and \
            pd.api.types.infer_dtype(v, skipna=True) not in ("string", "empty"):
        return [x.item() if isinstance(x, np.generic) else x for x in v]
    return v.tolist()


def _has_box(geoms: np.ndarray) -> np.ndarray:
    """Rows that get an R-tree entry: not missing, not empty (the insert trigger's WHEN)."""
    return ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))


def _time_order(decl: Layer, df: pd.DataFrame) -> np.ndarray | None:
    """The order (stable; missing times last) in which a bulk write stores the rows of
    ``df``: by the layer's time field, so that the rows of a period lie together in
    the table's pages (a period's read touches fewer of them) and the time indexes,
    rebuilt after the write, are built from keys that arrive in order; None when the
    frame is in that order already. The staged Arrow table is put in this order
    (:func:`_staged`), not the frame: a frame of Python strings and geometries taken
    out of order is slow to read afterwards (its objects lie scattered in memory).

    >>> from geodata.schema import LAYERS
    >>> t = pd.to_datetime(["2024-03-02", None, "2024-01-05"]).tz_localize("UTC")
    >>> _time_order(LAYERS["cases"], pd.DataFrame({"case_id": ["a", "b", "c"], "reported_at": t})).tolist()
    [2, 0, 1]
    >>> _time_order(LAYERS["cases"], pd.DataFrame({"case_id": ["c", "a"], "reported_at": t[[2, 0]]})) is None
    True
    """
    col = decl.time_field
    if not col or col not in df.columns or not pd.api.types.is_datetime64_any_dtype(df[col]):
        return None
    keys = df[col].to_numpy(dtype="datetime64[us]").view(np.int64)
    keys = np.where(df[col].isna().to_numpy(), np.iinfo(np.int64).max, keys)
    if (np.diff(keys) >= 0).all():
        return None
    return np.argsort(keys, kind="stable")


class _RtreePlan(NamedTuple):
    first: int          #: the fid of the write's first row when it was packed
    packed: Packed
    rowid_table: pa.Table


class _Stage:
    """A staging SQLite file holding one table ``rows`` (columns ``c0``, ``c1``, … for
    ``columns``; ``geometry`` as GeoPackage blobs)."""

    def __init__(self, path: pathlib.Path, columns: list[str]):
        self.path, self.columns = str(path), columns


@contextlib.contextmanager
def _staged(df: pd.DataFrame, beside=None, order: np.ndarray | None = None):
    """``df`` written to a temporary SQLite file by Arrow's ADBC SQLite driver, which
    binds the rows in C from Arrow arrays (in ``order``, if given: positions of
    ``df``); yields (:class:`_Stage`, what ``beside`` gave). ``df`` is a frame of
    :func:`geodata.frames.frame_to_storage`, whose columns all stage. ``beside()``,
    if given, runs in this thread while another builds the arrays and binds the rows
    (numpy, Arrow and the driver let go of the GIL: 1 M cases' arrays, reordering and
    binding, ~1.1 s, beside 0.6 s of R-tree packing, take ~1.2 s together) and
    returns (result, {name: table}); its tables go into the same file under their names.

    A bulk write then copies the rows with one ``INSERT … SELECT``: 1 M cases in
    ~1.6 s against ~5.7 s for turning them into Python values and binding them
    one by one with ``executemany`` (bench/load). The values are stored exactly as
    :func:`_sqlite_values` stores them: times as whole-second UTC ISO text, NULL
    for missing, booleans as 0/1."""
    def stage_rows(cur):
        # the arrays are built and reordered in numpy and Arrow, which let go of the GIL too
        table = _arrow_columns(df)
        if order is not None:
            table = table.take(pa.array(order))
        cur.adbc_ingest("rows", table, mode="create")

    with tempfile.TemporaryDirectory(prefix="townbrain-stage-") as d:
        path = pathlib.Path(d) / "stage.sqlite"
        with adbc_driver_sqlite.dbapi.connect(str(path)) as con:
            with con.cursor() as cur:
                with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="townbrain-stage") as pool:
                    rows = pool.submit(stage_rows, cur)
                    try:
                        result, extra = beside() if beside else (None, {})
                    finally:
                        rows.result()   # the binding ends (or raises) before anything else
                for name, more in extra.items():
                    cur.adbc_ingest(name, more, mode="create")
            con.commit()
        yield _Stage(path, list(df.columns)), result


_STAGEABLE = (pa.types.is_string, pa.types.is_large_string, pa.types.is_integer, pa.types.is_floating,
              pa.types.is_boolean, pa.types.is_binary)


def arrow_columns(df: pd.DataFrame) -> pa.Table:
    """The frame's columns as Arrow arrays of SQLite values, named ``c0``, ``c1``, …
    in the frame's order: text, integers, reals, booleans, times as the store's
    whole-second UTC ISO text, a column named ``geometry`` as GeoPackage blobs (SRS
    4326, :func:`gpkg_blob_array`). Public: the store's bulk write and the GeoPackage
    export (exports/gpkg_bulk.py) bind these arrays. StoreError for a column of
    Python objects that are no text, number or bytes."""
    arrays = {}
    for i, c in enumerate(df.columns):
        s = df[c]
        if c == "geometry":
            a = gpkg_blob_array(s.values)
        elif isinstance(s.dtype, pd.DatetimeTZDtype):
            a = _utc_text(s)
        else:
            try:
                a = pa.array(s, from_pandas=True)
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
                raise StoreError(f"column {c!r} holds values the store cannot take ({exc})") from None
            if pa.types.is_null(a.type):
                a = a.cast(pa.string())
            if not any(ok(a.type) for ok in _STAGEABLE):
                raise StoreError(f"column {c!r} holds {a.type} values; the store takes text, numbers and booleans")
        arrays[f"c{i}"] = a
    return pa.table(arrays)


def from_bytes(kind, data: np.ndarray, lengths: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """An Arrow array of ``kind`` (``pa.string()`` or ``pa.binary()``) from its values'
    bytes laid end to end in ``data`` (uint8), value *i* ``lengths[i]`` bytes long;
    ``missing`` (bool, optional) marks nulls, whose length must be 0. No copy of ``data``.

    >>> from_bytes(pa.string(), np.frombuffer(b"abcd", np.uint8), np.array([1, 0, 3]),
    ...            np.array([False, True, False])).to_pylist()
    ['a', None, 'bcd']
    """
    offsets = np.zeros(len(lengths) + 1, np.int32)
    np.cumsum(lengths, out=offsets[1:])
    validity = None if missing is None or not missing.any() else pa.array(~missing).buffers()[1]
    return pa.Array.from_buffers(kind, len(lengths), [validity, pa.py_buffer(offsets), pa.py_buffer(data)],
                                 null_count=-1 if validity is not None else 0)


#: "00" … "99" as two-byte units: one take per field of a time
_PAIRS = np.frombuffer("".join(f"{i:02d}" for i in range(100)).encode(), np.uint16)


def _utc_text(s: pd.Series) -> pa.Array:
    """A zoned time column as the store's UTC text (:func:`_iso_utc_array`)."""
    return _iso_utc_array(s.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(), s.isna().to_numpy())


def _iso_utc_array(utc: np.ndarray, missing: np.ndarray) -> pa.Array:
    """UTC times (naive datetime64) as the store's text, ``YYYY-MM-DDTHH:MM:SSZ``
    (whole seconds, as :func:`_sqlite_values`), built digit by digit in numpy:
    ~0.1 s a million against 0.3 s for ``numpy.datetime_as_string`` and 0.9 s for
    Arrow's ``strftime``. Years outside 0–9999 go the slow, general way.

    >>> t = np.array(["2024-02-29T23:59:59.7", "NaT", "1999-12-31T00:00:00"], dtype="datetime64[ms]")
    >>> _iso_utc_array(t, np.isnat(t)).to_pylist()
    ['2024-02-29T23:59:59Z', None, '1999-12-31T00:00:00Z']
    """
    secs = np.where(missing, 0, utc.astype("datetime64[s]").astype(np.int64))
    days, sod = np.divmod(secs, 86400)
    # civil_from_days (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms")
    era, doe = np.divmod(days + 719468, 146097)
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    if ((year < 0) | (year > 9999)).any():
        text = np.datetime_as_string(utc.astype("datetime64[s]"), unit="s", timezone="UTC")
        return pa.array(text, pa.string(), mask=missing)
    minutes = sod // 60
    out = np.empty((len(secs), 20), np.uint8)
    out[:] = np.frombuffer(b"0000-00-00T00:00:00Z", np.uint8)
    for col, value in ((0, year // 100), (2, year % 100), (5, month), (8, day), (11, minutes // 60),
                       (14, minutes % 60), (17, sod % 60)):
        out[:, col:col + 2] = _PAIRS.take(value).view(np.uint8).reshape(-1, 2)
    lengths = np.where(missing, 0, 20)
    return _from_bytes(pa.string(), out[~missing].ravel(), lengths, missing)


def gpkg_blob_array(geoms, srs_id: int = 4326) -> pa.Array:
    """GeoPackage geometry blobs (GPKG spec 2.1.3) of shapely geometries as an Arrow
    binary array (None stays null): header, envelope (none for a point or an empty
    geometry, [minx, maxx, miny, maxy] otherwise), little-endian WKB. ``srs_id`` is
    written into every header and must be the layer's (GeoPackage Req. 33): the
    store's layers are 4326; an export in another CRS passes its own. The
    headers and envelopes are laid out in numpy rather than joined in Python (points
    entirely: 0.06 s a million against 0.65 s); tests/geodata/test_store_bulk.py
    compares the blobs byte for byte with GDAL's.

    >>> srs = struct.pack("<i", 4326)
    >>> p, line = shapely.Point(120.5, 31.25), shapely.LineString([(0, 0), (1, 3)])
    >>> blobs = gpkg_blob_array([p, None, shapely.Point(), line]).to_pylist()
    >>> blobs[0] == b"GP\\x00\\x01" + srs + shapely.to_wkb(p, byte_order=1), blobs[1]
    (True, None)
    >>> blobs[2] == b"GP\\x00\\x11" + srs + shapely.to_wkb(shapely.Point(), byte_order=1)
    True
    >>> blobs[3] == b"GP\\x00\\x03" + srs + struct.pack("<4d", 0, 1, 0, 3) + shapely.to_wkb(line, byte_order=1)
    True
    >>> gpkg_blob_array([shapely.Point(1, 2), None]).to_pylist()[0][8:] == shapely.to_wkb(shapely.Point(1, 2), byte_order=1)
    True
    >>> gpkg_blob_array([p, line], srs_id=4490).to_pylist()[1][4:8] == struct.pack("<i", 4490)
    True
    """
    geoms = np.asarray(geoms, dtype=object)
    missing = shapely.is_missing(geoms)
    kinds = np.where(shapely.is_empty(geoms), 1, np.where(shapely.get_type_id(geoms) == 0, 0, 2))
    if (kinds[~missing] == 0).all() and not shapely.has_z(geoms).any():
        # 2-D points (cases, patrols): header and WKB are 29 fixed bytes, no Python bytes at all
        blob = np.empty((len(geoms), 29), np.uint8)
        blob[:, :13] = np.frombuffer(b"GP\x00\x01" + struct.pack("<i", srs_id) + b"\x01" + struct.pack("<I", 1), np.uint8)
        blob[:, 13:] = np.column_stack([shapely.get_x(geoms), shapely.get_y(geoms)]).astype("<f8").view(np.uint8)
        return from_bytes(pa.binary(), blob[~missing].ravel(), np.where(missing, 0, 29), missing)
    wkb = shapely.to_wkb(geoms, byte_order=1)
    head = np.empty((len(geoms), 40), np.uint8)
    head[:, :8] = np.frombuffer(b"GP\x00\x01" + struct.pack("<i", srs_id), np.uint8)
    head[kinds == 1, 3] = 0x11
    head[kinds == 2, 3] = 0x03
    if (kinds == 2).any():
        env = np.ascontiguousarray(shapely.bounds(geoms)[:, [0, 2, 1, 3]], dtype="<f8")
        head[:, 8:] = env.view(np.uint8).reshape(len(geoms), 32)
    lengths = np.where(missing, 0, np.where(kinds == 2, 40, 8))
    keep = np.arange(40)[None, :] < lengths[:, None]
    headers = from_bytes(pa.binary(), head[keep], lengths, missing)
    return pa.compute.binary_join_element_wise(headers, pa.array(wkb, pa.binary()), b"")


#: The names these had while they were private to the store; its own code still uses them.
_arrow_columns, _from_bytes, _gpkg_blob_array = arrow_columns, from_bytes, gpkg_blob_array


def _sqlite_value(v):
    """One record value as SQLite stores it (see :func:`_sqlite_values`)."""
    if v is None or v is pd.NaT or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, (pd.Timestamp, datetime.datetime)):
        t = pd.Timestamp(v)
        t = t.tz_localize(config.timezone()) if t.tzinfo is None else t
        return t.tz_convert("UTC").floor("s").strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(v, np.generic):
        return v.item()
    return v


def _gpkg_blobs(geoms) -> list:
    """GeoPackage geometry blobs (GPKG spec 2.1.3) of shapely geometries (None stays
    None), as Python bytes for a row-by-row write: see :func:`_gpkg_blob_array`."""
    return _gpkg_blob_array(geoms).to_pylist()


def _gpkg_geometry(blob):
    """The shapely geometry of a GeoPackage geometry blob (GPKG spec 2.1.3)."""
    if blob is None:
        return None
    flags = blob[3]
    env_len = (0, 32, 48, 48, 64)[(flags >> 1) & 0x07]
    return shapely.from_wkb(bytes(blob[8 + env_len:]))


def _register_gpkg_functions(con: sqlite3.Connection) -> None:
    """The SQL functions GeoPackage R-tree triggers name (normally given by GDAL or
    SpatiaLite). SQLite resolves every function of a trigger when it prepares an
    UPDATE, even one whose WHEN clause is false, so they must exist for our
    attribute updates; they are correct, not dummies, should a trigger fire."""
    def bounds(i):
        def f(blob):
            g = _gpkg_geometry(blob)
            return None if g is None or g.is_empty else float(g.bounds[i])
        return f
    con.create_function("ST_IsEmpty", 1, lambda b: None if b is None else int(bool(b[3] & 0x10)),
                        deterministic=True)
    for i, name in enumerate(("ST_MinX", "ST_MinY", "ST_MaxX", "ST_MaxY")):
        con.create_function(name, 1, bounds(i), deterministic=True)
