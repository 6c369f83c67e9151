"""The demo town's working frame: metres in EPSG:4549, converted to lon/lat at the end.

Every geometry of the demo is drawn in a local metric frame (x east, y north, in
metres) whose origin is the town centre's reference point at 120.6°E, 31.0°N, so
distances and areas are plain numbers (contract: "Areas and lengths are computed in
a metric CRS (CGCS2000 / Gauss-Krüger, e.g. EPSG:4549 near 120°E)"). Only at the end
are coordinates shifted into EPSG:4549 and transformed to EPSG:4326 for storage.

Because :func:`to_lonlat` maps equal coordinates to equal coordinates, polygons
that share edges in the metric frame still share them exactly in lon/lat: the
partition into grids stays a partition.
"""
from __future__ import annotations

import numpy as np
import shapely
from pyproj import Transformer

from geodata.schema import METRIC_CRS, STORAGE_CRS

#: Reference point of the town (brief: a water town near 120.6°E, 31.0°N).
ORIGIN_LONLAT = (120.6, 31.0)

_TO_METRIC = Transformer.from_crs(STORAGE_CRS, METRIC_CRS, always_xy=True)
_TO_LONLAT = Transformer.from_crs(METRIC_CRS, STORAGE_CRS, always_xy=True)
X0, Y0 = _TO_METRIC.transform(*ORIGIN_LONLAT)


def xy_to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local metres to (lon, lat) arrays."""
    lon, lat = _TO_LONLAT.transform(np.asarray(x, dtype=float) + X0, np.asarray(y, dtype=float) + Y0)
    return np.asarray(lon), np.asarray(lat)


def lonlat_to_xy(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lon, lat) to local metres (used by the simulator on stored data)."""
    x, y = _TO_METRIC.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x) - X0, np.asarray(y) - Y0


def to_lonlat(geoms) -> np.ndarray:
    """Transform an array of local-metre geometries to EPSG:4326, vectorised."""
    def f(coords):
        lon, lat = xy_to_lonlat(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])
    return shapely.transform(np.asarray(geoms, dtype=object), f)


def points_to_lonlat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    lon, lat = xy_to_lonlat(x, y)
    return shapely.points(lon, lat)


def meander(rng: np.random.Generator, waypoints, amplitude: float, step: float = 100.0,
            wavelength: float = 2500.0, pin_start: bool = False) -> shapely.LineString:
    """A smooth wandering line through ``waypoints`` (metres).

    The lateral offset is a sum of three sines of random phase (wavelengths
    ``wavelength``/1, /2.3, /4.1), the shape of a Jiangnan river or an old road.
    ``pin_start`` keeps the first point fixed (a branch leaving its river).
    """
    pts = np.asarray(waypoints, dtype=float)
    seg = np.diff(pts, axis=0)
    seglen = np.hypot(seg[:, 0], seg[:, 1])
    cum = np.concatenate([[0.0], np.cumsum(seglen)])
    s = np.linspace(0.0, cum[-1], max(int(cum[-1] / step), 2) + 1)
    x = np.interp(s, cum, pts[:, 0])
    y = np.interp(s, cum, pts[:, 1])
    # Normal of the polyline, smoothed by interpolating segment directions.
    k = np.clip(np.searchsorted(cum, s, side="right") - 1, 0, len(seg) - 1)
    nx, ny = -seg[k, 1] / seglen[k], seg[k, 0] / seglen[k]
    off = np.zeros_like(s)
    for div, share in ((1.0, 1.0), (2.3, 0.45), (4.1, 0.2)):
        phase = rng.uniform(0, 2 * np.pi)
        off += share * np.sin(2 * np.pi * s / (wavelength / div) + phase)
    off *= amplitude / 1.65
    if pin_start:
        off -= off[0]
        off *= np.minimum(1.0, s / max(cum[-1] * 0.3, 1.0))
    return shapely.LineString(np.column_stack([x + off * nx, y + off * ny]))


def polygon_index(polygons: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Index of the polygon holding each point (the nearest for the rare point outside)."""
    pts = shapely.points(x, y)
    tree = shapely.STRtree(polygons)
    pi, gi = tree.query(pts, predicate="intersects")
    out = np.full(len(pts), -1)
    out[pi[::-1]] = gi[::-1]  # the first polygon wins on a shared edge
    miss = np.flatnonzero(out < 0)
    if len(miss):
        out[miss] = tree.nearest(pts[miss])
    return out
