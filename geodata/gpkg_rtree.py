"""Bulk loading a GeoPackage R-tree by writing SQLite's rtree shadow tables.

Inserting boxes one by one through the ``rtree`` virtual table (what GDAL's
``rtree_<t>_<g>_insert`` trigger does per row) costs ~15 µs a box: 15 s for a
million cases, whatever their order. GDAL itself bulk-loads the R-tree of a layer
it creates (ogr/ogrsf_frmts/sqlite/ogr_sqlite_rtree_bulk_loader.c); we do the same
for large writes: pack the boxes Sort-Tile-Recursive and write the nodes.

The format is SQLite's (sqlite/ext/rtree/rtree.c, header comment and
nodeGetCell/nodeOverwriteCell): a node is one blob of the table's node size, bytes
0-1 the tree depth (root only), 2-3 the cell count, then cells of an 8-byte id (a
child's node number in an inner node) and 4-byte floats minx, maxx, miny, maxy,
all big-endian. ``<rtree>_rowid`` maps an entry to its leaf, ``<rtree>_parent`` a
node to its parent; the root is node 1. ``SELECT rtreecheck('<rtree>')`` checks it.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import numpy as np

#: rtree.c RNDTOWARDS / RNDAWAY: how SQLite rounds a double to the float it stores
#: so that the stored box still contains the exact one (rtreeValueDown / Up).
_RND_TOWARDS = 1.0 - 1.0 / 8388608.0
_RND_AWAY = 1.0 + 1.0 / 8388608.0
_CELL = np.dtype([("id", ">i8"), ("box", ">f4", (4,))])  # 24 bytes, as rtree.c writes a cell


def rtree_boxes(bounds: np.ndarray) -> np.ndarray:
    """Shapely bounds (n × [minx, miny, maxx, maxy], float64) as the rtree stores
    them: float32 [minx, maxx, miny, maxy], mins rounded down and maxs up exactly as
    rtree.c's rtreeValueDown / rtreeValueUp do."""
    lo, hi = bounds[:, [0, 1]], bounds[:, [2, 3]]
    down = lo.astype(np.float32)
    fix = down > lo
    down[fix] = (lo[fix] * np.where(lo[fix] < 0, _RND_AWAY, _RND_TOWARDS)).astype(np.float32)
    up = hi.astype(np.float32)
    fix = up < hi
    up[fix] = (hi[fix] * np.where(hi[fix] < 0, _RND_TOWARDS, _RND_AWAY)).astype(np.float32)
    return np.column_stack([down[:, 0], up[:, 0], down[:, 1], up[:, 1]])


def rtree_entries(con: sqlite3.Connection, rtree: str) -> tuple[np.ndarray, np.ndarray]:
    """Ids and stored boxes (float32 [minx, maxx, miny, maxy]) of an R-tree; the
    floats come back exactly, so writing them again changes nothing."""
    rows = con.execute(f'SELECT id, minx, maxx, miny, maxy FROM "{rtree}"').fetchall()
    if not rows:
        return np.empty(0, np.int64), np.empty((0, 4), np.float32)
    arr = np.array(rows, dtype=np.float64)
    return np.array([r[0] for r in rows], dtype=np.int64), arr[:, 1:].astype(np.float32)


@dataclass
class Packed:
    """An R-tree packed but not yet written (:func:`rtree_pack`): node blobs, the leaf
    of each entry (in id order) and the parent of each inner node."""

    node_size: int
    nodes: list[tuple[int, bytes]]
    rowids: tuple[np.ndarray, np.ndarray]
    parents: list[tuple[int, int]]


def node_size(con: sqlite3.Connection, rtree: str) -> int:
    """Bytes of a node of ``rtree`` (from the page size of its file)."""
    return con.execute(f'SELECT length(data) FROM "{rtree}_node" WHERE nodeno = 1').fetchone()[0]


def rtree_rebuild(con: sqlite3.Connection, rtree: str, create_sql: str,
                  ids: np.ndarray, boxes: np.ndarray) -> None:
    """Replace the R-tree ``rtree`` (created by ``create_sql``) by one holding
    exactly ``ids`` with ``boxes`` (as from :func:`rtree_boxes`), packed
    Sort-Tile-Recursive. Runs in the caller's transaction."""
    con.execute(f'DROP TABLE "{rtree}"')
    con.execute(create_sql)
    if len(ids):
        rtree_write(con, rtree, rtree_pack(ids, boxes, node_size(con, rtree)))


def rtree_replace(con: sqlite3.Connection, rtree: str, create_sql: str, packed: Packed,
                  staged_rowids: str) -> None:
    """As :func:`rtree_rebuild` with the tree packed beforehand and its entry → leaf
    map already in the table ``staged_rowids`` (columns ``id``, ``nodeno``), copied
    with one ``INSERT … SELECT``: for a million entries 0.1 s against 1.2 s bound
    one by one."""
    con.execute(f'DROP TABLE "{rtree}"')
    con.execute(create_sql)
    if node_size(con, rtree) != packed.node_size:   # cannot differ within one file; never write a bad tree
        raise ValueError(f"R-tree {rtree} was packed for nodes of {packed.node_size} bytes")
    if len(packed.rowids[0]):
        rtree_write(con, rtree, packed, staged_rowids)


def rtree_pack(ids: np.ndarray, boxes: np.ndarray, size: int) -> Packed:
    """Pack ``ids`` with ``boxes`` Sort-Tile-Recursive into nodes of ``size`` bytes."""
    fanout = (size - 4) // _CELL.itemsize
    nodes, rowids, parents = [], None, []
    next_no, depth = 2, 0
    child_ids, child_boxes = np.asarray(ids, np.int64), np.asarray(boxes, np.float32)
    while True:
        order, node_of = _str_pack(child_boxes, fanout)
        n_nodes = int(node_of[-1]) + 1
        numbers = np.array([1]) if n_nodes == 1 else np.arange(next_no, next_no + n_nodes)
        next_no += 0 if n_nodes == 1 else n_nodes
        sorted_ids, sorted_boxes = child_ids[order], child_boxes[order]
        if depth == 0:
            by_id = np.argsort(sorted_ids, kind="stable")  # in id order: B-tree appends
            rowids = (sorted_ids[by_id], numbers[node_of][by_id])
        else:
            parents.extend(zip(sorted_ids.tolist(), numbers[node_of].tolist()))
        nodes.extend(zip(numbers.tolist(), _node_blobs(sorted_ids, sorted_boxes, node_of, n_nodes,
                                                       fanout, size, depth if n_nodes == 1 else 0)))
        if n_nodes == 1:
            break
        starts = np.flatnonzero(np.r_[True, node_of[1:] != node_of[:-1]])
        child_boxes = np.column_stack([np.minimum.reduceat(sorted_boxes[:, 0], starts),
                                       np.maximum.reduceat(sorted_boxes[:, 1], starts),
                                       np.minimum.reduceat(sorted_boxes[:, 2], starts),
                                       np.maximum.reduceat(sorted_boxes[:, 3], starts)])
        child_ids, depth = numbers, depth + 1
    return Packed(size, nodes, rowids, parents)


def rtree_write(con: sqlite3.Connection, rtree: str, packed: Packed, staged_rowids: str | None = None) -> None:
    """Write a packed tree into the (new, empty) shadow tables of ``rtree``."""
    con.executemany(f'INSERT OR REPLACE INTO "{rtree}_node" (nodeno, data) VALUES (?, ?)', packed.nodes)
    if staged_rowids:
        con.execute(f'INSERT INTO "{rtree}_rowid" (rowid, nodeno) SELECT id, nodeno FROM {staged_rowids} '
                    "ORDER BY id")
    else:
        con.executemany(f'INSERT INTO "{rtree}_rowid" (rowid, nodeno) VALUES (?, ?)',
                        zip(packed.rowids[0].tolist(), packed.rowids[1].tolist()))
    con.executemany(f'INSERT INTO "{rtree}_parent" (nodeno, parentnode) VALUES (?, ?)', packed.parents)


def _str_pack(boxes: np.ndarray, fanout: int) -> tuple[np.ndarray, np.ndarray]:
    """Sort-Tile-Recursive packing (Leutenegger et al., 1997) of one level: the
    order of the boxes and, in that order, the node each goes to (0, 1, … with
    consecutive boxes in a node)."""
    n = len(boxes)
    n_nodes = -(-n // fanout)
    per_slice = int(np.ceil(np.sqrt(n_nodes))) * fanout
    cx = boxes[:, 0].astype(np.float64) + boxes[:, 1]
    cy = boxes[:, 2].astype(np.float64) + boxes[:, 3]
    by_x = np.argsort(cx, kind="stable")
    slice_of = np.empty(n, np.int64)
    slice_of[by_x] = np.arange(n) // per_slice
    order = np.lexsort((cy, slice_of))
    pos = np.arange(n)
    s = slice_of[order]
    # Every slice but the last fills whole nodes, so the numbers have no gaps.
    node_of = s * (per_slice // fanout) + (pos - s * per_slice) // fanout
    return order, node_of


def _node_blobs(ids, boxes, node_of, n_nodes, fanout, node_size, depth) -> list[bytes]:
    cells = np.zeros((n_nodes, fanout), dtype=_CELL)
    starts = np.searchsorted(node_of, np.arange(n_nodes))
    slot = np.arange(len(ids)) - starts[node_of]
    cells["id"][node_of, slot] = ids
    cells["box"][node_of, slot] = boxes
    raw = np.zeros((n_nodes, node_size), np.uint8)
    raw[:, 0:2] = np.frombuffer(np.array(depth, ">u2").tobytes(), np.uint8)
    counts = np.bincount(node_of, minlength=n_nodes).astype(">u2")
    raw[:, 2:4] = counts.view(np.uint8).reshape(n_nodes, 2)
    raw[:, 4:4 + fanout * _CELL.itemsize] = cells.view(np.uint8).reshape(n_nodes, -1)
    return [row.tobytes() for row in raw]
