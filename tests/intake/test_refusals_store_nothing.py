"""Issue 16, Hardening: a refusal keeps nothing an outsider sent, and no secret.

A POST without a valid key is answered (401 / 400 with the GeoReport body) and
nothing of it reaches the store; a refused POST of a valid key is quarantined with
every key-like field (api_key, key, token, password, secret) taken out.
"""
from __future__ import annotations

import json

from tests.intake.conftest import report

URL = "/open311/v2/requests.json"


def _quarantine(app, store):
    app.extensions["townbrain_intake"].writer.flush()
    return store.read("quarantine") if store.has_layer("quarantine") else []


def test_unauthenticated_posts_store_nothing(intake_app, client, town_store):
    junk = b'{"service_code": ' + b"x" * 60_000
    answers = [
        client.post(URL, data=junk, content_type="application/json"),               # malformed, no key
        client.post(URL, json=[1, 2]),                                                # not an object, no key
        client.post(URL, json=report()),                                              # valid, no key
        client.post(URL, json=report(api_key="tb_000000000000_wrong")),               # unknown key
        client.post(URL, data={"service_code": "x", "api_key": "nonsense"}),          # a form, bad key
        client.post("/open311/v2/requests/batch.json", json={"requests": [report(lat=99)]}),
        client.post("/open311/v2/requests/R1/transitions.json", data=junk, content_type="application/json"),
        client.post("/open311/v2/patrols.json", json={"staff_id": 7}),
    ]
    for resp in answers:
        assert resp.status_code in (400, 401), resp.data
        [err] = resp.json
        assert err["code"] == resp.status_code and err["description"]
    assert len(_quarantine(intake_app, town_store)) == 0
    assert len(town_store.read("cases")) == 0


def test_a_malformed_body_with_a_valid_header_key_is_still_kept(intake_app, client, key, town_store):
    resp = client.post(URL, data=b'{"service_code": "street_order", "lat": ', content_type="application/json",
                       headers={"X-Api-Key": key})
    assert resp.status_code == 400 and "malformed JSON" in resp.json[0]["description"]
    assert len(_quarantine(intake_app, town_store)) == 1


def test_refused_posts_of_a_valid_key_keep_no_secret(intake_app, client, key, town_store):
    secret = key.rsplit("_", 1)[1]
    client.post(URL, json=report(api_key=key, lat=99, token="tok-123456", password="hunter2-pw",
                                 attributes={"secret": "s3cr3t-value", "stalls": 3}))
    client.post(URL, data={**report(lat=99), "api_key": key, "x_token": "tok-abcdef"})
    client.post(URL, data=('{"api_key": "%s", "lat": ' % key).encode(), content_type="application/json",
                headers={"X-Api-Key": key})  # broken JSON: kept (the header names the client), key scrubbed
    client.post("/open311/v2/requests/batch.json",
                json={"api_key": key, "requests": [report(lat=99, key=key), report()]})
    q = _quarantine(intake_app, town_store)
    assert len(q) == 4
    kept = " ".join(q.raw) + " ".join(q.reason)
    for leaked in (secret, "tok-123456", "hunter2-pw", "s3cr3t-value", "tok-abcdef"):
        assert leaked not in kept
    first = json.loads(q.raw.iloc[0]) if q.raw.iloc[0].startswith("{") else None
    assert first is not None and first["service_code"] == "street_order"  # the rest is kept as sent
    assert first["attributes"]["stalls"] == 3
