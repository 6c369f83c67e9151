"""Exactly once: a retried POST with the same idempotency key returns the first
answer and creates nothing new — sequentially and under 20 concurrent retries."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.intake.conftest import report

URL = "/open311/v2/requests.json"


def test_a_retry_replays_the_first_answer(client, key, town_store):
    first = client.post(URL, json=report(api_key=key), headers={"Idempotency-Key": "k-1"})
    again = client.post(URL, json=report(api_key=key), headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    body_key = client.post(URL, json=report(api_key=key, idempotency_key="k-1"))  # same key in the body
    assert body_key.json == first.json
    assert len(town_store.read("cases")) == 1


def test_the_same_key_with_another_body_is_422(client, key, town_store):
    client.post(URL, json=report(api_key=key), headers={"Idempotency-Key": "k-2"})
    other = client.post(URL, json=report(api_key=key, description="另一件事"), headers={"Idempotency-Key": "k-2"})
    assert other.status_code == 422 and "different request" in other.json[0]["description"]
    assert len(town_store.read("cases")) == 1


def test_keys_are_scoped_per_client(intake_app, client, key, town_store):
    other_key = intake_app.extensions["townbrain_intake"].keys.create("second-app")
    a = client.post(URL, json=report(api_key=key), headers={"Idempotency-Key": "same"})
    b = client.post(URL, json=report(api_key=other_key), headers={"Idempotency-Key": "same"})
    assert a.json[0]["service_request_id"] != b.json[0]["service_request_id"]
    assert len(town_store.read("cases")) == 2


def test_twenty_concurrent_posts_with_one_key_create_one_case(intake_app, key, town_store):
    def post(_):
        with intake_app.test_client() as c:
            r = c.post(URL, json=report(api_key=key), headers={"Idempotency-Key": "storm"})
            return r.status_code, r.json[0]["service_request_id"]
    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(post, range(20)))
    assert {s for s, _ in results} == {201}
    assert len({i for _, i in results}) == 1
    assert len(town_store.read("cases")) == 1
    assert len(town_store.read("idempotency_keys")) == 1


def test_batches_replay_too(client, key, town_store):
    body = {"api_key": key, "requests": [report(), report(service_code="city_appearance")]}
    first = client.post("/open311/v2/requests/batch.json", json=body, headers={"Idempotency-Key": "b1"})
    again = client.post("/open311/v2/requests/batch.json", json=body, headers={"Idempotency-Key": "b1"})
    assert first.status_code == again.status_code == 201 and again.json == first.json
    assert len(town_store.read("cases")) == 2


def test_a_key_answered_by_another_server_process_is_replayed_from_the_store(intake_app, key, town_store):
    """Two servers on one store (two processes behind a balancer, or a restart): the
    second has no memory of the key; the primary key of idempotency_keys makes its
    commit fail and it answers from the store instead of creating a second case."""
    from flask import Flask

    from intake import register_intake
    other = Flask("second-process")
    register_intake(other, town_store, timeout_s=5.0)
    first = intake_app.test_client().post(URL, json=report(api_key=key), headers={"Idempotency-Key": "x-proc"})
    with other.test_client() as c:
        # a fresh request is committed as usual; the known key is answered from the store
        fresh = c.post(URL, json=report(api_key=key, description="fresh"), headers={"Idempotency-Key": "new"})
        again = c.post(URL, json=report(api_key=key), headers={"Idempotency-Key": "x-proc"})
        clash = c.post(URL, json=report(api_key=key, description="other"), headers={"Idempotency-Key": "x-proc"})
    assert first.status_code == fresh.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert clash.status_code == 422
    assert len(town_store.read("cases")) == 2
