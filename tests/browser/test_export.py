"""Export from the product in a real Chromium (issue 17, points 1 and 5): a planner signs in with
a second factor, filters the console, exports its cases as CSV and as GeoPackage
through the title bar's Export control, downloads them, and finds exactly the filtered
cases in them and the file's SHA-256 in the audit trail; then prints the wall's module
as a PDF whose text carries the title, the export id and the planner. The console's
view goes out as a print map naming its filters and as an offline map that, opened
from file:// in the same browser, draws its cases and fetches nothing; the wall hands
over a layer of the module on screen as data (the layers listed follow the module).
The browser resolves no name but this machine's (tests/browser/conftest.py), and
no page asks for anything elsewhere. A grid staff
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
from tests.browser.conftest import (TOWN_NAME, TZ, build_fixture_town, free_port, off_host, page_request_urls,
                                    set_viewport)

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


def sign_in_as(duo, app, name, role, grants="town", base: str | None = None):
    """Through the real sign-in pages, with the TOTP step for a role that needs it;
    ``base``: the app's address as the browser reaches it (default the test server's)."""
    access = app.server.extensions["townbrain_access"]
    secret = pyotp.random_base32() if role == "planner" else None
    access.accounts.create(name, role, grants, by="os:browser-tests", password=PW, must_change=False,
                           totp_secret=secret)
    d = duo.driver
    d.get(f"{base or duo.server.url}/login")
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
    pdf = export(dash_duo, {"kind": "map", "map-format": "pdf", "paper": "A4", "orientation": "portrait",
                            "dpi": "150"})
    rec = audited(app, "planner-wang", hashlib.sha256(pdf.read_bytes()).hexdigest())
    reader = PdfReader(pdf)
    text = "".join(p.extract_text() for p in reader.pages)
    title = f"{TOWN_NAME} · {get_module('public').zh}"
    assert reader.metadata.title == title and title in text
    assert rec["export_id"] in text and "planner-wang" in text and rec["module"] == "public" and rec["paper"] == "A4"
    assert dash_duo.get_logs() == []


def shown_layers(d) -> list[str]:
    """The wall's data layers the Export control offers now (enabled options)."""
    return d.execute_script(f"""return Array.from(document.querySelectorAll('#{ids.EXPORT}-layer option'))
        .filter(function (o) {{ return !o.disabled; }}).map(function (o) {{ return o.value; }});""")


def test_a_planner_prints_the_consoles_view_takes_it_offline_and_exports_a_wall_layer(dash_duo, export_app):
    import openpyxl
    from pypdf import PdfReader
    from tests.exports.test_scoped_exports import html_data
    app, store = export_app
    dash_duo.start_server_signed_out(app, port=free_port())
    set_viewport(dash_duo.driver, 1920, 1080)
    sign_in_as(dash_duo, app, "planner-li", "planner")
    d = dash_duo.driver
    page_request_urls(d)   # from here on, every request the pages make is checked
    d.get(f"{dash_duo.server.url}/console?status=closed,dispatched&grid=G1,G2&lang=en")
    dash_duo.wait_for_element(f"#{ids.CONSOLE_TABLE} table", timeout=30)
    cases = store.read("cases", geometry=False)
    want = cases[cases["status"].isin(["closed", "dispatched"]) & cases["grid_id"].isin(["G1", "G2"])]
    assert 3 < len(want) < len(cases)
    until(lambda: d.find_element(By.ID, ids.CONSOLE_TOTAL).text == f"{len(want)} cases", timeout=15)
    d.find_element(By.ID, ids.EXPORT_BUTTON).click()
    kinds = [o.get_attribute("value") for o in Select(d.find_element(By.ID, f"{ids.EXPORT}-kind")).options]
    assert kinds == ["data", "map", "html"]
    assert [o.text for o in Select(d.find_element(By.ID, f"{ids.EXPORT}-kind")).options][1:] == \
        ["Print map", "Offline interactive map (HTML)"]

    # the console's view as a print map: its filters, period and count are text in the PDF
    pdf = export(dash_duo, {"kind": "map", "map-format": "pdf", "paper": "A4", "orientation": "landscape",
                            "dpi": "150"})
    text = PdfReader(pdf).pages[0].extract_text()
    rec = audited(app, "planner-li", hashlib.sha256(pdf.read_bytes()).hexdigest())
    for words in ("Console cases", "Status: Closed, Dispatched", "Grid: G1", "G2", "Reported: All time",
                  f"{len(want)} cases", rec["export_id"], "planner-li"):
        assert words in text, words
    assert rec["page"] == "/console" and rec["kind"] == "map" and rec["records"] == len(want)
    assert rec["filters"] == "status=closed%2Cdispatched&grid=G1%2CG2"

    # … and as an offline map: opened from file:// it draws its cases and asks for nothing
    page = export(dash_duo, {"kind": "html"})
    data = html_data(page)
    points = next(lay for lay in data["layers"] if lay["kind"] == "points")
    assert sorted(r[points["columns"].index("case_id")] for r in points["rows"]) == sorted(want["case_id"])
    assert audited(app, "planner-li", hashlib.sha256(page.read_bytes()).hexdigest())["kind"] == "html"
    product_urls = page_request_urls(d)
    assert product_urls and off_host(product_urls) == []
    d.get(page.resolve().as_uri())
    until(lambda: d.execute_script("return window.__tbDrawn || null"), timeout=30)
    offline_urls = page_request_urls(d)
    assert offline_urls and all(u.startswith(("file:", "data:")) for u in offline_urls), offline_urls
    legends = d.execute_script("return Array.from(document.querySelectorAll('.tb-legend-title'))"
                               ".map(function (e) { return e.textContent; })")
    assert legends == ["Cases selected, by grid", "Cases selected"]
    assert "Status: Closed, Dispatched" in d.find_element(By.CSS_SELECTOR, "#tb-panel .tb-sub").text
    assert d.execute_script("return document.querySelectorAll('#tb-map canvas').length") >= 1

    # the wall: a layer of the module on screen as data; the choice follows the module
    d.get(f"{dash_duo.server.url}/wall?module=public")
    dash_duo.wait_for_element(f"#{ids.WALL}", timeout=30)
    d.find_element(By.ID, ids.EXPORT_BUTTON).click()
    Select(d.find_element(By.ID, f"{ids.EXPORT}-kind")).select_by_value("data")
    assert shown_layers(d) == ["cases", "districts", "grids", "rivers", "roads", "patrols", "cameras"]
    xlsx = export(dash_duo, {"kind": "data", "layer": "grids", "format": "xlsx", "crs": "4490"})
    sheet = openpyxl.load_workbook(xlsx).worksheets[0]
    head = [c.value for c in sheet[1]]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert sorted(r[head.index("grid_id")] for r in rows) == ["G1", "G2", "G3", "G4"]
    assert {r[head.index("name")] for r in rows} == {"东一网格", "东二网格", "西一网格", "西二网格"}
    rec = audited(app, "planner-li", hashlib.sha256(xlsx.read_bytes()).hexdigest())
    assert rec["page"] == "/wall" and rec["layer"] == "grids" and rec["crs"] == "4490" and rec["records"] == 4

    d.get(f"{dash_duo.server.url}/wall?module=livelihood")
    dash_duo.wait_for_element(f"#{ids.WALL}", timeout=30)
    d.find_element(By.ID, ids.EXPORT_BUTTON).click()
    Select(d.find_element(By.ID, f"{ids.EXPORT}-kind")).select_by_value("data")
    assert "schools" in shown_layers(d) and "cameras" not in shown_layers(d)
    option = d.find_element(By.CSS_SELECTOR, f'#{ids.EXPORT}-layer option[value="residents"]')
    assert option.text == "人口（按网格汇总）"   # a planner never takes people out, only per-grid totals
    csv = export(dash_duo, {"layer": "residents", "format": "csv"})
    got = pd.read_csv(csv, encoding="utf-8-sig", comment="#")
    assert sorted(got["grid_id"]) == ["G1", "G2", "G3", "G4"] and "residents" in got
    assert audited(app, "planner-li", hashlib.sha256(csv.read_bytes()).hexdigest())["layer"] == "residents"
    assert off_host(page_request_urls(d)) == []
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


def test_under_a_path_prefix_the_export_control_asks_for_its_job_and_file_under_it(dash_duo, export_app):
    """Behind a proxy that strips ``/tb/`` (JupyterHub's jupyter-server-proxy), the
    control's job, its progress and its file are asked for under the prefix: without
    it the browser would ask the proxy's own root and get nothing."""
    from urllib.parse import urlsplit
    from tests.notebook.proxy import prefix_proxy
    app, store = export_app
    prefix = "/tb/"
    dict.__setitem__(app.config, "requests_pathname_prefix", prefix)   # as townbrain/nb_dashboard.py sets it
    port = free_port()
    dash_duo.start_server_signed_out(app, port=port)
    set_viewport(dash_duo.driver, 1920, 1080)
    proxy, proxy_port = prefix_proxy(port, prefix)
    hub = f"http://localhost:{proxy_port}"
    try:
        sign_in_as(dash_duo, app, "planner-li", "planner", base=hub + prefix.rstrip("/"))
        d = dash_duo.driver
        d.get(f"{hub}{prefix}console?status=closed")
        page_request_urls(d)   # what the page asks for from here on
        dash_duo.wait_for_element(f"#{ids.CONSOLE_TABLE} table", timeout=30)
        assert d.find_element(By.ID, ids.SIGN_OUT).get_attribute("href") == f"{hub}{prefix}logout"
        csv = export(dash_duo, {"format": "csv", "crs": "4326"})
        cases = store.read("cases", geometry=False)
        want = cases[cases["status"] == "closed"]
        assert sorted(pd.read_csv(csv, encoding="utf-8-sig")["case_id"]) == sorted(want["case_id"])
        jobs = [urlsplit(u).path for u in page_request_urls(d) if "export/jobs" in u]
        # (the file came through the proxy too: the CSV above is it)
        assert jobs and all(p.startswith(f"{prefix}export/jobs") for p in jobs), jobs
        assert [e for e in dash_duo.get_logs() if e.get("level") == "SEVERE"] == []
    finally:
        proxy.shutdown()
