"""``/health``: 200 with JSON, without login, whether or not the store answers; the
store's details only for the system administrator (issue 16)."""
from __future__ import annotations

import pytest
import requests


@pytest.mark.browser
def test_health_of_a_served_app_is_ok(served, fixture_town):
    resp = requests.get(f"{served.server_url}/health", timeout=10)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("application/json")
    assert resp.json() == {"status": "ok"}  # no path, no driver text without a role
    # the duty officer the browser signed in as has no business with the store's details either
    from tests.browser.conftest import session_headers
    assert requests.get(f"{served.server_url}/health", headers=session_headers(served), timeout=10).json() == \
        {"status": "ok"}


def empty_town(tmp_path) -> str:
    """A GeoPackage with the schema and no town in it yet (where accounts can live);
    a missing file is a store that is away: 503 (tests/callbacks/test_refusals.py)."""
    from geodata.store import open_store
    path = str(tmp_path / "empty.gpkg")
    store = open_store(path)
    store.create_schema()
    store.close()
    return path


def test_health_shows_the_store_to_the_system_administrator(tmp_path):
    import pyotp
    from app import create_app
    from access.service import Access
    app = create_app(empty_town(tmp_path))
    access: Access = app.server.extensions["townbrain_access"]
    secret = pyotp.random_base32()
    access.accounts.create("ops", "sysadmin", by="os:test", password="Ops-2026-ok", must_change=False,
                           totp_secret=secret)
    client = app.server.test_client()
    assert client.post("/login", data={"name": "ops", "password": "Ops-2026-ok"}).headers["Location"] == "/login/totp"
    assert client.post("/login/totp", data={"code": pyotp.TOTP(secret).now()}).status_code == 303
    body = client.get("/health").json
    assert body["status"] == "ok" and body["store"]["reachable"] is True


def test_health_is_degraded_not_failing_when_the_store_is_missing(tmp_path):
    from app import create_app
    client = create_app(str(tmp_path / "missing.gpkg")).server.test_client()
    resp = client.get("/health")
    assert resp.status_code == 200
    assert resp.json == {"status": "degraded"}


def test_wall_page_is_served_even_when_the_town_has_no_layers_yet(tmp_path):
    from app import create_app
    app = create_app(empty_town(tmp_path))
    app.server.extensions["townbrain_access"].accounts.create(
        "duty", "duty_officer", "town", by="os:test", password="Duty-2026-ok", must_change=False)
    client = app.server.test_client()
    assert client.post("/login", data={"name": "duty", "password": "Duty-2026-ok"}).status_code == 303
    for path in ("/", "/wall", "/console", "/wall?lang=en&module=ecology"):
        assert client.get(path).status_code == 200
