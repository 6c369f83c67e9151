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


def test_apikey_create_with_scopes_list_them_and_change_them(town_store):
    """`create NAME --scope …` (repeatable, comma lists), the default scopes without
    it, `list` showing them (an old key's as the default), `scopes` replacing them,
    one sentence for a bad scope — each change audited under the operator's name."""
    import os

    import pandas as pd

    from access.audit import AuditLog
    from geodata.apikeys import DEFAULT_SCOPES
    url = town_store.url
    made = _cli("apikey", "create", "dispatch", "--scope", "workflow:write", "--scope",
                "requests:read-all,patrols:write", "--db", url)
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    assert ApiKeys(town_store).verify(key)["scopes"] == ("requests:read-all", "workflow:write", "patrols:write")
    assert "scopes: requests:read-all, workflow:write, patrols:write" in made.stderr
    plain = _cli("apikey", "create", "--name", "citizen-app", "--db", url)  # the older form, no --scope
    assert plain.returncode == 0, plain.stderr
    assert ApiKeys(town_store).verify(plain.stdout.strip())["scopes"] == DEFAULT_SCOPES
    old = _cli("apikey", "create", "old-app", "--db", url).stdout.strip()
    old_id = old.split("_")[1]
    town_store.update_columns("api_keys", pd.DataFrame({"key_id": [old_id], "scopes": [None]}))  # before scopes

    listed = subprocess.run([sys.executable, "-m", "townbrain.cli", "apikey", "list", "--db", url],
                            capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "220"})
    assert listed.returncode == 0, listed.stderr
    rows = {line.split("│")[2].strip(): line.split("│")[3].strip() for line in listed.stdout.splitlines()
            if line.count("│") >= 5}
    assert rows["dispatch"] == "requests:read-all, workflow:write, patrols:write"
    assert rows["citizen-app"] == "requests:write, requests:read-own"
    assert rows["old-app"] == "requests:write, requests:read-own  (default: issued before scopes)"

    changed = _cli("apikey", "scopes", old_id, "--scope", "patrols:write", "--db", url)
    assert changed.returncode == 0 and "patrols:write" in changed.stdout, changed.stderr
    assert ApiKeys(town_store).verify(old)["scopes"] == ("patrols:write",)

    before = town_store.count("api_keys")
    for args, said in ((("create", "x", "--scope", "requests:admin"), "unknown API key scope 'requests:admin'"),
                       (("create", "x", "--scope", " , "), "names no scope"),
                       (("create", "x", "--name", "y"), "two client names"),
                       (("scopes", "nope", "--scope", "requests:write"), "no such API key")):
        bad = _cli("apikey", *args, "--db", url)
        assert bad.returncode == 1 and said in bad.stderr and "Traceback" not in bad.stderr, (args, bad.stderr)
    assert town_store.count("api_keys") == before

    trail = AuditLog(town_store).list()
    mine = trail[trail.action.str.startswith("apikey_")]
    assert mine.action.tolist() == ["apikey_create"] * 3 + ["apikey_scopes"]
    assert mine.username.str.startswith("os:").all()
    assert mine.object.iloc[-1] == f"apikey:{old_id}" and mine.detail.iloc[-1] == "scopes=patrols:write"
    assert "scopes=requests:read-all,workflow:write,patrols:write" in mine.detail.iloc[0]
