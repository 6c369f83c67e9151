"""The map layers of the modules' own data, listed in one place, in drawing order
(bottom first): bus routes, key projects, schools, car parks, opinion items, cameras.

Each is ``to_traces(frame, name=..., label=...)`` with ``label(key)`` the screen text
of a key (the screen passes ``callbacks.i18n.t`` in its language). The wall draws
them after its own layers (``callbacks/modules.py: MAP_LAYER_ORDER``).

>>> list(THEME_LAYERS)
['bus_routes', 'key_projects', 'schools', 'parking', 'opinion_items', 'cameras']
>>> THEME_LAYERS["cameras"].source
'cameras'
"""
from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable

from layers import bus_routes, cameras, key_projects, opinion_items, parking, schools


@dataclass(frozen=True)
class ThemeLayer:
    id: str
    source: str
    columns: tuple[str, ...]
    to_traces: Callable[..., list[dict]]


THEME_LAYERS: dict[str, ThemeLayer] = {m.SOURCE: ThemeLayer(m.SOURCE, m.SOURCE, m.COLUMNS, f) for m, f in (
    (bus_routes, bus_routes.bus_routes_to_traces),
    (key_projects, key_projects.key_projects_to_traces),
    (schools, schools.schools_to_traces),
    (parking, parking.parking_to_traces),
    (opinion_items, opinion_items.opinion_items_to_traces),
    (cameras, cameras.cameras_to_traces),
)}
