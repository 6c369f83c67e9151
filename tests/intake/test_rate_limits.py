"""Issue 16, Hardening: rate limits on the API, per address and per key, and wrong
secrets for a known key id refused without scrypt once they are too many.

Plain HTTP (requests) against the real server (waitress, as `townbrain serve` runs it).
"""
from __future__ import annotations

import time

import pytest
import requests
from geodata import apikeys
from tests.intake.conftest import report, served_intake


@pytest.fixture
def served(tmp_path):
    with served_intake(tmp_path, rate_per_address="20/minute", rate_per_key="5/minute") as (state, key, base, _):
        yield state, key, base


def _is_429(resp):
    assert resp.status_code == 429, resp.text
    assert int(resp.headers["Retry-After"]) >= 1
    [err] = resp.json()
    assert err["code"] == 429 and "retry after" in err["description"]


def test_per_key_limit_answers_429_with_retry_after(served):
    _state, key, base = served
    codes = [requests.get(f"{base}/services.json", params={"api_key": key}, timeout=10).status_code
             for _ in range(6)]
    assert codes == [200] * 5 + [429]
    _is_429(requests.post(f"{base}/requests.json", json=report(api_key=key), timeout=10))
    assert requests.get(f"{base}/services.json", timeout=10).status_code == 200  # the address still may


def test_per_address_limit_answers_429_with_retry_after(served):
    _state, _key, base = served
    codes = [requests.get(f"{base}/services.json", timeout=10).status_code for _ in range(21)]
    assert codes[:20] == [200] * 20
    _is_429(requests.get(f"{base}/services.json", timeout=10))


def test_wrong_secrets_for_a_known_key_id_stop_costing_scrypt(served, monkeypatch):
    state, key, base = served
    key_id = key.split("_")[1]
    hashes = []
    real = apikeys._hash
    monkeypatch.setattr(apikeys, "_hash", lambda s, salt: hashes.append(1) or real(s, salt))
    t0 = time.perf_counter()
    answers = [requests.post(f"{base}/requests.json", json=report(api_key=f"tb_{key_id}_wrong{i}"), timeout=10)
               for i in range(15)]
    assert [a.status_code for a in answers[:apikeys.FAILS_PER_KEY]] == [401] * apikeys.FAILS_PER_KEY
    for a in answers[apikeys.FAILS_PER_KEY:]:
        _is_429(a)
    assert len(hashes) == apikeys.FAILS_PER_KEY  # no scrypt once throttled
    assert time.perf_counter() - t0 < 5
