"""What a reader may see: a user's grants as a :class:`Scope`, decided in one place
(issue 16, Deliver 3).

A grant is ``town`` or the id of a district, a comprehensive grid or a professional
grid (``townbrain user grant``). :func:`scope_of` turns grants into a Scope, each id
placed by the layer that holds it; no grant — or an id no layer knows — gives
nothing (fail closed). :func:`scope_mask` is the gate itself: the one function
that decides which rows of a frame of cases (or anything carrying ``district_id`` /
``grid_id`` / ``pro_grid_id``) a scope lets through; readers in ``geodata/`` take a
``scope`` and call it (tests/access/test_scope.py walks them).

A district grant reaches the grids inside it (``Scope.district_grids``, from the grids
layer's ``district_id``), so a record placed by its grid alone — a staff member — is
inside its district's grant too. A record placed by nothing of its own is placed
through what it belongs to, then gated the same way: a patrol by its inspector, a
supervised task by the key project it concerns (:data:`PLACED_THROUGH`,
:func:`scope_mask_by`), a building by the grid its footprint lies in
(:func:`placed_in_units`). What has no place at all — an application at the town's
one service centre (``approvals``), a task about no project — is the town's alone
(:data:`UNPLACED`): a limited reader is shown none of it, and told so.

Examples
--------
>>> import pandas as pd
>>> s = scope_of("D1,G3", {"district_id": {"D1", "D2"}, "grid_id": {"G1", "G3"}})
>>> s.districts, s.grids, s.town
(frozenset({'D1'}), frozenset({'G3'}), False)
>>> df = pd.DataFrame({"district_id": ["D1", "D2", "D2", None], "grid_id": ["G1", "G2", "G3", None]})
>>> scope_mask(df, s).tolist(), scope_mask(df, TOWN).tolist(), scope_mask(df, NOTHING).tolist()
([True, False, True, False], [True, True, True, True], [False, False, False, False])
>>> d1 = scope_of("D1", {"district_id": {"D1"}, "grid_district": {"G1": "D1", "G2": "D2"}})
>>> scope_mask(pd.DataFrame({"grid_id": ["G1", "G2"]}), d1).tolist()   # staff: a grid, no district
[True, False]
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# what has no place of its own is placed through another layer: one table for both locks
from geodata.row_scope import THROUGH as PLACED_THROUGH

#: Scope field → the column of a record that it limits.
COLUMNS = {"districts": "district_id", "grids": "grid_id", "pro_grids": "pro_grid_id"}


@dataclass(frozen=True)
class Scope:
    town: bool = False
    districts: frozenset = frozenset()
    grids: frozenset = frozenset()
    pro_grids: frozenset = frozenset()
    #: the grids inside the granted districts (not a grant of their own: ``describe``
    #: names the districts), through which a record known only by its grid is placed
    district_grids: frozenset = field(default=frozenset(), repr=False)

    @property
    def empty(self) -> bool:
        return not (self.town or self.districts or self.grids or self.pro_grids)

    def describe(self) -> str:
        if self.town:
            return "town"
        return ",".join(sorted([*self.districts, *self.grids, *self.pro_grids])) or "nothing"


TOWN = Scope(town=True)
NOTHING = Scope()
#: ``PLACED_THROUGH`` (geodata/row_scope.py ``THROUGH``): layers whose records carry no
#: place of their own, placed through the layer they name — layer → (key column, that
#: layer); PostGIS's policies place them the same way.
#: Layers of records that have no place at all, with why: only a town-wide grant sees them.
UNPLACED = {"approvals": "an application at the town's one service centre names no place",
            "tasks": "a task about no key project names no place (one about a project is placed by it)"}
#: Layers of the town's geography, not records of its work: every reader sees them
#: whole (the map of a district still shows the canal that runs through the town).
GEOGRAPHY = frozenset({"roads", "rivers", "bus_routes", "town"})


def scope_of(grants, known: dict) -> Scope:
    """Grants (``"town"``, ids, comma-separated or a list) → a Scope; ``known`` maps a
    column (``district_id``, ``grid_id``, ``pro_grid_id``) to the ids its layer holds,
    and ``grid_district`` (optional) each grid to its district."""
    items = grants if isinstance(grants, (list, tuple, set, frozenset)) else str(grants or "").split(",")
    ids = {str(g).strip() for g in items if str(g).strip()}
    if "town" in ids:
        return TOWN
    parts = {f: frozenset(ids & set(known.get(col, ()))) for f, col in COLUMNS.items()}
    inside = frozenset(g for g, d in (known.get("grid_district") or {}).items() if d in parts["districts"])
    return Scope(**parts, district_grids=inside)


def _member(values: pd.Series, wanted) -> np.ndarray:
    if isinstance(values.dtype, pd.CategoricalDtype):  # the console's frame: by its few categories
        return values.isin(list(wanted)).to_numpy(bool)
    return values.astype(object).isin(list(wanted)).to_numpy(bool)


def scope_mask(df: pd.DataFrame, scope: Scope | None) -> np.ndarray:
    """The gate: which rows of ``df`` ``scope`` lets through. None is nothing (fail
    closed); a record matches when its district, grid or professional grid is granted
    (a grid also when it lies in a granted district); a column a frame lacks grants
    nothing through it."""
    n = len(df)
    if scope is None or scope.empty:
        return np.zeros(n, dtype=bool)
    if scope.town:
        return np.ones(n, dtype=bool)
    m = np.zeros(n, dtype=bool)
    for f, col in COLUMNS.items():
        wanted = getattr(scope, f) | (scope.district_grids if f == "grids" else frozenset())
        if wanted and col in df.columns:
            m |= _member(df[col], wanted)
    return m


def scope_mask_by(df: pd.DataFrame, scope: Scope | None, places: pd.DataFrame | None, key: str) -> np.ndarray:
    """The gate for records placed through what they belong to: a row of ``df`` is in
    ``scope`` when its own place columns are (:func:`scope_mask`) or when the row of
    ``places`` with the same ``key`` is — a patrol through its inspector (``staff_id``
    → the staff member's grid or professional grid).

    >>> staff = pd.DataFrame({"staff_id": ["S1", "S2"], "grid_id": ["G1", "G2"]})
    >>> patrols = pd.DataFrame({"patrol_id": ["P1", "P2", "P3"], "staff_id": ["S2", "S1", None]})
    >>> scope_mask_by(patrols, Scope(grids=frozenset({"G1"})), staff, "staff_id").tolist()
    [False, True, False]
    """
    m = scope_mask(df, scope)
    if places is None or key not in df.columns or key not in places.columns or scope is None or scope.town:
        return m
    cols = [c for c in COLUMNS.values() if c in places.columns]
    by_key = places[[key, *cols]].dropna(subset=[key]).drop_duplicates(key)
    placed = pd.DataFrame({key: df[key].to_numpy(object)}).merge(by_key.astype({key: object}), on=key, how="left")
    return m | scope_mask(placed, scope)


def has_no_place(frame: pd.DataFrame, layer: str) -> np.ndarray:
    """Which records of ``layer`` have no place at all: none of the place columns set,
    and nothing to be placed through (:data:`PLACED_THROUGH`'s key empty) — a task
    about no project, any approval. Only a town-wide grant sees them.

    >>> tasks = pd.DataFrame({"task_id": ["T1", "T2"], "project_id": ["KP1", None]})
    >>> has_no_place(tasks, "tasks").tolist(), has_no_place(tasks.iloc[:, :1], "approvals").tolist()
    ([False, True], [True, True])
    """
    none = np.ones(len(frame), dtype=bool)
    keys = [*COLUMNS.values(), *([PLACED_THROUGH[layer][0]] if layer in PLACED_THROUGH else [])]
    for col in keys:
        if col in frame.columns:
            none &= frame[col].isna().to_numpy(bool)
    return none


def placed_in_units(frame, *units) -> pd.DataFrame:
    """The place columns (``grid_id``, ``district_id``, ``pro_grid_id``) of each record
    of a frame with a geometry and none of its own (a building's footprint): those of
    the unit of each of ``units`` (the grids, the professional grids) its representative
    point lies in, as ``townbrain assign`` places a point; empty outside every unit.

    >>> import geopandas as gpd, shapely
    >>> grids = gpd.GeoDataFrame({"grid_id": ["G1"], "district_id": ["D1"]}, geometry=[shapely.box(0, 0, 1, 1)])
    >>> b = gpd.GeoDataFrame(geometry=[shapely.box(.1, .1, .2, .2), shapely.box(5, 5, 6, 6)])
    >>> placed_in_units(b, grids).to_dict("list")
    {'district_id': ['D1', None], 'grid_id': ['G1', None], 'pro_grid_id': [None, None]}
    """
    import geopandas as gpd
    n = len(frame)
    out = pd.DataFrame({c: [None] * n for c in COLUMNS.values()}, dtype=object)
    if n == 0 or getattr(frame, "geometry", None) is None:
        return out
    pts = gpd.GeoDataFrame({"_row": np.arange(n)}, geometry=frame.geometry.representative_point().to_numpy(),
                           crs=frame.crs)
    for layer in units:
        cols = [c for c in COLUMNS.values() if layer is not None and c in layer.columns]
        if not cols or not len(layer):
            continue
        shapes = layer[[*cols, "geometry"]]
        shapes = shapes.to_crs(pts.crs) if pts.crs and shapes.crs else shapes
        hit = gpd.sjoin(pts, shapes, how="left", predicate="within").drop_duplicates("_row").sort_values("_row")
        for c in cols:
            out[c] = pd.Series([v if pd.notna(v) else None for v in hit[c]], index=out.index, dtype=object)
    return out


def in_scope(record: dict | None, scope: Scope | None) -> bool:
    """Whether one record (a case's detail) is inside ``scope``."""
    if record is None:
        return False
    return bool(scope_mask(pd.DataFrame([{c: record.get(c) for c in COLUMNS.values()}]), scope)[0])


def town_work():
    """``with town_work():`` — database work that fills something every reader shares
    (the wall's snapshot, the console's frame of every case, a page of cached counts)
    reads the whole town, under PostGIS's row-level security too (geodata/row_scope.py):
    filled inside a limited reader's request it would otherwise hold only their rows and
    serve them to everyone. What is shared is filtered per reader after, by
    :func:`scope_mask`."""
    from geodata.row_scope import db_scope
    return db_scope(TOWN)


# ---- the scope of the request being answered ------------------------------------------------
def known_ids(store) -> dict:
    """The ids grants may name, per column, and ``grid_district``: each grid's district."""
    ids: dict = {}
    for layer, col in (("districts", "district_id"), ("grids", "grid_id"), ("pro_grids", "pro_grid_id")):
        if store.has_layer(layer):
            cols = [col, "district_id"] if layer == "grids" and "district_id" in store.columns(layer) else [col]
            df = store.read(layer, columns=cols, geometry=False)
            ids[col] = set(df[col].dropna().astype(str))
            if len(cols) == 2:
                df = df.dropna()
                ids["grid_district"] = dict(zip(df[col].astype(str), df["district_id"].astype(str)))
    return ids


def request_scope() -> Scope:
    """The scope of the session answering the current Flask request: the account's (or
    the enrolled wall's) grants; :data:`NOTHING` without a signed-in session, outside a
    request, or for a role that holds no grants."""
    import flask
    from access.roles import GRANTED_ROLES
    if not flask.has_request_context():
        return NOTHING
    sess = flask.g.get("tb_session")
    access = flask.current_app.extensions.get("townbrain_access")
    if sess is None or not sess.signed_in or access is None or sess.role not in GRANTED_ROLES:
        return NOTHING
    cached = flask.g.get("tb_scope")
    if cached is not None:
        return cached
    scope = scope_of(sess.grants, access.known_ids())   # read with the session (access/sessions.py)
    flask.g.tb_scope = scope
    return scope
