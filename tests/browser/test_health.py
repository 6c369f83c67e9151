"""``/health``: 200 with JSON, without login, whether or not the store answers."""
from __future__ import annotations

import pytest
import requests


@pytest.mark.browser
def test_health_of_a_served_app_is_ok(served, fixture_town):
    resp = requests.get(f"{served.server_url}/health", timeout=10)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("application/json")
    body = resp.json()
    assert body["status"] == "ok"
    assert body["store"]["reachable"] is True and body["store"]["backend"] == "geopackage"


def test_health_is_degraded_not_failing_when_the_store_is_missing(tmp_path):
    from app import create_app
    client = create_app(str(tmp_path / "missing.gpkg")).server.test_client()
    resp = client.get("/health")
    assert resp.status_code == 200
    assert resp.json["status"] == "degraded"
    assert resp.json["store"]["reachable"] is False and "not found" in resp.json["store"]["error"]


def test_wall_page_is_served_even_when_the_store_is_missing(tmp_path):
    from app import create_app
    client = create_app(str(tmp_path / "missing.gpkg")).server.test_client()
    for path in ("/", "/wall", "/console", "/wall?lang=en&module=ecology"):
        assert client.get(path).status_code == 200
