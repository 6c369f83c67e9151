"""Coverage checks of the grid system (``townbrain grids check``).

brief.md, "Grids": 5 districts split into 70 comprehensive grids "covering the
whole town with no gap or overlap"; 20 professional grids "each covering at most
80 enterprises", staffed "one grid, two officers". Every finding is one row of a
GeoDataFrame in EPSG:4326 -- a table to print and a layer the map can show:

=========================== ==================================================
kind                        meaning
=========================== ==================================================
``gap``                     town area no comprehensive grid covers
``overlap``                 area two comprehensive grids both cover
``crosses_district``        the part of a grid outside its own district
``unknown_district``        a grid whose ``district_id`` is not a district
``pro_grid_over_capacity``  a professional grid with more than 80 enterprises
``grid_without_inspector``  a comprehensive grid no inspector serves
``pro_grid_without_two_officers`` a professional grid with fewer than 2 officers
=========================== ==================================================

Columns: ``kind``, ``grid_ids`` (the grids concerned, comma-separated, sorted),
``district_id``, ``count`` (enterprises or staff, where it applies), ``area_m2``,
``lon``/``lat`` (a point inside the finding, for a label or a fly-to),
``message`` and ``geometry``. Areas are computed in EPSG:4549 (CGCS2000 /
3-degree Gauss-Kruger CM 120E; conventions.md: "Areas and lengths are computed in
a metric CRS ... never in degrees"). Slivers narrower than ``min_width_m`` (1 cm)
or smaller than ``min_area_m2`` (1 m²) are noise of digitising and reprojection --
two layers whose shared edge has a vertex in one and not the other -- not
findings; they are removed by a morphological opening (mitred, so corners stay).

Examples
--------
>>> import geopandas as gpd, shapely
>>> boxes = [shapely.box(500000, 3430000, 500100, 3430100), shapely.box(500090, 3430000, 500200, 3430100)]
>>> g = gpd.GeoDataFrame({"grid_id": ["G1", "G2"]}, geometry=boxes, crs=4549).to_crs(4326)
>>> f = grids_to_overlaps(g)
>>> f[["kind", "grid_ids"]].values.tolist(), round(float(f.area_m2.iloc[0]))
([['overlap', 'G1, G2']], 1000)
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from grids.systems import GridSystem

METRIC_CRS = "EPSG:4549"
STORAGE_CRS = "EPSG:4326"
#: brief.md: professional grids "each covering at most 80 enterprises".
MAX_ENTERPRISES_PER_PRO_GRID = 80
#: brief.md: "one grid, two officers".
OFFICERS_PER_PRO_GRID = 2
MIN_AREA_M2 = 1.0
MIN_WIDTH_M = 0.01
COLUMNS = ["kind", "grid_ids", "district_id", "count", "area_m2", "lon", "lat", "message"]


def findings_frame(rows: list[dict], geoms, crs=STORAGE_CRS) -> gpd.GeoDataFrame:
    """Findings as a GeoDataFrame with :data:`COLUMNS`; ``geoms`` in ``crs``, stored in 4326."""
    df = pd.DataFrame(rows, columns=COLUMNS).astype({"count": "Int64", "area_m2": float})
    gdf = gpd.GeoDataFrame(df, geometry=list(geoms), crs=crs).to_crs(STORAGE_CRS)
    if len(gdf):
        inside = gdf.geometry.representative_point()
        gdf["lon"], gdf["lat"] = inside.x.to_numpy(), inside.y.to_numpy()
    return gdf


def _metric(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        raise ValueError("grids have no CRS; set it (EPSG:4326) first")
    return gdf.to_crs(METRIC_CRS)


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Polygon parts of each geometry (intersections may also give lines and points)."""
    parts, idx = shapely.get_parts(geoms, return_index=True)
    keep = shapely.get_type_id(parts) == 3
    out = np.full(len(geoms), None, dtype=object)
    for i in np.unique(idx[keep]).tolist():
        out[i] = shapely.union_all(parts[keep & (idx == i)])
    return out


def _open(geom, width: float = MIN_WIDTH_M):
    """Drop the parts of ``geom`` narrower than ``width`` (metres)."""
    if geom is None or shapely.is_empty(geom):
        return geom
    thin = shapely.buffer(geom, -width / 2, join_style="mitre")
    return shapely.intersection(shapely.buffer(thin, width / 2, join_style="mitre"), geom)


def grids_to_gaps(grids: gpd.GeoDataFrame, town=None, *, min_area_m2: float = MIN_AREA_M2,
                  id_column: str = "grid_id") -> gpd.GeoDataFrame:
    """Gaps: holes in the union of the grids, and parts of ``town`` (a polygon in
    lon/lat, e.g. the union of the districts) that no grid covers. One row per gap,
    with the grids bordering it."""
    m = _metric(grids)
    covered = shapely.union_all(m.geometry.values)
    holes = [shapely.Polygon(r) for p in shapely.get_parts(covered) if p.geom_type == "Polygon"
             for r in p.interiors]
    gaps = shapely.union_all(holes) if holes else shapely.Polygon()
    if town is not None and not shapely.is_empty(town):
        town_m = gpd.GeoSeries([town], crs=STORAGE_CRS).to_crs(METRIC_CRS).iloc[0]
        gaps = shapely.union(gaps, shapely.difference(town_m, covered))
    gaps = _open(gaps)
    parts = np.asarray([p for p in shapely.get_parts(gaps) if p.area >= min_area_m2], dtype=object)
    tree = shapely.STRtree(m.geometry.values)
    rows = []
    for p in parts:
        near = sorted(set(m[id_column].iloc[tree.query(p, predicate="intersects")].astype(str)))
        rows.append({"kind": "gap", "grid_ids": ", ".join(near), "area_m2": p.area,
                     "message": f"{p.area:,.0f} m² covered by no grid"})
    return findings_frame(rows, parts, METRIC_CRS)


def grids_to_overlaps(grids: gpd.GeoDataFrame, *, min_area_m2: float = MIN_AREA_M2,
                      id_column: str = "grid_id") -> gpd.GeoDataFrame:
    """Overlaps: one row per pair of grids sharing area, with the shared area."""
    m = _metric(grids)
    geoms = m.geometry.values
    a, b = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    inter = _polygonal(shapely.intersection(np.asarray(geoms)[a], np.asarray(geoms)[b]))
    inter = np.array([_open(g) for g in inter], dtype=object)
    area = shapely.area(inter)
    area = np.where(shapely.is_missing(inter), 0.0, area)
    ids = m[id_column].astype(str).to_numpy()
    rows, out = [], []
    for i in np.flatnonzero(area >= min_area_m2).tolist():
        pair = sorted([ids[a[i]], ids[b[i]]])
        rows.append({"kind": "overlap", "grid_ids": ", ".join(pair), "area_m2": area[i],
                     "message": f"{pair[0]} and {pair[1]} both cover {area[i]:,.0f} m²"})
        out.append(inter[i])
    return findings_frame(rows, out, METRIC_CRS)


def grids_to_district_crossings(grids: gpd.GeoDataFrame, districts: gpd.GeoDataFrame, *,
                                min_area_m2: float = MIN_AREA_M2) -> gpd.GeoDataFrame:
    """Grids reaching outside their own district (the part outside, with its area),
    and grids whose ``district_id`` names no district."""
    g, d = _metric(grids), _metric(districts)
    by_id = {k: shapely.union_all(v.geometry.values) for k, v in d.groupby(d["district_id"].astype(str))}
    rows, out = [], []
    for gid, did, geom in zip(g["grid_id"].astype(str), g["district_id"], g.geometry.values):
        if pd.isna(did) or str(did) not in by_id:
            rows.append({"kind": "unknown_district", "grid_ids": gid,
                         "district_id": None if pd.isna(did) else str(did), "area_m2": geom.area,
                         "message": f"{gid} names district {did!r}, which does not exist"})
            out.append(geom)
            continue
        outside = _polygonal(np.array([shapely.difference(geom, by_id[str(did)])], dtype=object))[0]
        outside = _open(outside)
        if outside is not None and outside.area >= min_area_m2:
            rows.append({"kind": "crosses_district", "grid_ids": gid, "district_id": str(did),
                         "area_m2": outside.area,
                         "message": f"{outside.area:,.0f} m² of {gid} lie outside district {did}"})
            out.append(outside)
    return findings_frame(rows, out, METRIC_CRS)


def pro_grids_to_capacity(pro_grids: gpd.GeoDataFrame, enterprises: gpd.GeoDataFrame, *,
                          limit: int = MAX_ENTERPRISES_PER_PRO_GRID) -> gpd.GeoDataFrame:
    """Professional grids covering more than ``limit`` enterprises (exact assignment)."""
    system = GridSystem.from_frame(pro_grids, "pro_grid_id", name="pro_grids")
    counts = system.points_to_ids(enterprises).value_counts()
    rows, out = [], []
    for pid, geom in zip(system.ids, system.geometries):
        n = int(counts.get(pid, 0))
        if n > limit:
            rows.append({"kind": "pro_grid_over_capacity", "grid_ids": pid, "count": n,
                         "area_m2": np.nan, "message": f"{pid} covers {n} enterprises (at most {limit})"})
            out.append(geom)
    return findings_frame(rows, out)


def grids_to_staffing(grids: gpd.GeoDataFrame | None, pro_grids: gpd.GeoDataFrame | None,
                      staff: pd.DataFrame) -> gpd.GeoDataFrame:
    """Comprehensive grids without an inspector (role ``inspector`` with that
    ``grid_id``); professional grids with fewer than two officers (role
    ``officer`` with that ``pro_grid_id``)."""
    rows, out = [], []
    role = staff["role"].astype(str) if len(staff) else pd.Series([], dtype=str)
    if grids is not None:
        served = set(staff.loc[role == "inspector", "grid_id"].dropna().astype(str))
        for gid, did, geom in zip(grids["grid_id"].astype(str),
                                  grids.get("district_id", pd.Series([None] * len(grids))),
                                  grids.geometry.values):
            if gid not in served:
                rows.append({"kind": "grid_without_inspector", "grid_ids": gid, "count": 0,
                             "district_id": None if pd.isna(did) else str(did), "area_m2": np.nan,
                             "message": f"no inspector serves {gid}"})
                out.append(geom)
    if pro_grids is not None:
        officers = staff.loc[role == "officer", "pro_grid_id"].dropna().astype(str).value_counts()
        for pid, geom in zip(pro_grids["pro_grid_id"].astype(str), pro_grids.geometry.values):
            n = int(officers.get(pid, 0))
            if n < OFFICERS_PER_PRO_GRID:
                rows.append({"kind": "pro_grid_without_two_officers", "grid_ids": pid, "count": n,
                             "area_m2": np.nan,
                             "message": f"{pid} has {n} officer(s), needs {OFFICERS_PER_PRO_GRID}"})
                out.append(geom)
    crs = (grids.crs if grids is not None else pro_grids.crs if pro_grids is not None else STORAGE_CRS)
    return findings_frame(rows, out, crs)


def check_grids(districts=None, grids=None, pro_grids=None, enterprises=None, staff=None, *,
                min_area_m2: float = MIN_AREA_M2) -> gpd.GeoDataFrame:
    """Every check that the given layers allow, as one findings GeoDataFrame.

    The town's extent for gaps is the union of the districts when there are any.
    """
    parts = []
    has = lambda df: df is not None and len(df) > 0  # noqa: E731
    if has(grids):
        town = shapely.union_all(districts.geometry.values) if has(districts) else None
        parts += [grids_to_gaps(grids, town, min_area_m2=min_area_m2),
                  grids_to_overlaps(grids, min_area_m2=min_area_m2)]
        if has(districts) and "district_id" in grids:
            parts.append(grids_to_district_crossings(grids, districts, min_area_m2=min_area_m2))
    if has(pro_grids) and enterprises is not None:
        parts.append(pro_grids_to_capacity(pro_grids, enterprises))
    if staff is not None and (has(grids) or has(pro_grids)):
        parts.append(grids_to_staffing(grids if has(grids) else None,
                                       pro_grids if has(pro_grids) else None, staff))
    parts = [p for p in parts if len(p)]
    if not parts:
        return findings_frame([], [])
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=STORAGE_CRS)


def check_store(store, **kwargs) -> gpd.GeoDataFrame:
    """:func:`check_grids` on the layers of a store (missing layers are skipped)."""
    def read(name, cols, points=False):
        if not store.has_layer(name):
            return None
        return store.read_points(name, columns=cols) if points else store.read(name, columns=cols)
    return check_grids(read("districts", ["district_id"]), read("grids", ["grid_id", "district_id"]),
                       read("pro_grids", ["pro_grid_id"]),
                       read("enterprises", ["enterprise_id"], points=True),
                       read("staff", ["staff_id", "role", "grid_id", "pro_grid_id"]), **kwargs)
