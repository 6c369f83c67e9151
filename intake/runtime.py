"""The intake's per-server state and the steps every endpoint shares: read the
body (size, content type, JSON or form), authenticate, take the idempotency key,
validate, quarantine what is refused, and wait for the group commit.
"""
from __future__ import annotations

import datetime
import json
import logging
import os
import re

import pandas as pd
from flask import current_app, request
from pydantic import BaseModel, ValidationError

from access.audit import AuditLog
from geodata.apikeys import ApiKeys, KeyThrottled
from geodata.frames import StoreError
from geodata.intake import GroupWriter, Outcome, Submission, Unavailable, fingerprint
from geodata.intake_town import TownContext
from intake.errors import ApiError
from intake.formats import georeport_response
from intake.models import describe_errors
from intake.privacy import public_fields
from intake.limits import RateLimits
from intake.refusals import RefusalLog, kept_text

#: Largest body of one report, a transition or a patrol step (bytes): 64 KiB is four
#: times the largest valid report (a 4,000-character description in CJK is 12 KB).
MAX_BODY = int(os.environ.get("TOWNBRAIN_INTAKE_MAX_BODY", 64 * 1024))
#: Largest body of a batch (500 reports, or 5,000 GPS points: about 300 KB): 1 MiB,
#: the server's own cap (townbrain/server.py), which refuses more before reading it.
MAX_BATCH_BODY = int(os.environ.get("TOWNBRAIN_INTAKE_MAX_BATCH_BODY", 1024 * 1024))
#: Seconds a request waits for its commit before 503 (the store may be restarting).
COMMIT_TIMEOUT_S = float(os.environ.get("TOWNBRAIN_INTAKE_TIMEOUT", 10.0))
RETRY_AFTER_S = 2
_log = logging.getLogger("townbrain.intake")
_RAW_KEEP = 64 * 1024  # bytes of a refused body kept in quarantine
_KEY_RE = re.compile(r"^[\x21-\x7e]{1,200}$")
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
EXT = "townbrain_intake"


class Intake:
    """Store, keys, town context and writer of one server."""

    def __init__(self, store, timeout_s: float = COMMIT_TIMEOUT_S, public: list[str] | None = None,
                 rate_per_address: str | None = None, rate_per_key: str | None = None):
        self.store = store
        self.keys = ApiKeys(store)
        self.town = TownContext(store)
        self.writer = GroupWriter(store)
        self.timeout_s = timeout_s
        #: Fields a read without a key shows (``TOWNBRAIN_OPEN311_PUBLIC_FIELDS``); checked at start.
        self.public_fields = public_fields(public)
        #: Refusals of callers without a valid key: logged, bounded, never stored (intake/refusals.py).
        self.refusals = RefusalLog()
        #: Requests per address and per key (intake/limits.py).
        self.limits = RateLimits(rate_per_address, rate_per_key)
        #: Where a known client's refusals are recorded (intake/scopes.py).
        self.audit = AuditLog(store)


def intake() -> Intake:
    return current_app.extensions[EXT]


def raw_body(limit: int = MAX_BODY) -> bytes:
    """The body, refused with 413 beyond ``limit`` bytes: on its Content-Length
    before reading any of it, else after reading no more than ``limit`` + 1."""
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, f"body of {request.content_length} bytes is over the limit of {limit} bytes; "
                            "split it into smaller batches", quarantine=False)
    data = request.stream.read(limit + 1)
    if len(data) > limit:
        raise ApiError(413, f"body is over the limit of {limit} bytes; split it into smaller batches",
                       quarantine=False)
    return data


def read_body(data: bytes) -> dict:
    """A JSON object or form fields; 415 for another content type, 400 for bad JSON."""
    ctype = (request.mimetype or "").lower()
    if ctype in _FORMS:  # parsed from the bytes already read (the stream is spent)
        from io import BytesIO

        from werkzeug.wrappers import Request
        again = Request.from_values(input_stream=BytesIO(data), content_length=len(data),
                                    content_type=request.content_type, method="POST")
        # GeoReport's multi-value attributes repeat a key ending in [] (attribute[CODE][]=a&…=b)
        return {k: again.form.getlist(k) if k.endswith("[]") else again.form[k] for k in again.form.keys()}
    if ctype == "application/json" or ctype.endswith("+json") or (not ctype and data.strip()[:1] in (b"{", b"[")):
        try:
            body = json.loads(data.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise ApiError(400, f"body is not UTF-8: {exc}") from None
        except json.JSONDecodeError as exc:
            raise ApiError(400, f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
        except RecursionError:
            raise ApiError(400, "malformed JSON: nested too deeply") from None
        if not isinstance(body, dict):
            raise ApiError(400, f"the JSON body must be an object, not {type(body).__name__}")
        return body
    if not ctype and not data.strip():
        return {}
    raise ApiError(415, f"content type {ctype or 'none'!r} is not accepted; send application/json "
                        "(or application/x-www-form-urlencoded)", quarantine=False)


def client_of(body: dict) -> dict:
    """The API client of the request; 401 without a valid key, 503 when keys cannot be read."""
    key = body.get("api_key") if isinstance(body.get("api_key"), str) else None
    key = key or request.args.get("api_key") or request.headers.get("X-Api-Key")
    if not key:
        raise ApiError(401, "api_key is missing (body field, query parameter or X-Api-Key header)",
                       quarantine=False)
    try:
        client = intake().keys.verify(key)
    except StoreError as exc:
        raise unavailable(str(exc)) from None
    except KeyThrottled as exc:
        raise too_many(f"too many wrong api_key secrets for key id {exc.key_id!r}", exc.retry_after) from None
    if client is None:
        raise ApiError(401, "api_key is not valid (unknown or revoked)", quarantine=False)
    wait = intake().limits.over_key(client["key_id"])
    if wait:
        raise too_many(f"too many requests for this api_key (limit {intake().limits.per_key[0]})", wait)
    return client


def too_many(why: str, retry_after: int) -> ApiError:
    return ApiError(429, f"{why}; retry after {retry_after} s", headers={"Retry-After": str(retry_after)},
                    quarantine=False)


def limit_address():
    """``before_request`` of the server: 429 for an address over its limit under /open311/."""
    if not request.path.startswith("/open311/"):
        return None
    wait = intake().limits.over_address(request.remote_addr)
    if wait:
        from intake.formats import georeport_error
        err = too_many(f"too many requests from {request.remote_addr} (limit {intake().limits.per_address[0]})",
                       wait)
        return georeport_error(err.status, err.description, err.headers)
    return None


def reader_of() -> dict | None:
    """The API client of a read, or None for a read without a key (GeoReport v2 asks
    for a key only on POST). A key that is sent must be valid: 401 otherwise."""
    if not (request.args.get("api_key") or request.headers.get("X-Api-Key")):
        return None
    return client_of({})


def idempotency_key(body: dict) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None and body.get("idempotency_key") is not None:
        key = body.get("idempotency_key")
    if key is None:
        return None
    if not isinstance(key, str) or not _KEY_RE.match(key):
        raise ApiError(400, "Idempotency-Key must be 1-200 printable ASCII characters without spaces")
    return key


def validate(model: type[BaseModel], body: dict, prefix: str = "") -> BaseModel:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise ApiError(400, describe_errors(exc, prefix)) from None


def unavailable(why: str) -> ApiError:
    """503: the reason (a path, a host, a driver's words) goes to the log, not to the caller
    (issue 16: no paths or driver text to anyone without a role)."""
    _log.warning("503 %s %s: store unavailable: %s", request.method, request.path, str(why).splitlines()[0][:300])
    return ApiError(503, f"the store is unavailable; retry with the same Idempotency-Key in {RETRY_AFTER_S} s",
                    headers={"Retry-After": str(RETRY_AFTER_S)}, quarantine=False)


def quarantine(layer: str, reason: str, raw, *, row: str | None = None, client: dict | None = None) -> None:
    """Keep a refused payload of a known client with its reason, its secrets taken
    out (asynchronous, retried until stored). Nothing is kept for a caller without
    a valid key (intake/refusals.py)."""
    if client is None:
        return
    text = kept_text(raw)
    rec = {"layer": layer, "source_row": row or f"{request.method} {request.path}", "reason": _storable(reason),
           "raw": _storable(text[:_RAW_KEEP]), "source_file": f"open311:{client['name']}",
           "quarantined_at": pd.Timestamp.now(tz="UTC")}
    intake().writer.submit(Submission(rows={"quarantine": [rec]}, outcome=Outcome(202, None)))


def _storable(text: str) -> str:
    """Text kept as sent where possible: NUL and lone surrogates escaped, since no
    store takes them."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def commit(sub: Submission):
    """Wait for the group commit of ``sub``; the answer as a Flask response (XML
    ``<service_requests><request>`` when the URL ends in ``.xml``)."""
    try:
        out = intake().writer.wait(sub, intake().timeout_s)
    except Unavailable as exc:
        raise unavailable(str(exc)) from None
    return georeport_response(out.body, out.status, {"Idempotent-Replayed": "true"} if out.replayed else None)


def submission(client: dict, body: dict, idem: str | None, rows=None, outcome=None, run=None) -> Submission:
    clean = {k: v for k, v in body.items() if k not in ("api_key", "idempotency_key")}
    return Submission(rows=rows or {}, outcome=outcome or Outcome(200, None), key_id=client["key_id"],
                      idempotency_key=idem, fingerprint=fingerprint([request.path, clean]), run=run)


def plausible_id(value: str) -> bool:
    """Whether ``value`` can be an id or code of ours: 1-100 printable characters
    (no NUL or other control character, which no store keeps) that encode as UTF-8."""
    if not (0 < len(value) <= 100 and value.isprintable()):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def path_id(value: str, what: str) -> str:
    """An id from the URL; 404 for anything no id of ours can be."""
    if not plausible_id(value):
        raise ApiError(404, f"no {what} {value[:40].encode('utf-8', 'backslashreplace').decode()!r}",
                       quarantine=False)
    return value


def now_utc() -> pd.Timestamp:
    return pd.Timestamp(datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0))


def town():
    try:
        return intake().town.fresh()
    except StoreError as exc:
        raise unavailable(str(exc)) from None


def endpoint(layer: str):
    """Wrap a view: an ApiError becomes its GeoReport answer, and a refused POST
    body is quarantined for ``layer`` with the reason."""
    import functools

    from flask import g

    from intake.errors import georeport_error

    def wrap(view):
        @functools.wraps(view)
        def run(*args, **kwargs):
            try:
                return view(*args, **kwargs)
            except ApiError as exc:
                if request.method == "POST" and exc.status < 500:
                    if g.get("client") is None:  # an outsider's body is not ours to keep
                        intake().refusals.refused(request.remote_addr, exc.status, request.path)
                    elif exc.quarantine:
                        quarantine(layer, exc.description, g.get("raw_body", b""), client=g.client)
                return georeport_error(exc.status, exc.description, exc.headers)
        return run
    return wrap


def begin_post(scope: str, limit: int = MAX_BODY) -> tuple[dict, dict, str | None]:
    """Body (at most ``limit`` bytes), client, its key's ``scope`` (an audited 403
    without it, intake/scopes.py) and idempotency key of a POST, in that order of checks."""
    from flask import g

    from intake.scopes import require
    g.raw_body = raw_body(limit)
    try:
        body = read_body(g.raw_body)
    except ApiError:
        # a body that cannot be read is kept only for a client known by its header or query key,
        # and allowed to make this request
        if request.args.get("api_key") or request.headers.get("X-Api-Key"):
            g.client = client_of({})
            require(g.client, scope)
        raise
    g.client = client_of(body)
    require(g.client, scope)  # its 403 stores nothing of the request (quarantine=False)
    return body, g.client, idempotency_key(body)
