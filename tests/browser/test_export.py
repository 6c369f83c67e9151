"""Export from the product in a real Chromium (issue 17, point 5): a planner signs in with
a second factor, filters the console, exports its cases as CSV and as GeoPackage
through the title bar's Export control, downloads them, and finds exactly the filtered
cases in them and the file's SHA-256 in the audit trail; then prints the wall's module
as a PDF whose text carries the title, the export id and the planner. A grid staff
member sees no Export control, only the sign-out link, and the route refuses them;
signing out ends the session on the server."""
from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pandas as pd
import pyotp
import pytest
from dash.testing.wait import until
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from callbacks import ids
from layers.modules import get as get_module
from tests.browser.conftest import TOWN_NAME, TZ, build_fixture_town, free_port, set_viewport

pytestmark = pytest.mark.browser
PW = "Export-Browser-2026"


@pytest.fixture
def export_app(tmp_path):
    """The app on a fixture town whose cases are assigned to districts and grids and name their reporter."""
    from app import create_app
    from geodata.demo import write_town
    from geodata.store import open_store
    from grids.assign import assign_store
    town = build_fixture_town(pd.Timestamp.now(tz=TZ))
    town["cases"]["reported_by"] = [f"S{i % 7:03d}" for i in range(len(town["cases"]))]
    store = open_store(str(tmp_path / "town.gpkg"))
    write_town(store, town)
    assign_store(store, layers=["cases"])
    return create_app(store.url), store


def sign_in_as(duo, app, name, role, grants="town"):
    """Through the real sign-in pages, with the TOTP step for a role that needs it."""
    access = app.server.extensions["townbrain_access"]
    secret = pyotp.random_base32() if role == "planner" else None
    access.accounts.create(name, role, grants, by="os:browser-tests", password=PW, must_change=False,
                           totp_secret=secret)
    d = duo.driver
    d.get(f"{duo.server.url}/login")
    d.find_element(By.ID, "tb-name").send_keys(name)
    d.find_element(By.ID, "tb-password").send_keys(PW)
    d.find_element(By.ID, "tb-submit").click()
    if secret:
        until(lambda: "/login/totp" in d.current_url, timeout=15)
        d.find_element(By.ID, "tb-code").send_keys(pyotp.TOTP(secret).now())
        d.find_element(By.ID, "tb-submit").click()
    until(lambda: "/login" not in d.current_url, timeout=15)
    d.get_log("browser")


def export(duo, choices: dict) -> Path:
    """Open the Export control, choose, start, wait for the link, download; the file."""
    d = duo.driver
    if not d.find_element(By.ID, ids.EXPORT).get_attribute("open"):
        d.find_element(By.ID, ids.EXPORT_BUTTON).click()
    for name, value in choices.items():
        Select(d.find_element(By.ID, f"{ids.EXPORT}-{name}")).select_by_value(value)
    before = set(Path(duo.download_path).iterdir())
    d.find_element(By.ID, ids.EXPORT_GO).click()
    link = duo.wait_for_element("#export-download", timeout=120)
    name = link.get_attribute("download")
    link.click()
    target = Path(duo.download_path) / name
    until(lambda: target.exists() and not any(p.suffix == ".crdownload" for p in Path(duo.download_path).iterdir()),
          timeout=60)
    assert set(Path(duo.download_path).iterdir()) - before == {target}
    return target


def audited(app, name, sha) -> dict:
    log = app.server.extensions["townbrain_access"].audit.list(user=name)
    rows = [json.loads(r) for r in log[log["action"] == "export"]["detail"]]
    return next(r for r in rows if r["sha256"] == sha)


def test_a_planner_exports_the_consoles_filtered_cases_and_a_print_map(dash_duo, export_app):
    import pyogrio
    from pypdf import PdfReader
    app, store = export_app
    dash_duo.start_server_signed_out(app, port=free_port())
    set_viewport(dash_duo.driver, 1920, 1080)
    sign_in_as(dash_duo, app, "planner-wang", "planner")
    d = dash_duo.driver
    d.get(f"{dash_duo.server.url}/console?status=closed&source=inspector&lang=en")
    dash_duo.wait_for_element(f"#{ids.CONSOLE_TABLE} table", timeout=30)
    cases = store.read("cases", geometry=False)
    want = cases[(cases["status"] == "closed") & (cases["source"] == "inspector")]
    assert 3 < len(want) < len(cases)
    until(lambda: d.find_element(By.ID, ids.CONSOLE_TOTAL).text == f"{len(want)} cases", timeout=15)
    assert d.find_element(By.ID, ids.SIGN_OUT).is_displayed()

    csv = export(dash_duo, {"format": "csv", "crs": "4326"})
    got = pd.read_csv(csv, encoding="utf-8-sig")
    assert sorted(got["case_id"]) == sorted(want["case_id"]) and "reported_by" not in got
    rec = audited(app, "planner-wang", hashlib.sha256(csv.read_bytes()).hexdigest())
    assert rec["records"] == len(want) and rec["filters"] == "status=closed&source=inspector" and rec["format"] == "csv"

    gpkg = export(dash_duo, {"format": "gpkg", "crs": "gcj02"})
    frame = pyogrio.read_dataframe(gpkg)
    assert sorted(frame["case_id"]) == sorted(want["case_id"]) and len(frame.geometry.dropna()) == len(want)
    assert audited(app, "planner-wang", hashlib.sha256(gpkg.read_bytes()).hexdigest())["crs"] == "gcj02"

    d.get(f"{dash_duo.server.url}/wall?module=public")
    dash_duo.wait_for_element(f"#{ids.WALL}", timeout=30)
    pdf = export(dash_duo, {"kind": "map", "format": "pdf", "paper": "A4", "orientation": "portrait", "dpi": "150"})
    rec = audited(app, "planner-wang", hashlib.sha256(pdf.read_bytes()).hexdigest())
    reader = PdfReader(pdf)
    text = "".join(p.extract_text() for p in reader.pages)
    title = f"{TOWN_NAME} · {get_module('public').zh}"
    assert reader.metadata.title == title and title in text
    assert rec["export_id"] in text and "planner-wang" in text and rec["module"] == "public" and rec["paper"] == "A4"
    assert dash_duo.get_logs() == []


def test_grid_staff_see_no_export_control_the_route_refuses_them_and_sign_out_ends_the_session(dash_duo, export_app):
    app, _store = export_app
    dash_duo.start_server_signed_out(app, port=free_port())
    set_viewport(dash_duo.driver, 1920, 1080)
    sign_in_as(dash_duo, app, "staff-li", "grid_staff")
    d = dash_duo.driver
    d.get(f"{dash_duo.server.url}/console")
    dash_duo.wait_for_element(f"#{ids.CONSOLE_TABLE} table", timeout=30)
    assert d.find_element(By.ID, ids.SIGN_OUT).is_displayed()
    assert d.find_elements(By.ID, ids.EXPORT) == []
    status = d.execute_async_script("""
const done = arguments[arguments.length - 1];
fetch('/export/jobs', {method: 'POST', headers: {'Content-Type': 'application/json'},
  body: JSON.stringify({page: '/console', kind: 'data', format: 'csv'})}).then(r => done(r.status));""")
    assert status == 403
    d.get_log("browser")  # Chrome notes the refused fetch: that is the route's answer
    d.find_element(By.ID, ids.SIGN_OUT).click()
    until(lambda: "/login" in d.current_url, timeout=15)
    access = app.server.extensions["townbrain_access"]
    assert access.sessions.open_sessions("staff-li").empty
    d.get(f"{dash_duo.server.url}/console")
    until(lambda: "/login" in d.current_url, timeout=15)
    time.sleep(0.2)
