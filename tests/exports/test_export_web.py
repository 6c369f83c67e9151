"""The export routes on the real app (exports/web.py), on both stores: a planner's export of
the console's filtered cases equals the filter's oracle; a district-scoped planner gets
only that district; personal columns stay home; the audit record carries the file's
SHA-256; roles that may not export get 403; a job is its session's alone and its file
leaves once; an export whose audit record cannot be written fails and leaves no file.
The console's print map and offline map name its filters and hold its cases; the wall's
data export of a layer is the CLI's exporter, scoped and audited the same way."""
from __future__ import annotations

import hashlib
import io
import json
import time

import pandas as pd
import pyotp
import pytest

from tests.access.faults import refuse_audit_inserts

PW = "Export-Test-2026"


@pytest.fixture
def town_app(store):
    """The app on a fixture town (cases assigned to districts and grids) in ``store``."""
    from app import create_app
    from geodata.demo import write_town
    from grids.assign import assign_store
    from tests.browser.conftest import build_fixture_town
    town = build_fixture_town(pd.Timestamp.now(tz="Asia/Shanghai"))
    town["cases"]["reported_by"] = [f"S{i % 7:03d}" for i in range(len(town["cases"]))]  # personal: never leaves
    write_town(store, town)
    assign_store(store, layers=["cases"])
    return create_app(store.url)


def client(app, name, role, grants="town"):
    acc = app.server.extensions["townbrain_access"]
    secret = pyotp.random_base32() if role in ("planner", "analyst") else None
    acc.accounts.create(name, role, grants, by="os:test", password=PW, must_change=False, totp_secret=secret)
    c = app.server.test_client()
    r = c.post("/login", data={"name": name, "password": PW})
    if secret:
        r = c.post("/login/totp", data={"code": pyotp.TOTP(secret).now()})
    assert r.status_code == 303 and not r.headers["Location"].startswith("/login")
    return c


def run(c, **body) -> tuple[dict, dict]:
    r = c.post("/export/jobs", json=body)
    assert r.status_code == 202, r.get_json()
    job = r.get_json()
    for _ in range(600):
        st = c.get(job["status"]).get_json()
        if st["state"] in ("done", "failed"):
            return job, st
        time.sleep(0.1)
    raise AssertionError("the export did not finish")


def oracle(store, **where) -> pd.DataFrame:
    cases = store.read("cases", geometry=False)
    for col, values in where.items():
        cases = cases[cases[col].isin(values)]
    return cases


def test_a_planner_exports_the_consoles_filtered_cases_and_the_audit_holds_the_files_sha256(town_app, store):
    c = client(town_app, "plan", "planner")
    job, st = run(c, page="/console", kind="data", format="csv", search="?status=closed,dispatched&lang=en")
    assert st["state"] == "done", st
    body = c.get(job["file"]).data
    got = pd.read_csv(io.BytesIO(body), encoding="utf-8-sig")
    want = oracle(store, status=["closed", "dispatched"])
    assert len(want) > 5 and sorted(got["case_id"]) == sorted(want["case_id"])
    assert "reported_by" not in got and {"lon", "lat", "district_id"} <= set(got.columns)
    audit = town_app.server.extensions["townbrain_access"].audit.list(user="plan")
    rec = audit[audit["action"] == "export"].iloc[-1]
    detail = json.loads(rec["detail"])
    assert rec["outcome"] == "ok" and detail["sha256"] == hashlib.sha256(body).hexdigest() == st["sha256"]
    assert detail["filters"] == "status=closed%2Cdispatched" and detail["records"] == len(want)
    assert detail["scope"] == "town" and detail["personal"] is False and detail["kind"] == "data"
    # handed over once, then gone from the server
    assert c.get(job["file"]).status_code == 404
    assert not any(town_app.server.extensions["townbrain_exports"].root.iterdir())


def test_a_district_scoped_planner_exports_only_that_districts_cases(town_app, store, tmp_path):
    import pyogrio
    c = client(town_app, "plan-d1", "planner", grants="D1")
    job, st = run(c, page="/console", kind="data", format="gpkg", crs="4490")
    assert st["state"] == "done", st
    path = tmp_path / "d1.gpkg"
    path.write_bytes(c.get(job["file"]).data)
    got = pyogrio.read_dataframe(path)
    want = oracle(store, district_id=["D1"])
    assert 0 < len(want) < len(store.read("cases", geometry=False))
    assert sorted(got["case_id"]) == sorted(want["case_id"]) and set(got["district_id"]) == {"D1"}
    assert got.crs.to_epsg() == 4490
    # asking the console for the other district gives nothing of it
    job, st = run(c, page="/console", kind="data", format="csv", search="?district=D2")
    assert st["state"] == "done" and st["records"] == 0


def test_roles_that_may_not_export_are_refused_and_a_job_is_its_sessions_alone(town_app):
    staff = client(town_app, "staff", "grid_staff")
    assert staff.post("/export/jobs", json={"page": "/console", "kind": "data"}).status_code == 403
    assert staff.get("/export/jobs/x/file").status_code == 403
    assert b'id="export"' not in staff.get("/_dash-layout", headers={"Referer": "http://localhost/console"}).data
    plan = client(town_app, "plan", "planner")
    job, st = run(plan, page="/console", kind="data", format="csv")
    other = client(town_app, "plan2", "planner")
    assert other.get(job["status"]).status_code == 404 and other.get(job["file"]).status_code == 404
    # the wall exports maps, an atlas and layers, the console its cases as data and maps; nothing else
    assert plan.post("/export/jobs", json={"page": "/console", "kind": "atlas"}).status_code == 400
    assert plan.post("/export/jobs", json={"page": "/wall", "kind": "data", "layer": "accounts"}).status_code == 400
    assert plan.post("/export/jobs", json={"page": "/wall", "kind": "data", "layer": "schools",
                                           "search": "?module=public"}).status_code == 400
    assert plan.post("/export/jobs", json={"page": "/console", "kind": "data", "format": "exe"}).status_code == 400
    layout = plan.get("/_dash-layout", headers={"Referer": "http://localhost/console"}).data
    assert b'"id":"export"' in layout and b'"id":"sign-out"' in layout


def test_an_export_whose_audit_record_cannot_be_written_fails_and_keeps_no_file(town_app, store):
    c = client(town_app, "plan", "planner")
    refuse_audit_inserts(store)   # the database itself refuses the audit trail from now on
    r = c.post("/export/jobs", json={"page": "/console", "kind": "data", "format": "csv"})
    assert r.status_code == 202  # the job starts; the record of what it made is what fails
    st = None
    for _ in range(300):
        st = c.get(r.get_json()["status"]).get_json()
        if st["state"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert st["state"] == "failed" and "audit" in st["message"]
    assert c.get(r.get_json()["file"]).status_code == 404
    assert not any(town_app.server.extensions["townbrain_exports"].root.iterdir())


# ---- the console's maps and the wall's layers ------------------------------------------------------------

def _download(c, job, path):
    path.write_bytes(c.get(job["file"]).data)
    return path


def _last_export(app, name) -> dict:
    audit = app.server.extensions["townbrain_access"].audit.list(user=name)
    rec = audit[audit["action"] == "export"].iloc[-1]
    assert rec["outcome"] == "ok"
    return json.loads(rec["detail"])


def test_a_planner_prints_the_consoles_view_and_takes_it_offline(town_app, store, tmp_path):
    from pypdf import PdfReader
    from tests.exports.test_scoped_exports import html_data
    c = client(town_app, "plan", "planner")
    search = "?status=closed,dispatched&grid=G1,G4&lang=en"
    want = oracle(store, status=["closed", "dispatched"], grid_id=["G1", "G4"])
    assert len(want) > 3
    job, st = run(c, page="/console", kind="map", format="pdf", paper="A4", orientation="portrait", dpi="150",
                  search=search)
    assert st["state"] == "done", st
    pdf = _download(c, job, tmp_path / "console.pdf")
    text = PdfReader(pdf).pages[0].extract_text()
    for words in ("Console cases", "Status: Closed, Dispatched", "Grid: G1", "G4", "Reported: All time",
                  f"{len(want)} cases", st["export_id"], "plan"):
        assert words in text, words
    rec = _last_export(town_app, "plan")
    assert rec["sha256"] == hashlib.sha256(pdf.read_bytes()).hexdigest() and rec["page"] == "/console"
    assert rec["kind"] == "map" and rec["filters"] == "status=closed%2Cdispatched&grid=G1%2CG4"
    assert rec["records"] == len(want) and rec["paper"] == "A4" and rec["scope"] == "town"

    job, st = run(c, page="/console", kind="html", search=search)
    assert st["state"] == "done", st
    data = html_data(_download(c, job, tmp_path / "console.html"))
    points = next(lay for lay in data["layers"] if lay["kind"] == "points")
    assert sorted(r[points["columns"].index("case_id")] for r in points["rows"]) == sorted(want["case_id"])
    assert "Status: Closed, Dispatched" in data["subtitle"] and "reported_by" not in json.dumps(data)
    assert _last_export(town_app, "plan")["kind"] == "html"


def test_a_district_planners_console_map_holds_only_that_district(town_app, store, tmp_path):
    from tests.exports.test_scoped_exports import html_data
    c = client(town_app, "plan-d1", "planner", grants="D1")
    job, st = run(c, page="/console", kind="html", search="?grid=G1,G4")
    assert st["state"] == "done", st
    data = html_data(_download(c, job, tmp_path / "d1.html"))
    points = next(lay for lay in data["layers"] if lay["kind"] == "points")
    got = {r[points["columns"].index("case_id")] for r in points["rows"]}
    assert got == set(oracle(store, grid_id=["G1"])["case_id"]) and "G4" not in data["subtitle"]
    assert _last_export(town_app, "plan-d1")["scope"] != "town"


@pytest.mark.parametrize("fmt", ["gpkg", "xlsx"])
def test_the_wall_exports_a_layer_of_its_module_scoped_and_audited(town_app, store, tmp_path, fmt):
    import pyogrio
    c = client(town_app, "plan", "planner")
    job, st = run(c, page="/wall", kind="data", layer="grids", format=fmt, crs="4490", search="?module=public")
    assert st["state"] == "done", st
    path = _download(c, job, tmp_path / f"grids.{fmt}")
    if fmt == "gpkg":
        got = pyogrio.read_dataframe(path)
        assert sorted(got["grid_id"]) == ["G1", "G2", "G3", "G4"] and got.crs.to_epsg() == 4490
    else:
        import openpyxl
        sheet = openpyxl.load_workbook(path).worksheets[0]
        head = [cell.value for cell in sheet[1]]
        names = {row[head.index("name")] for row in sheet.iter_rows(min_row=2, values_only=True)}
        assert names == {"东一网格", "东二网格", "西一网格", "西二网格"}
    rec = _last_export(town_app, "plan")
    assert rec["kind"] == "data" and rec["layer"] == "grids" and rec["module"] == "public" and rec["page"] == "/wall"
    assert rec["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest() and rec["records"] == 4

    # the cases from the wall: a district planner gets that district's, without personal columns
    d1 = client(town_app, "plan-d1", "planner", grants="D1")
    job, st = run(d1, page="/wall", kind="data", layer="cases", format="gpkg", search="?module=public")
    assert st["state"] == "done", st
    got = pyogrio.read_dataframe(_download(d1, job, tmp_path / "d1-cases.gpkg"))
    assert sorted(got["case_id"]) == sorted(oracle(store, district_id=["D1"])["case_id"])
    assert "reported_by" not in got and set(got["district_id"]) == {"D1"}
    assert _last_export(town_app, "plan-d1")["personal"] is False

