"""A synthetic town of grids, for benchmarks and tests when no demo town is at hand.

Voronoi cells of random seeds in a ~12 × 12 km box near 120.6°E, 31.0°N, with
edges densified and bent by a smooth displacement field. Every vertex moves by the
same field, so cells that shared an edge still share it exactly: the result is a
gap-free, overlap-free partition with irregular boundaries, like real grids that
follow roads and creeks.

Examples
--------
>>> g = voronoi_grids(70, seed=1)
>>> len(g), g.crs.to_epsg(), sorted(g.district_id.unique())
(70, 4326, ['D1', 'D2', 'D3', 'D4', 'D5'])
>>> round(float(g.to_crs(4549).area.sum() / 1e6))
144
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

#: A ~12 × 12 km box near the demo town (lon/lat).
TOWN_BOX = (120.54, 30.946, 120.666, 31.054)


def _bend(geoms: np.ndarray, amplitude: float, wavelength: float) -> np.ndarray:
    def field(c):
        x, y = c[:, 0], c[:, 1]
        k = 2 * np.pi / wavelength
        return np.column_stack([x + amplitude * np.sin(k * y + 1.3) * np.cos(0.7 * k * x),
                                y + amplitude * np.sin(k * x + 0.4) * np.cos(0.9 * k * y)])
    return shapely.transform(geoms, field)


def voronoi_grids(n: int = 70, seed: int = 0, bbox=TOWN_BOX, *, districts: int = 5,
                  id_prefix: str = "G") -> gpd.GeoDataFrame:
    """``n`` irregular grids partitioning ``bbox``, with ``grid_id`` and ``district_id``.

    Districts are west-to-east bands of grids (by seed longitude), ``D1``…``Dk``.
    """
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = bbox
    seeds = np.column_stack([x0 + rng.random(n) * (x1 - x0), y0 + rng.random(n) * (y1 - y0)])
    box = shapely.box(*bbox)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=box))
    cells = shapely.intersection(cells, box)
    # voronoi output order is not the seeds' order: match each cell to its seed
    owner = shapely.STRtree(cells).query(shapely.points(seeds), predicate="within")
    cells = cells[owner[1][np.argsort(owner[0])]]
    step = (x1 - x0) / 150
    cells = _bend(shapely.segmentize(cells, step), amplitude=step * 0.8, wavelength=(x1 - x0) / 7)
    band = np.minimum((np.argsort(np.argsort(seeds[:, 0])) * districts) // n, districts - 1)
    width = len(str(n))
    return gpd.GeoDataFrame({
        "grid_id": [f"{id_prefix}{i + 1:0{width}d}" for i in range(n)],
        "name": [f"网格{i + 1}" for i in range(n)],
        "district_id": [f"D{b + 1}" for b in band],
    }, geometry=cells, crs="EPSG:4326")


def synthetic_town(seed: int = 0, n_grids: int = 70, n_pro_grids: int = 20) -> dict:
    """``districts``, ``grids`` and ``pro_grids`` GeoDataFrames of a synthetic town."""
    grids = voronoi_grids(n_grids, seed)
    districts = grids.dissolve("district_id").reset_index()[["district_id", "geometry"]]
    districts["name"] = [f"片区{d[1:]}" for d in districts.district_id]
    pro = voronoi_grids(n_pro_grids, seed + 1, id_prefix="P")
    pro = pro.rename(columns={"grid_id": "pro_grid_id"})[["pro_grid_id", "name", "geometry"]]
    return {"districts": districts, "grids": grids, "pro_grids": pro}
