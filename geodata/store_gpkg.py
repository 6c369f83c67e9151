"""GeoPackage backend: the embedded default (one file, no server).

Features are written and read by GDAL through pyogrio (Arrow I/O, R-tree spatial
index maintained by GDAL); schema changes, deletes and attribute updates go
through SQLite directly. That is safe because the GeoPackage R-tree triggers fire
only on geometry changes and the feature-count triggers are plain SQL.
"""
from __future__ import annotations

import contextlib
import sqlite3
import threading

import numpy as np
import shapely
import pandas as pd
import pyogrio

from geodata import config
from geodata.frames import StoreError
from geodata.query import Filter, render_where
from geodata.schema import Layer
from geodata.store import Store

_SQL_TYPES = {"text": "TEXT", "int": "INTEGER", "float": "REAL", "bool": "BOOLEAN", "datetime": "DATETIME"}
_EMPTY_DTYPES = {"text": object, "int": "int64", "float": "float64", "bool": "bool",
                 "datetime": "datetime64[ms, UTC]"}
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


class GeoPackageStore(Store):
    """Layers in one GeoPackage file (created on first write)."""

    def __init__(self, url: str):
        self.url = url
        self.path = config.gpkg_path(url)
        self._lock = threading.RLock()  # one writer at a time within this process

    # ---- connections -------------------------------------------------------
    @contextlib.contextmanager
    def _sql(self):
        if not self.path.exists():
            raise StoreError(f"GeoPackage {self.path} does not exist yet")
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            con.execute("PRAGMA busy_timeout = 30000")
            _register_gpkg_functions(con)
            yield con
        finally:
            con.close()

    def ping(self) -> dict:
        if not self.path.exists():
            raise StoreError(f"GeoPackage {self.path} not found")
        with self._sql() as con:
            n = con.execute("SELECT count(*) FROM gpkg_contents").fetchone()[0]
        return {"backend": "geopackage", "path": str(self.path), "layers": n}

    def layers(self) -> list[str]:
        if not self.path.exists():
            return []
        with self._sql() as con:
            return [r[0] for r in con.execute("SELECT table_name FROM gpkg_contents ORDER BY table_name")]

    def _geom_column(self, con, name: str) -> str | None:
        row = con.execute("SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", (name,)).fetchone()
        return row[0] if row else None

    def _table_columns(self, name: str) -> dict[str, str] | None:
        if not self.path.exists():
            return None
        with self._sql() as con:
            if not con.execute("SELECT 1 FROM gpkg_contents WHERE table_name = ?", (name,)).fetchone():
                return None
            geom = self._geom_column(con, name)
            cols = con.execute(f'PRAGMA table_info("{name}")').fetchall()
        return {c[1]: _kind_of_sql(c[2]) for c in cols if c[1] not in ("fid", geom)}

    # ---- schema --------------------------------------------------------------
    def _create_table(self, decl: Layer, kinds: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        empty = pd.DataFrame({c: pd.Series([], dtype=_EMPTY_DTYPES[k]) for c, k in kinds.items()})
        kwargs = {}
        if decl.geometry is not None:
            import geopandas as gpd
            empty = gpd.GeoDataFrame(empty, geometry=gpd.GeoSeries([], crs="EPSG:4326"))
            kwargs["geometry_type"] = _GEOM_TYPES[decl.geometry]
        with self._lock:
            pyogrio.write_dataframe(empty, self.path, layer=decl.name, driver="GPKG", **kwargs)
            with self._sql() as con:
                con.execute("PRAGMA journal_mode = WAL")  # readers (the screen) never block the writer
                if decl.id_field:
                    con.execute(f'CREATE UNIQUE INDEX IF NOT EXISTS "ix_{decl.name}_{decl.id_field}" '
                                f'ON "{decl.name}" ("{decl.id_field}")')
                for f in decl.fields:
                    if f.kind == "datetime" or f.name in ("grid_id", "district_id", "staff_id", "category"):
                        con.execute(f'CREATE INDEX IF NOT EXISTS "ix_{decl.name}_{f.name}" '
                                    f'ON "{decl.name}" ("{f.name}")')

    def _add_columns(self, decl: Layer, kinds: dict[str, str]) -> None:
        with self._lock, self._sql() as con:
            for col, kind in kinds.items():
                con.execute(f'ALTER TABLE "{decl.name}" ADD COLUMN "{col}" {_SQL_TYPES[kind]}')

    def _drop(self, decl: Layer) -> None:
        name = decl.name
        with self._lock, self._sql() as con:
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
        kwargs = {}
        if flt.bbox is not None:
            kwargs["bbox"] = flt.bbox
        where = self._where(flt)
        if where:
            kwargs["where"] = where
        if limit is not None:
            kwargs["max_features"] = int(limit)
        df = pyogrio.read_dataframe(self.path, layer=decl.name, columns=columns, use_arrow=True,
                                    read_geometry=decl.geometry is not None, **kwargs)
        if decl.geometry is not None and df.crs is None and len(df):
            df = df.set_crs("EPSG:4326")
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
        con.execute("CREATE TEMP TABLE IF NOT EXISTS _ids (id TEXT PRIMARY KEY)")
        con.execute("DELETE FROM _ids")
        con.executemany("INSERT OR IGNORE INTO _ids VALUES (?)", ((i,) for i in ids))
        con.execute(f'DELETE FROM "{decl.name}" WHERE "{decl.id_field}" IN (SELECT id FROM _ids)')

    def _insert(self, decl, df, upsert):
        with self._lock:
            if decl.id_field:
                with self._sql() as con:
                    if upsert:
                        self._delete_ids(con, decl, df[decl.id_field].tolist())
                    else:
                        con.execute("CREATE TEMP TABLE IF NOT EXISTS _ids (id TEXT PRIMARY KEY)")
                        con.execute("DELETE FROM _ids")
                        con.executemany("INSERT OR IGNORE INTO _ids VALUES (?)",
                                        ((i,) for i in df[decl.id_field].tolist()))
                        clash = con.execute(f'SELECT "{decl.id_field}" FROM "{decl.name}" '
                                            f'WHERE "{decl.id_field}" IN (SELECT id FROM _ids) LIMIT 1').fetchone()
                        if clash:
                            raise StoreError(f"{decl.id_field} {clash[0]!r} already exists in {decl.name!r}; "
                                             "use upsert to replace")
            kwargs = {}
            if decl.geometry is not None:
                kwargs["geometry_type"] = _GEOM_TYPES[decl.geometry]
            pyogrio.write_dataframe(df, self.path, layer=decl.name, driver="GPKG", append=True,
                                    use_arrow=True, **kwargs)

    def _update(self, decl, df):
        cols = [c for c in df.columns if c != decl.id_field]
        if not cols:
            return 0
        values = []
        for c in cols:
            s = df[c]
            if isinstance(s.dtype, pd.DatetimeTZDtype):
                v = s.dt.strftime("%Y-%m-%dT%H:%M:%SZ").astype(object).where(s.notna(), None)
            else:
                v = s.astype(object).where(s.notna(), None)
            values.append(v.map(lambda x: x.item() if isinstance(x, np.generic) else x).tolist())
        ids = df[decl.id_field].tolist()
        sets = ", ".join(f'"{c}" = ?' for c in cols)
        with self._lock, self._sql() as con:
            con.execute("BEGIN")
            cur = con.executemany(f'UPDATE "{decl.name}" SET {sets} WHERE "{decl.id_field}" = ?',
                                  zip(*values, ids))
            n = cur.rowcount
            con.execute("COMMIT")
        return n

    def _delete(self, decl, flt):
        where = self._where(flt)
        with self._lock, self._sql() as con:
            return con.execute(f'DELETE FROM "{decl.name}" WHERE {where}').rowcount


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
