"""Point-to-grid assignment: frames and the store (``townbrain assign``).

Every point record gets ``district_id``, ``grid_id``, ``pro_grid_id`` and ``h3``
(contract: "assigns every point record (entities and cases) to district_id,
grid_id, pro_grid_id and h3 (resolution 9), written as columns of that layer; a
point outside all grids keeps NULL and is counted as unassigned, never dropped").

Exactness: a grid's answer equals shapely ``covers`` point by point, with the tie
rule of :mod:`grids.systems` (lowest grid id in text order) for points on shared
edges and vertices. Speed comes from :class:`grids.raster_index.RasterIndex`.

Examples
--------
>>> import geopandas as gpd, shapely
>>> from grids.systems import TownGrids
>>> g = gpd.GeoDataFrame({"grid_id": ["G1", "G2"], "district_id": ["D1", "D2"]},
...                      geometry=[shapely.box(120, 30, 120.5, 31), shapely.box(120.5, 30, 121, 31)],
...                      crs=4326)
>>> town = TownGrids.from_frames(grids=g)
>>> pts = gpd.GeoDataFrame({"case_id": ["a", "b", "c"]},
...                        geometry=gpd.points_from_xy([120.2, 120.5, 125], [30.5, 30.5, 30.5]), crs=4326)
>>> points_to_grids(pts, town, h3=False)[["district_id", "grid_id"]].to_dict("list")
{'district_id': ['D1', 'D1', None], 'grid_id': ['G1', 'G1', None]}
"""
from __future__ import annotations

import time

import geopandas as gpd
import pandas as pd

from grids.systems import TownGrids, check_same_crs, points_to_xy

#: Layers that hold grids themselves, never assigned.
GRID_LAYERS = ("districts", "grids", "pro_grids")


def points_to_grids(points, town: TownGrids, *, h3: bool = True) -> pd.DataFrame:
    """District, grid, professional grid and H3 of each point of a GeoDataFrame/GeoSeries.

    Returns a DataFrame on the points' index with columns ``district_id``,
    ``grid_id``, ``pro_grid_id``, ``h3`` (``None`` where unassigned). The points'
    CRS must be the grids' CRS.
    """
    geo = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    check_same_crs(town.crs, geo.crs, "points")
    x, y = points_to_xy(geo)
    out = town.assign_xy(x, y, h3=h3)
    out.index = geo.index
    return out


def point_layers(store) -> list[tuple[str, str]]:
    """(layer, id column) of every point layer in the store: the dictionary's point
    layers and any other layer that holds points (a user's own, with an ``id``)."""
    from geodata.schema import LAYERS, POINT_LAYERS  # the data dictionary
    found = []
    for name in sorted(store.layers()):
        if name in GRID_LAYERS:
            continue
        if name in LAYERS:
            if name in POINT_LAYERS:
                found.append((name, LAYERS[name].id_field))
            continue
        try:
            head = store.read(name, limit=5)
        except Exception:  # noqa: BLE001 - a table the store cannot read as a layer is not ours
            continue
        if (isinstance(head, gpd.GeoDataFrame) and len(head) and "id" in head.columns
                and (head.geom_type == "Point").all()):
            found.append((name, "id"))
    return found


def assign_store(store, town: TownGrids | None = None, *, layers=None, where=None,
                 engine: str = "numpy", scheduler: str | None = None,
                 npartitions: int | None = None, h3_resolution: int = 9,
                 progress=None) -> dict[str, dict]:
    """Assign every point layer of ``store`` and write the four columns back.

    Parameters
    ----------
    store : geodata.store.Store
    town : TownGrids, optional
        Read from the store when not given.
    layers : list of str, optional
        Only these layers (default: every point layer, see :func:`point_layers`).
    where : dict, optional
        Only rows matching this filter (store ``where`` syntax), e.g. a batch of new
        cases, ``{"case_id": [...]}``; the rest is not read.
    engine : {"numpy", "dask"}
        ``dask`` runs the same assignment over dask partitions (:mod:`grids.distributed`).
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:8786``) for ``engine="dask"``.
    h3_resolution : int
        Resolution of the ``h3`` column when ``town`` is read here (contract: 9).
    progress : callable, optional
        Called as ``progress(layer, done_rows, total_rows)``.

    Returns
    -------
    dict
        ``{layer: {"total": n, "assigned": a, "unassigned": u, "seconds": s}}``;
        assigned means a comprehensive grid was found.

    Examples
    --------
    >>> import os, tempfile, geopandas as gpd, shapely
    >>> from geodata.store import open_store
    >>> st = open_store(os.path.join(tempfile.mkdtemp(), "t.gpkg")); st.create_schema()
    >>> _ = st.upsert("grids", gpd.GeoDataFrame({"grid_id": ["G1"], "district_id": ["D1"]},
    ...                geometry=[shapely.box(120, 30, 121, 31)], crs=4326))
    >>> _ = st.upsert("enterprises", gpd.GeoDataFrame({"enterprise_id": ["E1", "E2"]},
    ...                geometry=gpd.points_from_xy([120.5, 122], [30.5, 30.5]), crs=4326))
    >>> assign_store(st, layers=["enterprises"])["enterprises"]["unassigned"]
    1
    """
    if engine not in ("numpy", "dask"):
        raise ValueError(f"engine must be 'numpy' or 'dask', not {engine!r}")
    town = town or TownGrids.from_store(store, h3_resolution=h3_resolution)
    wanted = point_layers(store)
    if layers is not None:
        known = dict(wanted)
        unknown = [name for name in layers if name not in known]
        if unknown:
            raise ValueError(f"not point layers of this store: {', '.join(unknown)}")
        wanted = [(name, known[name]) for name in layers]
    counts = {}
    for name, id_field in wanted:
        t0 = time.perf_counter()
        pts = store.read_points(name, columns=[id_field], where=where)
        if engine == "dask":
            from grids.distributed import points_to_grids_dask
            cols = points_to_grids_dask(pts, town, scheduler=scheduler, npartitions=npartitions)
        else:
            cols = points_to_grids(pts, town)
        if progress:
            progress(name, len(pts), len(pts))
        frame = pd.concat([pts[[id_field]].reset_index(drop=True),
                           cols.reset_index(drop=True)], axis=1)
        if len(frame):
            store.update_columns(name, frame)
        assigned = int(frame["grid_id"].notna().sum())
        counts[name] = {"total": len(frame), "assigned": assigned,
                        "unassigned": len(frame) - assigned,
                        "seconds": round(time.perf_counter() - t0, 3)}
    return counts

