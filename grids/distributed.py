"""Assignment beyond one machine: the same function over dask-geopandas partitions.

``townbrain assign --engine dask [--scheduler ADDRESS]``. Each partition runs
:meth:`grids.systems.TownGrids.assign_xy` -- the very function of the
single-machine path -- so the results are identical, row for row. The grid
systems travel as one key of the task graph (polygons only; each worker builds the
raster index once, on first use).

When to switch: one core assigns tens of millions of points a second, so for a
town or a district the single-machine path is faster than any cluster (the
points must be read and shipped anyway). Switch when the points do not fit in one
machine's memory -- city scale, hundreds of millions of records read from
partitioned Parquet with ``dask_geopandas.read_parquet`` -- or when the H3 column
(about 1 µs a point, not vectorised by h3-py) dominates and several cores or
machines can share it.

Examples
--------
>>> import geopandas as gpd, shapely
>>> from grids.systems import TownGrids
>>> g = gpd.GeoDataFrame({"grid_id": ["G1"]}, geometry=[shapely.box(0, 0, 1, 1)], crs=4326)
>>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0.5, 3], [0.5, 3]), crs=4326)
>>> points_to_grids_dask(pts, TownGrids.from_frames(grids=g), npartitions=2)["grid_id"].tolist()
['G1', None]
"""
from __future__ import annotations

import dask
import geopandas as gpd
import pandas as pd

from grids.systems import TownGrids, check_same_crs, points_to_xy

META = pd.DataFrame({c: pd.Series([], dtype=object) for c in TownGrids.COLUMNS})


def partition_to_grids(part, town: TownGrids, h3: bool = True) -> pd.DataFrame:
    """One partition: the single-machine assignment, on the partition's index."""
    x, y = points_to_xy(part.geometry)
    out = town.assign_xy(x, y, h3=h3)
    out.index = part.index
    return out


def points_to_grids_dask_lazy(points, town: TownGrids, *, h3: bool = True):
    """A lazy dask DataFrame of the four columns for a dask-geopandas GeoDataFrame."""
    check_same_crs(town.crs, points.crs, "points")
    town_key = dask.delayed(town, pure=False)  # one graph key, shipped once per worker
    return points.map_partitions(partition_to_grids, town_key, h3, meta=META)


def points_to_grids_dask(points, town: TownGrids, *, scheduler: str | None = None,
                         npartitions: int | None = None, h3: bool = True) -> pd.DataFrame:
    """Assign a (dask-)GeoDataFrame of points over dask partitions and collect the result.

    Parameters
    ----------
    points : geopandas.GeoDataFrame or dask_geopandas.GeoDataFrame
    town : TownGrids
    scheduler : str, optional
        Address of an existing scheduler (``tcp://10.0.0.5:8786``); a
        ``distributed.Client`` is opened on it for this call. Default: dask's
        current scheduler (a client already made current, else threads).
    npartitions : int, optional
        For a GeoDataFrame: how many partitions to cut (default: one per ~1 M points).

    Returns
    -------
    pandas.DataFrame
        As :func:`grids.assign.points_to_grids`, same index.
    """
    import dask_geopandas
    if isinstance(points, gpd.GeoDataFrame):
        n = npartitions or max(1, -(-len(points) // 1_000_000))
        points = dask_geopandas.from_geopandas(points[[points.geometry.name]], npartitions=n)
    lazy = points_to_grids_dask_lazy(points, town, h3=h3)
    if scheduler is None:
        return lazy.compute()
    from distributed import Client
    with Client(scheduler) as client:
        return client.compute(lazy).result()
