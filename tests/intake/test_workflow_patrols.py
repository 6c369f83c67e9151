"""Case transitions through the API (lifecycle of geodata.workflow enforced) and
patrols: start, GPS points in batches, end with a LineString track."""
from __future__ import annotations

import pandas as pd
import shapely

from tests.grids.handmade import U, X0, Y0
from tests.intake.conftest import report


def _case(client, key) -> str:
    return client.post("/open311/v2/requests.json", json=report(api_key=key)).json[0]["service_request_id"]


def _step(client, key, cid, action, **kw):
    return client.post(f"/open311/v2/requests/{cid}/transitions.json",
                       json={"api_key": key, "action": action, "by": "DSP01", **kw})


def test_a_case_goes_through_its_lifecycle(client, key, town_store):
    cid = _case(client, key)
    reg = _step(client, key, cid, "register")
    assert reg.status_code == 200, reg.json
    assert reg.json["status"] == "registered" and reg.json["registered_at"]
    # deadline from the categories layer: street_order has a 2 h limit
    assert pd.Timestamp(reg.json["deadline"]) - pd.Timestamp(reg.json["registered_at"]) == pd.Timedelta(hours=2)
    for action, status in (("dispatch", "dispatched"), ("escalate", "dispatched"), ("handle", "handled"),
                           ("feedback", "feedback"), ("rework", "rework"), ("dispatch", "dispatched"),
                           ("handle", "handled"), ("feedback", "feedback"), ("close", "closed")):
        r = _step(client, key, cid, action)
        assert r.status_code == 200, (action, r.json)
        assert r.json["status"] == status
    assert r.json["resolved_level"] == "village" and r.json["closed_at"]
    hist = town_store.read("case_history", where={"case_id": cid})
    assert sorted(hist.seq.tolist()) == list(range(1, 11))
    one = client.get(f"/open311/v2/requests/{cid}.json", query_string={"api_key": key}).json[0]
    assert one["status"] == "closed" and one["status_notes"] == "closed"


def test_a_forbidden_step_is_409_naming_the_allowed_ones(client, key, town_store):
    cid = _case(client, key)
    r = _step(client, key, cid, "close")
    assert r.status_code == 409
    assert "cannot 'close' a case that is 'reported'" in r.json[0]["description"]
    assert "register, reject" in r.json[0]["description"]
    assert town_store.read("cases").status.tolist() == ["reported"]
    assert _step(client, key, "nope", "register").status_code == 404
    bad = _step(client, key, cid, "teleport")
    assert bad.status_code == 400 and "action" in bad.json[0]["description"]


def test_a_transition_retried_with_its_key_is_applied_once(client, key, town_store):
    cid = _case(client, key)
    h = {"Idempotency-Key": "reg-1"}
    a = client.post(f"/open311/v2/requests/{cid}/transitions.json",
                    json={"api_key": key, "action": "register", "by": "D1"}, headers=h)
    b = client.post(f"/open311/v2/requests/{cid}/transitions.json",
                    json={"api_key": key, "action": "register", "by": "D1"}, headers=h)
    assert a.status_code == b.status_code == 200 and a.json == b.json
    assert b.headers["Idempotent-Replayed"] == "true"
    assert len(town_store.read("case_history")) == 1


def _pt(x, y, t):
    return {"lon": X0 + x * U, "lat": Y0 + y * U, "t": t}


def test_patrol_start_points_end_builds_the_track(client, key, town_store):
    start = client.post("/open311/v2/patrols.json",
                        json={"api_key": key, "staff_id": "INS01", "started_at": "2026-01-05T08:00:00+08:00"})
    assert start.status_code == 201
    pid = start.json["patrol_id"]
    base = pd.Timestamp("2026-01-05T08:00:00+08:00")
    t = [(base + pd.Timedelta(minutes=m)).isoformat() for m in range(5)]
    # two batches, out of order, with a repeated fix and one point outside the town
    b1 = client.post(f"/open311/v2/patrols/{pid}/points.json",
                     json={"api_key": key, "points": [_pt(3, 1, t[3]), _pt(1, 1, t[1]), _pt(0.5, 0.5, t[0])]})
    assert b1.status_code == 201 and b1.json["accepted"] == 3
    b2 = client.post(f"/open311/v2/patrols/{pid}/points.json",
                     json={"api_key": key, "points": [_pt(2, 1, t[2]), _pt(2, 1, t[2]), _pt(4, 2, t[4]),
                                                      {"lon": 121.4, "lat": 31.9, "t": t[4]}]})
    assert b2.status_code == 201 and b2.json["accepted"] == 3 and b2.json["refused"][0]["index"] == 3
    end = client.post(f"/open311/v2/patrols/{pid}/end.json",
                      json={"api_key": key, "ended_at": "2026-01-05T09:00:00+08:00"})
    assert end.status_code == 200, end.json
    # both times in the town's zone, as every other answer gives them
    assert end.json["started_at"] == "2026-01-05T08:00:00+08:00"
    assert end.json["ended_at"] == "2026-01-05T09:00:00+08:00"
    patrol = town_store.read("patrols", where={"patrol_id": pid}).iloc[0]
    expected = shapely.LineString([(X0 + x * U, Y0 + y * U) for x, y in ((0.5, 0.5), (1, 1), (2, 1), (3, 1), (4, 2))])
    assert patrol.geometry.equals_exact(expected, 1e-9)
    assert patrol.staff_id == "INS01" and patrol.started_at == base
    assert patrol.ended_at == pd.Timestamp("2026-01-05T09:00:00+08:00")
    again = client.post(f"/open311/v2/patrols/{pid}/end.json", json={"api_key": key})
    assert again.status_code == 409 and "already ended" in again.json[0]["description"]
    late = client.post(f"/open311/v2/patrols/{pid}/points.json", json={"api_key": key, "points": [_pt(1, 1, t[1])]})
    assert late.status_code == 409


def test_patrol_errors(client, key):
    assert client.post("/open311/v2/patrols/nope/points.json",
                       json={"api_key": key, "points": [_pt(1, 1, "2026-01-05T08:00:00+08:00")]}).status_code == 404
    pid = client.post("/open311/v2/patrols.json", json={"api_key": key, "staff_id": "I2"}).json["patrol_id"]
    empty = client.post(f"/open311/v2/patrols/{pid}/end.json", json={"api_key": key})
    assert empty.status_code == 409 and "no GPS points" in empty.json[0]["description"]
    big = client.post(f"/open311/v2/patrols/{pid}/points.json",
                      json={"api_key": key, "points": [_pt(1, 1, "2026-01-05T08:00:00+08:00")] * 5001})
    assert big.status_code == 400 and "at most 5000" in big.json[0]["description"]
