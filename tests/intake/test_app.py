"""The intake rides on the dashboard's own server (app.py), beside /health."""
from __future__ import annotations

from tests.intake.conftest import handmade_town, report


def test_the_dashboard_server_serves_the_intake(tmp_path):
    from app import create_app
    from geodata.store import open_store
    url = str(tmp_path / "town.gpkg")
    st = open_store(url)
    st.create_schema()
    handmade_town(st)
    server = create_app(url).server
    c = server.test_client()
    assert c.get("/health").status_code == 200
    doc = c.get("/open311/v2/openapi.json")
    assert doc.status_code == 200 and doc.json["openapi"].startswith("3.1")
    assert "/open311/v2/requests.json" in doc.json["paths"]
    key = server.extensions["townbrain_intake"].keys.create("wall-test")
    made = c.post("/open311/v2/requests.json", json=report(api_key=key))
    assert made.status_code == 201
    case = st.read("cases").iloc[0]
    assert case.case_id == made.json[0]["service_request_id"]
    assert case.updated_at.notna() if hasattr(case.updated_at, "notna") else case.updated_at is not None
    unknown = c.get("/open311/v2/nothing.json")
    assert unknown.status_code == 404 and unknown.json[0]["code"] == 404  # GeoReport form under /open311/
    # outside /open311/ the intake answers nothing: the dashboard's gate sends a caller
    # without a session to sign in (access/gate.py), not a GeoReport error
    page = c.get("/no-such-page")
    assert page.status_code == 303 and page.headers["Location"].startswith("/login"), page.status_code
