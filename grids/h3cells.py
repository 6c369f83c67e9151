"""H3 cells: the hexagon grid system (resolution 9 by default, about 0.1 km² a cell).

H3 decides a point's cell itself (``h3.latlng_to_cell``); a cell's edges are
great-circle arcs in H3's icosahedral projection, not straight lines in lon/lat,
so the cell of a point is always taken from H3, never from a polygon test.
h3-py 4 has no vectorised ``latlng_to_cell``; the fastest path in pure Python is
the integer API in a comprehension (~0.8 µs a point) and text ids made once per
distinct cell (a town has a few thousand cells at resolution 9).

Examples
--------
>>> import numpy as np
>>> xy_to_h3(np.array([120.6, np.nan]), np.array([31.0, 31.0])).tolist()
['8930984e187ffff', None]
>>> h3_of(120.6, 31.0), h3_of(float("nan"), 31.0)  # one point, the same answer
('8930984e187ffff', None)
>>> cells = h3_cells_covering(shapely.box(120.60, 31.00, 120.61, 31.01), 9)
>>> len(cells) > 5, cells.crs.to_epsg()
(True, 4326)
"""
from __future__ import annotations

import math

import geopandas as gpd
import h3
import numpy as np
import shapely
from h3.api import basic_int as h3_int

#: Contract: "``h3`` (resolution 9)".
DEFAULT_RESOLUTION = 9


def xy_to_h3(lon, lat, resolution: int = DEFAULT_RESOLUTION) -> np.ndarray:
    """H3 cell id (text) of each lon/lat point; ``None`` for a missing coordinate."""
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    ok = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= 90)
    out = np.full(len(lon), None, dtype=object)
    if not ok.any():
        return out
    f = h3_int.latlng_to_cell
    cells = np.fromiter((f(a, b, resolution) for a, b in zip(lat[ok].tolist(), lon[ok].tolist())),
                        dtype=np.uint64, count=int(ok.sum()))
    uniq, inv = np.unique(cells, return_inverse=True)
    text = np.array([h3.int_to_str(int(c)) for c in uniq], dtype=object)
    out[ok] = text[inv]
    return out


def h3_of(lon: float, lat: float, resolution: int = DEFAULT_RESOLUTION) -> str | None:
    """H3 cell id (text) of one point, as :func:`xy_to_h3` gives it (a case as it arrives)."""
    if not (math.isfinite(lon) and math.isfinite(lat) and abs(lat) <= 90):
        return None
    return h3.latlng_to_cell(lat, lon, resolution)


def h3_cells_covering(geometry, resolution: int = DEFAULT_RESOLUTION) -> gpd.GeoDataFrame:
    """The H3 cells that overlap ``geometry`` (lon/lat), as polygons with ``h3`` ids.

    For maps and for counting per cell; to assign points use :func:`xy_to_h3`.
    """
    shape = h3.geo_to_h3shape(shapely.geometry.mapping(geometry))
    cells = sorted(h3.h3shape_to_cells_experimental(shape, resolution, contain="overlap"))
    polys = [shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(c)]) for c in cells]
    return gpd.GeoDataFrame({"h3": cells}, geometry=polys, crs="EPSG:4326")
