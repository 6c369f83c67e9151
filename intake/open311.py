"""Open311 GeoReport v2 on the app's server, as the standard is written
(http://wiki.open311.org/GeoReport_v2): discovery, services, service definitions,
service requests (GET and POST), one request by id, each as ``.json`` or ``.xml``;
and TownBrain's batch POST (contract: "The screen and the API").

Reads need no key; without one they show only the town's public fields
(intake/privacy.py), and with one what its scopes allow (intake/scopes.py); each
POST needs its scope. ``jurisdiction_id`` may be left out or be this town's
(:meth:`geodata.intake_town.TownContext.serves`); another is 404. A service code
may hold ``/`` (``street_order/vendor``): ``services/street_order/vendor.json``
is its definition. A POST with ``address_string`` and no coordinates is kept
awaiting location (intake/awaiting.py), not refused.
"""
from __future__ import annotations

import json

import pandas as pd
from flask import Blueprint, request

from geodata.frames import StoreError
from geodata.intake import Outcome, new_case_id
from geodata.intake_queries import AWAITING, get_request, list_requests
from intake.errors import ApiError, georeport_error, guarded
from intake.formats import georeport_response
from intake.models import BatchIn, ServiceRequestIn, describe_errors
from intake.runtime import (MAX_BATCH_BODY, begin_post, commit, endpoint, now_utc, path_id, plausible_id, quarantine,
                            reader_of, submission, town, unavailable, validate)
from intake.scopes import reader

bp = guarded(Blueprint("open311", __name__, url_prefix="/open311/v2"))
_MAX_PAGE = 1000
FMT = "<any(json, xml):fmt>"
AWAITING_NOTICE = ("received without coordinates: kept awaiting location; a dispatcher places it on the map "
                   "(POST requests/ID/location.json), then it is a case")


def _lang() -> str:
    return "en" if request.args.get("lang", "").lower().startswith("en") else "zh"


def served_town(jurisdiction_id: str | None = None):
    """The town context, after checking ``jurisdiction_id`` (the query's when not
    given): 404 when it names another jurisdiction."""
    ctx = town()
    jur = jurisdiction_id or request.args.get("jurisdiction_id")
    if not ctx.serves(jur):
        raise ApiError(404, f"jurisdiction_id {jur[:60]!r} is not served here; this endpoint serves "
                            f"{', '.join(repr(j) for j in ctx.jurisdictions)} (or leave jurisdiction_id out)")
    return ctx


@bp.get(f"/services.{FMT}")
@endpoint("cases")
def services(fmt: str):
    reader_of()
    return georeport_response(served_town().services(_lang()), root="services", item="service")


@bp.get(f"/services/<path:code>.{FMT}")
@endpoint("cases")
def service_definition(code: str, fmt: str):
    """A service's definition. Our services ask no questions (``metadata`` false),
    so its attribute list is empty; a code with ``/`` is one path."""
    reader_of()
    ctx = served_town()
    if not plausible_id(code) or code not in ctx.parent:
        raise ApiError(404, f"no service {code[:60]!r}; GET services.{fmt} lists them", quarantine=False)
    return georeport_response({"service_code": code, "attributes": []}, root="service_definition")


def _extra(req: ServiceRequestIn) -> dict:
    """The GeoReport fields kept with a report besides the case's own (the same keys
    for every report: they are committed together)."""
    return {"address_id": req.address_id, "media_url": req.media_url,
            "attributes": json.dumps(req.attributes, ensure_ascii=False) if req.attributes else None,
            **{f"contact_{k}": v for k, v in req.contact.items()}}


def _report_of(req: ServiceRequestIn, client: dict, now: pd.Timestamp) -> tuple[str, dict]:
    """(layer, row) of a valid request: a case, or a report awaiting location when it
    came with an address and no coordinates; ApiError when the town refuses it."""
    ctx = served_town(req.jurisdiction_id)
    if (req.lat is None) != (req.long is None):
        raise ApiError(400, "lat and long go together: send both, or neither and an address_string")
    if req.lat is None and not req.address_string:
        raise ApiError(400, "a location is required: lat and long (WGS84 degrees), or address_string")
    if req.lat is not None:
        outside = ctx.outside_message(req.long, req.lat)
        if outside:
            raise ApiError(400, outside)
    try:
        category, sub = ctx.category_of(req.service_code, req.subcategory)
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None
    reported = now if req.requested_datetime is None else pd.Timestamp(req.requested_datetime)
    report = ctx.report_record(case_id=new_case_id(), category=category, subcategory=sub, source=req.source,
                               reported_by=req.reported_by, reported_at=reported, description=req.description,
                               address=req.address_string, key_id=client["key_id"], received_at=now,
                               extra=_extra(req))
    if req.lat is None:
        return AWAITING, {**report, "status": AWAITING}
    return "cases", ctx.case_record(report, req.long, req.lat)


def answer_of(row: dict) -> dict:
    """The POST answer for a committed case or awaiting report."""
    notice = AWAITING_NOTICE if row["status"] == AWAITING else "received; a dispatcher will register it"
    return {"service_request_id": row["case_id"], "service_notice": notice, "account_id": None,
            "grid_id": row.get("grid_id"), "district_id": row.get("district_id")}


@bp.post(f"/requests.{FMT}")
@endpoint("cases")
def post_request(fmt: str):
    body, client, idem = begin_post("requests:write")
    layer, row = _report_of(validate(ServiceRequestIn, body), client, now_utc())
    return commit(submission(client, body, idem, rows={layer: [row]}, outcome=Outcome(201, [answer_of(row)])))


@bp.post(f"/requests/batch.{FMT}")
@endpoint("cases")
def post_batch(fmt: str):
    body, client, idem = begin_post("requests:write", MAX_BATCH_BODY)
    batch = validate(BatchIn, body)
    now = now_utc()
    answers, rows = [], {}
    for i, item in enumerate(batch.requests):
        try:
            try:
                req = ServiceRequestIn.model_validate(item)
            except Exception as exc:  # ValidationError, said per field
                raise ApiError(400, describe_errors(exc, f"requests[{i}].") if hasattr(exc, "errors")
                               else str(exc)) from None
            layer, row = _report_of(req, client, now)
        except ApiError as exc:
            if exc.status == 503:
                raise
            quarantine("cases", exc.description, item, row=f"batch item {i}", client=client)
            answers.append({"code": exc.status, "description": exc.description})
            continue
        rows.setdefault(layer, []).append(row)
        answers.append({"service_request_id": row["case_id"], "grid_id": row.get("grid_id"),
                        "district_id": row.get("district_id")})
    if not rows:
        return georeport_response(answers, 400)
    return commit(submission(client, body, idem, rows=rows, outcome=Outcome(201, answers)))


def _int_arg(name: str, default: int, lo: int, hi: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        v = int(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be an integer, not {raw[:40]!r}") from None
    if not lo <= v <= hi:
        raise ApiError(400, f"{name} must be between {lo} and {hi}, not {v}")
    return v


def _time_arg(name: str):
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        t = pd.Timestamp(raw)
    except (ValueError, TypeError):
        raise ApiError(400, f"{name} must be an ISO 8601 time, not {raw[:40]!r}") from None
    if t is pd.NaT or pd.isna(t):
        raise ApiError(400, f"{name} must be an ISO 8601 time, not {raw[:40]!r}")
    from geodata import config
    return t.tz_localize(config.timezone()) if t.tzinfo is None else t


def _list_arg(name: str) -> list[str]:
    """A comma-separated list of ids or codes; 400 for an item no id or code can be
    (control characters such as NUL, which no store keeps, or over 100 characters)."""
    items = [i.strip() for i in (request.args.get(name) or "").split(",") if i.strip()]
    for item in items:
        if not plausible_id(item):
            raise ApiError(400, f"{name} items must be printable text of at most 100 characters, "
                                f"not {item[:40]!r}")
    return items


def _statuses() -> list[str]:
    """GeoReport's ``status``: ``open``, ``closed`` or both, comma-separated."""
    items = [i.lower() for i in _list_arg("status")]
    for item in items:
        if item not in ("open", "closed"):
            raise ApiError(400, f"status must be open, closed or open,closed, not {item[:40]!r}")
    return items


@bp.get(f"/requests.{FMT}")
@endpoint("cases")
def get_requests(fmt: str):
    who = reader()
    ctx = served_town()
    statuses = _statuses()
    start, end = _time_arg("start_date"), _time_arg("end_date")
    if start is not None and end is not None and start >= end:
        raise ApiError(400, "start_date must be before end_date")
    ids, codes = _list_arg("service_request_id"), _list_arg("service_code")
    page, size = _int_arg("page", 1, 1, 1_000_000), _int_arg("page_size", 50, 1, _MAX_PAGE)
    try:
        rows, total = list_requests(ctx.store, ctx, ids=ids[:_MAX_PAGE], service_codes=codes, statuses=statuses,
                                    start=start, end=end, page=page, page_size=size, lang=_lang())
        shown = who.show(ctx.store, rows)
    except StoreError as exc:
        raise unavailable(str(exc)) from None
    return georeport_response(shown, 200, {"X-Total-Count": str(total)})


@bp.get(f"/requests/<case_id>.{FMT}")
@endpoint("cases")
def get_one(case_id: str, fmt: str):
    who = reader()
    case_id = path_id(case_id, "service request")
    ctx = served_town()
    try:
        found = get_request(ctx.store, ctx, case_id, _lang())
        shown = who.show(ctx.store, [found] if found is not None else [])
    except StoreError as exc:
        raise unavailable(str(exc)) from None
    if found is None:
        raise ApiError(404, f"no service request {case_id!r}")
    return georeport_response(shown)


@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown_endpoint(rest: str):
    """Anything else under /open311/v2/ is a GeoReport 404 (not the dashboard's page,
    whose catch-all route would otherwise answer 200)."""
    return georeport_error(404, f"no such endpoint /open311/v2/{rest[:80]}; see /open311/v2/openapi.json")
