"""``townbrain load`` as a town runs it on its own export: a real process, its report, the store after."""
from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geodata.store import open_store
from tests.realdata import REAL

SF = REAL / "sf311"
#: A 311 case is taken in (立案, registered) when it is opened: one column, two fields.
SF_MAP = ("case_id=CaseID,reported_at=Opened,registered_at=Opened,closed_at=Closed,category=Category,"
          "subcategory=Request.Type")
#: How another US city's 311 export spells its channels (Boston's open data), put on SF's cases.
CHANNELS = {"Voice In": "Constituent Call", "Open311": "Citizens Connect App", "Web Self Service": "Self Service",
            "Integrated Agency": "Employee Generated", "Twitter": "Twitter", "Other Department": "City Worker App",
            "e-mail In": "E-Mail", "Mail In": "Mail, Fax or Letter"}


def run(*args, cwd=None):
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "townbrain.cli", *map(str, args)], capture_output=True,
                          text=True, timeout=300, env=env, cwd=cwd)


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    """SF's real cases with a Boston-style Source column: spellings nobody here mapped."""
    d = tmp_path_factory.mktemp("export")
    df = pd.read_csv(SF / "cases_sample.csv", dtype=str, keep_default_na=False)
    df["Source"] = df["Source"].map(CHANNELS)
    df.to_csv(d / "311_export.csv", index=False)
    df.drop(columns=["Source"]).to_csv(d / "311_no_source.csv", index=False)
    return d


def count(store, layer: str) -> int:
    return store.count(layer) if store.has_layer(layer) else 0


def kpis(db) -> dict:
    r = run("kpi", "--db", db, "--from", "2008-01-01", "--to", "2017-01-01", "--json")
    assert r.returncode == 0, r.stderr
    import json
    return json.loads(r.stdout)


def test_unknown_spellings_load_whole_and_are_reported_with_the_option(export, tmp_path):
    db = tmp_path / "town.gpkg"
    r = run("load", export / "311_export.csv", "--layer", "cases", "--db", db, "--map", SF_MAP + ",source=Source",
            "--tz", "America/Los_Angeles")
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    store = open_store(str(db))
    n = len(pd.read_csv(export / "311_export.csv"))
    assert store.count("cases") == n and count(store, "quarantine") == 0   # nothing lost for a spelling
    # each unknown spelling with its count and the exact option that maps it
    counts = pd.read_csv(export / "311_export.csv")["Source"].value_counts()
    for spelling in ("Constituent Call", "Citizens Connect App", "Self Service", "Employee Generated"):
        line = next(ln for ln in r.stdout.splitlines() if f" {spelling} " in ln)
        assert f"{counts[spelling]:,}" in line and f"--values 'source:{spelling}=CODE'" in line
    assert "\"source:Mail, Fax or Letter=CODE\"" in r.stdout     # a spelling with a comma is quoted
    cases = store.read("cases")
    known = counts[["Twitter", "City Worker App", "E-Mail"]].sum()   # spellings SF and others use too
    assert cases["source"].isna().sum() == n - known
    assert (cases["source_original"] == "Constituent Call").sum() == counts["Constituent Call"]
    # the KPIs are those of the same file without the column
    db2 = tmp_path / "nosource.gpkg"
    r2 = run("load", export / "311_no_source.csv", "--layer", "cases", "--db", db2, "--map", SF_MAP,
             "--tz", "America/Los_Angeles")
    assert r2.returncode == 0, r2.stderr
    got, without = kpis(db), kpis(db2)
    by_source = ("inspector_reported", "inspector_share", "composite_score")
    assert {k: v for k, v in got.items() if k not in by_source} == \
        {k: v for k, v in without.items() if k not in by_source}
    assert got["inspector_reported"] == counts["City Worker App"]      # the one spelling that means inspector
    # and they are the file's own numbers, counted here with pandas alone
    raw = pd.read_csv(export / "311_export.csv", dtype=str, keep_default_na=False)
    opened = pd.to_datetime(raw["Opened"])
    closed = pd.to_datetime(raw["Closed"].replace("NA", ""), errors="coerce")
    assert got["accepted"] == n == ((opened >= "2008-01-01") & (opened < "2017-01-01")).sum()
    assert got["disposed"] == closed.notna().sum() > 0


def test_value_maps_from_the_command_line_and_a_file_and_a_reload_updates(export, tmp_path):
    db = tmp_path / "town.gpkg"
    base = ["load", export / "311_export.csv", "--layer", "cases", "--db", db, "--map", SF_MAP + ",source=Source",
            "--tz", "America/Los_Angeles"]
    assert run(*base).returncode == 0
    store = open_store(str(db))
    n = store.count("cases")
    # the command line
    r = run(*base, "--values", "source:Constituent Call=hotline,source:Citizens Connect App=citizen",
            "--values", '"source:Mail, Fax or Letter=citizen"')
    assert r.returncode == 0, r.stderr
    cases = store.read("cases").set_index("case_id")
    assert store.count("cases") == n                                   # updated, not duplicated
    spelled = pd.read_csv(export / "311_export.csv", dtype=str).set_index("CaseID")["Source"]
    got = cases["source"].astype(object).where(cases["source"].notna(), None)
    for spelling, code in [("Constituent Call", "hotline"), ("Citizens Connect App", "citizen"),
                           ("Mail, Fax or Letter", "citizen"), ("Self Service", None)]:
        assert set(got[spelled[spelled == spelling].index]) == {code}, spelling
    assert (cases.loc[spelled[spelled == "Self Service"].index, "source_original"] == "Self Service").all()
    assert "Constituent Call" not in r.stdout and "Self Service" in r.stdout
    # a file the town keeps: YAML and CSV, the command line on top
    (tmp_path / "values.yaml").write_text("cases:\n  source:\n    Constituent Call: hotline\n"
                                          "    Citizens Connect App: citizen\n    Self Service: citizen\n"
                                          "    Employee Generated: inspector\n    City Worker App: inspector\n"
                                          "    E-Mail: citizen\n    'Mail, Fax or Letter': citizen\n",
                                          encoding="utf-8")
    r = run(*base, "--values-file", tmp_path / "values.yaml")
    assert r.returncode == 0, r.stderr
    assert "spellings no value map knows" not in r.stdout
    cases = store.read("cases")
    assert cases["source"].notna().all() and store.count("cases") == n
    assert "source_original" not in cases or cases["source_original"].isna().all()
    (tmp_path / "values.csv").write_text("field,value,code\nsource,Constituent Call,department\n",
                                         encoding="utf-8")
    r = run(*base, "--values-file", tmp_path / "values.csv", "--values", "source:Self Service=iot")
    assert r.returncode == 0, r.stderr
    cases = store.read("cases")
    assert {"department", "iot"} <= set(cases["source"]) and store.count("cases") == n


@pytest.mark.parametrize("args, says", [
    (["--values", "source:Constituent Call=phone"], "'phone' is not a code of cases.source"),
    (["--values", "colour:red=green"], "layer cases has no field 'colour' with a code list"),
    (["--values", "source=hotline"], "FIELD:SPELLING=CODE"),
    (["--values-file", "/nonexistent/values.yaml"], "does not exist"),
    (["--encoding", "klingon"], "not an encoding Python knows"),
    (["--sheet", "1"], "--sheet applies to an Excel workbook"),
    (["--where", "Source = 'x'"], "--where applies to a GDAL vector file"),
    (["--map", "bogus=CaseID"], "layer cases has no field 'bogus'"),
])
def test_bad_options_are_one_sentence(export, tmp_path, args, says):
    r = run("load", export / "311_export.csv", "--layer", "cases", "--db", tmp_path / "t.gpkg",
            "--map", SF_MAP, *args)
    assert "Traceback" not in r.stdout + r.stderr
    assert r.returncode == 1 and says in " ".join(r.stderr.split()), r.stderr


# ---- garbage: never a traceback, every row loaded or quarantined ----------------------------

GARBAGE = {
    "nul.csv": b"id,when,lon,lat\nA\x00,2018-01-01,120.6,31.2\n\x00\x00\x00\n",
    "dates.csv": b"id,when,lon,lat\nA,\\1,120.6,31.2\nB,0001-01-01,1,1\nC,9999-12-31 23:59,120.6,31.2\n"
                 b"D,1e400,1e400,-1e400\nE,2018-02-30,120.6,31.2\n",
    "binary.csv": bytes(range(256)) * 40,
    "latin1.csv": "id,when,lon,lat,source\nA,2018-01-01,120.6,31.2,caf\xe9\n".encode("latin-1"),
    "quotes.csv": b'id,when,lon,lat\n"A,2018-01-01,120.6,31.2\n',
    "header_only.csv": b"id,when,lon,lat\n",
    "fake.xlsx": b"PK\x03\x04 not really",
    "fake.kmz": b"PK\x03\x04 not really",
    "fake.parquet": b"PAR1\x00\x00PAR1",
    "fake.gpx": b"<gpx><wpt lat='x' lon='y'/></gpx>",
    "empty.geojson": b"",
    "deep.geojson": b"[" * 100000 + b"]" * 100000,
}


@pytest.mark.parametrize("name", sorted(GARBAGE))
def test_garbage_gets_a_sentence_never_a_traceback(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(GARBAGE[name])
    r = run("load", path, "--layer", "cases", "--db", tmp_path / "t.gpkg", "--map", "case_id=id,reported_at=when")
    assert "Traceback" not in r.stdout + r.stderr and r.returncode in (0, 1), r.stdout + r.stderr
    if r.returncode == 1:
        assert r.stderr.startswith("error:") and len(r.stderr.strip().splitlines()) <= 3, r.stderr
    else:
        store = open_store(str(tmp_path / "t.gpkg"))
        loaded, quarantined = count(store, "cases"), count(store, "quarantine")
        assert f"loaded {loaded:,}, quarantined {quarantined:,}" in " ".join(r.stdout.split())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.lists(st.text(max_size=12), min_size=5, max_size=5), min_size=1, max_size=12))
def test_any_cells_are_loaded_or_quarantined(tmp_path, cells):
    """Whatever text a CSV holds, the load never fails on a record and loses none."""
    from geodata.loaders import load_file
    path = tmp_path / "fuzz.csv"
    df = pd.DataFrame(cells, columns=["id", "when", "lon", "lat", "source"])
    df.to_csv(path, index=False, encoding="utf-8")
    rows = len(pd.read_csv(path, dtype=str, keep_default_na=False))
    store = open_store(str(tmp_path / f"fuzz{abs(hash(str(cells)))}.gpkg"))
    store.create_schema()
    r = load_file(store, path, "cases", mapping={"case_id": "id", "reported_at": "when"})
    assert r.rows == rows and r.loaded + r.quarantined == rows
    assert store.count("cases") == len(set(store.read("cases")["case_id"])) == r.loaded


def test_the_table_views_of_what_was_loaded(export, tmp_path):
    """After a load a user looks with the plain (not --json) views: they print tables, exit 0."""
    db = tmp_path / "town.gpkg"
    assert run("load", export / "311_export.csv", "--layer", "cases", "--db", db, "--map", SF_MAP,
               "--tz", "America/Los_Angeles").returncode == 0
    for args, shows in [(["kpi", "--db", db, "--from", "2012-01-01", "--to", "2013-01-01"], "disposal_rate"),
                        (["layers", "--db", db], "cases"), (["schema", "--layer", "cases"], "reported_at"),
                        (["schema"], "enterprises")]:
        r = run(*args)
        assert r.returncode == 0 and shows in r.stdout and "error" not in r.stderr, (args, r.stderr)
