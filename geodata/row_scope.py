"""Row-level security: on PostGIS the database itself keeps a reader to their grants,
a second lock behind the gate of access/scope.py (issue 16, Deliver 3).

The scope of a piece of database work is, in this order:

1. the one :func:`db_scope` (a context variable) sets: the gate sets its request's
   (access/gate.py, resolved from the session on the first read of a scoped table;
   no session or no grant is nothing), and a cache of town-wide frames fills under
   ``db_scope(TOWN)`` — it is shared by every reader and filtered per reader after;
2. else the store's own ``row_scope``: the whole town for the server's own work (its
   background threads, the live intake: access/web.py) and for the ``townbrain``
   command (its operator, as the contract says), the reader's scope for a notebook
   (``tb.connect(scope=…)``);
3. else nothing (fail closed).

The PostGIS store hands it to the server with ``set_config`` before every statement
on a table of :data:`SCOPED_LAYERS` (:func:`settings`), local to the transaction on
pooled connections, so no connection carries one reader's scope into the next
one's work. The tables' policies (:func:`policy_statements`) admit a row when the
town is granted, or when its district, grid (also as a grid inside a granted
district) or professional grid is: :func:`access.scope.scope_mask`, in SQL. A
setting not set admits nothing.

A row placed by nothing of its own is placed as access/scope.py places it: a
patrol through its inspector (its ``staff_id`` among the staff the policy of
``staff`` admits), a case's history through its case, a supervised task through the
key project it concerns (a task about none, and an approval, has no place: only the
town's work reads it), a building without place
columns by the grid or professional grid its footprint's representative point lies
in (``ST_PointOnSurface``, what shapely's ``representative_point`` computes).

Examples
--------
>>> from types import SimpleNamespace as S
>>> settings(S(town=False, districts={"D1"}, grids=set(), district_grids={"G2", "G1"}, pro_grids=set()))
{'townbrain.scope_town': 'off', 'townbrain.districts': 'D1', 'townbrain.grids': '', \
'townbrain.district_grids': 'G1,G2', 'townbrain.pro_grids': ''}
>>> settings(None)["townbrain.scope_town"]
'off'
"""
from __future__ import annotations

import contextlib
import contextvars

#: Layers whose rows the database keeps to the reader's grants: those access/scope.py
#: gates (cases, patrols, staff, the entities and the modules' own layers). The
#: geography (access.scope.GEOGRAPHY, grids, districts, professional grids) and
#: access's own tables (accounts, sessions, devices, audit_log, api_keys) have no policy.
SCOPED_LAYERS = frozenset({
    "cases", "case_history", "patrols", "staff", "residents", "enterprises", "buildings",
    "key_projects", "tasks", "cameras", "approvals", "opinion_items", "parking", "schools",
    "medical_insurance"})
#: A record placed through another layer: layer → (key column, the layer it names).
#: access/scope.py places the same records the same way (``placed_through``).
THROUGH = {"patrols": ("staff_id", "staff"), "case_history": ("case_id", "cases"),
           "tasks": ("project_id", "key_projects")}
#: Layers placed by their footprint when they carry no place column of their own.
FOOTPRINT = frozenset({"buildings"})
#: The units a footprint is placed in: (layer, its place columns).
FOOTPRINT_UNITS = (("grids", ("grid_id", "district_id")), ("pro_grids", ("pro_grid_id",)))
#: Setting → the column it admits by (a grid inside a granted district is a grid).
SETTING_COLUMNS = (("districts", "district_id"), ("grids", "grid_id"), ("district_grids", "grid_id"),
                   ("pro_grids", "pro_grid_id"))
PLACE_COLUMNS = ("district_id", "grid_id", "pro_grid_id")
POLICY = "townbrain_scope"
PREFIX = "townbrain."

_UNSET = object()
_WORK: contextvars.ContextVar = contextvars.ContextVar("townbrain_db_scope", default=_UNSET)


@contextlib.contextmanager
def db_scope(scope):
    """Run the block's database work as ``scope`` (an ``access.scope.Scope``; None is
    nothing), whatever the request or the store would say."""
    token = _WORK.set(scope)
    try:
        yield scope
    finally:
        _WORK.reset(token)


def enter(scope_or_resolver):
    """Set the scope until :func:`leave` with the token returned (the gate, around a
    request). A callable is resolved on the first read of a scoped table."""
    return _WORK.set(scope_or_resolver)


def replace(scope_or_resolver) -> None:
    """Set the scope of the work in progress (inside an :func:`enter`)."""
    _WORK.set(scope_or_resolver)


def leave(token) -> None:
    _WORK.reset(token)


def current(default=None):
    """The scope of the database work in progress (see the module's text); a resolver
    set by the gate is called once, with nothing in force while it reads the grants."""
    value = _WORK.get()
    if value is _UNSET:
        return default
    if callable(value) and not hasattr(value, "town"):
        _WORK.set(None)
        value = value()
        _WORK.set(value)
    return value


def _ids(values) -> str:
    # an id with a comma cannot be told apart in the list: it is left out (admits nothing)
    return ",".join(sorted(str(v) for v in (values or ()) if "," not in str(v)))


def settings(scope) -> dict[str, str]:
    """The server settings that carry ``scope`` (None: nothing) to the policies."""
    town = bool(scope is not None and getattr(scope, "town", False))
    out = {PREFIX + "scope_town": "on" if town else "off"}
    for name, _col in SETTING_COLUMNS:
        out[PREFIX + name] = "" if town or scope is None else _ids(getattr(scope, name, ()))
    return out


def _admits(setting: str, column: str) -> str:
    # (SELECT …): evaluated once per statement (an InitPlan), not once per row
    # (the cast makes the sub-select a scalar array, not a set of rows for ANY to search)
    return f"{column} = ANY ((SELECT string_to_array(current_setting('{PREFIX}{setting}', true), ','))::text[])"


TOWN_ARM = f"(SELECT current_setting('{PREFIX}scope_town', true)) = 'on'"


def policy_expression(table: str, columns, tables, geometry: bool = False) -> str:
    """The policy's test of a row of ``table`` with ``columns``, ``tables`` being the
    tables present (a placing layer that is absent places nothing)."""
    columns, tables = set(columns), set(tables)
    arms = [TOWN_ARM]
    own = [c for c in PLACE_COLUMNS if c in columns]
    arms += [_admits(s, f'"{table}"."{c}"') for s, c in SETTING_COLUMNS if c in own]
    through = THROUGH.get(table)
    if through and through[0] in columns and through[1] in tables:
        key, other = through
        # the other layer's own policy decides which of its rows the sub-select sees
        arms.append(f'EXISTS (SELECT 1 FROM "{other}" o WHERE o."{key}" = "{table}"."{key}")')
    if table in FOOTPRINT and not own and geometry:
        for unit, cols in FOOTPRINT_UNITS:
            if unit not in tables:
                continue
            tests = " OR ".join(_admits(s, f'u."{c}"') for s, c in SETTING_COLUMNS if c in cols)
            arms.append(f'EXISTS (SELECT 1 FROM "{unit}" u WHERE ST_Within(ST_PointOnSurface("{table}".geom), u.geom) '
                        f'AND ({tests}))')
    return " OR ".join(f"({a})" for a in arms)


def policy_statements(table: str, columns, tables, geometry: bool = False) -> list[str]:
    """The statements that put ``table`` under its policy; idempotent. FORCE binds the
    table's owner too (the app's own role usually owns what it created)."""
    return [f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
            f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
            f'DROP POLICY IF EXISTS {POLICY} ON "{table}"',
            f'CREATE POLICY {POLICY} ON "{table}" USING ({policy_expression(table, columns, tables, geometry)})']


def dependents(table: str) -> list[str]:
    """Scoped layers whose policy names ``table`` (to renew when it is made again)."""
    out = [t for t, (_k, other) in THROUGH.items() if other == table]
    if table in {u for u, _c in FOOTPRINT_UNITS}:
        out += sorted(FOOTPRINT)
    return out


def set_config_sql(scope, local: bool) -> str:
    """One ``SELECT set_config(…)`` that sets every setting of ``scope``."""
    flag = "true" if local else "false"
    return "SELECT " + ", ".join(f"set_config('{k}', {_literal(v)}, {flag})" for k, v in settings(scope).items())


def _literal(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"
