"""Browser tests: dash.testing's ``dash_duo`` driving the system Chromium, headless.

How the browser is chosen
-------------------------
dash.testing builds its Chrome options from the ``pytest_setup_options`` hook
(below), adds ``--headless`` when pytest runs with ``--headless`` (we switch it
on in ``pytest_configure``), and takes the binary from ``$DASH_TEST_CHROMEPATH``
when set. Defaults: ``/usr/bin/chromium`` and the ``chromedriver`` on ``PATH``
(Debian's ``chromium-driver`` puts it in ``/usr/bin``). ``TOWNBRAIN_HEADFUL=1``
shows the window when there is a display.

Offline, and proven so
----------------------
Chromium's own background traffic is switched off, and its resolver answers
"not found" for every host but this machine, so a test can never pass by
reaching the internet. Every request the page makes is recorded in Chrome's
performance log; ``page_request_urls`` reads it for the "no request left the
host" test.

CI
--
Under ``CI=true`` a browser test that cannot get a browser fails; elsewhere it
is skipped with the reason (``tests/conftest.py: require_service``).

The town
--------
``fixture_town`` is a tiny hand-made town — 2 districts, 4 grids, a road, a
river, 50 cases — written through ``geodata.store``, the only way the app reads.
Small enough that the KPI oracle is a few lines of pandas.
"""
from __future__ import annotations

import json
import os
import shutil
import re
import socket
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from dash.testing.errors import TestingTimeoutError
from dash.testing.wait import until
from selenium.webdriver.chrome.options import Options as ChromeOptions

from tests.conftest import require_service

CHROMIUM = os.environ.get("DASH_TEST_CHROMEPATH") or "/usr/bin/chromium"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
TOWN_NAME = "平望镇"
TZ = "Asia/Shanghai"

CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--metrics-recording-only",
    "--window-size=1920,1080",
    "--force-device-scale-factor=1",
    # Any name but this machine resolves to nothing: an accidental CDN or tile
    # request fails fast (and shows in the performance log) instead of hanging.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
)


# ---- pytest configuration --------------------------------------------------------------
def pytest_configure(config):
    # The same as passing `--webdriver Chrome --headless`, so a plain `pytest` works.
    if os.environ.get("TOWNBRAIN_HEADFUL", "") not in ("1", "true", "yes"):
        config.option.headless = True
    config.option.webdriver = "Chrome"
    # selenium 4.2 calls a urllib3 method deprecated since 2.0: noise, not our code.
    config.addinivalue_line("filterwarnings", "ignore:HTTPResponse.getheader:DeprecationWarning")


class _ChromeOptions(ChromeOptions):
    """Chrome options whose ``goog:loggingPrefs`` merge instead of replace.

    dash.testing sets ``goog:loggingPrefs`` to ``{"browser": "SEVERE"}`` after it
    receives our options (dash/testing/browser.py, ``_get_chrome``); a plain
    ``set_capability`` would drop the performance log we need for the network check.
    """

    def set_capability(self, name, value):
        if name == "goog:loggingPrefs" and isinstance(value, dict):
            value = {**self._caps.get(name, {}), **value}
        super().set_capability(name, value)


_NETLOG: dict = {"path": None}  # the NetLog file of the browser started last


def pytest_setup_options():
    """Called by dash.testing before it starts the webdriver."""
    options = _ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    # One NetLog per browser: the network stack's own record, workers included.
    _NETLOG["path"] = Path(tempfile.mkdtemp(prefix="townbrain-netlog-")) / "netlog.json"
    options.add_argument(f"--log-net-log={_NETLOG['path']}")
    return options


@pytest.fixture(autouse=True)
def _browser_installed(request):
    """Fail (CI) or skip (elsewhere) up front when Chromium or its driver is missing,
    rather than letting dash.testing retry for 30 s."""
    if "dash_duo" not in request.fixturenames:
        return
    missing = [what for what, ok in (("chromium at " + CHROMIUM, Path(CHROMIUM).exists()),
                                     ("chromedriver on PATH", shutil.which("chromedriver")))
               if not ok]
    if missing:
        require_service("Chromium", RuntimeError("missing " + " and ".join(missing)))


# ---- signed in, through the real sign-in page (access/, issue 16) ------------------------------
#: The account every browser test signs in with: a duty officer of the whole town reaches
#: the wall and the console and needs no second factor (access/roles.py).
BROWSER_USER, BROWSER_PASSWORD, BROWSER_ROLE = "browser-test", "Browser-Test-2026", "duty_officer"


def sign_in(duo, app, name: str = BROWSER_USER, password: str = BROWSER_PASSWORD, role: str = BROWSER_ROLE) -> None:
    """Create the account in the app's store (through access/, if missing) and sign the
    browser in with the real ``/login`` form, as a person would."""
    from selenium.webdriver.common.by import By
    access = app.server.extensions["townbrain_access"]
    if access.accounts.get(name) is None:
        access.accounts.create(name, role, "town", by="os:browser-tests", password=password, must_change=False)
    duo.driver.get(f"{duo.server.url}/login")
    duo.driver.find_element(By.ID, "tb-name").send_keys(name)
    duo.driver.find_element(By.ID, "tb-password").send_keys(password)
    duo.driver.find_element(By.ID, "tb-submit").click()
    until(lambda: "/login" not in duo.driver.current_url, timeout=15)


def session_headers(duo) -> dict:
    """A ``Cookie`` header carrying the signed-in browser's session, for plain HTTP calls."""
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in duo.driver.get_cookies())
    return {"Cookie": cookies} if cookies else {}


@pytest.fixture
def dash_duo(dash_duo):
    """dash.testing's ``dash_duo`` whose ``start_server`` signs the browser in before the
    test navigates: every page and Dash endpoint refuses a request without a session
    (access/gate.py), so the tests go through the sign-in page like a person."""
    start = dash_duo.start_server

    def start_server(app, navigate=True, **kwargs):
        start(app, navigate=False, **kwargs)
        sign_in(dash_duo, app)
        dash_duo.driver.get_log("browser")  # the sign-in page's console is not the test's
        if navigate:
            dash_duo.server_url = dash_duo.server.url

    dash_duo.start_server = start_server
    dash_duo.start_server_signed_out = lambda app, **kw: start(app, navigate=False, **kw)
    return dash_duo


# ---- helpers the tests share ------------------------------------------------------------
def free_port() -> int:
    """A free TCP port, so the tests never collide with `make run` on 8050."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def set_viewport(driver, width: int, height: int) -> None:
    """Make the page's viewport (not the window) ``width`` × ``height`` CSS px: the
    window's frame differs between headless modes, so measure it and add it."""
    driver.set_window_size(width, height)
    inner_w, inner_h, outer_w, outer_h = driver.execute_script(
        "return [window.innerWidth, window.innerHeight, window.outerWidth, window.outerHeight]")
    if (inner_w, inner_h) != (width, height):
        driver.set_window_size(width + outer_w - inner_w, height + outer_h - inner_h)


def page_request_urls(driver) -> list[str]:
    """Every URL the page asked for since the last call (Chrome's performance log,
    which records failed requests and those of workers too)."""
    urls = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
        elif msg["method"] == "Network.webSocketCreated":
            urls.append(msg["params"]["url"])
    return urls


def netlog_page_urls() -> list[str]:
    """URLs the page's kind of traffic asked for, from the current browser's NetLog.

    The performance log only sees the page's own target; a MapLibre worker
    fetching tiles or glyphs would slip past it. Chrome's NetLog sees every
    request, and Chrome's own background calls (update checks, network time —
    made even with --disable-background-networking) too. Each request carries a
    traffic annotation naming the code that made it; the annotations found on
    requests to this machine are the page's (navigation, Blink's resource loader
    for documents and workers alike), and only requests with those count here.
    The NetLog is streamed as the browser runs, so it can be read mid-test.
    """
    path = _NETLOG["path"]
    if path is None or not Path(path).exists():
        return []
    requests_seen = []
    for flat in re.findall(r"\{[^{}]*\}", Path(path).read_text(errors="replace")):
        if '"traffic_annotation"' not in flat or '"url"' not in flat:
            continue
        try:
            params = json.loads(flat)
        except ValueError:  # the last event may still be half written
            continue
        requests_seen.append((params["traffic_annotation"], params["url"]))
    page_kinds = {ann for ann, url in requests_seen if urlsplit(url).hostname in LOCAL_HOSTS}
    return [url for ann, url in requests_seen if ann in page_kinds]


def off_host(urls) -> list[str]:
    """The URLs whose host is not this machine (data:, blob: and about: stay in the page)."""
    out = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about", "chrome-error"):
            continue
        if parts.hostname not in LOCAL_HOSTS:
            out.append(url)
    return out


# ---- the fixture town ---------------------------------------------------------------------
# ---- the wall's map (assets/map.js: window.TownMap) -------------------------------------------------
#: What the map shows, as a JS expression: null until built, else {drawn, moving, zoom,
#: center, legend, layers: [{uid, slot, kind, visible, n, meta, rev, onMap}], overlays: {uid: n}}.
MAP_STATE = "(window.TownMap ? window.TownMap.state('wall-map') : null)"
MAP_STATE_JS = f"return {MAP_STATE};"
#: The map built, painted with its layers, and not flying.
MAP_READY_JS = f"""
const st = {MAP_STATE};
return !!(st && st.drawn && !st.moving && st.layers.some(l => l.onMap));
"""


def map_state(driver) -> dict | None:
    return driver.execute_script(MAP_STATE_JS)


def shown_slots(driver) -> list[str]:
    """The map's layers really on the map, by slot, in drawing order (buildings and
    every other layer count once their data has arrived)."""
    out = []
    for layer in (map_state(driver) or {}).get("layers", []):
        if layer["onMap"] and layer["n"] and layer["slot"] not in out:
            out.append(layer["slot"])
    return out


#: The map spec as the page holds it (the dcc.Store ids.WALL_MAP_SPEC in Dash's state):
#: what the server sent to the browser, layer by layer.
SPEC_JS = """
const st = window.store && window.store.getState();
const path = st && st.paths.strs['wall-map-spec'];
if (!path) return null;
let c = st.layout;
for (const k of path) c = c[k];
return c.props.data;
"""


def map_spec(driver) -> dict | None:
    return driver.execute_script(SPEC_JS)


def canvas_point(driver, lon_lats) -> list[int] | None:
    """The first of ``lon_lats`` whose pixel on the wall map a pointer really reaches
    (the map's canvas, not a panel or the legend over it), as page [x, y]."""
    return driver.execute_script("""
const [pts] = arguments;
for (const [lon, lat] of pts) {
  const p = window.TownMap.project('wall-map', lon, lat);
  if (!p) return null;
  const el = document.elementFromPoint(p[0], p[1]);
  if (el && el.tagName === 'CANVAS' && document.getElementById('wall-map').contains(el)) {
    return [Math.round(p[0]), Math.round(p[1])];
  }
}
return null;
""", [list(map(float, pt)) for pt in lon_lats])


def build_fixture_town(now: pd.Timestamp, seed: int = 7) -> dict[str, gpd.GeoDataFrame]:
    """Two districts side by side, each cut into two grids; a road across both, a
    river along the south; 50 cases over the last ~500 days, some not accepted,
    some still open. Near Pingwang (120.63°E, 30.97°N)."""
    x0, y0, w, h = 120.60, 30.94, 0.03, 0.05
    districts = gpd.GeoDataFrame(
        {"district_id": ["D1", "D2"], "name": ["东片区", "西片区"]},
        geometry=[shapely.box(x0 + w, y0, x0 + 2 * w, y0 + h), shapely.box(x0, y0, x0 + w, y0 + h)],
        crs=4326)
    grids = gpd.GeoDataFrame(
        {"grid_id": ["G1", "G2", "G3", "G4"], "name": ["东一网格", "东二网格", "西一网格", "西二网格"],
         "district_id": ["D1", "D1", "D2", "D2"]},
        geometry=[shapely.box(x0 + w, y0, x0 + 2 * w, y0 + h / 2),
                  shapely.box(x0 + w, y0 + h / 2, x0 + 2 * w, y0 + h),
                  shapely.box(x0, y0, x0 + w, y0 + h / 2),
                  shapely.box(x0, y0 + h / 2, x0 + w, y0 + h)],
        crs=4326)
    roads = gpd.GeoDataFrame(
        {"road_id": ["RD1"], "name": ["平望大道"], "road_class": ["main"]},
        geometry=[shapely.LineString([(x0 + 0.002, y0 + 0.03), (x0 + w, y0 + 0.032), (x0 + 2 * w - 0.002, y0 + 0.035)])],
        crs=4326)
    rivers = gpd.GeoDataFrame(
        {"river_id": ["RV1"], "name": ["京杭运河"]},
        geometry=[shapely.LineString([(x0 + 0.001, y0 + 0.008), (x0 + w, y0 + 0.012), (x0 + 2 * w - 0.001, y0 + 0.006)])],
        crs=4326)
    town = gpd.GeoDataFrame({"town_id": ["T1"], "name": [TOWN_NAME]},
                            geometry=[districts.union_all()], crs=4326)

    rng = np.random.default_rng(seed)
    n = 50
    reported = now - pd.to_timedelta(rng.uniform(0.1, 500, n), unit="D")
    accepted = rng.random(n) < 0.9
    closed = accepted & (rng.random(n) < 0.7)
    registered = reported + pd.to_timedelta(rng.uniform(0.01, 0.05, n), unit="D")
    closed_at = registered + pd.to_timedelta(rng.uniform(0.01, 3, n), unit="D")
    closed = closed & (closed_at < now)  # nothing closes in the future
    cases = gpd.GeoDataFrame({
        "case_id": [f"C{i:03d}" for i in range(n)],
        "category": rng.choice(["市容环境", "宣传广告", "施工管理"], n),
        "subcategory": rng.choice(["暴露垃圾", "乱堆物料", "非法小广告"], n),
        "source": rng.choice(["inspector", "citizen", "hotline"], n, p=[0.8, 0.1, 0.1]),
        "reported_by": [None] * n,
        "reported_at": reported,
        "registered_at": pd.Series(registered).where(accepted),
        "deadline": pd.Series(registered + pd.Timedelta(days=2)).where(accepted),
        "closed_at": pd.Series(closed_at).where(closed),
        "status": np.where(closed, "closed", np.where(accepted, "dispatched", "reported")),
        "resolved_level": pd.Series(rng.choice(["grid", "village", "town"], n)).where(closed),
        "enforcement": rng.random(n) < 0.05,
    }, geometry=gpd.points_from_xy(rng.uniform(x0, x0 + 2 * w, n), rng.uniform(y0, y0 + h, n)), crs=4326)
    return {"districts": districts, "grids": grids, "roads": roads, "rivers": rivers,
            "cases": cases, "town": town}


@pytest.fixture(scope="session")
def fixture_town(tmp_path_factory) -> str:
    """URL of a GeoPackage holding the fixture town."""
    from geodata.demo import write_town
    from geodata.store import open_store
    url = str(tmp_path_factory.mktemp("town") / "town.gpkg")
    store = open_store(url)
    write_town(store, build_fixture_town(pd.Timestamp.now(tz=TZ)))
    store.close()
    return url


def serve_town(duo, url: str):
    """``duo`` with the app on the store at ``url`` on a free port, in a 1920×1080 page."""
    from app import create_app
    duo.start_server(create_app(url), port=free_port())
    set_viewport(duo.driver, 1920, 1080)
    return duo


@pytest.fixture
def wall_app(fixture_town):
    from app import create_app
    return create_app(fixture_town)


@pytest.fixture
def served(dash_duo, wall_app):
    """``dash_duo`` with the app on the fixture town running on a free port."""
    dash_duo.start_server(wall_app, port=free_port())
    yield dash_duo
    # Let callbacks in flight finish, then leave the page: dash.testing stops its
    # server thread with an async SystemExit, which would land in a busy request.
    try:
        until(dash_duo._wait_for_callbacks, timeout=10, poll=0.2)
    except TestingTimeoutError:
        pass  # the test has already passed or failed; teardown only tidies up
    dash_duo.driver.get("about:blank")
    if _NETLOG["path"] is not None:  # Linux lets us unlink it while Chromium still writes
        shutil.rmtree(Path(_NETLOG["path"]).parent, ignore_errors=True)
