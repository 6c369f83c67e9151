"""Coordinate reference systems at the door: anything a file arrives in → WGS84.

Two kinds of source CRS are handled:

* any CRS pyproj knows (``EPSG:4490`` CGCS2000, ``4549`` CGCS2000 / 3-degree
  Gauss-Kruger CM 120E, ``3857``, a WKT or PROJ string…), through pyproj;
* the Chinese web-map offsets **GCJ-02** (高德/腾讯/Google China, "Mars
  coordinates") and **BD-09** (百度), which are not CRSs at all but published
  obfuscation formulas applied to WGS84 lon/lat. The forward formulas come from
  ``coordTransform`` (MIT, C-accelerated, takes numpy arrays); the library's
  inverses are one-step approximations good to ~1-2 m, so :func:`gcj02_to_wgs84`
  and :func:`bd09_to_gcj02` refine them by fixed-point iteration on the forward
  formula (the method PRCoords calls "caijun 2014") until the residual is below
  1e-9 degrees (~0.1 mm).

GCJ-02 is only applied inside the published "in China" rectangle
(lon 73.66–135.05, lat 3.86–53.55, ``coordTransform.out_of_china``); outside it
the offset is zero and the conversion is the identity, as in every reference
implementation.

Examples
--------
>>> import numpy as np
>>> lon, lat = gcj02_to_wgs84(np.array([121.531541859215]), np.array([31.17530398364597]))
>>> round(float(lon[0]), 7), round(float(lat[0]), 7)
(121.5272106, 31.1774276)
>>> is_offset_crs("GCJ-02"), is_offset_crs("EPSG:4490")
(True, False)
"""
from __future__ import annotations

from typing import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from coordTransform import gcj02_to_bd09 as _gcj02_to_bd09_fwd
from coordTransform import wgs84_to_gcj02 as _wgs84_to_gcj02_fwd
from coordTransform import bd09_to_gcj02 as _bd09_to_gcj02_approx
from coordTransform import gcj02_to_wgs84 as _gcj02_to_wgs84_approx
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from geodata.schema import LAT_RANGE, LON_RANGE

__all__ = ["GCJ02", "BD09", "WGS84", "CRSInputError", "parse_crs", "is_offset_crs",
           "wgs84_to_gcj02", "gcj02_to_wgs84", "gcj02_to_bd09", "bd09_to_gcj02",
           "wgs84_to_bd09", "bd09_to_wgs84", "to_wgs84", "all_finite", "lonlat_problems"]

GCJ02 = "gcj02"
BD09 = "bd09"
WGS84 = "EPSG:4326"

#: Spellings accepted for the two offset systems (compared lower-case, stripped).
_OFFSET_ALIASES = {
    "gcj02": GCJ02, "gcj-02": GCJ02, "gcj_02": GCJ02, "gcj": GCJ02, "mars": GCJ02,
    "bd09": BD09, "bd-09": BD09, "bd_09": BD09, "bd09ll": BD09, "baidu": BD09,
}
#: Fixed-point iteration stops when the forward image is this close (degrees).
_TOL_DEG = 1e-9
_MAX_ITER = 10


class CRSInputError(ValueError):
    """A CRS name nobody knows, said in one sentence."""


def parse_crs(crs) -> str | CRS:
    """``'gcj02'`` / ``'bd09'`` for the offset systems, else a :class:`pyproj.CRS`.

    Accepts an int EPSG code (``4490``), ``'EPSG:4490'``, a bare ``'4490'``, any
    string or object pyproj understands, and the offset names in any case with
    or without a hyphen (``'GCJ-02'``, ``'bd09'``).

    >>> parse_crs("BD-09")
    'bd09'
    >>> parse_crs(4490).name
    'China Geodetic Coordinate System 2000'
    """
    if isinstance(crs, str):
        key = crs.strip().lower()
        if key in _OFFSET_ALIASES:
            return _OFFSET_ALIASES[key]
        if key.isdigit():
            crs = int(key)
    try:
        return CRS.from_user_input(crs)
    except CRSError:
        raise CRSInputError(
            f"unknown CRS {crs!r}; give an EPSG code such as 4490 or EPSG:4549, or gcj02 / bd09"
        ) from None


def is_offset_crs(crs) -> bool:
    """True for GCJ-02 / BD-09 (in any accepted spelling)."""
    return isinstance(crs, str) and crs.strip().lower() in _OFFSET_ALIASES


# ---- the offset systems, on numpy arrays ------------------------------------

def _arrays(fn: Callable, lon, lat) -> tuple[np.ndarray, np.ndarray]:
    lon = np.ascontiguousarray(lon, dtype="float64")
    lat = np.ascontiguousarray(lat, dtype="float64")
    if lon.size == 0:
        return lon.copy(), lat.copy()
    x, y = fn(lon.ravel(), lat.ravel())
    return np.asarray(x, dtype="float64").reshape(lon.shape), np.asarray(y, dtype="float64").reshape(lat.shape)


def _invert(forward: Callable, approx: Callable, x, y) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``forward(u, v) == (x, y)`` by fixed-point iteration from ``approx``.

    The offset is a smooth function that changes by ~1e-5 of itself per degree,
    so ``u ← u − (forward(u) − x)`` contracts fast: 2-3 rounds reach 1e-9°.
    Points that do not move (outside China, NaN) converge at once.
    """
    x = np.ascontiguousarray(x, dtype="float64")
    y = np.ascontiguousarray(y, dtype="float64")
    u, v = _arrays(approx, x, y)
    for _ in range(_MAX_ITER):
        fx, fy = _arrays(forward, u, v)
        dx, dy = fx - x, fy - y
        u, v = u - dx, v - dy
        err = np.fmax(np.abs(dx), np.abs(dy))
        if not np.any(err > _TOL_DEG):  # NaN compares False: ignored
            break
    return u, v


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 → GCJ-02 (the published formula, via coordTransform)."""
    return _arrays(_wgs84_to_gcj02_fwd, lon, lat)


def gcj02_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 → WGS84, accurate to well under a millimetre (iterated inverse)."""
    return _invert(_wgs84_to_gcj02_fwd, _gcj02_to_wgs84_approx, lon, lat)


def gcj02_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 → BD-09 (Baidu's published formula, via coordTransform)."""
    return _arrays(_gcj02_to_bd09_fwd, lon, lat)


def bd09_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 → GCJ-02, the exact inverse of :func:`gcj02_to_bd09` (iterated)."""
    return _invert(_gcj02_to_bd09_fwd, _bd09_to_gcj02_approx, lon, lat)


def wgs84_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


_TO_WGS84 = {GCJ02: gcj02_to_wgs84, BD09: bd09_to_wgs84}


# ---- any input → WGS84 --------------------------------------------------------

def _xy_function(src: str | CRS) -> Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """A vectorised ``(x, y) -> (lon, lat)`` for ``src``."""
    if isinstance(src, str):
        return _TO_WGS84[src]
    if src.equals(CRS.from_epsg(4326)):
        return lambda x, y: (np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64"))
    # always_xy: our arrays are (lon, lat) / (easting, northing) whatever the
    # CRS's official axis order (EPSG:4490 is lat-first on paper).
    tr = Transformer.from_crs(src, 4326, always_xy=True)
    return lambda x, y: tr.transform(np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64"),
                                     errcheck=False)


def _transform_geoms(geoms: np.ndarray, fn) -> np.ndarray:
    def coords_fn(coords: np.ndarray) -> np.ndarray:
        out = np.array(coords, dtype="float64", copy=True)
        out[:, 0], out[:, 1] = fn(coords[:, 0], coords[:, 1])
        return out
    # include_z=None keeps each geometry's own dimensionality (Z carried through).
    return shapely.transform(geoms, coords_fn, include_z=None)


def to_wgs84(data, crs=None):
    """Convert geometries or coordinate arrays from ``crs`` to WGS84 lon/lat.

    Parameters
    ----------
    data : GeoDataFrame, GeoSeries, array of shapely geometries, or ``(x, y)`` arrays
        Every vertex of every geometry type is converted.
    crs : int, str, pyproj.CRS or None
        The source CRS: any EPSG code or pyproj input, or ``'gcj02'`` /
        ``'bd09'`` (any case, ``'GCJ-02'`` too). ``None`` means the CRS the
        GeoDataFrame/GeoSeries already declares, else EPSG:4326. An explicit
        ``crs`` overrides the declared one (the file's metadata is often wrong
        about web-map offsets, which no file format can declare).

    Returns
    -------
    The same kind of object in EPSG:4326: a GeoDataFrame/GeoSeries with its CRS
    set, an array of geometries, or a ``(lon, lat)`` tuple of float arrays.
    Coordinates a projection cannot convert come back as ``inf``/``NaN``;
    callers check them (the loaders quarantine such rows).

    Examples
    --------
    >>> import shapely
    >>> g = gpd.GeoSeries([shapely.Point(500000, 3450000)], crs=4549)
    >>> p = to_wgs84(g).iloc[0]
    >>> round(p.x, 4), round(p.y, 4), to_wgs84(g).crs.to_epsg()
    (120.0, 31.1716, 4326)
    >>> lon, lat = to_wgs84((np.array([121.531541859215]), np.array([31.17530398364597])), "gcj02")
    >>> round(float(lon[0]), 7)
    121.5272106
    """
    declared = getattr(data, "crs", None) if isinstance(data, (gpd.GeoDataFrame, gpd.GeoSeries)) else None
    src = parse_crs(crs if crs is not None else (declared if declared is not None else 4326))
    fn = _xy_function(src)

    if isinstance(data, tuple) and len(data) == 2:
        return fn(*data)
    if isinstance(data, gpd.GeoDataFrame):
        out = data.copy()
        col = out.geometry.name
        out[col] = gpd.GeoSeries(_transform_geoms(np.asarray(out.geometry.values, dtype=object), fn),
                                 index=out.index)
        return out.set_geometry(col).set_crs(WGS84, allow_override=True)
    if isinstance(data, gpd.GeoSeries):
        return gpd.GeoSeries(_transform_geoms(np.asarray(data.values, dtype=object), fn),
                             index=data.index, name=data.name, crs=WGS84)
    arr = np.asarray(data, dtype=object)
    return _transform_geoms(arr, fn)


# ---- plausibility of lon/lat ------------------------------------------------------

def all_finite(geoms) -> np.ndarray:
    """Per geometry: present, non-empty and every coordinate finite."""
    geoms = np.asarray(geoms, dtype=object)
    out = np.zeros(len(geoms), dtype=bool)
    present = np.flatnonzero(pd.notna(geoms))
    if len(present):
        coords, idx = shapely.get_coordinates(geoms[present], return_index=True)
        fin = np.ones(len(present), dtype=bool)
        fin[np.unique(idx[~np.isfinite(coords).all(axis=1)])] = False
        fin &= ~shapely.is_empty(geoms[present])
        out[present] = fin
    return out


def lonlat_problems(geoms) -> np.ndarray:
    """Per geometry: None when every vertex is a finite lon/lat inside the
    plausible area (``schema.LON_RANGE``/``LAT_RANGE``), else what is wrong.
    Missing and empty geometries are not this check's business (None).

    >>> import shapely
    >>> list(lonlat_problems([shapely.Point(120, 31), shapely.Point(200, 31), None,
    ...                       shapely.Point(float("nan"), 1)]))
    [None, 'lon 200 outside [-180, 180]', None, 'coordinate not finite']
    """
    geoms = np.asarray(geoms, dtype=object)
    out = np.full(len(geoms), None, dtype=object)
    present = np.flatnonzero(pd.notna(geoms))
    if not len(present):
        return out
    coords, idx = shapely.get_coordinates(geoms[present], return_index=True)
    x, y = coords[:, 0], coords[:, 1]
    with np.errstate(invalid="ignore"):
        nonfinite = ~(np.isfinite(x) & np.isfinite(y))
        badx = ~nonfinite & ((x < LON_RANGE[0]) | (x > LON_RANGE[1]))
        bady = ~nonfinite & ((y < LAT_RANGE[0]) | (y > LAT_RANGE[1]))
    # The first offending vertex of each geometry names the problem.
    for mask, say in ((bady, lambda k: f"lat {y[k]:g} outside [{LAT_RANGE[0]:g}, {LAT_RANGE[1]:g}]"),
                      (badx, lambda k: f"lon {x[k]:g} outside [{LON_RANGE[0]:g}, {LON_RANGE[1]:g}]"),
                      (nonfinite, lambda k: "coordinate not finite")):
        ks = np.flatnonzero(mask)
        if len(ks):
            rows, first = np.unique(idx[ks], return_index=True)
            for r, k in zip(rows, ks[first]):
                out[present[r]] = say(k)
    return out
