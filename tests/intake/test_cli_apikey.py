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
