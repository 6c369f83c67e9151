"""Durability under a store outage: while PostGIS is cut off a POST answers 503 with
Retry-After; once it is back the server recovers by itself and the client's retry
with the same idempotency key yields exactly one case."""
from __future__ import annotations

import time
from urllib.parse import urlsplit, urlunsplit

from flask import Flask

from geodata.store import open_store
from tests.browser.test_live import Gate
from tests.intake.conftest import handmade_town, report

URL = "/open311/v2/requests.json"


def test_503_during_an_outage_then_exactly_one_case(pg_schema_url):
    from intake import register_intake
    direct = open_store(pg_schema_url)
    direct.create_schema()
    handmade_town(direct)
    parts = urlsplit(pg_schema_url)
    gate = Gate(parts.hostname, parts.port or 5432)
    user = parts.netloc.rsplit("@", 1)[0]
    gated = open_store(urlunsplit(parts._replace(netloc=f"{user}@127.0.0.1:{gate.port}")))
    try:
        server = Flask("outage")
        state = register_intake(server, gated, timeout_s=1.5)
        key = state.keys.create("app")
        c = server.test_client()
        assert c.post(URL, json=report(api_key=key)).status_code == 201
        gate.cut()
        down = c.post(URL, json=report(api_key=key, description="during"), headers={"Idempotency-Key": "o-1"})
        assert down.status_code == 503
        assert down.headers["Retry-After"] and "retry with the same Idempotency-Key" in down.json[0]["description"]
        listing = c.get(URL, query_string={"api_key": key})
        assert listing.status_code == 503
        gate.restore()
        for _ in range(60):
            again = c.post(URL, json=report(api_key=key, description="during"), headers={"Idempotency-Key": "o-1"})
            if again.status_code != 503:
                break
            time.sleep(0.25)
        assert again.status_code == 201
        twice = c.post(URL, json=report(api_key=key, description="during"), headers={"Idempotency-Key": "o-1"})
        assert twice.json == again.json
        cases = direct.read("cases")
        assert (cases.description == "during").sum() == 1 and len(cases) == 2
    finally:
        gate.close()
        gated.close()
        direct.close()
