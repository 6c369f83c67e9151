"""A case POSTed to the Open311 API reaches the wall's live heat map and ticker
within 3 s, measured in the browser (the live-intake requirement: "A new case
reaches the wall's heat map within 3 s").

The page itself watches for arrivals: a 20 ms timer in the page stamps
``Date.now()`` the first time each case id shows in the ticker and each H3 cell
shows in the live heat overlay (uid ``tb-live``, callbacks/live.py and
assets/live.js), so a slow WebDriver round trip on a busy machine cannot inflate
the figure. The latency is that stamp minus the wall-clock time the test received
the 2xx (browser and test share the machine's clock).

Two reports: one happening now, and one whose ``requested_datetime`` is an hour
ago — the feed must catch a case by when it *arrived* (the store's
``updated_at`` stamp), not by when it happened.
"""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import h3
import pandas as pd
import pytest

from callbacks import ids
from geodata import changes
from tests.browser.conftest import TZ, build_fixture_town
from tests.browser.test_live import _leave, start, ticker_ids
from tests.browser.test_wall import open_wall

pytestmark = [
    pytest.mark.browser,
    # dash.testing stops its server by raising SystemExit in every thread started
    # after it (dash/testing/application_runners.py, KillerThread), the intake's
    # writer thread included: expected at teardown, not a fault of the writer.
    pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning"),
]

LIMIT_S = 3.0
CATEGORIES = pd.DataFrame({"code": ["street_order", "city_appearance"], "parent": [None, None],
                           "name": ["街面秩序", "市容环境"], "name_en": ["Street order", "City appearance"],
                           "time_limit_h": [2.0, 12.0]})

# Stamps the first sight of every ticker id and every live heat cell, in the page.
WATCH_JS = f"""
const seen = window.__tbArrivals = {{ticker: {{}}, heat: {{}}}};
window.__tbWatch = setInterval(function () {{
    const now = Date.now();
    document.querySelectorAll('#{ids.LIVE_TICKER} [data-case]').forEach(function (e) {{
        if (!(e.dataset.case in seen.ticker)) {{ seen.ticker[e.dataset.case] = now; }}
    }});
    const t = window.TownMap && window.TownMap.overlaySpec('{ids.WALL_MAP}', 'tb-live');
    if (t && t.lon) {{
        for (let i = 0; i < t.lon.length; i++) {{
            const k = Number(t.lon[i]).toFixed(5) + ',' + Number(t.lat[i]).toFixed(5);
            if (!(k in seen.heat)) {{ seen.heat[k] = now; }}
        }}
    }}
}}, 20);
"""


def heat_key(lon: float, lat: float) -> str:
    """The live heat overlay's point for a case at (lon, lat): its H3 cell's centre,
    rounded as the feed sends it (callbacks/live.py ``poll_feed``)."""
    clat, clon = h3.cell_to_latlng(h3.latlng_to_cell(lat, lon, changes.HEAT_RESOLUTION))
    return f"{round(clon, 5):.5f},{round(clat, 5):.5f}"


def post_case(base: str, key: str, lon: float, lat: float, **extra) -> tuple[str, float]:
    """POST one report; (its service_request_id, the wall-clock time of the 2xx)."""
    body = json.dumps({"api_key": key, "service_code": "street_order", "lat": lat, "long": lon,
                       "description": "井盖缺失", "source": "citizen", **extra}).encode()
    req = urllib.request.Request(f"{base}/open311/v2/requests.json", data=body, method="POST",
                                 headers={"Content-Type": "application/json",
                                          "Idempotency-Key": f"wall-{time.time_ns()}"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            answer = json.load(r)
            acked = time.time()
    except urllib.error.HTTPError as exc:
        raise AssertionError(f"POST answered {exc.code}: {exc.read().decode()[:300]}") from None
    return answer[0]["service_request_id"], acked


def arrival(duo, case_id: str, cell: str, acked: float, timeout: float = 10.0) -> tuple[float, float]:
    """Seconds from the 2xx to the case in the ticker and its cell on the heat map."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        seen = duo.driver.execute_script("return window.__tbArrivals")
        if case_id in seen["ticker"] and cell in seen["heat"]:
            return seen["ticker"][case_id] / 1000 - acked, seen["heat"][cell] / 1000 - acked
        time.sleep(0.1)
    seen = duo.driver.execute_script("return window.__tbArrivals")
    raise AssertionError(f"{case_id} never reached the wall within {timeout:.0f} s: ticker has "
                         f"{sorted(seen['ticker'])}, heat cells {sorted(seen['heat'])}, want cell {cell}")


@pytest.fixture(params=["postgis", "gpkg"])
def intake_town(request, tmp_path):
    """The fixture town with a category tree and an API key: (store URL, key)."""
    from geodata.apikeys import ApiKeys
    from geodata.store import open_store
    url = request.getfixturevalue("pg_schema_url") if request.param == "postgis" else str(tmp_path / "t.gpkg")
    st = open_store(url)
    st.create_schema()
    for layer, frame in build_fixture_town(pd.Timestamp.now(tz=TZ)).items():
        st.write(layer, frame, mode="replace")
    st.write("categories", CATEGORIES, mode="replace")
    key = ApiKeys(st).create("wall-test")
    st.close()
    return url, key


def test_a_posted_case_reaches_the_heat_map_within_3_s(dash_duo, intake_town):
    url, key = intake_town
    duo = start(dash_duo, url)
    try:
        open_wall(duo)
        duo._wait_for(lambda d: ticker_ids(duo), timeout=10, msg="the feed never answered")
        time.sleep(1.5)  # let the feed place its cursor
        duo.driver.execute_script(WATCH_JS)
        # two places in different grids, so each case lights a cell of its own
        now_place, old_place = (120.615, 30.952), (120.645, 30.982)  # town: 120.60-120.66 E
        assert heat_key(*now_place) != heat_key(*old_place)

        case_now, acked = post_case(duo.server_url, key, *now_place)
        ticker_s, heat_s = arrival(duo, case_now, heat_key(*now_place), acked)
        print(f"\n2xx -> ticker {ticker_s * 1000:.0f} ms, -> heat map {heat_s * 1000:.0f} ms (a case of now)")
        assert ticker_s <= LIMIT_S and heat_s <= LIMIT_S

        hour_ago = (pd.Timestamp.now(tz=TZ) - pd.Timedelta(hours=1)).floor("s").isoformat()
        case_old, acked = post_case(duo.server_url, key, *old_place, requested_datetime=hour_ago)
        ticker_s, heat_s = arrival(duo, case_old, heat_key(*old_place), acked)
        print(f"2xx -> ticker {ticker_s * 1000:.0f} ms, -> heat map {heat_s * 1000:.0f} ms "
              f"(requested_datetime an hour ago)")
        assert ticker_s <= LIMIT_S and heat_s <= LIMIT_S

        assert ticker_ids(duo)[:2] == [case_old, case_now]
        duo.driver.execute_script("clearInterval(window.__tbWatch)")
        assert duo.get_logs() == []
    finally:
        _leave(duo)
