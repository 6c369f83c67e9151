"""Open311 GeoReport v2 as written (http://wiki.open311.org/GeoReport_v2): reads
without a key and without personal data, XML beside JSON, discovery, service
definitions for codes holding '/', jurisdiction_id, comma lists, address-only
reports kept awaiting location, media_url and attribute[] stored and read back."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from flask import Flask

from tests.intake.conftest import INSIDE, TOWN_NAME, report

V2 = "/open311/v2"
#: What a citizen's app may send that no read without a key may show.
PRIVATE = {"description": "摊贩占道, 联系我 13912345678", "address_string": "东街 12 号 3 单元",
           "email": "li.ming@example.org", "phone": "+86 139 0000 1111", "first_name": "明", "last_name": "李",
           "reported_by": "INS07", "media_url": "https://photos.example.org/face.jpg",
           "attribute[plate]": "苏E·12345"}


def _xml(resp) -> ET.Element:
    assert resp.mimetype == "text/xml", resp.get_data(as_text=True)[:200]
    return ET.fromstring(resp.data)


def _post(client, key, **over):
    resp = client.post(f"{V2}/requests.json", data={k: str(v) for k, v in report(api_key=key, **over).items()})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    return resp.json[0]["service_request_id"]


def test_reads_need_no_key_and_answer_in_json_and_xml(client, key):
    rid = _post(client, key)
    for name, root, item in [("services", "services", "service"), ("requests", "service_requests", "request"),
                             (f"requests/{rid}", "service_requests", "request")]:
        as_json = client.get(f"{V2}/{name}.json")
        as_xml = client.get(f"{V2}/{name}.xml")
        assert as_json.status_code == as_xml.status_code == 200
        doc = _xml(as_xml)
        assert doc.tag == root and [e.tag for e in doc] == [item] * len(as_json.json)
        first = {e.tag: e.text for e in doc[0]}
        assert {k: (str(v) if v is not None else None) for k, v in as_json.json[0].items()
                if not isinstance(v, (bool, list))} == {k: v for k, v in first.items() if k in as_json.json[0]
                                                        and not isinstance(as_json.json[0][k], (bool, list))}
    services = _xml(client.get(f"{V2}/services.xml"))
    assert [s.findtext("service_code") for s in services] == ["city_appearance", "street_order",
                                                              "street_order/vendor"]
    assert services[0].findtext("metadata") == "false"


def test_reads_without_a_key_carry_no_personal_data(client, key, town_store):
    rid = _post(client, key, **PRIVATE)
    secrets = [v for k, v in PRIVATE.items()]
    for fmt in ("json", "xml"):
        for url in (f"{V2}/requests/{rid}.{fmt}", f"{V2}/requests.{fmt}",
                    f"{V2}/requests.{fmt}?service_request_id={rid}"):
            text = client.get(url).get_data(as_text=True)
            assert rid in text and not [s for s in secrets if s in text], (url, text)
    keyed = client.get(f"{V2}/requests/{rid}.json", headers={"X-Api-Key": key}).json[0]
    # with a key: the citizen's text, photo and answers; still never the reporter or the contact
    assert keyed["description"] == PRIVATE["description"] and keyed["address"] == PRIVATE["address_string"]
    assert keyed["media_url"] == PRIVATE["media_url"]
    assert keyed["attributes"] == [{"code": "plate", "value": "苏E·12345"}]
    text = json.dumps(keyed, ensure_ascii=False)
    assert not [s for s in ("li.ming", "139 0000", "INS07", "李") if s in text]
    row = town_store.read("cases").iloc[0]  # the contact is kept for the dispatcher
    assert (row.contact_email, row.contact_phone, row.reported_by) == ("li.ming@example.org", "+86 139 0000 1111",
                                                                       "INS07")


def test_the_public_fields_are_a_setting(town_store, monkeypatch):
    from intake import register_intake
    monkeypatch.setenv("TOWNBRAIN_OPEN311_PUBLIC_FIELDS", "status, description,media_url")
    server = Flask("public-fields")
    state = register_intake(server, town_store, timeout_s=5.0)
    c, key = server.test_client(), state.keys.create("app")
    rid = _post(c, key, **PRIVATE)
    [shown] = c.get(f"{V2}/requests/{rid}.json").json
    assert shown == {"service_request_id": rid, "status": "open", "description": PRIVATE["description"],
                     "media_url": PRIVATE["media_url"]}
    monkeypatch.setenv("TOWNBRAIN_OPEN311_PUBLIC_FIELDS", "status,phone")
    with pytest.raises(ValueError, match="names 'phone', which no Open311 read shows"):
        register_intake(Flask("refused"), town_store)


def test_errors_answer_in_the_format_asked_for(client, key):
    no_key = client.post(f"{V2}/requests.xml", data={"service_code": "street_order"})
    doc = _xml(no_key)
    assert no_key.status_code == 401 and doc.tag == "errors"
    assert doc.find("error/code").text == "401" and "api_key" in doc.find("error/description").text
    outside = client.post(f"{V2}/requests.xml", data={"api_key": key, "service_code": "street_order",
                                                      "lat": "31.9", "long": "121.4"})
    assert outside.status_code == 400 and "is outside" in _xml(outside).findtext("error/description")
    for url in (f"{V2}/requests/nope.xml", f"{V2}/services/nope.xml", f"{V2}/nothing.xml"):
        resp = client.get(url)
        assert resp.status_code == 404 and _xml(resp).findtext("error/code") == "404"
    bad = client.get(f"{V2}/requests.json", query_string={"status": "open,pending"})
    assert bad.status_code == 400 and "status must be open, closed or open,closed" in bad.json[0]["description"]


def test_post_answers_in_xml_as_the_standard_shows(client, key, town_store):
    resp = client.post(f"{V2}/requests.xml", data={"api_key": key, "service_code": "street_order",
                                                   "lat": str(INSIDE["lat"]), "long": str(INSIDE["lon"])})
    assert resp.status_code == 201
    doc = _xml(resp)
    assert doc.tag == "service_requests" and doc[0].tag == "request"
    assert doc.findtext("request/service_request_id") == town_store.read("cases").case_id.iloc[0]
    assert doc.find("request/account_id") is not None and doc.findtext("request/account_id") == ""


def test_text_xml_cannot_carry_is_escaped_not_broken(client, key):
    rid = _post(client, key, description="bell\x07 and tab\tok")
    doc = _xml(client.get(f"{V2}/requests/{rid}.xml", headers={"X-Api-Key": key}))
    assert doc.findtext("request/description") == "bell\\u0007 and tab\tok"


def test_discovery_says_where_and_what(client):
    for url in ("/open311/discovery.json", f"{V2}/discovery.json"):
        doc = client.get(url).json
        [ep] = doc["endpoints"]
        assert ep["specification"] == "http://wiki.open311.org/GeoReport_v2" and ep["url"].endswith("/open311/v2")
        assert set(ep["formats"]) == {"text/xml", "application/json"} and TOWN_NAME in doc["contact"]
    xml = _xml(client.get("/open311/discovery.xml"))
    assert xml.tag == "discovery" and [f.text for f in xml.find("endpoints/endpoint/formats")] == [
        "text/xml", "application/json"]


def test_service_codes_with_a_slash_work_in_paths(client):
    for url in (f"{V2}/services/street_order/vendor.json", f"{V2}/services/street_order%2Fvendor.json"):
        resp = client.get(url)
        assert resp.status_code == 200 and resp.json == {"service_code": "street_order/vendor", "attributes": []}
    doc = _xml(client.get(f"{V2}/services/street_order/vendor.xml"))
    assert doc.tag == "service_definition" and doc.findtext("service_code") == "street_order/vendor"
    assert client.get(f"{V2}/services/street_order.json").json["service_code"] == "street_order"
    assert client.get(f"{V2}/services/street_order/nope.json").status_code == 404


def test_jurisdiction_id_is_this_towns_or_absent(client, key):
    for jur in ("T1", TOWN_NAME):
        assert client.get(f"{V2}/services.json", query_string={"jurisdiction_id": jur}).status_code == 200
        _post(client, key, jurisdiction_id=jur)
    other = client.get(f"{V2}/requests.xml", query_string={"jurisdiction_id": "sfgov.org"})
    assert other.status_code == 404 and "'sfgov.org' is not served here" in _xml(other).findtext("error/description")
    posted = client.post(f"{V2}/requests.json", json=report(api_key=key, jurisdiction_id="sfgov.org"))
    assert posted.status_code == 404 and "'T1'" in posted.json[0]["description"]


def test_comma_lists_of_status_service_code_and_ids(client, key, town_store):
    import pandas as pd
    a, b, c = (_post(client, key, service_code=code) for code in ("street_order", "city_appearance",
                                                                   "street_order/vendor"))
    town_store.update_columns("cases", pd.DataFrame({"case_id": [b], "status": ["closed"],
                                                     "closed_at": [pd.Timestamp.now(tz="UTC")]}))

    def ids(**q):
        resp = client.get(f"{V2}/requests.json", query_string=q)
        assert resp.status_code == 200, resp.json
        return sorted(r["service_request_id"] for r in resp.json)

    assert ids(status="open,closed") == ids() == sorted([a, b, c])
    assert ids(status="closed") == [b] and ids(status="open") == sorted([a, c])
    assert ids(service_code="city_appearance,street_order/vendor") == sorted([b, c])
    assert ids(service_request_id=f"{a},{c}", status="closed") == sorted([a, c])  # ids override the rest
    assert ids(start_date="2020-01-01T00:00:00Z", end_date="2020-02-01T00:00:00Z") == []


def test_address_only_report_awaits_location_then_becomes_a_case(intake_app, client, key, town_store):
    resp = client.post(f"{V2}/requests.json", data={"api_key": key, "service_code": "street_order/vendor",
                                                     "address_string": "东街与南河路口", "description": "占道"})
    assert resp.status_code == 201
    [made] = resp.json
    rid = made["service_request_id"]
    assert "awaiting location" in made["service_notice"] and made["grid_id"] is None
    assert len(town_store.read("cases")) == 0  # a case needs its point: not a case yet, but kept
    [got] = client.get(f"{V2}/requests/{rid}.json", headers={"X-Api-Key": key}).json
    assert (got["status"], got["status_notes"], got["lat"], got["address"]) == ("open", "awaiting_location",
                                                                                 None, "东街与南河路口")
    assert [r["service_request_id"] for r in client.get(f"{V2}/requests.json").json] == [rid]
    where = {"api_key": key, "lat": INSIDE["lat"], "long": INSIDE["lon"]}
    out = client.post(f"{V2}/requests/{rid}/location.json", json={**where, "lat": 31.9, "long": 121.4})
    assert out.status_code == 400 and "is outside" in out.json[0]["description"]
    placed = client.post(f"{V2}/requests/{rid}/location.json", json=where)
    assert placed.status_code == 201 and placed.json[0]["grid_id"] == "G02"
    case = town_store.read("cases").iloc[0]
    assert (case.case_id, case.status, case.subcategory, case.address, case.grid_id) == (
        rid, "reported", "street_order/vendor", "东街与南河路口", "G02")
    [now] = client.get(f"{V2}/requests.json").json  # one request, now the case
    assert (now["service_request_id"], now["status_notes"], now["grid_id"]) == (rid, "reported", "G02")
    again = client.post(f"{V2}/requests/{rid}/location.json", json=where)
    assert again.status_code == 409 and "already has its location" in again.json[0]["description"]
    unknown = client.post(f"{V2}/requests/R-nope/location.json", json=where)
    assert unknown.status_code == 404


def test_media_url_and_attributes_are_stored_from_forms_and_json(client, key, town_store):
    form = client.post(f"{V2}/requests.json", data={
        "api_key": key, "service_code": "street_order", "lat": str(INSIDE["lat"]), "long": str(INSIDE["lon"]),
        "media_url": "https://photos.example.org/1.jpg", "attribute[size]": "large",
        "attribute[kinds][]": ["fruit", "toys"]})
    as_json = client.post(f"{V2}/requests.json", json=report(
        api_key=key, media_url="http://photos.example.org/2.jpg", attribute={"size": "small", "count": 3}))
    assert form.status_code == as_json.status_code == 201
    by_id = {r["service_request_id"]: r for r in client.get(f"{V2}/requests.json",
                                                             headers={"X-Api-Key": key}).json}
    one, two = by_id[form.json[0]["service_request_id"]], by_id[as_json.json[0]["service_request_id"]]
    assert one["media_url"] == "https://photos.example.org/1.jpg"
    assert one["attributes"] == [{"code": "size", "value": "large"}, {"code": "kinds", "value": ["fruit", "toys"]}]
    assert sorted(two["attributes"], key=str) == [{"code": "count", "value": "3"}, {"code": "size", "value": "small"}]
    doc = _xml(client.get(f"{V2}/requests/{one['service_request_id']}.xml", headers={"X-Api-Key": key}))
    kinds = doc.findall("request/attributes/attribute")[1]
    assert kinds.findtext("code") == "kinds" and [v.text for v in kinds.findall("value")] == ["fruit", "toys"]
    bad = client.post(f"{V2}/requests.json", json=report(api_key=key, media_url="javascript:alert(1)"))
    assert bad.status_code == 400 and "media_url must be an http" in bad.json[0]["description"]
