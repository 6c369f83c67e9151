"""Posting and reading service requests (Open311 GeoReport v2), both backends."""
from __future__ import annotations

import pandas as pd

from grids.systems import TownGrids
from tests.intake.conftest import INSIDE, report


def test_post_request_commits_a_reported_case_assigned_to_its_grids(client, key, town_store):
    resp = client.post("/open311/v2/requests.json", json=report(api_key=key, reported_by="INS01"))
    assert resp.status_code == 201, resp.json
    [answer] = resp.json
    assert answer["grid_id"] == "G02" and answer["district_id"] == "D2" and answer["account_id"] is None
    cases = town_store.read("cases")
    assert cases.case_id.tolist() == [answer["service_request_id"]]
    row = cases.iloc[0]
    assert row.status == "reported" and pd.isna(row.registered_at)  # not accepted yet (立案 comes later)
    assert row.source == "citizen" and row.reported_by == "INS01" and row.category == "street_order"
    expected = TownGrids.from_store(town_store).assign_one(INSIDE["lon"], INSIDE["lat"])
    assert {c: row[c] for c in ("district_id", "grid_id", "pro_grid_id", "h3")} == expected


def test_form_encoded_post_is_accepted(client, key, town_store):
    body = {k: str(v) for k, v in report(api_key=key, service_code="street_order/vendor").items()}
    resp = client.post("/open311/v2/requests.json", data=body)
    assert resp.status_code == 201, resp.json
    row = town_store.read("cases").iloc[0]
    assert (row.category, row.subcategory) == ("street_order", "street_order/vendor")


def test_get_one_and_list_never_show_the_reporter(client, key):
    ids = [client.post("/open311/v2/requests.json", json=report(api_key=key, reported_by="INS07",
                                                                requested_datetime=f"2026-01-0{d}T08:00:00+08:00"))
           .json[0]["service_request_id"] for d in (1, 2, 3)]
    one = client.get(f"/open311/v2/requests/{ids[0]}.json", headers={"X-Api-Key": key})
    assert one.status_code == 200
    [req] = one.json
    assert req["service_request_id"] == ids[0] and req["status"] == "open" and req["status_notes"] == "reported"
    assert abs(req["lat"] - INSIDE["lat"]) < 1e-9 and req["grid_id"] == "G02"
    assert "INS07" not in one.get_data(as_text=True)
    listed = client.get("/open311/v2/requests.json", query_string={
        "api_key": key, "start_date": "2025-12-31", "end_date": "2026-01-10", "page_size": 2})
    assert listed.status_code == 200 and listed.headers["X-Total-Count"] == "3"
    assert [r["service_request_id"] for r in listed.json] == [ids[2], ids[1]]  # newest first
    page2 = client.get("/open311/v2/requests.json", query_string={
        "api_key": key, "start_date": "2025-12-31", "end_date": "2026-01-10", "page_size": 2, "page": 2})
    assert [r["service_request_id"] for r in page2.json] == [ids[0]]
    by_id = client.get("/open311/v2/requests.json", query_string={"api_key": key,
                                                                  "service_request_id": f"{ids[1]},{ids[2]}"})
    assert sorted(r["service_request_id"] for r in by_id.json) == sorted(ids[1:])
    assert "INS07" not in listed.get_data(as_text=True) + by_id.get_data(as_text=True)


def test_filters_by_service_code_and_status(client, key, town_store):
    a = client.post("/open311/v2/requests.json", json=report(api_key=key)).json[0]["service_request_id"]
    b = client.post("/open311/v2/requests.json",
                    json=report(api_key=key, service_code="city_appearance")).json[0]["service_request_id"]
    town_store.update_columns("cases", pd.DataFrame({"case_id": [b], "status": ["closed"],
                                                     "closed_at": [pd.Timestamp.now(tz="UTC")]}))
    q = {"api_key": key}
    assert [r["service_request_id"] for r in client.get("/open311/v2/requests.json", query_string={
        **q, "service_code": "city_appearance"}).json] == [b]
    assert [r["service_request_id"] for r in client.get("/open311/v2/requests.json", query_string={
        **q, "status": "open"}).json] == [a]
    closed = client.get("/open311/v2/requests.json", query_string={**q, "status": "closed"}).json
    assert [(r["service_request_id"], r["status"]) for r in closed] == [(b, "closed")]


def test_list_filters_refuse_ids_no_store_can_hold(client, key):
    """A NUL in an id or code (found by schemathesis) is a 400 that says so, not a
    500 from the GeoPackage's SQL, which ends a text at the NUL."""
    for name in ("service_request_id", "service_code"):
        resp = client.get("/open311/v2/requests.json", query_string={"api_key": key, name: "a,F\x00'"})
        assert resp.status_code == 400 and name in resp.json[0]["description"]
        long = client.get("/open311/v2/requests.json", query_string={"api_key": key, name: "x" * 101})
        assert long.status_code == 400
    assert client.get("/open311/v2/requests.json", query_string={"api_key": key}).status_code == 200


def test_services_list_the_category_tree_in_both_languages(client, key):
    zh = client.get("/open311/v2/services.json", query_string={"api_key": key}).json
    en = client.get("/open311/v2/services.json", query_string={"api_key": key, "lang": "en"}).json
    assert [s["service_code"] for s in zh] == ["city_appearance", "street_order", "street_order/vendor"]
    vendor = en[2]
    assert vendor["service_name"] == "Street vending" and vendor["group"] == "Street order"
    assert vendor["metadata"] is False and vendor["type"] == "realtime"
    assert zh[2]["service_name"] == "占道经营"


def test_unknown_request_is_404_with_a_georeport_body(client, key):
    resp = client.get("/open311/v2/requests/nope.json", query_string={"api_key": key})
    assert resp.status_code == 404 and resp.json[0]["code"] == 404 and "nope" in resp.json[0]["description"]


def test_keys_are_required_on_post_and_checked_wherever_sent(client, key):
    """GeoReport v2 asks for a key only on POST; a read may send none, but a key
    that is sent must be valid."""
    for resp in (client.post("/open311/v2/requests.json", json=report()),
                 client.post("/open311/v2/requests.json", json=report(api_key=key + "x")),
                 client.get("/open311/v2/requests.json", query_string={"api_key": key + "x"}),
                 client.get("/open311/v2/services.json", headers={"X-Api-Key": "tb_0_0"})):
        assert resp.status_code == 401 and resp.json[0]["code"] == 401 and resp.json[0]["description"]
    assert client.get("/open311/v2/requests.json").status_code == 200
    assert client.get("/open311/v2/services.json").status_code == 200


def test_assignment_on_arrival_matches_town_grids_including_shared_edges(client, key, town_store):
    """Random points and points on shared edges and vertices (tie rule: lowest id)
    posted as one batch get the grids TownGrids gives the same coordinates."""
    import numpy as np

    from tests.grids.handmade import U, X0, Y0
    rng = np.random.default_rng(3)
    lattice = [(4, 2), (4, 4), (2, 4), (5, 5), (0, 0), (8, 8), (1, 1.5), (6, 6)]  # edges, vertices, hole rim
    xy = [(X0 + x * U, Y0 + y * U) for x, y in lattice] + \
        [(X0 + x * U, Y0 + y * U) for x, y in rng.uniform(0, 8, (40, 2))]
    items = [{"service_code": "street_order", "long": x, "lat": y} for x, y in xy]
    resp = client.post("/open311/v2/requests/batch.json", json={"api_key": key, "requests": items})
    assert resp.status_code == 201
    expected = TownGrids.from_store(town_store).assign_xy([p[0] for p in xy], [p[1] for p in xy])
    assert [a["grid_id"] for a in resp.json] == expected["grid_id"].tolist()
    assert [a["district_id"] for a in resp.json] == expected["district_id"].tolist()
    stored = town_store.read("cases").set_index("case_id")
    ids = [a["service_request_id"] for a in resp.json]
    assert stored.loc[ids, "h3"].tolist() == expected["h3"].tolist()
    assert stored.loc[ids, "pro_grid_id"].astype(object).where(stored.loc[ids, "pro_grid_id"].notna(), None) \
        .tolist() == expected["pro_grid_id"].tolist()
