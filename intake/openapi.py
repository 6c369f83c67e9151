"""The OpenAPI description of the intake (``GET /open311/v2/openapi.json``),
generated from the pydantic models that validate the requests (intake/models.py)
and describe the answers (below), so the document is what the server does.

OpenAPI 3.1 (its schemas are JSON Schema 2020-12, which is what pydantic writes).
Each POST names the API key scope it needs in its security requirement (OpenAPI 3.1
allows role names there for an ``apiKey`` scheme) and in its description; the scopes
are described once, in ``info.description``, from geodata/apikeys.py's table.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Literal

from flask import Blueprint
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from geodata.apikeys import DEFAULT_SCOPES, SCOPES
from intake.errors import guarded, json_response
from intake.formats import XML_TYPE
from intake.models import (BatchSchema, LocationIn, PatrolEndIn, PatrolStartIn, PointsIn, ServiceRequestIn,
                           TransitionIn)

bp = guarded(Blueprint("open311_openapi", __name__, url_prefix="/open311/v2"))


class GeoReportError(BaseModel):
    code: int
    description: str


class Service(BaseModel):
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: Literal["realtime", "batch", "blackbox"]
    keywords: str
    group: str


class AttributeOut(BaseModel):
    code: str
    value: str | list[str]


class ServiceRequestOut(BaseModel):
    """A service request read back. Without an API key only the town's public fields
    are present (intake/privacy.py), so every field but the id may be absent."""
    service_request_id: str
    status: Literal["open", "closed"] | None = None
    status_notes: str | None = None
    service_name: str | None = None
    service_code: str | None = None
    description: str | None = None
    agency_responsible: str | None = None
    service_notice: str | None = None
    requested_datetime: str | None = None
    updated_datetime: str | None = None
    expected_datetime: str | None = None
    address: str | None = None
    address_id: str | None = None
    zipcode: str | None = None
    lat: float | None = None
    long: float | None = None
    media_url: str | None = None
    attributes: list[AttributeOut] | None = None
    workflow_status: str | None = None
    category: str | None = None
    district_id: str | None = None
    grid_id: str | None = None
    pro_grid_id: str | None = None
    h3: str | None = None


class ServiceDefinition(BaseModel):
    service_code: str
    attributes: list[dict]


class DiscoveryEndpoint(BaseModel):
    specification: str
    url: str
    changeset: str
    type: str
    formats: list[str]


class Discovery(BaseModel):
    changeset: str
    contact: str
    key_service: str
    endpoints: list[DiscoveryEndpoint]


class Created(BaseModel):
    service_request_id: str
    service_notice: str | None
    account_id: str | None
    grid_id: str | None
    district_id: str | None


class BatchAccepted(BaseModel):
    service_request_id: str
    grid_id: str | None
    district_id: str | None


class CaseState(BaseModel):
    service_request_id: str
    status: str | None
    level: str | None
    registered_at: str | None
    deadline: str | None
    closed_at: str | None
    resolved_level: str | None
    history_seq: int


class PatrolStarted(BaseModel):
    patrol_id: str


class RefusedPoint(BaseModel):
    index: int
    code: int
    description: str


class PointsAccepted(BaseModel):
    accepted: int
    refused: list[RefusedPoint]


class PatrolEnded(BaseModel):
    patrol_id: str
    points: int
    length_m: float
    started_at: str
    ended_at: str


_MODELS = (ServiceRequestIn, BatchSchema, LocationIn, TransitionIn, PatrolStartIn, PointsIn, PatrolEndIn,
           GeoReportError, Service, ServiceDefinition, Discovery, ServiceRequestOut, Created, BatchAccepted,
           CaseState, PatrolStarted, PointsAccepted, PatrolEnded)
_REASONS = {400: "invalid request: the description says what to fix (quarantined)",
            401: "api_key missing or not valid (a read needs none; a key that is sent must be valid)",
            403: "the api_key lacks the scope this endpoint needs (named in the description); nothing is "
                 "stored, the refusal is audited",
            404: "no such request, service or patrol, or a jurisdiction_id that is not this town's",
            409: "the lifecycle does not allow it (the allowed actions are named), or already placed",
            413: "body over the size limit", 415: "content type not JSON or form",
            422: "idempotency key reused for a different request",
            503: "the store cannot commit now; retry after Retry-After with the same Idempotency-Key"}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _array(name: str) -> dict:
    return {"type": "array", "items": _ref(name)}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict:
    return {str(c): _json(_array("GeoReportError"), _REASONS[c]) for c in codes}


_KEY = {"name": "api_key", "in": "query", "required": False, "schema": {"type": "string"},
        "description": "the client's API key (or the X-Api-Key header)"}
_JURISDICTION = {"name": "jurisdiction_id", "in": "query", "required": False, "schema": {"type": "string"},
                 "description": "this town's id or name, or left out; another is 404"}
_LANG = {"name": "lang", "in": "query", "required": False, "schema": {"type": "string", "enum": ["zh", "en"]}}
_IDEM = {"name": "Idempotency-Key", "in": "header", "required": False,
         "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{1,200}$"},
         "description": "a retry with the same key returns the first answer and creates nothing"}


def _path_param(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}


def _post(model: str, ok: int, ok_schema: dict, summary: str, *, scope: str, path: str | None = None,
          errors=(400, 401, 403, 413, 415, 422, 503), form: bool = False) -> dict:
    content = {"application/json": {"schema": _ref(model)}}
    if form:
        content["application/x-www-form-urlencoded"] = {"schema": _ref(model)}
    return {"post": {
        "summary": summary, "description": f"Needs an API key with the scope `{scope}`.",
        "security": [{"ApiKeyHeader": [scope]}, {"ApiKeyQuery": [scope]}],
        "parameters": [_KEY, _IDEM] + ([_path_param(path)] if path else []),
        "requestBody": {"required": True, "content": content},
        "responses": {str(ok): _json(ok_schema, "done (committed)"), **_errors(*errors)}}}


def scopes_description() -> str:
    """The scopes of an API key, as the document's ``info.description`` gives them."""
    lines = [f"- `{name}`: {what}" for name, what in SCOPES.items()]
    return ("Reads need no API key; without one, or with a key that has no read scope, they show the town's "
            "public fields only. Every POST needs a key "
            "(`api_key` body or query field, or the `X-Api-Key` header) with the scope it names; "
            "a key without it is answered 403. A key's scopes are chosen when it is issued "
            "(`townbrain apikey create NAME --scope …`):\n\n" + "\n".join(lines) +
            f"\n\nA key issued without `--scope`, or before keys had scopes, holds "
            f"{' and '.join(f'`{s}`' for s in DEFAULT_SCOPES)}.")


def _read(summary: str, ok_schema: dict, *params: dict, errors=(400, 401, 404, 503)) -> dict:
    """A GeoReport read: no key needed (with a key's read scope, personal fields are shown too)."""
    return {"get": {"summary": summary, "parameters": [_KEY, _JURISDICTION, *params],
                    "security": [{}, {"ApiKeyHeader": []}, {"ApiKeyQuery": []}],
                    "responses": {"200": _json(ok_schema, summary), **_errors(*errors)}}}


def _as_xml(path_item: dict) -> dict:
    """The ``.xml`` twin of a ``.json`` path: the same operations, answers in XML."""
    def xml_answer(resp: dict) -> dict:
        return {**resp, "content": {XML_TYPE: body for body in resp["content"].values()}}
    return {method: {**op, "responses": {code: xml_answer(r) for code, r in op["responses"].items()}}
            for method, op in path_item.items()}


#: GeoReport v2 endpoints: each also answers in XML at the same path ending in .xml.
_GEOREPORT = ("services.json", "services/{service_code}.json", "discovery.json", "requests.json",
              "requests/batch.json", "requests/{service_request_id}.json")


@lru_cache(maxsize=1)
def openapi_document() -> dict:
    """The whole OpenAPI 3.1 document (built once)."""
    _, defs = models_json_schema([(m, "validation") for m in _MODELS],
                                 ref_template="#/components/schemas/{model}")
    schemas = defs["$defs"]
    date = {"type": "string", "format": "date-time"}
    listing = [_LANG,
               {"name": "service_code", "in": "query", "schema": {"type": "string"},
                "description": "comma-separated service codes"},
               {"name": "status", "in": "query",
                "schema": {"type": "string", "pattern": "^(open|closed)(,(open|closed))*$"},
                "description": "open, closed, or open,closed"},
               {"name": "start_date", "in": "query", "schema": date},
               {"name": "end_date", "in": "query", "schema": date},
               {"name": "service_request_id", "in": "query", "schema": {"type": "string"},
                "description": "comma-separated ids; the other filters are then ignored"},
               {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000000}},
               {"name": "page_size", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}]
    lifecycle_errors = (400, 401, 403, 404, 409, 413, 415, 422, 503)
    request_errors = (400, 401, 403, 404, 413, 415, 422, 503)
    paths = {
        "/open311/v2/services.json": _read("the category tree as GeoReport services", _array("Service"), _LANG),
        "/open311/v2/services/{service_code}.json": _read(
            "a service's definition (a code may hold '/')", _ref("ServiceDefinition"),
            _path_param("service_code")),
        "/open311/v2/discovery.json": _read("where the endpoint is and what it speaks", _ref("Discovery")),
        "/open311/v2/requests.json": {
            **_read("service requests, newest first, paged", _array("ServiceRequestOut"), *listing),
            **_post("ServiceRequestIn", 201, _array("Created"), "report a case (lat/long, or address_string "
                    "alone: then it awaits location)", form=True, scope="requests:write", errors=request_errors)},
        "/open311/v2/requests/batch.json": _post(
            "BatchSchema", 201, {"type": "array", "items": {"anyOf": [_ref("BatchAccepted"),
                                                                      _ref("GeoReportError")]}},
            "up to 500 reports; the answer lists each one's id or error", scope="requests:write",
            errors=request_errors),
        "/open311/v2/requests/{service_request_id}.json": _read(
            "one service request", _array("ServiceRequestOut"), _LANG, _path_param("service_request_id")),
        "/open311/v2/requests/{service_request_id}/location.json": _post(
            "LocationIn", 201, _array("Created"), "place a report that came without coordinates: it becomes a case",
            path="service_request_id", scope="workflow:write", errors=lifecycle_errors),
        "/open311/v2/requests/{service_request_id}/transitions.json": _post(
            "TransitionIn", 200, _ref("CaseState"), "a workflow step", path="service_request_id",
            scope="workflow:write", errors=lifecycle_errors),
        "/open311/v2/patrols.json": _post("PatrolStartIn", 201, _ref("PatrolStarted"), "start a patrol",
                                          scope="patrols:write"),
        "/open311/v2/patrols/{patrol_id}/points.json": _post(
            "PointsIn", 201, _ref("PointsAccepted"), "GPS points of a patrol (by the key that started it)",
            path="patrol_id", scope="patrols:write", errors=lifecycle_errors),
        "/open311/v2/patrols/{patrol_id}/end.json": _post(
            "PatrolEndIn", 200, _ref("PatrolEnded"), "end a patrol and build its track (by the key that started it)",
            path="patrol_id", scope="patrols:write", errors=lifecycle_errors),
    }
    for name in _GEOREPORT:
        path = f"/open311/v2/{name}"
        paths[path.removesuffix(".json") + ".xml"] = _as_xml(paths[path])
    return {"openapi": "3.1.0",
            "info": {"title": "TownBrain live intake (Open311 GeoReport v2 + workflow + patrols)",
                     "version": "1.2", "description": scopes_description()},
            "paths": paths,
            "components": {"schemas": schemas, "securitySchemes": {
                "ApiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-Api-Key",
                                 "description": "an API key; its scopes are in info.description"},
                "ApiKeyQuery": {"type": "apiKey", "in": "query", "name": "api_key",
                                "description": "an API key; its scopes are in info.description"}}},
            "security": [{"ApiKeyHeader": []}, {"ApiKeyQuery": []}]}


@bp.get("/openapi.json")
def openapi_json():
    return json_response(openapi_document())
