"""`townbrain apikey create|list|revoke`: keys printed once, stored hashed, usable."""
from __future__ import annotations

import subprocess
import sys

from geodata.apikeys import ApiKeys


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "townbrain.cli", *args], capture_output=True, text=True,
                          timeout=120)


def test_apikey_create_list_revoke(town_store):
    url = town_store.url
    made = _cli("apikey", "create", "--name", "inspector-app", "--db", url)
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    assert key.startswith("tb_") and ApiKeys(town_store).verify(key)["name"] == "inspector-app"
    stored = town_store.read("api_keys")
    secret = key.split("_")[2]
    assert secret not in stored.to_string() and stored.key_hash.str.len().iloc[0] == 64  # only the hash
    listed = _cli("apikey", "list", "--db", url)
    assert listed.returncode == 0 and "inspector-app" in listed.stdout and secret not in listed.stdout
    key_id = key.split("_")[1]
    assert _cli("apikey", "revoke", key_id, "--db", url).returncode == 0
    assert ApiKeys(town_store).verify(key) is None
    missing = _cli("apikey", "revoke", "nope", "--db", url)
    assert missing.returncode == 1 and "no API key" in missing.stderr and "Traceback" not in missing.stderr
    bad = _cli("apikey", "create", "--name", " ", "--db", url)
    assert bad.returncode == 1 and "needs a client name" in bad.stderr


def test_a_wrong_key_costs_one_hash_until_its_verdict_expires(town_store, monkeypatch):
    """A client retrying a wrong secret of a real key id hashes once, not once per
    request (scrypt is slow on purpose); the right key still passes, and a revoke in
    this process takes effect at once."""
    import geodata.apikeys as apikeys
    calls = []
    real = apikeys._hash
    monkeypatch.setattr(apikeys, "_hash", lambda secret, salt: calls.append(1) or real(secret, salt))
    keys = ApiKeys(town_store)
    key = keys.create("app")
    calls.clear()
    wrong = key[:-2] + ("aa" if not key.endswith("aa") else "bb")
    assert [keys.verify(wrong) for _ in range(20)] == [None] * 20
    assert len(calls) == 1
    assert keys.verify(key)["name"] == "app" and keys.verify(key)["name"] == "app"
    assert len(calls) == 2
    keys.revoke(key)
    assert keys.verify(key) is None
    monkeypatch.setattr(apikeys, "REFUSED_SECONDS", 0.0)
    keys.verify(wrong + "x")
    keys.verify(wrong + "x")
    assert len(calls) == 2  # revoked and unknown ids are refused without hashing
