"""A GeoPackage export written in bulk: GDAL makes the layer, Arrow fills it.

GDAL writes a GeoPackage feature by feature, formatting each value itself: for the
demo's 402 k cases 1.6–1.8 s of an export of ~2.5 s. Here GDAL still creates the file
and the layer (its schema, ``gpkg_contents`` with description and identifier, the
SRS rows for WGS84, CGCS2000 or the GCJ-02 WKT, the R-tree and its triggers:
everything a GIS checks), from the frame's first zero rows, so every choice of type
is GDAL's own. The rows then go in as Arrow arrays through the ADBC SQLite driver,
which binds them in C — the store's own bulk write (geodata/store_gpkg.py
``arrow_columns``, ``gpkg_blob_array`` with the layer's ``srs_id``) — with the layer's
triggers set aside, in pieces so that one piece's arrays are built while the driver
binds the last; the R-tree is packed Sort-Tile-Recursive meanwhile
(geodata/gpkg_rtree.py ``rtree_pack``, as GDAL itself bulk-loads a new layer's
tree) and its nodes and entry map go into SQLite's shadow tables by the same driver;
the feature count and extent are set as GDAL would leave them. 1.1–1.2 s for the
402 k cases (bench/export.py), of which binding the rows is 0.9 s.

Values are stored as GDAL stores them: text, integers, reals, booleans 0/1, times as
UTC ISO 8601 text (GeoPackage Requirement 5), geometry as GeoPackage blobs with the
layer's ``srs_id``. A frame this path cannot take exactly — mixed or 3-D geometry,
times finer than a second, a column of Python objects that are not all text — goes
the plain GDAL way (:func:`bulk_writable` says which).
"""
from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import adbc_driver_sqlite.dbapi
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import shapely

from geodata.gdal_lock import GDAL_LOCK
from geodata.gpkg_rtree import node_size, rtree_boxes, rtree_pack
from geodata.store_gpkg import arrow_columns, gpkg_blob_array

__all__ = ["write_gpkg_bulk", "bulk_writable", "BULK_ROWS"]

#: Below this many rows GDAL's own write is as quick; the bulk path starts here.
BULK_ROWS = 5_000
#: shapely.get_type_id → the geometry type's name, as GDAL and geopandas say it.
_TYPE_NAMES = ("Point", "LineString", "LinearRing", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon",
               "GeometryCollection")
#: Pieces the rows are bound in, so that one piece's arrays are built while the last is bound.
CHUNKS = 8


def _geometry(frame):
    name = getattr(frame, "_geometry_column_name", None)
    return frame[name] if name is not None and name in frame else None


def bulk_writable(frame: pd.DataFrame) -> str | None:
    """None when :func:`write_gpkg_bulk` stores ``frame`` exactly as GDAL would, else why not.

    >>> import geopandas as gpd
    >>> f = gpd.GeoDataFrame({"a": ["x", None]}, geometry=[shapely.Point(0, 0), None], crs=4326)
    >>> bulk_writable(f) is None, bulk_writable(f.assign(b=[object(), None]))
    (True, "column 'b' holds Python objects that are not text")
    """
    geom = _geometry(frame)
    if geom is None:
        return "no geometry"
    if any(str(c).lower() == "fid" for c in frame.columns):
        return "a column named fid (GDAL's feature id)"
    geoms = np.asarray(geom.values, dtype=object)
    kinds = np.unique(shapely.get_type_id(geoms))
    if len(kinds[kinds >= 0]) > 1:
        return "mixed geometry types"
    if shapely.has_z(geoms).any():
        return "3-D geometry"
    for c in frame.columns:
        if c == geom.name:
            continue
        s = frame[c]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            ticks = s.array.asi8[s.notna().to_numpy()]           # since the epoch, in the column's unit
            if (ticks % (10 ** {"s": 0, "ms": 3, "us": 6, "ns": 9}[s.dt.unit])).any():
                return f"column {c!r} holds times finer than a second"
        elif pd.api.types.is_datetime64_any_dtype(s.dtype):
            return f"column {c!r} holds times without a zone"
        elif isinstance(s.dtype, pd.CategoricalDtype):
            if pd.api.types.infer_dtype(s.cat.categories, skipna=True) not in ("string", "empty"):
                return f"column {c!r} is a category of other things than text"
        elif s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) not in ("string", "empty"):
            return f"column {c!r} holds Python objects that are not text"
    return None


def _plain_columns(frame, geom_name: str):
    """Categorical columns (the console's frame) as text: GDAL writes them as text too."""
    cats = [c for c in frame.columns if c != geom_name and isinstance(frame[c].dtype, pd.CategoricalDtype)]
    if not cats:
        return frame
    frame = frame.copy(deep=False)
    for c in cats:
        frame[c] = frame[c].astype("string")
    return frame


def _schema_frame(frame, geom_name: str):
    """The frame's first zero rows, its object columns of text as text (an empty
    object column would otherwise reach GDAL as Arrow's null type)."""
    head = frame.iloc[:0].copy()
    for c in head.columns:
        if c != geom_name and head[c].dtype == object:
            head[c] = head[c].astype("string")
    return head


@dataclass
class _Layer:
    """What GDAL made that the bulk write fills in and then restores."""

    geom_col: str
    srs_id: int
    triggers: list            # (name, sql) of the layer's triggers, set aside during the write
    rtree: str | None         # the R-tree's table, when GDAL made one
    node_size: int = 0


def _gdal_layer(frame, geom, out: Path, layer: str, layer_options: dict) -> _Layer:
    """The file and its empty layer, made by GDAL from the frame's schema, with the
    layer's triggers set aside and its R-tree emptied (its nodes are written whole)."""
    kinds = np.unique(shapely.get_type_id(np.asarray(geom.values, dtype=object)))
    kinds = kinds[kinds >= 0]   # one kind at most (bulk_writable); none when every geometry is missing
    with GDAL_LOCK:
        pyogrio.write_dataframe(_schema_frame(frame, geom.name), out, layer=layer, driver="GPKG", use_arrow=True,
                                geometry_type=_TYPE_NAMES[kinds[0]] if len(kinds) else "Unknown",
                                layer_options=layer_options)
    con = sqlite3.connect(out, isolation_level=None)
    try:
        geom_col, srs_id = con.execute("SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?",
                                       (layer,)).fetchone()
        made = _Layer(geom_col, srs_id, con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                                    "AND tbl_name = ?", (layer,)).fetchall(), None)
        rtree = f"rtree_{layer}_{geom_col}"
        con.execute("BEGIN")
        for name, _ in made.triggers:  # GDAL's per-row R-tree and feature-count triggers: done in bulk instead
            con.execute(f'DROP TRIGGER "{name}"')
        if con.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (rtree,)).fetchone():
            made.rtree, made.node_size = rtree, node_size(con, rtree)
            con.execute(f'DELETE FROM "{rtree}_node"')   # the empty root: the packed tree brings its own
        con.execute("COMMIT")
    finally:
        con.close()
    return made


def _rtree_tables(made: _Layer, packed) -> list[tuple[str, pa.Table]]:
    """A packed tree (geodata/gpkg_rtree.py ``rtree_pack``) as rows of SQLite's rtree
    shadow tables (rtree.c: ``_node``, ``_rowid``, ``_parent``)."""
    nodes, blobs = zip(*packed.nodes)
    out = [(f"{made.rtree}_node", pa.table({"nodeno": pa.array(nodes, pa.int64()),
                                             "data": pa.array(blobs, pa.binary())})),
           (f"{made.rtree}_rowid", pa.table({"rowid": packed.rowids[0], "nodeno": packed.rowids[1]}))]
    if packed.parents:
        child, parent = zip(*packed.parents)
        out.append((f"{made.rtree}_parent", pa.table({"nodeno": pa.array(child, pa.int64()),
                                                       "parentnode": pa.array(parent, pa.int64())})))
    return out


def write_gpkg_bulk(frame, out: Path, layer: str, layer_options: dict) -> None:
    """``frame`` (a GeoDataFrame that :func:`bulk_writable` accepts, times in UTC) as
    the layer ``layer`` of a new GeoPackage ``out``.

    The rows, then the R-tree's nodes and entry map, go in through ADBC in one
    transaction; the tree is packed (numpy, on the other core where there is one)
    while the rows' Arrow arrays are built and bound."""
    geom = _geometry(frame)
    frame = _plain_columns(frame, geom.name)
    made = _gdal_layer(frame, geom, out, layer, layer_options)
    geoms = np.asarray(geom.values, dtype=object)
    fids = np.arange(1, len(frame) + 1, dtype=np.int64)
    has = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))   # what GDAL's insert trigger indexes
    bounds = shapely.bounds(geoms[has])
    attrs = [c for c in frame.columns if c != geom.name]

    def rows(lo: int, hi: int) -> pa.Table:
        """Rows lo … hi-1 as the Arrow table the driver binds: the store's own arrays."""
        part = arrow_columns(pd.DataFrame({c: frame[c].iloc[lo:hi] for c in attrs})).rename_columns(attrs)
        part = part.append_column(made.geom_col, gpkg_blob_array(geoms[lo:hi], srs_id=made.srs_id))
        return part.append_column("fid", pa.array(fids[lo:hi]))
    cuts = np.linspace(0, len(frame), max(1, min(CHUNKS, len(frame) // BULK_ROWS)) + 1).astype(int)
    pool = ThreadPoolExecutor(2)
    packing = pool.submit(lambda: rtree_pack(fids[has], rtree_boxes(bounds), made.node_size)) \
        if made.rtree and has.any() else None
    with pool, adbc_driver_sqlite.dbapi.connect(str(out), autocommit=True) as adbc:
        with adbc.cursor() as cur:
            cur.execute("PRAGMA synchronous = OFF")   # a new file: a crash leaves half a file either way
            adbc.adbc_connection.set_options(**{"adbc.connection.autocommit": "false"})   # then one transaction
            # the next chunk's arrays are built while the driver binds this one's rows
            coming = pool.submit(rows, cuts[0], cuts[1])
            for i in range(1, len(cuts)):
                table = coming.result()
                if i + 1 < len(cuts):
                    coming = pool.submit(rows, cuts[i], cuts[i + 1])
                cur.adbc_ingest(layer, table, mode="append")
            if made.rtree:
                tables = _rtree_tables(made, packing.result()) if packing else \
                    [(f"{made.rtree}_node", pa.table({"nodeno": pa.array([1], pa.int64()),     # an empty root
                                                      "data": pa.array([bytes(made.node_size)], pa.binary())}))]
                for name, rows in tables:
                    cur.adbc_ingest(name, rows, mode="append")
        adbc.adbc_connection.commit()   # the DB-API wrapper still thinks it autocommits

    con = sqlite3.connect(out, isolation_level=None)
    try:
        con.execute("BEGIN")
        for _, sql in made.triggers:
            con.execute(sql)
        if con.execute("SELECT 1 FROM sqlite_master WHERE name = 'gpkg_ogr_contents'").fetchone():
            con.execute("UPDATE gpkg_ogr_contents SET feature_count = ? WHERE lower(table_name) = lower(?)",
                        (len(frame), layer))
        if has.any():
            con.execute("UPDATE gpkg_contents SET min_x = ?, min_y = ?, max_x = ?, max_y = ? WHERE table_name = ?",
                        (float(bounds[:, 0].min()), float(bounds[:, 1].min()), float(bounds[:, 2].max()),
                         float(bounds[:, 3].max()), layer))
        con.execute("COMMIT")
    finally:
        con.close()
