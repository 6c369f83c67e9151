"""Bad input never breaks the intake: random and malformed bodies on every POST
endpoint (hypothesis), then the whole OpenAPI description fuzzed by schemathesis.
Never a 5xx, every 4xx a GeoReport body with a description, the server healthy after."""
from __future__ import annotations

import json

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings, strategies as st

from geodata.store import open_store
from tests.intake.conftest import ALL_SCOPES, INSIDE, handmade_town

POSTS = ["/open311/v2/requests.json", "/open311/v2/requests/batch.json", "/open311/v2/patrols.json",
         "/open311/v2/requests/X1/transitions.json", "/open311/v2/patrols/P1/points.json",
         "/open311/v2/patrols/P1/end.json"]


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    from intake import register_intake
    store = open_store(str(tmp_path_factory.mktemp("fuzz") / "town.gpkg"))
    store.create_schema()
    handmade_town(store)
    server = Flask("fuzz")
    state = register_intake(server, store, timeout_s=5.0)
    server.intake_key = state.keys.create("fuzzer", ALL_SCOPES)
    yield server
    store.close()


scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                    st.text(max_size=50), st.integers(min_value=10 ** 30, max_value=10 ** 400))
json_values = st.recursive(scalars, lambda kids: st.one_of(st.lists(kids, max_size=4),
                                                           st.dictionaries(st.text(max_size=12), kids, max_size=5)),
                           max_leaves=20)
fields = st.fixed_dictionaries({}, optional={
    "service_code": json_values | st.sampled_from(["street_order", "street_order/vendor", "nope"]),
    "lat": json_values | st.floats(30.9, 31.2), "long": json_values | st.floats(120.4, 120.7),
    "description": json_values | st.text(max_size=300), "requested_datetime": json_values | st.datetimes().map(str),
    "source": json_values | st.sampled_from(["citizen", "inspector"]), "requests": json_values,
    "staff_id": json_values, "points": json_values | st.lists(st.fixed_dictionaries(
        {"lon": st.floats(120.4, 120.7), "lat": st.floats(30.9, 31.2), "t": st.datetimes().map(str)}), max_size=3),
    "action": json_values | st.sampled_from(["register", "close"]), "by": json_values, "at": json_values,
    "subcategory": json_values, "reported_by": json_values, "level": json_values})


def _check(resp):
    assert resp.status_code < 500, resp.get_data(as_text=True)
    if resp.status_code >= 400:
        body = resp.json
        assert isinstance(body, list) and body and all(isinstance(e["description"], str) and e["description"]
                                                       and e["code"] == resp.status_code for e in body)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(POSTS), body=fields | json_values, key_in=st.sampled_from(["body", "header", "none"]))
def test_random_json_bodies_never_give_a_5xx(fuzz_app, path, body, key_in):
    key = fuzz_app.intake_key
    headers = {"X-Api-Key": key} if key_in == "header" else {}
    if key_in == "body" and isinstance(body, dict):
        body = {**body, "api_key": key}
    with fuzz_app.test_client() as c:
        _check(c.post(path, data=json.dumps(body), content_type="application/json", headers=headers))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(POSTS), raw=st.binary(max_size=200) | st.text(max_size=200).map(str.encode),
       ctype=st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded",
                              "multipart/form-data; boundary=x", ""]))
def test_raw_garbage_never_gives_a_5xx(fuzz_app, path, raw, ctype):
    with fuzz_app.test_client() as c:
        _check(c.post(path, data=raw, content_type=ctype or None, headers={"X-Api-Key": fuzz_app.intake_key}))


READS = ["services", "services/street_order/vendor", "services/x%00y", "discovery", "requests", "requests/R1",
         "requests/%C0%80"]
query_values = st.text(max_size=30) | st.sampled_from(["open,closed", "open,", ",", "2026-01-01", "T1", "0", "-1"])
queries = st.dictionaries(st.sampled_from(["status", "service_code", "service_request_id", "start_date",
                                           "end_date", "page", "page_size", "jurisdiction_id", "lang", "api_key"]),
                          query_values, max_size=5)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(READS), fmt=st.sampled_from(["json", "xml"]), query=queries)
def test_random_reads_without_a_key_never_give_a_5xx(fuzz_app, path, fmt, query):
    """Reads need no key: any query, in either format, is a 2xx or a GeoReport 4xx,
    and an XML answer is well-formed."""
    import xml.etree.ElementTree as ET
    with fuzz_app.test_client() as c:
        resp = c.get(f"/open311/v2/{path}.{fmt}", query_string=query)
    assert resp.status_code < 500, resp.get_data(as_text=True)
    if fmt == "xml":
        doc = ET.fromstring(resp.data)
        if resp.status_code >= 400:
            assert doc.tag == "errors" and doc.findtext("error/code") == str(resp.status_code)
    else:
        _check(resp)


def test_server_still_healthy_after_the_fuzz(fuzz_app):
    with fuzz_app.test_client() as c:
        ok = c.post("/open311/v2/requests.json", json={"api_key": fuzz_app.intake_key, "service_code": "street_order",
                                                       "lat": INSIDE["lat"], "long": INSIDE["lon"]})
        assert ok.status_code == 201


def test_openapi_description_holds_under_schemathesis(fuzz_app):
    """Every operation of /open311/v2/openapi.json, fuzzed from its own description:
    no 5xx, documented status codes and content types, bodies that match the schema."""
    from schemathesis.checks import (content_type_conformance, not_a_server_error, response_schema_conformance,
                                     status_code_conformance)
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    api = schemathesis.openapi.from_wsgi("/open311/v2/openapi.json", fuzz_app)
    operations = [op.ok() for op in api.get_all_operations()]
    assert len(operations) == 19  # GeoReport reads and POSTs also answer in XML at their .xml twins

    for op in operations:
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=op.as_strategy())
        def run(case):
            case.call_and_validate(headers={"X-Api-Key": fuzz_app.intake_key}, checks=checks)
        run()
