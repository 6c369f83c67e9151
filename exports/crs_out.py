"""The coordinate systems an export is written in: WGS84, CGCS2000 and GCJ-02.

Stored layers are WGS84 (contract: "Stored in EPSG:4326"). CGCS2000 (EPSG:4490) is
the national datum of Chinese surveying offices; against WGS84 it differs by
centimetres, so PROJ's transformation is the identity and only the declared CRS
changes. GCJ-02 is not a CRS but WGS84 moved by the published offset formula
(``geodata.crs.wgs84_to_gcj02``); no EPSG code names it, so the file declares a
geographic CRS on the WGS84 ellipsoid *named* GCJ-02 — a GIS reads the numbers
right and the name says what they are.

>>> parse_out_crs("EPSG:4490").label
'EPSG:4490'
>>> parse_out_crs("GCJ-02").label
'GCJ-02'
>>> parse_out_crs("3857")
Traceback (most recent call last):
...
exports.common.ExportError: --crs must be 4326, 4490 or gcj02, not '3857'
"""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from exports.common import ExportError
from geodata.crs import wgs84_to_gcj02

#: A geographic CRS named GCJ-02 (lon/lat on WGS84's ellipsoid), as the file's metadata states it.
GCJ02_WKT = (
    'GEOGCRS["GCJ-02 (WGS 84 with the published Chinese offset, not an EPSG CRS)",'
    'DATUM["World Geodetic System 1984 (GCJ-02 offset)",ELLIPSOID["WGS 84",6378137,298.257223563,'
    'LENGTHUNIT["metre",1]]],PRIMEM["Greenwich",0,ANGLEUNIT["degree",0.0174532925199433]],'
    'CS[ellipsoidal,2],AXIS["geodetic longitude (Lon)",east,ORDER[1],ANGLEUNIT["degree",0.0174532925199433]],'
    'AXIS["geodetic latitude (Lat)",north,ORDER[2],ANGLEUNIT["degree",0.0174532925199433]],'
    'REMARK["GCJ-02: WGS84 lon/lat moved by the formula Chinese web maps use (AMap, Tencent)"]]')


@dataclass(frozen=True)
class OutCRS:
    label: str          # what metadata and the CLI say: EPSG:4326, EPSG:4490, GCJ-02
    crs: CRS
    description: str

    @property
    def short(self) -> str:
        return {"EPSG:4326": "4326", "EPSG:4490": "4490", "GCJ-02": "gcj02"}[self.label]


OUT_CRS = {
    "4326": OutCRS("EPSG:4326", CRS.from_epsg(4326), "WGS 84 longitude/latitude (EPSG:4326)"),
    "4490": OutCRS("EPSG:4490", CRS.from_epsg(4490), "CGCS2000 longitude/latitude (EPSG:4490), 国家2000坐标系"),
    "gcj02": OutCRS("GCJ-02", CRS.from_wkt(GCJ02_WKT),
                    "GCJ-02 longitude/latitude (WGS 84 with the Chinese web-map offset), 火星坐标"),
}
_ALIASES = {"4326": "4326", "epsg:4326": "4326", "wgs84": "4326", "4490": "4490", "epsg:4490": "4490",
            "cgcs2000": "4490", "gcj02": "gcj02", "gcj-02": "gcj02", "gcj_02": "gcj02"}


def parse_out_crs(value) -> OutCRS:
    key = _ALIASES.get(str(value if value is not None else "4326").strip().lower())
    if key is None:
        raise ExportError(f"--crs must be 4326, 4490 or gcj02, not {value!r}")
    return OUT_CRS[key]


def to_out_crs(frame: gpd.GeoDataFrame, out: OutCRS) -> gpd.GeoDataFrame:
    """``frame`` (WGS84) with its geometry in ``out``, declared as such."""
    if frame.crs is not None and not frame.crs.equals(CRS.from_epsg(4326)):
        frame = frame.to_crs(4326)
    if out.label == "EPSG:4326":
        return frame.set_crs(4326, allow_override=True)
    if out.label == "EPSG:4490":
        # PROJ: WGS 84 → CGCS2000 is a null transformation (ballpark, cm level).
        return frame.set_crs(4490, allow_override=True)

    def move(coords: np.ndarray) -> np.ndarray:
        x, y = wgs84_to_gcj02(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])
    moved = shapely.transform(np.asarray(frame.geometry.values, dtype=object), move)
    return frame.set_geometry(gpd.GeoSeries(moved, index=frame.index, crs=out.crs))
