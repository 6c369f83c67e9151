"""Open311 client libraries written by others, from PyPI, against the intake on a
real local port: they list services, post, and read back, in JSON and in XML.

- ``georeport`` (requests + xmltodict) reads: services, a service definition,
  requests and one request, as ``.json`` or ``.xml``; it has no POST and never
  sends a key on a read, as GeoReport v2 allows.
- ``civicbot`` (stdlib urllib) reads JSON and posts the form GeoReport v2 defines
  (``attribute[CODE]``, ``media_url``, contact fields, ``jurisdiction_id``). For a
  POST answered in XML its own form and URL are sent as they are and the answer is
  parsed with xmltodict, since its transport only decodes JSON.
"""
from __future__ import annotations

import threading

import pytest
import requests
import xmltodict
from civicbot.http import HttpTransport, RateLimiter
from civicbot.open311 import Open311Client
from civicbot.registry import Endpoint
from flask import Flask
from georeport import GeoReport

from tests.intake.conftest import INSIDE


@pytest.fixture
def served(town_store, monkeypatch):
    """The intake on a real port (werkzeug's threaded server): (base URL, API key)."""
    from werkzeug.serving import make_server

    from intake import register_intake
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")  # a machine's proxy must not carry local calls
    app = Flask("client-libraries")
    state = register_intake(app, town_store, timeout_s=5.0)
    key = state.keys.create("client-library")
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}/open311/v2", key
    http.shutdown()
    thread.join(5)


def _civicbot(base: str, fmt: str = "json") -> Open311Client:
    endpoint = Endpoint(id="townbrain", name="青澜镇", base_url=base, write=True)
    return Open311Client(endpoint, HttpTransport(rate_limiter=RateLimiter(min_interval=0)),
                         jurisdiction_id="T1", fmt=fmt)


def test_georeport_lists_services_and_definitions_in_json_and_xml(served):
    base, _ = served
    as_json, as_xml = GeoReport(base), GeoReport(base, jurisdiction="T1", output_format="xml")
    codes = ["city_appearance", "street_order", "street_order/vendor"]
    assert [s["service_code"] for s in as_json.get_service_list()] == codes
    assert [s["service_code"] for s in as_xml.get_service_list()] == codes
    assert as_json.get_service_definition("street_order/vendor") == {"service_code": "street_order/vendor",
                                                                     "attributes": []}
    assert as_xml.get_service_definition("street_order/vendor")["service_code"] == "street_order/vendor"


def test_civicbot_posts_and_georeport_reads_back_in_json(served, town_store):
    base, key = served
    bot = _civicbot(base)
    assert [s["service_code"] for s in bot.list_services()][-1] == "street_order/vendor"
    sent = bot.create_request("street_order/vendor", dry_run=False, confirm="SEND", api_key=key,
                              lat=INSIDE["lat"], lng=INSIDE["lon"], description="占道经营 13912345678",
                              media_url="https://photos.example.org/stall.jpg", attributes={"stalls": "3"},
                              email="li.ming@example.org", first_name="明", phone="13912345678")
    [made] = sent.response
    rid = made["service_request_id"]
    assert made["grid_id"] == "G02"
    case = town_store.read("cases").set_index("case_id").loc[rid]
    assert (case.subcategory, case.media_url, case.attributes, case.contact_email) == (
        "street_order/vendor", "https://photos.example.org/stall.jpg", '{"stalls": "3"}', "li.ming@example.org")
    back = GeoReport(base).get_service_request(rid)
    assert (back["service_code"], back["status"], back["lat"], back["long"]) == (
        "street_order/vendor", "open", INSIDE["lat"], INSIDE["lon"])
    assert "description" not in back and "media_url" not in back  # read without a key: the public fields only
    assert [r["service_request_id"] for r in GeoReport(base).get_service_requests(status="open,closed")] == [rid]
    assert bot.get_request(rid)["service_request_id"] == rid
    assert [r["service_request_id"] for r in bot.list_requests(service_request_ids=[rid], status="open")] == [rid]


def test_civicbot_form_posted_for_xml_and_georeport_reads_back_in_xml(served):
    base, key = served
    prepared = _civicbot(base, "xml").build_request("street_order", api_key=key, lat=INSIDE["lat"],
                                                    lng=INSIDE["lon"], description="垃圾堆放")
    assert prepared.url == f"{base}/requests.xml"
    resp = requests.post(prepared.url, data=prepared.form, timeout=10)
    assert resp.status_code == 201 and resp.headers["Content-Type"].startswith("text/xml")
    rid = xmltodict.parse(resp.content)["service_requests"]["request"]["service_request_id"]
    reader = GeoReport(base, jurisdiction="T1", output_format="xml")
    one = reader.get_service_request(rid)
    assert (one["service_request_id"], one["service_code"], one["status"]) == (rid, "street_order", "open")
    assert float(one["lat"]) == INSIDE["lat"]
    listed = reader.get_service_requests(service_request_id=rid)
    assert listed["service_request_id"] == rid  # xmltodict: a single <request> is one mapping
    refused = requests.post(prepared.url, data={**prepared.form, "api_key": "tb_0_0"}, timeout=10)
    error = xmltodict.parse(refused.content)["errors"]["error"]
    assert refused.status_code == 401 and error["code"] == "401" and "api_key" in error["description"]


def test_an_address_only_report_from_civicbot_is_kept_awaiting_location(served, town_store):
    base, key = served
    sent = _civicbot(base).create_request("city_appearance", dry_run=False, confirm="SEND", api_key=key,
                                          address_string="南河路 8 号门口", description="垃圾满溢")
    rid = sent.response[0]["service_request_id"]
    back = GeoReport(base).get_service_request(rid)
    assert (back["status"], back["status_notes"], back["lat"]) == ("open", "awaiting_location", None)
    assert "address" not in back  # the reporter's words are not public by default
    assert len(town_store.read("cases")) == 0 and town_store.read("awaiting_location").case_id.tolist() == [rid]
