"""An exact point-in-polygon index: a raster of "pure" cells, exact tests near edges.

How it works
------------
The polygons' bounding box (padded by two cells) is cut into square cells. A cell
is **mixed** when any polygon boundary meets it -- computed conservatively: each
boundary segment marks every cell whose closed box, grown by ``EPS`` of a cell,
the segment meets. A cell that is not mixed lies, closed box and all, inside the
interior of the same polygons everywhere (no boundary crosses it), so one exact
shapely test at a representative point decides it for the whole cell: a point there
gets its answer by a single array lookup. A point in a mixed cell goes through the
exact test -- ``shapely.intersects_xy`` against the polygons whose boundary meets
that cell, which for a point is the same predicate as ``polygon.covers(point)``.

Why the margin ``EPS``: a point's cell is found with floating-point arithmetic
(``(x - x0) * inv``) and may land one cell off when it lies within ~1e-12 of a
cell edge. Because pure cells are pure even when grown by ``EPS`` (1e-6 of a
cell, far above that rounding), the neighbouring cell it lands in holds the same
answer, or is mixed and tested exactly.

Why a pure run needs only one exact test: cells are labelled run by run along each
row. A run of consecutive pure cells is connected and meets no boundary, so every
point in it is covered by the same set of polygons.

The tie rule (see :mod:`grids.assign`) is applied by row order: rows are kept in
grid-id order and a point covered by several polygons gets the lowest row.

Examples
--------
>>> import shapely, numpy as np
>>> idx = RasterIndex([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], max_cells=256)
>>> idx.rows_of_xy(np.array([0.5, 1.0, 1.5, 3.0]), np.array([0.5, 0.5, 0.5, 0.5])).tolist()
[0, 0, 1, -1]
>>> idx.row_of(1.0, 1.0), idx.row_of(-0.1, 0.5)
(0, -1)
"""
from __future__ import annotations

import math

import numpy as np
import shapely

#: Growth of a cell, in cells, for the "meets no boundary" test (see module doc).
EPS = 1e-6
#: Default raster budget: 2**22 cells of int16 = 8 MiB, small enough to stay
#: in the last-level cache of most machines, which is where the lookup speed is.
DEFAULT_MAX_CELLS = 1 << 22
#: Points per chunk: big enough to amortise numpy call overhead, small enough that
#: the temporaries of a chunk stay in cache and 10 M points stay far below 2 GiB.
CHUNK = 1 << 16

OUTSIDE = -1
MIXED = -2


def _ring_segments(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every boundary segment of every polygon as (n, 4) x1 y1 x2 y2, with its row."""
    parts, part_rows = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    rows_of_ring = part_rows[ring_part]
    coords, ring_of_coord = shapely.get_coordinates(rings, return_index=True)
    # a segment joins coordinate k and k+1 of the same ring
    same = ring_of_coord[1:] == ring_of_coord[:-1]
    seg = np.column_stack([coords[:-1][same], coords[1:][same]])
    return seg, rows_of_ring[ring_of_coord[:-1][same]]


def _cells_of_segments(u1, v1, u2, v2, nx: int, ny: int) -> tuple[np.ndarray, np.ndarray]:
    """Flat cell numbers met by each segment (grown by EPS), and the segment of each.

    Segments are in cell units. Column by column, the part of the segment inside
    the (grown) column strip spans a range of rows; every row of that range is
    marked. The v-range is grown by EPS * (1 + |slope|) so that rounding in the
    interpolation cannot lose a cell.
    """
    umin, umax = np.minimum(u1, u2), np.maximum(u1, u2)
    vmin, vmax = np.minimum(v1, v2), np.maximum(v1, v2)
    c0 = np.floor(umin - EPS).astype(np.int64)
    c1 = np.floor(umax + EPS).astype(np.int64)
    ncol = c1 - c0 + 1
    seg = np.repeat(np.arange(len(u1)), ncol)
    col = np.repeat(c0, ncol) + (np.arange(ncol.sum()) - np.repeat(np.cumsum(ncol) - ncol, ncol))
    du = (u2 - u1)[seg]
    dv = (v2 - v1)[seg]
    vertical = np.abs(du) <= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(vertical, 0.0, dv / np.where(vertical, 1.0, du))
    lo = np.maximum(col - EPS, umin[seg])
    hi = np.minimum(col + 1 + EPS, umax[seg])
    va = v1[seg] + (lo - u1[seg]) * slope
    vb = v1[seg] + (hi - u1[seg]) * slope
    grow = EPS * (1.0 + np.abs(slope))
    ylo = np.where(vertical, vmin[seg], np.minimum(va, vb) - grow)
    yhi = np.where(vertical, vmax[seg], np.maximum(va, vb) + grow)
    ylo = np.maximum(ylo, vmin[seg])
    yhi = np.minimum(yhi, vmax[seg])
    r0 = np.floor(ylo - EPS).astype(np.int64)
    r1 = np.floor(yhi + EPS).astype(np.int64)
    nrow = np.maximum(r1 - r0 + 1, 0)
    seg2 = np.repeat(seg, nrow)
    col2 = np.repeat(col, nrow)
    row2 = np.repeat(r0, nrow) + (np.arange(nrow.sum()) - np.repeat(np.cumsum(nrow) - nrow, nrow))
    ok = (col2 >= 0) & (col2 < nx) & (row2 >= 0) & (row2 < ny)
    return row2[ok] * nx + col2[ok], seg2[ok]


def first_covering(geoms: np.ndarray, x: np.ndarray, y: np.ndarray,
                   pair_point: np.ndarray, pair_row: np.ndarray, n: int) -> np.ndarray:
    """Exact answer for candidate pairs: per point, the lowest row that covers it, else -1.

    ``pair_point``/``pair_row`` list the (point, polygon row) pairs to test. One
    vectorised ``shapely.intersects_xy`` call per polygon (prepared), so the Python
    overhead is per polygon, not per point.
    """
    out = np.full(n, np.iinfo(np.int32).max, dtype=np.int64)
    if len(pair_point):
        order = np.argsort(pair_row, kind="stable")
        rows_sorted = pair_row[order]
        starts = np.flatnonzero(np.r_[True, rows_sorted[1:] != rows_sorted[:-1]])
        ends = np.r_[starts[1:], len(order)]
        hit = np.zeros(len(order), dtype=bool)
        for s, e in zip(starts.tolist(), ends.tolist()):
            pts = pair_point[order[s:e]]
            hit[s:e] = shapely.intersects_xy(geoms[rows_sorted[s]], x[pts], y[pts])
        np.minimum.at(out, pair_point[order[hit]], rows_sorted[hit])
    out[out == np.iinfo(np.int32).max] = -1
    return out


class RasterIndex:
    """Exact "which polygon covers this point" for many points, fast.

    Parameters
    ----------
    geoms : sequence of shapely Polygon/MultiPolygon (None or empty allowed: covers nothing)
        In tie-rule order: a point covered by several gets the lowest position.
    max_cells : int
        Raster budget. Fewer cells build faster; more cells send fewer points to
        the exact test.

    Notes
    -----
    Answers are positions into ``geoms`` (``-1`` = covered by none) and equal,
    point by point, ``min(i for i, g in enumerate(geoms) if g.covers(Point(x, y)))``.
    """

    def __init__(self, geoms, max_cells: int = DEFAULT_MAX_CELLS):
        self.geoms = np.asarray(geoms, dtype=object)
        self.n = len(self.geoms)
        live = ~(shapely.is_missing(self.geoms) | shapely.is_empty(self.geoms))
        shapely.prepare(self.geoms[live])
        if not live.any():
            xmin, ymin, xmax, ymax = 0.0, 0.0, 1.0, 1.0
            max_cells = 64
        else:
            xmin, ymin, xmax, ymax = shapely.total_bounds(self.geoms[live])
        w, h = max(xmax - xmin, 1e-9), max(ymax - ymin, 1e-9)
        self.cell = math.sqrt(w * h / max_cells)
        while (math.ceil(w / self.cell) + 4) * (math.ceil(h / self.cell) + 4) > max_cells:
            self.cell *= 1.02
        self.inv = 1.0 / self.cell
        self.x0 = xmin - 2 * self.cell
        self.y0 = ymin - 2 * self.cell
        self.nx = int(math.ceil(w / self.cell)) + 4
        self.ny = int(math.ceil(h / self.cell)) + 4
        dtype = np.int16 if self.n < np.iinfo(np.int16).max else np.int32
        self.raster = np.full(self.nx * self.ny, MIXED, dtype=dtype)
        self._build(live)

    # ---- building -----------------------------------------------------------
    def _build(self, live: np.ndarray) -> None:
        seg, seg_row = _ring_segments(np.where(live, self.geoms, None))
        u1 = (seg[:, 0] - self.x0) * self.inv
        v1 = (seg[:, 1] - self.y0) * self.inv
        u2 = (seg[:, 2] - self.x0) * self.inv
        v2 = (seg[:, 3] - self.y0) * self.inv
        flat, s = _cells_of_segments(u1, v1, u2, v2, self.nx, self.ny)
        # candidates of a mixed cell: the polygons whose boundary meets it (sorted,
        # unique). A polygon that covers the whole cell without a boundary in it is
        # added below, which only happens where polygons overlap.
        pairs = np.unique(flat * np.int64(self.n + 1) + seg_row[s])
        cell_of_pair, row_of_pair = pairs // (self.n + 1), pairs % (self.n + 1)
        mixed = np.unique(cell_of_pair)
        is_mixed = np.zeros(self.nx * self.ny, dtype=bool)
        is_mixed[mixed] = True
        cell_of_pair, row_of_pair = self._add_enclosing(mixed, cell_of_pair, row_of_pair)
        self.mixed_cells = mixed
        k = np.searchsorted(mixed, cell_of_pair)
        self.cand_ptr = np.r_[0, np.cumsum(np.bincount(k, minlength=len(mixed)))]
        self.cand_rows = row_of_pair.astype(np.int32)
        self._label_pure_runs(is_mixed)

    def _add_enclosing(self, mixed, cell_of_pair, row_of_pair):
        """Add, to each mixed cell, polygons that cover it wholly (overlaps only).

        If polygon P covers a cell that Q's boundary meets, P's and Q's interiors
        intersect. So only pairs with intersecting interiors (DE-9IM ``T********``)
        can need this, and in a clean partition there are none.
        """
        live = np.flatnonzero(~(shapely.is_missing(self.geoms) | shapely.is_empty(self.geoms)))
        if len(live) < 2:
            return cell_of_pair, row_of_pair
        tree = shapely.STRtree(self.geoms[live])
        a, b = tree.query(self.geoms[live], predicate="intersects")
        keep = a != b
        a, b = live[a[keep]], live[b[keep]]
        inner = shapely.relate_pattern(self.geoms[a], self.geoms[b], "T********")
        a, b = a[inner], b[inner]
        if len(a) == 0:
            return cell_of_pair, row_of_pair
        extra_cells, extra_rows = [], []
        for p in np.unique(a).tolist():
            others = b[a == p]
            cells = np.unique(cell_of_pair[np.isin(row_of_pair, others)])
            cells = cells[~np.isin(cells, cell_of_pair[row_of_pair == p])]
            cx, cy = self._centres(cells)
            inside = shapely.intersects_xy(self.geoms[p], cx, cy)
            extra_cells.append(cells[inside])
            extra_rows.append(np.full(inside.sum(), p))
        pairs = np.unique(np.r_[cell_of_pair, *extra_cells] * np.int64(self.n + 1)
                          + np.r_[row_of_pair, *extra_rows])
        return pairs // (self.n + 1), pairs % (self.n + 1)

    def _centres(self, flat):
        return (self.x0 + (flat % self.nx + 0.5) * self.cell,
                self.y0 + (flat // self.nx + 0.5) * self.cell)

    def _label_pure_runs(self, is_mixed: np.ndarray) -> None:
        """One exact test per run of pure cells along a row (see module doc)."""
        grid = is_mixed.reshape(self.ny, self.nx)
        pure = ~grid
        # a run starts at a pure cell whose left neighbour is mixed or the row start
        start = pure.copy()
        start[:, 1:] &= grid[:, :-1]
        starts = np.flatnonzero(start.ravel())
        run_id = np.cumsum(start.ravel()) - 1
        cx, cy = self._centres(starts)
        owner = self.rows_exact(cx, cy)
        flat_pure = np.flatnonzero(pure.ravel())
        self.raster[flat_pure] = owner[run_id[flat_pure]]

    # ---- exact path ---------------------------------------------------------
    def rows_exact(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Exact rows for arbitrary points, via an STRtree of the polygons' boxes."""
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        live = np.flatnonzero(~(shapely.is_missing(self.geoms) | shapely.is_empty(self.geoms)))
        if len(live) == 0:
            return np.full(len(x), OUTSIDE, dtype=np.int64)
        # the tree holds the polygons; a query without predicate compares boxes only
        p, r = shapely.STRtree(self.geoms[live]).query(shapely.points(x, y))
        return first_covering(self.geoms, x, y, p, live[r], len(x))

    def _rows_mixed(self, x, y, flat) -> np.ndarray:
        k = np.searchsorted(self.mixed_cells, flat)
        lo, hi = self.cand_ptr[k], self.cand_ptr[k + 1]
        cnt = hi - lo
        pair_point = np.repeat(np.arange(len(flat)), cnt)
        pair_row = self.cand_rows[np.repeat(lo, cnt) + (np.arange(cnt.sum())
                                                         - np.repeat(np.cumsum(cnt) - cnt, cnt))]
        return first_covering(self.geoms, x, y, pair_point, pair_row, len(flat))

    # ---- lookups ------------------------------------------------------------
    def rows_of_xy(self, x, y, out: np.ndarray | None = None) -> np.ndarray:
        """Row of the covering polygon for each point (``-1``: none), as int32.

        NaN coordinates are covered by nothing. Works in chunks of :data:`CHUNK`.
        """
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        n = len(x)
        if out is None:
            out = np.empty(n, dtype=np.int32)
        for s in range(0, n, CHUNK):
            self._rows_chunk(x[s:s + CHUNK], y[s:s + CHUNK], out[s:s + CHUNK])
        return out

    def _rows_chunk(self, x, y, out) -> None:
        # Cell column: fmax/fmin (not clip) because they turn NaN into 0. The two
        # outermost rings of cells lie a whole cell beyond the polygons' bounding
        # box, so they are pure "outside": NaN, infinite and far points land there.
        u = np.subtract(x, self.x0)
        np.multiply(u, self.inv, out=u)
        np.fmax(u, 0.0, out=u)
        np.fmin(u, self.nx - 1, out=u)
        v = np.subtract(y, self.y0)
        np.multiply(v, self.inv, out=v)
        np.fmax(v, 0.0, out=v)
        np.fmin(v, self.ny - 1, out=v)
        flat = v.astype(np.intp)  # intp: what take() wants, no conversion copy
        flat *= self.nx
        flat += u.astype(np.intp)
        code = self.raster.take(flat)
        out[:] = code
        slow = np.flatnonzero(code == MIXED)
        if len(slow):
            out[slow] = self._rows_mixed(x[slow], y[slow], flat[slow])

    def row_of(self, x: float, y: float) -> int:
        """One point, without numpy overhead: for a case as it arrives (~µs)."""
        if x != x or y != y:
            return OUTSIDE
        u = min(max((x - self.x0) * self.inv, 0.0), self.nx - 1)
        v = min(max((y - self.y0) * self.inv, 0.0), self.ny - 1)
        flat = int(v) * self.nx + int(u)
        code = int(self.raster[flat])
        if code != MIXED:
            return code
        k = int(np.searchsorted(self.mixed_cells, flat))
        for r in self.cand_rows[self.cand_ptr[k]:self.cand_ptr[k + 1]].tolist():
            if shapely.intersects_xy(self.geoms[r], x, y):
                return r
        return OUTSIDE

    @property
    def nbytes(self) -> int:
        return int(self.raster.nbytes + self.mixed_cells.nbytes + self.cand_ptr.nbytes
                   + self.cand_rows.nbytes)

    def __setstate__(self, state):
        # geometries pickle (shapely 2), their prepared GEOS state does not
        self.__dict__.update(state)
        live = ~(shapely.is_missing(self.geoms) | shapely.is_empty(self.geoms))
        shapely.prepare(self.geoms[live])
