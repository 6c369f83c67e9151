"""Data scoped by grid, decided in one place (issue 16, Deliver 3): the duty console's
table, counts, map and lists through ``CaseFilter.scope`` and ``CaseFrame.mask``, a
case's detail through ``case_detail(scope=)`` — a case outside the scope is a 403 and
audited (the property over every screen, the notebook and exports:
test_grid_isolation.py). The walk below finds every reader of cases, patrols, staff
and entities in geodata/ by introspection and fails on one that takes no scope unless
it is listed, with its reason, as not yet scoped; another finds every screen reading
the whole town's snapshot or counts instead of its reader's."""
from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import pandas as pd
import pytest

from access.scope import NOTHING, TOWN, scope_of
from tests.access.test_gate import app as _app  # noqa: F401 - the real app on the fixture town


@pytest.fixture
def app(_app):  # noqa: F811
    """The fixture town with its cases assigned to districts and grids (townbrain assign)."""
    from grids.assign import assign_store
    assign_store(_app.server.extensions["townbrain_access"].store, layers=["cases"])
    return _app

#: Readers that do not take a scope yet, and why. Shrink it; never grow it silently.
NOT_YET = {
    "geodata.case_queries.CaseCache._load_town": "the console's town-wide frame in memory, read as the town "
                                                 "(access.scope.town_work); every question asked of it is scoped "
                                                 "(CaseFilter.scope in CaseFrame.mask)",
    "geodata.intake_queries._with_awaiting": "the Open311 API's reads (intake/, another engineer's): keys' own rules",
    "geodata.workflow.apply_transition": "a write path reading the case it changes (API key rules, intake/)",
}
_CALL = re.compile(r"\.(read|read_points|count)\(")
_LAYER = re.compile(r"""["'](cases|patrols|staff|enterprises|residents)["']""")
#: A module naming its layer once, as ``LAYER`` (geodata/changes.py: the live feed's cases).
_LAYER_NAME = re.compile(r"\bLAYER\b")


def _readers() -> dict[str, object]:
    import geodata
    out = {}
    for m in pkgutil.iter_modules(geodata.__path__):
        mod = importlib.import_module(f"geodata.{m.name}")
        for name, obj in vars(mod).items():
            fns = [(name, obj)] if inspect.isfunction(obj) else \
                [(f"{name}.{n}", f) for n, f in vars(obj).items() if inspect.isfunction(f)] \
                if inspect.isclass(obj) else []
            for qn, f in fns:
                if getattr(f, "__module__", None) != mod.__name__:
                    continue
                try:
                    src = inspect.getsource(f)
                except OSError:  # generated (a dataclass's __init__): reads nothing
                    continue
                named = _LAYER_NAME.search(src) and _LAYER.fullmatch(repr(getattr(mod, "LAYER", "")))
                if _CALL.search(src) and (_LAYER.search(src) or named):
                    out[f"{mod.__name__}.{qn}"] = f
    return out


def _takes_scope(f) -> bool:
    params = inspect.signature(f).parameters
    return "scope" in params or "flt" in params  # a CaseFilter carries its scope


def test_every_reader_in_geodata_takes_a_scope_or_is_listed_as_not_yet():
    readers = _readers()
    assert "geodata.case_queries.case_detail" in readers and "geodata.case_queries.read_cases" in readers
    assert {"geodata.changes.changed_since", "geodata.changes.daily_cells"} <= set(readers)  # the live feed
    unscoped = {k for k, f in readers.items() if not _takes_scope(f)}
    assert unscoped - set(NOT_YET) == set(), "give these readers a scope (access/scope.py)"
    assert set(NOT_YET) <= set(readers), "a listed reader is gone: take it off NOT_YET"


def test_read_cases_and_the_frame_keep_to_the_scope_and_nothing_is_nothing(app):  # noqa: F811
    from geodata import case_queries as cq
    store = app.server.extensions["townbrain_access"].store
    known = {"district_id": {"D1", "D2"}}
    all_cases = cq.read_cases(store)
    d1 = cq.read_cases(store, cq.CaseFilter(scope=scope_of("D1", known)))
    assert 0 < len(d1) < len(all_cases) and set(d1["district_id"]) == {"D1"}
    assert len(cq.read_cases(store, cq.CaseFilter(scope=NOTHING))) == 0
    assert len(cq.read_cases(store, cq.CaseFilter(scope=TOWN))) == len(all_cases)
    frame = cq.CaseCache(store).get()
    page = frame.page(cq.CaseFilter(scope=scope_of("D1", known)), size=10_000)
    assert page.total == len(d1) and set(page.rows["district_id"]) == {"D1"}
    assert frame.counts_by(cq.CaseFilter(scope=scope_of("D1", known)), "district_id").drop(
        "D1", errors="ignore").sum() == 0
    assert frame.page(cq.CaseFilter(scope=NOTHING)).total == 0
    outside = all_cases.loc[all_cases["district_id"] == "D2", "case_id"].iloc[0]
    with pytest.raises(cq.OutOfScope):
        cq.case_detail(store, outside, scope=scope_of("D1", known))
    assert cq.case_detail(store, outside, scope=TOWN)[0]["case_id"] == outside


def test_a_duty_officer_of_one_district_gets_its_scope_and_a_case_outside_is_refused_and_audited(app):  # noqa: F811
    import flask
    from access.scope import request_scope
    from geodata import case_queries as cq
    acc = app.server.extensions["townbrain_access"]
    acc.accounts.create("d1", "duty_officer", "D1", by="os:test", password="Gate-Test-2026", must_change=False)
    c = app.server.test_client()
    c.post("/login", data={"name": "d1", "password": "Gate-Test-2026"})
    token = next(ck.value for ck in c._cookies.values() if ck.key == "tb_session")
    with app.server.test_request_context("/console", headers={"Cookie": f"tb_session={token}"}):
        app.server.preprocess_request()
        scope = request_scope()
        assert scope.districts == frozenset({"D1"}) and not scope.town
    with app.server.test_request_context("/console"):
        assert request_scope() == NOTHING  # no session: nothing (fail closed)
    # the console's detail callback: a case of D2 is refused (403), and audited as refused
    cases = cq.read_cases(acc.store)
    outside = cases.loc[cases["district_id"] == "D2", "case_id"].iloc[0]
    inside = cases.loc[cases["district_id"] == "D1", "case_id"].iloc[0]
    detail = next(k for k, m in app.callback_map.items() if m.get("callback") is not None
                  and m["callback"].__module__ == "callbacks.console" and m["callback"].__name__ == "detail")
    inputs = app.callback_map[detail]["inputs"]
    for case_id in (outside, inside):
        body = {"output": detail, "outputs": {"id": detail.split(".")[0].lstrip("."), "property": "data"},
                "inputs": [{**inputs[0], "value": case_id}],
                "state": [{**app.callback_map[detail]["state"][0], "value": f"?case={case_id}"}],
                "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"]}
        r = c.post("/_dash-update-component", json=body)
        assert r.status_code == (403 if case_id == outside else 200), r.get_data(as_text=True)[:300]
        assert outside not in r.get_data(as_text=True)
    log = acc.audit.list(user="d1")
    views = log[log["action"] == "case_view"]
    assert views["outcome"].tolist() == ["refused", "ok"]
    assert views["object"].tolist() == [f"case {outside}", f"case {inside}"]


#: Calls that answer with the whole town, and the ``*_for(scope)`` call a screen makes instead.
_WHOLE_TOWN = re.compile(r"\.(snapshot|base_layers|buildings|case_counts|layer_counts)\(")


def test_the_screens_read_the_town_only_through_the_reader_scope():
    """A callback, a page or a panel of the wall and the console reads the modules'
    snapshot, the base layers, the footprints and the counts through ``snapshot_for`` /
    ``base_layers_for`` / ``buildings_for`` / ``case_counts_for`` / ``layer_counts_for``
    with the reader's scope; only the objects that define them, and the wall's warm-up
    (it answers nobody), call the whole-town ones."""
    import callbacks
    from callbacks import wall
    defined_here = {"callbacks.data", "callbacks.module_data"}
    found = {}
    for m in pkgutil.iter_modules(callbacks.__path__):
        name = f"callbacks.{m.name}"
        if name in defined_here:
            continue
        src = inspect.getsource(importlib.import_module(name))
        if name == "callbacks.wall":
            src = src.replace(inspect.getsource(wall.warm_up), "")
        hits = [line.strip() for line in src.splitlines() if _WHOLE_TOWN.search(line)]
        if hits:
            found[name] = hits
    assert found == {}, "read these through the reader's scope (access/scope.py request_scope)"
