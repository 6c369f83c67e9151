"""Personal data leaves an export only when someone may and says so (issue 16, Deliver 7;
issue 17, Deliver 5): a case's reporter (``reported_by``) is absent from every file
``townbrain export data`` writes by default, present with ``--with-personal-data``,
and every CLI export is audited under the operating-system user (``os:NAME``) with
the file's SHA-256 and whether personal data left. Each file is read back with the
library an office would open it with."""
from __future__ import annotations

import getpass
import hashlib
import json
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from openpyxl import load_workbook

from access.scope import TOWN
from exports.data_export import PERSONAL_COLUMNS, export_frame, export_layer

EXE = Path(sys.executable).parent / "townbrain"


@pytest.fixture
def town_with_reporters(export_town, tmp_path) -> str:
    """A copy of the export town whose cases name their reporters and carry a phone."""
    from geodata.store import open_store
    path = tmp_path / "town.gpkg"
    with sqlite3.connect(export_town) as src, sqlite3.connect(path) as dst:
        src.backup(dst)                                  # WAL pages included, unlike a file copy
    st = open_store(str(path))
    ids = st.read("cases", columns=["case_id"], geometry=False)["case_id"]
    st.update_columns("cases", pd.DataFrame({"case_id": ids, "reported_by": [f"S{i % 7:03d}" for i in range(len(ids))]}))
    st.close()
    return str(path)


def _columns_and_reporters(path: Path, fmt: str) -> tuple[set[str], set]:
    """The columns of an exported file and its ``reported_by`` values, read back the
    way an office would (pyogrio for GIS formats, pandas for CSV, openpyxl for Excel)."""
    if fmt in ("gpkg", "geojson"):
        df = pyogrio.read_dataframe(path)
    elif fmt == "shp":
        fields = pd.read_csv(zipfile.ZipFile(path).open("fields.csv"), encoding="utf-8-sig")
        df = pyogrio.read_dataframe(f"/vsizip/{path}/cases.shp").rename(
            columns=dict(zip(fields["shp_field"], fields["field"])))
    elif fmt == "csv":
        df = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
    elif fmt == "xlsx":
        rows = list(load_workbook(path, read_only=True)["cases"].iter_rows(values_only=True))
        df = pd.DataFrame(rows[1:], columns=rows[0])
    else:
        raise AssertionError(fmt)
    return set(df.columns), set(df["reported_by"].dropna()) if "reported_by" in df else set()


def _cli(db: str, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([EXE, "export", "data", "--db", db, "--layer", "cases", "--out", str(out), *extra],
                          capture_output=True, text=True)


def _audit(db: str) -> pd.DataFrame:
    from access.audit import AuditLog
    from geodata.store import open_store
    st = open_store(db)
    try:
        return AuditLog(st).list()
    finally:
        st.close()


@pytest.mark.parametrize("fmt,suffix", [("gpkg", "gpkg"), ("csv", "csv"), ("xlsx", "xlsx"), ("shp", "zip"),
                                        ("geojson", "geojson")])
def test_cli_export_leaves_the_reporter_out_by_default(town_with_reporters, tmp_path, fmt, suffix):
    out = tmp_path / f"cases.{suffix}"
    p = _cli(town_with_reporters, out, "--format", fmt)
    assert p.returncode == 0, p.stderr
    cols, reporters = _columns_and_reporters(out, fmt)
    assert "case_id" in cols and "category" in cols          # the file has the cases …
    assert not cols & set(PERSONAL_COLUMNS), cols & set(PERSONAL_COLUMNS)   # … and no one's identity
    rec = _audit(town_with_reporters).iloc[-1]
    detail = json.loads(rec["detail"])
    assert rec["action"] == "export" and rec["outcome"] == "ok"
    assert rec["username"] == f"os:{getpass.getuser()}" and rec["source"] == "cli"
    assert detail["personal"] is False and detail["layer"] == "cases"
    assert detail["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert "WITH PERSONAL DATA" not in p.stdout


@pytest.mark.parametrize("fmt,suffix", [("gpkg", "gpkg"), ("csv", "csv"), ("xlsx", "xlsx")])
def test_cli_export_with_personal_data_carries_the_reporter_and_says_who_took_it(town_with_reporters, tmp_path,
                                                                                 fmt, suffix):
    out = tmp_path / f"cases.{suffix}"
    p = _cli(town_with_reporters, out, "--format", fmt, "--with-personal-data")
    assert p.returncode == 0, p.stderr
    cols, reporters = _columns_and_reporters(out, fmt)
    assert "reported_by" in cols and reporters == {f"S{i:03d}" for i in range(7)}
    rec = _audit(town_with_reporters).iloc[-1]
    detail = json.loads(rec["detail"])
    assert rec["username"] == f"os:{getpass.getuser()}" and detail["personal"] is True
    assert detail["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert "WITH PERSONAL DATA" in p.stdout


def test_cli_residents_leave_record_by_record_only_with_the_flag(town_with_reporters, tmp_path):
    agg, people = tmp_path / "agg.csv", tmp_path / "people.csv"
    assert _cli(town_with_reporters, agg, "--layer", "residents").returncode == 0
    assert _cli(town_with_reporters, people, "--layer", "residents", "--with-personal-data").returncode == 0
    assert "resident_id" not in pd.read_csv(agg, encoding="utf-8-sig").columns
    assert "resident_id" in pd.read_csv(people, encoding="utf-8-sig").columns


def test_cli_export_that_cannot_be_audited_leaves_no_file(town_with_reporters, tmp_path):
    """No audit record, no file: with the audit layer unwritable the CLI fails in one
    sentence and the file it wrote is gone."""
    from access.audit import AuditLog
    from geodata.store import open_store
    st = open_store(town_with_reporters)
    AuditLog(st).record("probe", user="os:test")        # the layer exists …
    st.close()
    con = sqlite3.connect(town_with_reporters)
    con.execute("CREATE TRIGGER no_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'disk says no'); END")
    con.commit()
    con.close()                                         # … and refuses every new record
    out = tmp_path / "cases.csv"
    p = _cli(town_with_reporters, out, "--with-personal-data")
    assert p.returncode == 1 and "audit trail cannot be written" in p.stderr and "Traceback" not in p.stderr
    assert not out.exists()


def test_library_export_drops_personal_columns_unless_the_scope_allows(town_with_reporters, tmp_path):
    """export_layer / export_frame decide it in one place, whoever calls them."""
    from geodata.store import open_store
    st = open_store(town_with_reporters)
    try:
        plain = export_layer(st, "cases", tmp_path / "a.csv", scope=TOWN)
        allowed = export_layer(st, "cases", tmp_path / "b.csv", scope=TOWN, personal=True)
        frame = st.read("cases").assign(phone="13900000000")
        framed = export_frame(st, frame, tmp_path / "c.csv", layer="cases")
    finally:
        st.close()
    assert "reported_by" not in pd.read_csv(plain.path, encoding="utf-8-sig").columns
    assert "reported_by" in pd.read_csv(allowed.path, encoding="utf-8-sig").columns
    assert not {"reported_by", "phone"} & set(pd.read_csv(framed.path, encoding="utf-8-sig").columns)
