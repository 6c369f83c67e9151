"""Shapely geometries to the plain lists and dicts that map traces are made of.

Pure helpers shared by the layer files: no Dash, no store. Coordinates are
rounded to 6 decimals (about 0.1 m at the equator): finer digits only make the
JSON sent to the browser bigger.

Examples
--------
>>> import shapely
>>> lines_to_lonlat([shapely.LineString([(120.1, 31.0), (120.2, 31.05)]),
...                  shapely.LineString([(120.3, 31.1), (120.4, 31.2)])])
([120.1, 120.2, None, 120.3, 120.4], [31.0, 31.05, None, 31.1, 31.2])
>>> fc = polygons_to_geojson([shapely.box(0, 0, 1, 1)], ["G1"])
>>> fc["features"][0]["id"], fc["features"][0]["geometry"]["type"]
('G1', 'Polygon')
"""
from __future__ import annotations

from typing import Iterable, Sequence

import shapely

DECIMALS = 6


def _round(geom):
    # set_precision would snap topology; plain coordinate rounding is what we want
    # for display and keeps shared grid edges identical on both sides.
    return shapely.transform(geom, lambda xy: xy.round(DECIMALS))


def polygons_to_geojson(geoms: Iterable, ids: Sequence[str]) -> dict:
    """A GeoJSON FeatureCollection whose features carry ``ids`` as their top-level ``id``
    (what ``choroplethmap`` matches ``locations`` against by default).

    Empty and missing geometries are left out, so a half-loaded layer still draws.
    """
    features = []
    for geom, fid in zip(geoms, ids):
        if geom is None or geom.is_empty:
            continue
        features.append({"type": "Feature", "id": str(fid), "properties": {},
                         "geometry": shapely.geometry.mapping(_round(geom))})
    return {"type": "FeatureCollection", "features": features}


def _parts(geom) -> list:
    """The LineStrings of a geometry: a polygon gives its rings, a multi-part its parts."""
    if geom is None or geom.is_empty:
        return []
    kind = geom.geom_type
    if kind == "LineString":
        return [geom]
    if kind == "LinearRing":
        return [shapely.LineString(geom.coords)]
    if kind == "Polygon":
        return [shapely.LineString(geom.exterior.coords),
                *(shapely.LineString(r.coords) for r in geom.interiors)]
    if kind.startswith("Multi") or kind == "GeometryCollection":
        return [p for g in geom.geoms for p in _parts(g)]
    return []  # points carry no line


def lines_to_lonlat(geoms: Iterable) -> tuple[list, list]:
    """All lines of ``geoms`` as two flat lists with ``None`` between lines.

    One ``scattermap`` trace then draws every road of a class: thousands of
    traces would be thousands of MapLibre layers, one trace is one.
    """
    lons: list = []
    lats: list = []
    for geom in geoms:
        for part in _parts(geom):
            coords = shapely.get_coordinates(part).round(DECIMALS)
            if len(coords) < 2:
                continue
            if lons:
                lons.append(None)
                lats.append(None)
            lons.extend(coords[:, 0].tolist())
            lats.extend(coords[:, 1].tolist())
    return lons, lats


def is_polygonal(geom) -> bool:
    return geom is not None and not geom.is_empty and geom.geom_type in ("Polygon", "MultiPolygon")
