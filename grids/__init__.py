"""TownBrain grids: grid systems, exact point-to-grid assignment, coverage checks.

Pure core (conventions.md): nothing here needs a database or a browser; the store
is only passed in by :func:`grids.assign.assign_store` and
:func:`grids.coverage.check_store`.

=================================  ===============================================
:class:`GridSystem`                any polygon layer + id column as a grid system
:class:`TownGrids`                 districts → grids, professional grids, H3
:func:`points_to_grids`            a GeoDataFrame of points → the four id columns
:func:`assign_store`               ``townbrain assign``: every point layer of a store
:func:`check_grids`                ``townbrain grids check``: findings as a layer
:func:`xy_to_h3`                   lon/lat → H3 cell ids
=================================  ===============================================

The tie rule for a point on a shared edge or vertex: the covering grid with the
lowest id in text order (see :mod:`grids.systems`).
"""
from grids.assign import assign_store, point_layers, points_to_grids
from grids.coverage import check_grids, check_store
from grids.h3cells import h3_cells_covering, xy_to_h3
from grids.systems import GridSystem, TownGrids

__all__ = ["GridSystem", "TownGrids", "points_to_grids", "assign_store", "point_layers",
           "check_grids", "check_store", "xy_to_h3", "h3_cells_covering"]
