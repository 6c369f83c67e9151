"""Open311 GeoReport v2 on the app's server: services, service requests (GET and
POST), one request by id, and TownBrain's batch POST (contract: "The screen and
the API"; http://wiki.open311.org/GeoReport_v2).
"""
from __future__ import annotations

import pandas as pd
from flask import Blueprint, request

from geodata.frames import StoreError
from geodata.intake import Outcome, new_case_id
from geodata.intake_queries import get_request, list_requests
from intake.errors import ApiError, georeport_error, guarded, json_response
from intake.models import BatchIn, ServiceRequestIn, describe_errors
from intake.runtime import (begin_post, client_of, commit, endpoint, now_utc, path_id, plausible_id, quarantine,
                            submission, town, unavailable, validate)

bp = guarded(Blueprint("open311", __name__, url_prefix="/open311/v2"))
_MAX_PAGE = 1000


def _lang() -> str:
    return "en" if request.args.get("lang", "").lower().startswith("en") else "zh"


def _get_client():
    return client_of({"api_key": request.args.get("api_key")})


@bp.get("/services.json")
@endpoint("cases")
def services():
    _get_client()
    return json_response(town().services(_lang()))


def _case_of(req: ServiceRequestIn, client: dict, now: pd.Timestamp) -> dict:
    """The case row of a valid request; ApiError when the town refuses it."""
    ctx = town()
    outside = ctx.outside_message(req.long, req.lat)
    if outside:
        raise ApiError(400, outside)
    try:
        category, sub = ctx.category_of(req.service_code, req.subcategory)
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None
    reported = now if req.requested_datetime is None else pd.Timestamp(req.requested_datetime)
    return ctx.case_record(case_id=new_case_id(), category=category, subcategory=sub, source=req.source,
                           reported_by=req.reported_by, reported_at=reported, lon=req.long, lat=req.lat,
                           description=req.description, address=req.address_string, key_id=client["key_id"],
                           received_at=now)


def _answer(case: dict) -> dict:
    return {"service_request_id": case["case_id"], "service_notice": "received; a dispatcher will register it",
            "account_id": None, "grid_id": case["grid_id"], "district_id": case["district_id"]}


@bp.post("/requests.json")
@endpoint("cases")
def post_request():
    body, client, idem = begin_post()
    case = _case_of(validate(ServiceRequestIn, body), client, now_utc())
    return commit(submission(client, body, idem, rows={"cases": [case]}, outcome=Outcome(201, [_answer(case)])))


@bp.post("/requests/batch.json")
@endpoint("cases")
def post_batch():
    body, client, idem = begin_post()
    batch = validate(BatchIn, body)
    now = now_utc()
    answers, cases = [], []
    for i, item in enumerate(batch.requests):
        try:
            try:
                req = ServiceRequestIn.model_validate(item)
            except Exception as exc:  # ValidationError, said per field
                raise ApiError(400, describe_errors(exc, f"requests[{i}].") if hasattr(exc, "errors")
                               else str(exc)) from None
            case = _case_of(req, client, now)
        except ApiError as exc:
            if exc.status == 503:
                raise
            quarantine("cases", exc.description, item, row=f"batch item {i}", client=client)
            answers.append({"code": exc.status, "description": exc.description})
            continue
        cases.append(case)
        answers.append({"service_request_id": case["case_id"], "grid_id": case["grid_id"],
                        "district_id": case["district_id"]})
    if not cases:
        return json_response(answers, 400)
    return commit(submission(client, body, idem, rows={"cases": cases}, outcome=Outcome(201, answers)))


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


@bp.get("/requests.json")
@endpoint("cases")
def get_requests():
    _get_client()
    status = request.args.get("status") or None
    if status not in (None, "open", "closed"):
        raise ApiError(400, f"status must be open or closed, not {status[:40]!r}")
    start, end = _time_arg("start_date"), _time_arg("end_date")
    if start is not None and end is not None and start >= end:
        raise ApiError(400, "start_date must be before end_date")
    ids, codes = _list_arg("service_request_id"), _list_arg("service_code")
    page, size = _int_arg("page", 1, 1, 1_000_000), _int_arg("page_size", 50, 1, _MAX_PAGE)
    ctx = town()
    try:
        rows, total = list_requests(ctx.store, ctx, ids=ids[:_MAX_PAGE], service_codes=codes, status=status,
                                    start=start, end=end, page=page, page_size=size, lang=_lang())
    except StoreError as exc:
        raise unavailable(str(exc)) from None
    return json_response(rows, 200, {"X-Total-Count": str(total)})


@bp.get("/requests/<case_id>.json")
@endpoint("cases")
def get_one(case_id: str):
    _get_client()
    case_id = path_id(case_id, "service request")
    ctx = town()
    try:
        found = get_request(ctx.store, ctx, case_id, _lang())
    except StoreError as exc:
        raise unavailable(str(exc)) from None
    if found is None:
        raise ApiError(404, f"no service request {case_id!r}")
    return json_response([found])


@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown_endpoint(rest: str):
    """Anything else under /open311/v2/ is a GeoReport 404 (not the dashboard's page,
    whose catch-all route would otherwise answer 200)."""
    return georeport_error(404, f"no such endpoint /open311/v2/{rest[:80]}; see /open311/v2/openapi.json")
