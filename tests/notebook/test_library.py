"""The notebook library answers with the wall's, the console's and the CLI's own code."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import townbrain as tb
from geodata.case_filter import CaseFilter
from geodata.case_queries import category_names, place_names, read_cases
from indicators.report import kpi_command


def test_the_public_api_is_connect_and_town():
    assert tb.__all__ == ["connect", "Town"]
    assert set(tb.__all__) <= set(dir(tb))
    with pytest.raises(AttributeError):
        tb.nothing_here  # noqa: B018


def test_connect_refuses_a_missing_file_in_one_sentence(tmp_path):
    with pytest.raises(FileNotFoundError, match="townbrain demo"):
        tb.connect(tmp_path / "none.gpkg")


def test_reprs_name_the_town_its_layers_and_period(town):
    text = repr(town)
    assert text.startswith("<Town ") and "cases 20" in text
    page = town._repr_html_()
    assert "数据截至 Data as of" in page and "<td>cases</td>" in page and "users" not in page


@pytest.mark.parametrize("kw,flt", [
    ({}, CaseFilter()),
    ({"grid": "G1"}, CaseFilter(grids=("G1",))),
    ({"category": ["fire_safety", "city_appearance"], "status": "closed"},
     CaseFilter(categories=("fire_safety", "city_appearance"), statuses=("closed",))),
    ({"overdue": True}, CaseFilter(overdue=True)),
    ({"search": "G2"}, CaseFilter(search="G2")),
    ({"search": "消防"}, CaseFilter(search="消防")),
])
def test_cases_filter_as_the_console_does(town, kw, flt):
    now = pd.Timestamp.now(tz="Asia/Shanghai")
    start = now - pd.Timedelta(days=20)
    flt = flt.replace(start=start, end=now)
    got = town.cases(start=start, end=now, now=now, **kw)
    want = read_cases(town.store, flt, now=now, names=category_names(town.store), places=place_names(town.store))
    assert sorted(got["case_id"]) == sorted(want["case_id"])
    assert got.crs.to_epsg() == 4326 and got.geometry.geom_type.eq("Point").all()
    assert got["reported_at"].is_monotonic_increasing


def test_kpi_is_the_cli_kpi(town, themed_town):
    now = pd.Timestamp.now(tz="Asia/Shanghai").normalize()
    start, end = (now - pd.Timedelta(days=30)).strftime("%Y-%m-%d"), now.strftime("%Y-%m-%d")
    row = town.kpi(start, end).iloc[0]
    p = subprocess.run([Path(sys.executable).parent / "townbrain", "kpi", "--db", themed_town, "--from", start,
                        "--to", end, "--json"], capture_output=True, text=True, check=True)
    cli = json.loads(p.stdout)
    for key, v in cli.items():
        if key == "period":
            continue
        if isinstance(v, dict):
            for part, n in v.items():
                assert row[f"{key}.{part}"] == n
        elif v is None:
            assert pd.isna(row[key]), key
        else:
            assert row[key] == pytest.approx(v), key


def test_kpi_by_grid_is_indexed_by_grid_id(town):
    k = town.kpi("2018-01-01", None, by="grid")
    ref = kpi_command(town.store, "2018-01-01", None, by="grid")["groups"]
    assert k.index.name == "grid_id" and set(k.index) == set(ref)
    assert k.loc["G1", "accepted"] == ref["G1"]["accepted"]


def test_kpi_frame_map_draws_without_a_function_and_maps_with_one(town):
    k = town.kpi("2018-01-01", None, by="grid")
    assert k.map(lambda v: 1).to_numpy().sum() == k.size   # pandas' DataFrame.map
    m = k.map("accepted", lang="en")
    assert "Accepted" in m.legend["title"]
    town_row = town.kpi("2018-01-01", None)
    assert town_row.map().legend  # a town row is drawn by grid for the same period
    assert type(k[["accepted"]]).__name__ == "KpiFrame"


def test_inspector_days_share_is_the_rule_3510_kpi(town):
    now = pd.Timestamp.now(tz="Asia/Shanghai").normalize()
    start, end = now - pd.Timedelta(days=14), now + pd.Timedelta(days=1)   # the fixture patrols today
    days = town.inspector_days(start, end)
    assert len(days) and {"staff_id", "day", "patrols", "hours", "cases", "complies"} <= set(days.columns)
    assert days["complies"].mean() == pytest.approx(town.kpi(start, end)["rule_3510_compliance"].iloc[0])


def test_indicators_list_the_registry_with_formula_and_file(town):
    ind = town.indicators
    assert {"key", "zh", "en", "formula", "unit", "source", "file"} <= set(ind.columns)
    assert (ind["formula"].str.len() > 0).all()
    for f in ind["file"]:
        assert (Path(__file__).resolve().parents[2] / f).exists(), f


def test_residents_leave_only_as_counts(town):
    res = town.layer("residents")
    assert "resident_id" not in res and "geometry" not in res and "building_id" not in res
    assert res["residents"].sum() == town.store.count("residents")
    with pytest.raises(ValueError, match="not town data"):
        town.layer("users")


def test_a_scope_keeps_every_read_to_its_grids(themed_town):
    t = tb.connect(themed_town, scope="G1")
    assert set(t.cases()["grid_id"]) == {"G1"}
    assert set(t.layer("grids")["grid_id"]) == {"G1"}
    assert set(t.kpi("2018-01-01", None, by="grid").index) == {"G1"}
    assert set(t.layer("residents")["grid_id"]) <= {"G1"}
    with pytest.raises(ValueError, match="unknown grant"):
        tb.connect(themed_town, scope="NOPE")


def test_warnings_are_the_wall_warnings(town):
    from indicators.report import warnings_command
    now = pd.Timestamp.now(tz="Asia/Shanghai").normalize()
    got = town.warnings(now - pd.Timedelta(days=7), now)
    want = warnings_command(town.store, now - pd.Timedelta(days=7), now)
    assert len(got) == len(want)
    if len(got):
        assert np.array_equal(got.columns, want.columns)


def test_a_scoped_town_keeps_warnings_of_its_grids(themed_town):
    now = pd.Timestamp.now(tz="Asia/Shanghai").normalize()
    w = tb.connect(themed_town, scope="G1").warnings(now - pd.Timedelta(days=7), now)
    assert set(w.loc[w["where_type"] == "grid", "where"]) <= {"G1"}


def test_an_access_scope_is_taken_as_it_is(themed_town):
    from access.scope import Scope as AccessScope
    t = tb.connect(themed_town, scope=AccessScope(grids=frozenset({"G2"})))
    assert set(t.cases()["grid_id"]) == {"G2"}
    assert tb.connect(themed_town, scope=AccessScope(town=True)).scope.is_town
    assert len(tb.connect(themed_town, scope=AccessScope()).cases()) == 0   # fail closed, as access/ does


def test_personal_fields_come_only_when_asked_for_and_the_asking_is_audited(themed_town, tmp_path):
    from access.audit import AuditError
    from exports.data_export import PERSONAL_COLUMNS
    from geodata.store import open_store
    from tests.access.faults import refuse_audit_inserts
    from tests.notebook.proxy import town_copy
    copies = town_copy(themed_town, tmp_path)
    town = next(copies)
    ids = town.store.read("cases", columns=["case_id"], geometry=False)["case_id"]
    town.store.update_columns("cases", pd.DataFrame({"case_id": ids, "reported_by": "13800000000"}))
    # an analyst's default: no reporter anywhere, and asking for it by name says how
    assert not set(PERSONAL_COLUMNS) & set(town.cases().columns)
    assert "reported_by" not in town.layer("cases").columns
    with pytest.raises(ValueError, match="personal=True"):
        town.cases(columns=["case_id", "reported_by"])
    with pytest.raises(ValueError, match="personal=True"):
        town.layer("cases", columns=["reported_by"])
    # personal=True shows it, and the trail says who asked
    shown = tb.connect(town.url, personal=True)
    assert (shown.cases()["reported_by"] == "13800000000").all()
    log = shown.store.read("audit_log", geometry=False)
    asked = log[log["action"] == "personal_data"]
    assert len(asked) == 1 and asked["username"].iloc[0].startswith("os:")
    # a trail that cannot be written: no connection with personal data
    refuse_audit_inserts(open_store(town.url))
    with pytest.raises(AuditError):
        tb.connect(town.url, personal=True)
    copies.close()
