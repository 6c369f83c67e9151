"""What a reader may see: a user's grants as a :class:`Scope`, decided in one place
(issue 16, Deliver 3).

A grant is ``town`` or the id of a district, a comprehensive grid or a professional
grid (``townbrain user grant``). :func:`scope_of` turns grants into a Scope, each id
placed by the layer that holds it; no grant — or an id no layer knows — gives
nothing (fail closed). :func:`scope_mask` is the gate itself: the one function
that decides which rows of a frame of cases (or anything carrying ``district_id`` /
``grid_id`` / ``pro_grid_id``) a scope lets through; readers in ``geodata/`` take a
``scope`` and call it (tests/access/test_scope.py walks them).

Examples
--------
>>> import pandas as pd
>>> s = scope_of("D1,G3", {"district_id": {"D1", "D2"}, "grid_id": {"G1", "G3"}})
>>> s.districts, s.grids, s.town
(frozenset({'D1'}), frozenset({'G3'}), False)
>>> df = pd.DataFrame({"district_id": ["D1", "D2", "D2", None], "grid_id": ["G1", "G2", "G3", None]})
>>> scope_mask(df, s).tolist(), scope_mask(df, TOWN).tolist(), scope_mask(df, NOTHING).tolist()
([True, False, True, False], [True, True, True, True], [False, False, False, False])
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Scope field → the column of a record that it limits.
COLUMNS = {"districts": "district_id", "grids": "grid_id", "pro_grids": "pro_grid_id"}


@dataclass(frozen=True)
class Scope:
    town: bool = False
    districts: frozenset = frozenset()
    grids: frozenset = frozenset()
    pro_grids: frozenset = frozenset()

    @property
    def empty(self) -> bool:
        return not (self.town or self.districts or self.grids or self.pro_grids)

    def describe(self) -> str:
        if self.town:
            return "town"
        return ",".join(sorted([*self.districts, *self.grids, *self.pro_grids])) or "nothing"


TOWN = Scope(town=True)
NOTHING = Scope()


def scope_of(grants, known: dict[str, set]) -> Scope:
    """Grants (``"town"``, ids, comma-separated or a list) → a Scope; ``known`` maps a
    column (``district_id``, ``grid_id``, ``pro_grid_id``) to the ids its layer holds."""
    items = grants if isinstance(grants, (list, tuple, set, frozenset)) else str(grants or "").split(",")
    ids = {str(g).strip() for g in items if str(g).strip()}
    if "town" in ids:
        return TOWN
    parts = {f: frozenset(ids & set(known.get(col, ()))) for f, col in COLUMNS.items()}
    return Scope(**parts)


def scope_mask(df: pd.DataFrame, scope: Scope | None) -> np.ndarray:
    """The gate: which rows of ``df`` ``scope`` lets through. None is nothing (fail
    closed); a record matches when its district, grid or professional grid is granted;
    a column a frame lacks grants nothing through it."""
    n = len(df)
    if scope is None or scope.empty:
        return np.zeros(n, dtype=bool)
    if scope.town:
        return np.ones(n, dtype=bool)
    m = np.zeros(n, dtype=bool)
    for f, col in COLUMNS.items():
        wanted = getattr(scope, f)
        if wanted and col in df.columns:
            m |= df[col].astype(object).isin(list(wanted)).to_numpy(bool)
    return m


def in_scope(record: dict | None, scope: Scope | None) -> bool:
    """Whether one record (a case's detail) is inside ``scope``."""
    if record is None:
        return False
    return bool(scope_mask(pd.DataFrame([{c: record.get(c) for c in COLUMNS.values()}]), scope)[0])


# ---- the scope of the request being answered ------------------------------------------------
def known_ids(store) -> dict[str, set]:
    ids: dict[str, set] = {}
    for layer, col in (("districts", "district_id"), ("grids", "grid_id"), ("pro_grids", "pro_grid_id")):
        if store.has_layer(layer):
            ids[col] = set(store.read(layer, columns=[col], geometry=False)[col].dropna().astype(str))
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
    if sess.device:
        rec = access.devices.get(sess.name.split(":", 1)[1]) or {}
    else:
        rec = access.accounts.get(sess.name) or {}
    scope = scope_of(rec.get("grants") or "", access.known_ids())
    flask.g.tb_scope = scope
    return scope
