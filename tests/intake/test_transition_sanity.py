"""Issue 16, Hardening: a transition is made by known staff at a time that can be
true, with a deadline in a sane window — else 400 with the reason (KPIs and the
record could be forged: `by` took any text, `at` went back to 2000, a deadline of 9999)."""
from __future__ import annotations

from tests.intake.conftest import report


def _step(client, key, cid, **body):
    return client.post(f"/open311/v2/requests/{cid}/transitions.json", json={"api_key": key, **body})


def _case(client, key):
    return client.post("/open311/v2/requests.json", json=report(api_key=key)).json[0]["service_request_id"]


def test_forged_steps_are_400_with_the_reason(client, key, town_store):
    cid = _case(client, key)
    cases = [({"action": "register", "by": "NOT_A_STAFF<script>"}, "is not a staff_id of the staff layer"),
             ({"action": "register", "by": "DSP01", "at": "2000-01-02T00:00:00Z"}, "before the case was reported"),
             ({"action": "register", "by": "DSP01", "at": "2099-01-01T00:00:00Z"}, "is in the future")]
    for body, why in cases:
        resp = _step(client, key, cid, **body)
        assert resp.status_code == 400 and why in resp.json[0]["description"], resp.json
    assert _step(client, key, cid, action="register", by="DSP01").status_code == 200
    far = _step(client, key, cid, action="extend", by="DSP01", deadline="9999-12-31T00:00:00Z")
    assert far.status_code == 400 and "within 366 days" in far.json[0]["description"]
    ok = _step(client, key, cid, action="extend", by="DSP01", extend_hours=24)
    assert ok.status_code == 200
    case = town_store.read("cases", where={"case_id": cid}).iloc[0]
    assert case.status == "registered" and town_store.count("case_history", where={"case_id": cid}) == 2
