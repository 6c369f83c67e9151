"""Tiny hand-made grid systems where a hand computation (or shapely) is the oracle.

Coordinates are lon/lat near the demo town, on a dyadic lattice (1/64 degree),
so points interpolated along an edge at dyadic fractions are exactly on it.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

U = 1.0 / 64
X0, Y0 = 120.5, 31.0


def P(*xy):
    """A polygon from lattice coordinates (in units of U from X0, Y0)."""
    return shapely.Polygon([(X0 + x * U, Y0 + y * U) for x, y in xy])


def B(x1, y1, x2, y2):
    return shapely.box(X0 + x1 * U, Y0 + y1 * U, X0 + x2 * U, Y0 + y2 * U)


def partition() -> gpd.GeoDataFrame:
    """A gap-free partition of an 8×8 square with a hole, a multipolygon filling it
    and another part elsewhere, two triangles sharing a diagonal, and ids listed
    out of order."""
    g01 = shapely.Polygon(B(0, 0, 4, 4).exterior, [B(1, 1, 2, 2).exterior])
    g02 = B(4, 0, 8, 4)
    g03 = shapely.MultiPolygon([B(1, 1, 2, 2), B(0, 4, 2, 8)])
    g04 = P((2, 4), (8, 4), (8, 8))
    g05 = P((2, 4), (8, 8), (2, 8))
    return gpd.GeoDataFrame({"grid_id": ["G05", "G02", "G04", "G01", "G03"]},
                            geometry=[g05, g02, g04, g01, g03], crs=4326)


def overlapping() -> gpd.GeoDataFrame:
    """Polygons that overlap and nest: the tie rule decides everywhere they share."""
    return gpd.GeoDataFrame({"grid_id": ["Z9", "M5", "A1", "Q7"]}, geometry=[
        B(0, 0, 8, 8),
        P((3, 3), (6, 3), (6, 6), (3, 6)),
        B(2, 2, 4, 4),
        shapely.MultiPolygon([B(10, 0, 12, 2), P((9, 5), (12, 5), (10, 8))]),
    ], crs=4326)


def covers_oracle(gdf: gpd.GeoDataFrame, x, y, id_column: str = "grid_id") -> list:
    """The specification: every grid that ``covers`` the point; the lowest id wins."""
    out = []
    for px, py in zip(x, y):
        pt = shapely.Point(px, py)
        hits = [str(i) for i, g in zip(gdf[id_column], gdf.geometry) if g is not None and g.covers(pt)]
        out.append(min(hits) if hits else None)
    return out


def boundary_segments(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """(n, 4) segments x1 y1 x2 y2 of every ring."""
    rings = shapely.get_rings(shapely.get_parts(gdf.geometry.values))
    segs = []
    for r in rings:
        c = shapely.get_coordinates(r)
        segs.append(np.column_stack([c[:-1], c[1:]]))
    return np.concatenate(segs)
