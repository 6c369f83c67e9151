"""The live feed gives the wall aggregates only: every coordinate it sends is the centre
of a heat cell, never a case's own point, and no reporter's words (description, address)
leave the server (callbacks/live.py; issue 16, Deliver 4 and 7)."""
from __future__ import annotations

import json

import h3
import pandas as pd
import shapely

from access.pages import callback_modules
from callbacks import live
from geodata import changes
from tests.access.test_gate import app  # noqa: F401 - the app fixture on the fixture town
from tests.access.test_kiosk import enrolled
from tests.callbacks.test_live_focus import NONE, cases

EXACT = (120.613457, 30.961183)  # inside the fixture town, far from any cell centre
WORDS = ("南河路 8 号 张先生 13800001234", "门口堆放垃圾，联系电话 13800001234")


def _pairs(obj):
    """Every (lon, lat) the JSON carries: dicts with lon/lat, and [lon, lat, n] cells."""
    if isinstance(obj, dict):
        if "lon" in obj or "lat" in obj:
            yield obj.get("lon"), obj.get("lat")
        for v in obj.values():
            yield from _pairs(v)
    elif isinstance(obj, list):
        if len(obj) == 3 and all(isinstance(x, (int, float)) for x in obj) and 100 < obj[0] < 140:
            yield obj[0], obj[1]
        else:
            for v in obj:
                yield from _pairs(v)


def _is_cell_centre(lon, lat) -> bool:
    c_lat, c_lon = h3.cell_to_latlng(h3.latlng_to_cell(lat, lon, changes.HEAT_RESOLUTION))
    return abs(c_lat - lat) < 2e-5 and abs(c_lon - lon) < 2e-5


def test_the_kiosk_receives_cell_centres_and_no_reporter_text_from_the_live_feed(app):  # noqa: F811
    store = app.server.extensions["townbrain_access"].store
    wall, _ = enrolled(app)
    key = next(k for k, m in callback_modules(app).items() if m == "callbacks.live" and "live-feed.data" in k)
    cb = app.callback_map[key]

    def poll(feed):
        body = {"output": key, "outputs": [{"id": o.rsplit(".", 1)[0], "property": o.rsplit(".", 1)[1]}
                                           for o in key[2:-2].split("...")],
                "inputs": [{"id": d["id"], "property": d["property"], "value": 1} for d in cb["inputs"]],
                "state": [{"id": d["id"], "property": d["property"],
                           "value": feed if d["property"] == "data" else ""} for d in cb["state"]],
                "changedPropIds": [f"{cb['inputs'][0]['id']}.{cb['inputs'][0]['property']}"]}
        r = wall.post("/_dash-update-component", json=body)
        assert r.status_code == 200, r.data[:300]
        return r

    first = poll(None).get_json()["response"]["live-feed"]["data"]  # the wall opens: the cursor starts
    # the fixture town was written a moment ago, inside the feed's re-read window: the wall
    # shows those writes at its next poll; after it, only the case below is news (a case
    # stamped in the same second as twenty others may otherwise miss the ticker's cut)
    first = poll(first).get_json()["response"]["live-feed"]["data"]
    row = store.read("cases").sort_values("reported_at").tail(1).copy()
    now = pd.Timestamp.now(tz="UTC").floor("s")
    row["case_id"], row["reported_at"], row["category"] = "LEAK1", now, "emergencies"
    row["address"], row["description"] = WORDS
    row = row.set_geometry([shapely.Point(*EXACT)], crs=4326)
    store.upsert("cases", row)
    r = poll(first)
    text = r.get_data(as_text=True)
    feed = r.get_json()["response"]["live-feed"]["data"]
    assert any(it["id"] == "LEAK1" for it in feed["latest"])  # the new case is in the answer …
    assert feed["focus"] and feed["focus"]["case_id"] == "LEAK1" and feed["cells"]
    pairs = list(_pairs(feed))
    assert pairs, "the feed carries no place at all: nothing was checked"
    for lon, lat in pairs:  # … but only as a cell of the heat map
        assert _is_cell_centre(lon, lat), (lon, lat)
    assert all("lon" not in it and "lat" not in it for it in feed["latest"])
    for exact in ("120.613457", "30.961183", "120.61346", "30.96118"):
        assert exact not in text
    for words in WORDS:
        assert words not in json.loads(text).__repr__() and "13800001234" not in text


def test_the_wall_flies_to_the_cell_of_an_urgent_case_not_to_its_point():
    frame = cases(("U1", "emergencies", "reported")).set_geometry([shapely.Point(*EXACT)], crs=4326)
    focus = live.pick_focus(frame, NONE, {}, "en")
    assert focus["case_id"] == "U1" and _is_cell_centre(focus["lon"], focus["lat"])
    assert (focus["lon"], focus["lat"]) != EXACT and abs(focus["lon"] - EXACT[0]) < 0.01
