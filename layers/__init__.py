"""Map layers: one layer per file, each a pure function GeoDataFrame → plotly trace dicts.

Layers are data: a trace is a plain dict (what ``plotly.js`` receives), so tests
compare specs, not pixels, and nothing here needs Dash, a store or a browser.

``BASE_LAYERS`` lists the layers of the wall map in drawing order, bottom first.
Adding a layer is one file plus one line here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from layers import districts, grids, rivers, roads


@dataclass(frozen=True)
class MapLayer:
    """A map layer: the store ``source`` layer it draws, the ``columns`` it needs, and
    ``to_traces(gdf, name=label) -> list[dict]``."""

    id: str
    source: str
    columns: tuple[str, ...]
    to_traces: Callable[..., list[dict]]


BASE_LAYERS: tuple[MapLayer, ...] = (
    MapLayer("districts", districts.SOURCE, districts.COLUMNS, districts.districts_to_traces),
    MapLayer("grids", grids.SOURCE, grids.COLUMNS, grids.grids_to_traces),
    MapLayer("rivers", rivers.SOURCE, rivers.COLUMNS, rivers.rivers_to_traces),
    MapLayer("roads", roads.SOURCE, roads.COLUMNS, roads.roads_to_traces),
)
