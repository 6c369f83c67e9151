"""The offline map opened from file:// in headless Chromium with every outside
request blocked: it draws, asks for nothing, and hostile names stay text."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from access.scope import TOWN
from exports.html_map import export_html, json_for_script
from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS
from tests.conftest import require_service
from tests.exports.conftest import HOSTILE


@pytest.fixture(scope="module")
def chrome():
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    if not Path(CHROMIUM).exists() or not shutil.which("chromedriver"):
        require_service("Chromium", RuntimeError(f"missing {CHROMIUM} or chromedriver"))
    opts = Options()
    opts.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        opts.add_argument(flag)
    opts.add_argument("--headless=new")
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    profile = tempfile.mkdtemp(prefix="tb-export-chrome-")
    opts.add_argument(f"--user-data-dir={profile}")
    try:
        driver = webdriver.Chrome(options=opts)
    except Exception as exc:  # noqa: BLE001 - no browser here: fail in CI, skip elsewhere
        require_service("Chromium", exc)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def open_drawn(driver, path: Path, timeout_s: float = 30) -> float:
    driver.get_log("performance")
    driver.get(path.resolve().as_uri())
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        drawn = driver.execute_script("return window.__tbDrawn || null")
        if drawn:
            return drawn
        time.sleep(0.05)
    raise AssertionError("the map did not draw")


def requested_urls(driver) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
    return [u for u in urls if not u.startswith("chrome:")]


@pytest.mark.browser
def test_offline_map_draws_from_file_and_requests_nothing(export_store, chrome, tmp_path):
    r = export_html(export_store, tmp_path / "public.html", "public", made_by="planner_li", scope=TOWN)
    page = r.path.read_text(encoding="utf-8")
    # the markup names no place to fetch from (scripts may hold strings such as Leaflet's
    # unused attribution link; the CSP and the request log below are the proof for them)
    markup = re.sub(r"<script[^>]*>.*?</script>", "", page, flags=re.S)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", markup)
    assert not re.search(r"url\((?!data:)", markup)
    assert "default-src 'none'" in markup
    drawn = open_drawn(chrome, r.path)
    assert drawn > 0
    urls = requested_urls(chrome)
    assert urls and all(u.startswith(("file:", "data:")) for u in urls), urls
    # the layers drew: Leaflet's canvas and the panel's switches for each layer
    n_canvas = chrome.execute_script("return document.querySelectorAll('#tb-map canvas').length")
    assert n_canvas >= 1
    switches = chrome.execute_script(
        "return Array.from(document.querySelectorAll('.tb-switch span')).map(function (e) { return e.textContent; })")
    assert set(r.details["layers"]) == set(switches)
    assert "视频监控" in switches and any("综合网格" in s for s in switches)
    painted = chrome.execute_script("""
        var c = document.querySelector('#tb-map canvas'); var ctx = c.getContext('2d');
        var d = ctx.getImageData(0, 0, c.width, c.height).data; var n = 0;
        for (var i = 3; i < d.length; i += 4 * 97) { if (d[i] > 0) { n++; } } return n;""")
    assert painted > 100
    title = chrome.execute_script("return document.querySelector('#tb-panel h1').textContent")
    assert "社会公共管理" in title
    severe = [e for e in chrome.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []


@pytest.mark.browser
def test_hostile_names_stay_text_in_the_page_and_its_tooltips(export_store, chrome, tmp_path):
    r = export_html(export_store, tmp_path / "enf.html", "enforcement", lang="zh", scope=TOWN)
    page = r.path.read_text(encoding="utf-8")
    assert "<img src=x" not in page and "<script>window.__pwned" not in page
    open_drawn(chrome, r.path)
    # open every tooltip of every layer, as hovering would
    tips = chrome.execute_script("""
        var map = window.__tbMap, out = [];
        map.eachLayer(function (l) {
            if (l.getTooltip && l.getTooltip()) {
                l.openTooltip(l.getLatLng ? l.getLatLng() : l.getBounds().getCenter());
                out.push(l.getTooltip().getElement().textContent);
            }
        });
        return out;""")
    assert any(HOSTILE in t for t in tips), tips[:5]          # shown as the text it is
    assert any("<script>window.__pwned=2</script>" in t for t in tips)
    assert chrome.execute_script("return window.__pwned || null") is None
    assert chrome.execute_script("return document.querySelectorAll('img, #tb-map script').length") == 0


def test_json_in_script_cannot_close_the_script():
    text = json_for_script({"name": "</script><script>alert(1)</script>", "sep": "\u2028"})
    assert "<" not in text and ">" not in text and "\u2028" not in text
    assert json.loads(text)["name"] == "</script><script>alert(1)</script>"


def test_residents_are_aggregates_in_the_offline_map(export_store, tmp_path):
    r = export_html(export_store, tmp_path / "liv.html", "livelihood", scope=TOWN)
    page = r.path.read_text(encoding="utf-8")
    data = json.loads(re.search(r'<script type="application/json" id="tb-data">(.*?)</script>', page, re.S)
                      .group(1))
    residents = export_store.read("residents", columns=["resident_id"])
    ids = set(residents["resident_id"])
    # no resident's id anywhere in the map's data, as a value or inside one (a plain
    # substring test of the whole page also hit the inlined font's base64 by chance)
    values = set()

    def walk(v):
        if isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, str):
            values.add(v)
    walk(data)
    assert not [v for v in values if any(i in v for i in ids)]
    grids = next(lay for lay in data["layers"] if lay["kind"] == "polygons" and lay["tip"])
    total = sum(f["properties"]["_residents"] or 0 for f in grids["geojson"]["features"])
    assert total == residents.shape[0] - int(export_store.read("residents", columns=["grid_id"])["grid_id"].isna().sum())


def test_cli_export_html(export_town, tmp_path):
    exe = Path(sys.executable).parent / "townbrain"
    p = subprocess.run([exe, "export", "html", "--db", export_town, "--module", "public", "--lang", "en",
                        "--out", str(tmp_path / "m.html")], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "sha256" in p.stdout and '<html lang="en">' in (tmp_path / "m.html").read_text(encoding="utf-8")


def test_a_scope_keeps_the_offline_map_to_its_grids(export_store, tmp_path):
    from access.scope import Scope
    r = export_html(export_store, tmp_path / "g1.html", "public", scope=Scope(grids=frozenset({"G1"})))
    page = r.path.read_text(encoding="utf-8")
    data = json.loads(re.search(r'<script type="application/json" id="tb-data">(.*?)</script>', page, re.S)
                      .group(1))
    grids = next(lay for lay in data["layers"] if lay["kind"] == "polygons" and lay["tip"])
    assert [f["properties"]["grid_id"] for f in grids["geojson"]["features"]] == ["G1"]
    heat = next(lay for lay in data["layers"] if lay["kind"] == "heat")
    cases = export_store.read("cases")
    assert len(heat["points"]) <= int((cases["grid_id"] == "G1").sum())
