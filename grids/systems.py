"""Grid systems: any polygon layer with an id column, and the town's hierarchy.

A :class:`GridSystem` is a set of polygons with text ids that points can be
assigned to -- comprehensive grids, professional grids, districts, or any polygon
layer a user loads (brief.md: "any polygon layer a user loads can serve as a grid
system"). :class:`TownGrids` holds the town's three systems -- districts (片区) →
comprehensive grids (综合网格), with professional grids (专业网格) laid over them --
plus the H3 resolution, and assigns a point to all of them at once.

The tie rule
------------
A point belongs to a grid when the grid **covers** it (shapely/DE-9IM ``covers``:
inside or on the boundary). A point on an edge or vertex shared by several grids
gets exactly one: **the grid whose id comes first in text order** (Python ``str``
ordering, i.e. by Unicode code points: ``"G01" < "G02" < "G10" < "g01"``). The
rule does not depend on input order, so it is the same on every run, machine and
engine. A point that no grid covers gets no id (``None``) and is counted, never
dropped.

Examples
--------
>>> import geopandas as gpd, shapely
>>> g = gpd.GeoDataFrame({"grid_id": ["G2", "G1"]},
...                      geometry=[shapely.box(1, 0, 2, 1), shapely.box(0, 0, 1, 1)], crs=4326)
>>> grids = GridSystem.from_frame(g, "grid_id")
>>> grids.ids.tolist()
['G1', 'G2']
>>> grids.id_of(1.5, 0.5), grids.id_of(1.0, 0.5), grids.id_of(5, 5)
('G2', 'G1', None)
"""
from __future__ import annotations

from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from grids.h3cells import DEFAULT_RESOLUTION, h3_of, xy_to_h3
from grids.raster_index import DEFAULT_MAX_CELLS, RasterIndex

STORAGE_CRS = "EPSG:4326"


def check_same_crs(a, b, what: str) -> None:
    """Refuse a CRS mismatch (conventions.md: "we go further and refuse a mismatch")."""
    if a is None or b is None:
        raise ValueError(f"{what}: a CRS is missing; set it (e.g. EPSG:4326) before assigning")
    if not CRS.from_user_input(a).equals(CRS.from_user_input(b)):
        raise ValueError(f"{what}: CRS {CRS.from_user_input(b).to_string()} does not match the grid "
                         f"system's {CRS.from_user_input(a).to_string()}; reproject with .to_crs() first")


class GridSystem:
    """Polygons with text ids that points are assigned to.

    Parameters
    ----------
    ids : sequence of str
        One id per polygon. Several rows may share an id (a grid stored in parts).
    geometries : sequence of Polygon / MultiPolygon (None or empty allowed)
    name : str
        What the system is called in messages ("grids", "pro_grids", ...).
    crs : CRS-like
        Coordinates of the polygons and of every point given to it.
    attributes : DataFrame, optional
        Extra columns, row-aligned with ``ids`` (e.g. ``district_id`` of a grid).
    max_cells : int
        Raster budget of the assignment index (:class:`grids.raster_index.RasterIndex`).

    Notes
    -----
    Rows are kept sorted by id so that the tie rule (module doc) is "lowest row".
    The assignment index is built on first use (a fraction of a second for a town)
    and reused for every later batch or single point.

    Examples
    --------
    >>> import shapely, numpy as np
    >>> s = GridSystem(["B", "A"], [shapely.box(0, 0, 1, 1), shapely.box(0, 0, 2, 2)])
    >>> s.ids_of_xy(np.array([0.5, 1.5, 9.0]), np.array([0.5, 1.5, 9.0])).tolist()
    ['A', 'A', None]
    """

    def __init__(self, ids, geometries, *, name: str = "grids", crs=STORAGE_CRS,
                 attributes: pd.DataFrame | None = None, max_cells: int = DEFAULT_MAX_CELLS):
        ids = pd.Series(list(ids), dtype=object)
        if ids.isna().any():
            raise ValueError(f"{name}: {int(ids.isna().sum())} polygon(s) have no id")
        ids = ids.map(str).to_numpy(dtype=object)
        geoms = np.asarray(list(geometries), dtype=object)
        if len(geoms) != len(ids):
            raise ValueError(f"{name}: {len(ids)} ids but {len(geoms)} geometries")
        kinds = set(shapely.get_type_id(geoms[~shapely.is_missing(geoms)]).tolist())
        if not kinds <= {3, 6}:  # Polygon, MultiPolygon
            raise ValueError(f"{name}: only Polygon/MultiPolygon can serve as a grid system, "
                             f"got geometry type ids {sorted(kinds - {3, 6})}")
        # str ordering by code point, stable for repeated ids: the tie rule
        order = np.argsort(ids.astype(str), kind="stable")
        self.name = name
        self.crs = CRS.from_user_input(crs) if crs is not None else None
        self.ids = ids[order]
        self.geometries = geoms[order]
        self.attributes = (attributes.iloc[order].reset_index(drop=True)
                           if attributes is not None else pd.DataFrame(index=range(len(ids))))
        self.max_cells = max_cells

    @classmethod
    def from_frame(cls, gdf: gpd.GeoDataFrame, id_column: str, name: str | None = None,
                   **kwargs) -> GridSystem:
        """Any polygon GeoDataFrame with an id column; other columns become attributes.

        Examples
        --------
        >>> import geopandas as gpd, shapely
        >>> g = gpd.GeoDataFrame({"code": [7]}, geometry=[shapely.box(0, 0, 1, 1)], crs=4326)
        >>> GridSystem.from_frame(g, "code").id_of(0.5, 0.5)
        '7'
        """
        if id_column not in gdf.columns:
            raise ValueError(f"{name or id_column}: the layer has no column {id_column!r}")
        attrs = pd.DataFrame(gdf.drop(columns=[id_column, gdf.geometry.name])).reset_index(drop=True)
        return cls(gdf[id_column].tolist(), np.asarray(gdf.geometry.values),
                   name=name or id_column.removesuffix("_id") + "s", crs=gdf.crs,
                   attributes=attrs, **kwargs)

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        return f"GridSystem({self.name!r}, {len(self)} polygons)"

    @cached_property
    def index(self) -> RasterIndex:
        """The exact assignment index (built once, on first use)."""
        return RasterIndex(self.geometries, max_cells=self.max_cells)

    def __getstate__(self):
        # Ship polygons, not the built index: a dask worker rebuilds it once, in a
        # fraction of a second, instead of every task graph carrying several MiB.
        state = dict(self.__dict__)
        state.pop("index", None)
        return state

    def frame(self, id_column: str = "id") -> gpd.GeoDataFrame:
        """The system as a GeoDataFrame, rows in tie-rule order."""
        df = self.attributes.copy()
        df.insert(0, id_column, self.ids)
        return gpd.GeoDataFrame(df, geometry=self.geometries, crs=self.crs)

    # ---- assignment ---------------------------------------------------------
    def rows_of_xy(self, x, y) -> np.ndarray:
        """Row (position in :attr:`ids`) of each point's grid, ``-1`` where none covers it."""
        return self.index.rows_of_xy(x, y)

    def ids_of_xy(self, x, y) -> np.ndarray:
        """Id of each point's grid (``None`` where none covers it), as an object array."""
        rows = self.rows_of_xy(x, y)
        return rows_to_ids(self.ids, rows)

    def id_of(self, x: float, y: float) -> str | None:
        """One point, as a case arrives: a few microseconds."""
        r = self.index.row_of(float(x), float(y))
        return None if r < 0 else self.ids[r]

    def points_to_ids(self, points) -> pd.Series:
        """Ids for a GeoSeries/GeoDataFrame of points (same index); CRS must match.

        Examples
        --------
        >>> import geopandas as gpd, shapely
        >>> s = GridSystem(["A"], [shapely.box(0, 0, 1, 1)])
        >>> s.points_to_ids(gpd.GeoSeries.from_xy([0.5, 2], [0.5, 2], crs=4326)).tolist()
        ['A', None]
        """
        geo = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
        check_same_crs(self.crs, geo.crs, f"{self.name}: points")
        x, y = points_to_xy(geo)
        return pd.Series(self.ids_of_xy(x, y), index=geo.index, name=self.name, dtype=object)


def rows_to_ids(ids: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Map row numbers (``-1`` = none) to ids (``None``)."""
    table = np.append(ids, None).astype(object)  # row -1 picks the trailing None
    return table[rows]


def points_to_xy(geo) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates of a point GeoSeries/array; a missing or empty point gives NaN."""
    arr = np.asarray(getattr(geo, "values", geo), dtype=object)
    return shapely.get_x(arr), shapely.get_y(arr)


class TownGrids:
    """The town's grid systems together: districts → grids, professional grids, H3.

    Parameters
    ----------
    districts, grids, pro_grids : GridSystem or None
        ``grids`` carries its ``district_id`` as an attribute.
    h3_resolution : int
        Resolution of the ``h3`` column (contract: 9).

    Notes
    -----
    A point's district is the district polygon that covers it. Without a districts
    layer it is the district of its comprehensive grid, so the hierarchy still
    holds.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> d = gpd.GeoDataFrame({"district_id": ["D1"]}, geometry=[shapely.box(120, 30, 121, 31)], crs=4326)
    >>> g = gpd.GeoDataFrame({"grid_id": ["G1", "G2"], "district_id": ["D1", "D1"]},
    ...                      geometry=[shapely.box(120, 30, 120.5, 31), shapely.box(120.5, 30, 121, 31)],
    ...                      crs=4326)
    >>> town = TownGrids.from_frames(districts=d, grids=g)
    >>> town.assign_one(120.7, 30.5)
    {'district_id': 'D1', 'grid_id': 'G2', 'pro_grid_id': None, 'h3': '8930...'}
    >>> town.grids_of_district("D1")
    ['G1', 'G2']
    """

    COLUMNS = ("district_id", "grid_id", "pro_grid_id", "h3")

    def __init__(self, districts: GridSystem | None = None, grids: GridSystem | None = None,
                 pro_grids: GridSystem | None = None, h3_resolution: int = DEFAULT_RESOLUTION):
        self.districts, self.grids, self.pro_grids = districts, grids, pro_grids
        self.h3_resolution = h3_resolution
        crss = {s.crs.to_string() for s in self.systems if s.crs is not None}
        if len(crss) > 1:
            raise ValueError(f"grid systems are in different CRSs: {sorted(crss)}")

    @property
    def systems(self) -> list[GridSystem]:
        return [s for s in (self.districts, self.grids, self.pro_grids) if s is not None]

    @classmethod
    def from_frames(cls, districts=None, grids=None, pro_grids=None, **kwargs) -> TownGrids:
        """From GeoDataFrames of the contract layers (any may be None or empty)."""
        def make(gdf, col):
            if gdf is None or len(gdf) == 0:
                return None
            return GridSystem.from_frame(gdf, col, name=col.removesuffix("_id") + "s")
        return cls(make(districts, "district_id"), make(grids, "grid_id"),
                   make(pro_grids, "pro_grid_id"), **kwargs)

    @classmethod
    def from_store(cls, store, **kwargs) -> TownGrids:
        """Read ``districts``, ``grids`` and ``pro_grids`` from a store (missing ones are None)."""
        def read(name, cols):
            return store.read(name, columns=cols) if store.has_layer(name) else None
        return cls.from_frames(read("districts", ["district_id"]),
                               read("grids", ["grid_id", "district_id"]),
                               read("pro_grids", ["pro_grid_id"]), **kwargs)

    def warm(self) -> TownGrids:
        """Build every system's index now (it is otherwise built on first use), so a
        caller that swaps these grids in never makes a request wait for it."""
        for system in self.systems:
            system.index  # noqa: B018 - cached_property: building it is the point
        return self

    @property
    def crs(self):
        return next((s.crs for s in self.systems), CRS.from_user_input(STORAGE_CRS))

    def grids_of_district(self, district_id: str) -> list[str]:
        """Comprehensive grid ids of one district (by the grids' ``district_id``)."""
        if self.grids is None or "district_id" not in self.grids.attributes:
            return []
        mask = self.grids.attributes["district_id"].astype(object).to_numpy() == district_id
        return sorted(set(self.grids.ids[mask].tolist()))

    def _district_of_grid_rows(self, rows: np.ndarray) -> np.ndarray:
        if self.grids is None or "district_id" not in self.grids.attributes:
            return np.full(len(rows), None, dtype=object)
        d = self.grids.attributes["district_id"].astype(object)
        d = d.where(d.notna(), None).to_numpy(dtype=object)
        return rows_to_ids(d, rows)

    def assign_xy(self, lon, lat, *, h3: bool = True) -> pd.DataFrame:
        """District, grid, professional grid and H3 cell of each point.

        Returns a DataFrame with :attr:`COLUMNS` (object dtype, ``None`` where a
        point falls in no polygon of that system).
        """
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        out = {}
        grid_rows = self.grids.rows_of_xy(lon, lat) if self.grids is not None else None
        if self.districts is not None:
            out["district_id"] = self.districts.ids_of_xy(lon, lat)
        elif grid_rows is not None:
            out["district_id"] = self._district_of_grid_rows(grid_rows)
        else:
            out["district_id"] = np.full(len(lon), None, dtype=object)
        out["grid_id"] = (rows_to_ids(self.grids.ids, grid_rows) if grid_rows is not None
                          else np.full(len(lon), None, dtype=object))
        out["pro_grid_id"] = (self.pro_grids.ids_of_xy(lon, lat) if self.pro_grids is not None
                              else np.full(len(lon), None, dtype=object))
        out["h3"] = (xy_to_h3(lon, lat, self.h3_resolution) if h3
                     else np.full(len(lon), None, dtype=object))
        return pd.DataFrame(out, columns=list(self.COLUMNS), dtype=object)

    def assign_one(self, lon: float, lat: float) -> dict:
        """One point (a case as it arrives), well under a millisecond."""
        grid = self.grids.id_of(lon, lat) if self.grids is not None else None
        if self.districts is not None:
            district = self.districts.id_of(lon, lat)
        elif grid is not None:
            district = self._district_of_grid_rows(np.array([self.grids.index.row_of(lon, lat)]))[0]
        else:
            district = None
        pro = self.pro_grids.id_of(lon, lat) if self.pro_grids is not None else None
        return {"district_id": district, "grid_id": grid, "pro_grid_id": pro,
                "h3": h3_of(lon, lat, self.h3_resolution)}
