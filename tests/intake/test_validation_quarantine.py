"""Refused requests: a GeoReport 4xx that says what to fix, the raw payload kept in
quarantine with the reason, and nothing else written."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.intake.conftest import TOWN_NAME, report

URL = "/open311/v2/requests.json"


def _quarantine(app, store):
    app.extensions["townbrain_intake"].writer.flush()
    return store.read("quarantine")


@pytest.mark.parametrize("over, fragment", [
    ({"lat": 31.9, "long": 121.4}, f"lat/long 31.9,121.4 is outside {TOWN_NAME} (bbox"),
    ({"service_code": "no_such"}, "unknown service_code 'no_such'"),
    ({"subcategory": "street_order/vendor", "service_code": "city_appearance"}, "is not a minor class"),
    ({"lat": 95}, "lat: Input should be less than or equal to 90"),
    ({"long": "east"}, "long: Input should be a valid number"),
    ({"requested_datetime": "2099-01-01T00:00:00Z"}, "is in the future"),
    ({"requested_datetime": "1999-12-31T00:00:00Z"}, "before 2000-01-01"),
    ({"requested_datetime": "yesterday"}, "requested_datetime: Input should be a valid datetime"),
    ({"source": "pigeon"}, "source: Input should be 'inspector'"),
    ({"description": "长" * 4001}, "description: String should have at most 4000 characters"),
    ({"service_code": None}, "service_code: Input should be a valid string"),
])
def test_each_rejection_is_a_400_and_quarantined_with_its_raw_payload(intake_app, client, key, town_store,
                                                                      over, fragment):
    body = report(api_key=key, **over)
    resp = client.post(URL, json=body)
    assert resp.status_code == 400
    [err] = resp.json
    assert err["code"] == 400 and fragment in err["description"]
    q = _quarantine(intake_app, town_store)
    assert len(q) == 1 and q.layer.iloc[0] == "cases" and fragment in q.reason.iloc[0]
    raw = json.loads(q.raw.iloc[0])
    assert raw["service_code"] == body["service_code"]  # the original payload, as sent
    assert len(town_store.read("cases")) == 0


def test_missing_fields_are_named(client, key):
    resp = client.post(URL, json={"api_key": key})
    assert resp.status_code == 400 and "service_code: Field required" in resp.json[0]["description"]
    nowhere = client.post(URL, json={"api_key": key, "service_code": "street_order"})
    assert nowhere.status_code == 400
    assert "a location is required: lat and long (WGS84 degrees), or address_string" in nowhere.json[0]["description"]
    half = client.post(URL, json={"api_key": key, "service_code": "street_order", "lat": 31.0})
    assert half.status_code == 400 and "lat and long go together" in half.json[0]["description"]


def test_malformed_json_wrong_type_and_oversize(intake_app, client, key, town_store):
    bad = client.post(URL, data=b'{"service_code": "street_order", "lat": ', content_type="application/json",
                      headers={"X-Api-Key": key})
    assert bad.status_code == 400 and "malformed JSON" in bad.json[0]["description"]
    arr = client.post(URL, json=[1, 2], headers={"X-Api-Key": key})
    assert arr.status_code == 400 and "must be an object" in arr.json[0]["description"]
    xml = client.post(URL, data=b"<request/>", content_type="application/xml", headers={"X-Api-Key": key})
    assert xml.status_code == 415 and "application/json" in xml.json[0]["description"]
    huge = client.post(URL, data=b"{" + b" " * (3 * 1024 * 1024) + b"}", content_type="application/json",
                       headers={"X-Api-Key": key})
    assert huge.status_code == 413 and "over the limit" in huge.json[0]["description"]
    q = _quarantine(intake_app, town_store)
    assert any("malformed JSON" in r for r in q.reason)  # the broken body is kept too
    assert len(town_store.read("cases")) == 0


def test_batch_commits_the_valid_items_and_quarantines_the_others(intake_app, client, key, town_store):
    items = [report(), report(lat=31.9, long=121.4), report(service_code="street_order/vendor"),
             report(service_code="nope")]
    resp = client.post("/open311/v2/requests/batch.json", json={"api_key": key, "requests": items})
    assert resp.status_code == 201
    answers = resp.json
    assert [("service_request_id" in a) for a in answers] == [True, False, True, False]
    assert "outside" in answers[1]["description"] and "unknown service_code" in answers[3]["description"]
    stored = town_store.read("cases")
    assert sorted(stored.case_id) == sorted([answers[0]["service_request_id"], answers[2]["service_request_id"]])
    q = _quarantine(intake_app, town_store)
    assert sorted(q.source_row) == ["batch item 1", "batch item 3"]


def test_batch_of_only_invalid_items_is_400(client, key, town_store):
    resp = client.post("/open311/v2/requests/batch.json",
                       json={"api_key": key, "requests": [report(lat=0, long=0), {"x": 1}]})
    assert resp.status_code == 400 and len(resp.json) == 2 and all(a["description"] for a in resp.json)
    too_many = client.post("/open311/v2/requests/batch.json", json={"api_key": key, "requests": [report()] * 501})
    assert too_many.status_code == 400 and "at most 500" in too_many.json[0]["description"]
    assert len(town_store.read("cases")) == 0


def test_requested_datetime_is_kept_and_defaults_to_now(client, key, town_store):
    client.post(URL, json=report(api_key=key, requested_datetime="2026-03-01T09:30:00"))  # naive = town zone
    before = pd.Timestamp.now(tz="UTC").floor("s")
    client.post(URL, json=report(api_key=key))
    got = town_store.read("cases").sort_values("reported_at").reported_at.tolist()
    assert got[0] == pd.Timestamp("2026-03-01T09:30:00", tz="Asia/Shanghai")
    assert got[1] >= before
