"""The intake's request bodies as pydantic models: types, ranges, size limits.

What pydantic cannot know — whether a point is inside the town, whether a
category code exists — is checked against the store by
:class:`geodata.intake_town.TownContext`. The same models generate the OpenAPI
description (intake/openapi.py), so documentation and validation cannot drift.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from geodata import config
from geodata.schema import LEVELS, SOURCES
from geodata.workflow import ACTIONS

#: Clock skew tolerated for a time "in the future" (a phone's clock runs ahead).
CLOCK_SKEW = timedelta(minutes=5)
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
MAX_DESCRIPTION = 4000
MAX_BATCH = 500
MAX_POINTS = 5000
MAX_ATTRIBUTES = 50

Source = Literal[SOURCES]  # type: ignore[valid-type]
Action = Literal[ACTIONS]  # type: ignore[valid-type]
Level = Literal[LEVELS]  # type: ignore[valid-type]
Text64 = Field(default=None, min_length=1, max_length=64)


def sane_time(v: datetime | None) -> datetime | None:
    """Timezone-aware (naive = the configured zone), not before 2000, not in the future
    beyond :data:`CLOCK_SKEW`."""
    if v is None:
        return None
    if v.tzinfo is None:
        v = pd.Timestamp(v).tz_localize(config.timezone()).to_pydatetime()
    now = datetime.now(timezone.utc)
    if v > now + CLOCK_SKEW:
        raise ValueError(f"{v.isoformat()} is in the future (server time {now.isoformat(timespec='seconds')}, "
                         f"{int(CLOCK_SKEW.total_seconds() // 60)} min of clock skew allowed)")
    if v < EARLIEST:
        raise ValueError(f"{v.isoformat()} is before 2000-01-01; send the time of the report")
    return v


def storable_text(v):
    """Text every store can hold: no NUL character, valid Unicode (no lone surrogate)."""
    if isinstance(v, str):
        if "\x00" in v:
            raise ValueError("text must not contain NUL characters")
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("text is not valid Unicode (a lone surrogate)") from None
    return v


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    _text = field_validator("*", mode="after")(storable_text)
    api_key: str | None = Field(default=None, description="the client's API key (or header X-Api-Key)")
    idempotency_key: str | None = Field(default=None, max_length=200,
                                        description="or header Idempotency-Key: a retry returns the first answer")


def _as_text(v):
    """A JSON client's number or boolean as the text a form would carry."""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v) if isinstance(v, (int, float)) else v


def fold_attributes(body):
    """GeoReport's ``attribute[CODE]=VALUE`` (and ``attribute[CODE][]=V`` for a
    multi-value list) form fields, or a JSON object under ``attribute`` /
    ``attributes``, as one ``attributes`` mapping {code: value or [values]}."""
    if not isinstance(body, dict):
        return body
    found = {}
    for name in ("attribute", "attributes"):
        if isinstance(body.get(name), dict):
            found.update(body[name])
    for key, value in body.items():
        if isinstance(key, str) and key.startswith("attribute[") and key.endswith("]"):
            rest = key[len("attribute["):]
            found[rest[:-3] if rest.endswith("][]") else rest[:-1]] = value
    if not found:
        return body
    found = {k: [_as_text(i) for i in v] if isinstance(v, list) else _as_text(v) for k, v in found.items()}
    return {**{k: v for k, v in body.items() if k != "attribute"}, "attributes": found}


AttributeValue = str | list[str]


def _check_attributes(v: dict[str, AttributeValue]) -> dict[str, AttributeValue]:
    if len(v) > MAX_ATTRIBUTES:
        raise ValueError(f"at most {MAX_ATTRIBUTES} attributes, not {len(v)}")
    for code, value in v.items():
        if not (0 < len(code) <= 100 and code.isprintable()):
            raise ValueError(f"attribute code must be 1-100 printable characters, not {code[:40]!r}")
        for item in value if isinstance(value, list) else [value]:
            storable_text(item)
            if len(item) > 1000:
                raise ValueError(f"attribute[{code}] is over 1000 characters")
    return v


def _check_media_url(v: str | None) -> str | None:
    if v is not None and not v.lower().startswith(("http://", "https://")):
        raise ValueError("media_url must be an http:// or https:// URL of the photo")
    return v


class ServiceRequestIn(_Body):
    """A GeoReport v2 service request, with TownBrain's extensions.

    The place is ``lat`` and ``long`` (WGS84), or, without them, ``address_string``:
    such a request is kept awaiting location until a dispatcher places it."""
    service_code: str = Field(min_length=1, max_length=100, description="a code of services.json")
    lat: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False, description="WGS84 latitude")
    long: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False, description="WGS84 longitude")
    address_string: str | None = Field(default=None, max_length=500,
                                       description="where, in words; enough without lat/long (then the request "
                                                   "awaits location)")
    address_id: str | None = Field(default=None, max_length=200)
    jurisdiction_id: str | None = Field(default=None, max_length=200, description="this town's, or leave it out")
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION)
    requested_datetime: datetime | None = Field(default=None, description="ISO 8601; default now")
    media_url: str | None = Field(default=None, max_length=2000, description="http(s) URL of a photo")
    attributes: dict[str, AttributeValue] = Field(
        default_factory=dict, description="answers to the service's questions; as a form: attribute[CODE]=VALUE "
                                          "(attribute[CODE][]=V for several values)")
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=50)
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    device_id: str | None = Field(default=None, max_length=200)
    account_id: str | None = Field(default=None, max_length=200)
    source: Source = "citizen"
    reported_by: str | None = Text64
    subcategory: str | None = Field(default=None, min_length=1, max_length=100)

    _fold = model_validator(mode="before")(fold_attributes)
    _time = field_validator("requested_datetime")(sane_time)
    _attrs = field_validator("attributes")(_check_attributes)
    _media = field_validator("media_url")(_check_media_url)

    @property
    def contact(self) -> dict:
        """The reporter's contact fields, as stored with the case (never read back)."""
        return {"email": self.email, "phone": self.phone, "first_name": self.first_name,
                "last_name": self.last_name, "device_id": self.device_id, "account_id": self.account_id}


class LocationIn(_Body):
    """Where a report that arrived without coordinates is (a dispatcher found it)."""
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False, description="WGS84 latitude")
    long: float = Field(ge=-180, le=180, allow_inf_nan=False, description="WGS84 longitude")


class BatchIn(_Body):
    """Up to 500 service requests; each is accepted or refused on its own."""
    requests: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_BATCH)


class BatchSchema(_Body):
    """BatchIn as documented (items are validated one by one)."""
    requests: list[ServiceRequestIn] = Field(min_length=1, max_length=MAX_BATCH)


class TransitionIn(_Body):
    """A workflow step (geodata.workflow): who did what, when."""
    action: Action
    by: str = Field(min_length=1, max_length=64, description="staff_id of who acted")
    level: Level | None = None
    at: datetime | None = Field(default=None, description="ISO 8601; default now")
    note: str | None = Field(default=None, max_length=1000)
    deadline: datetime | None = Field(default=None, description="extend: the new deadline")
    extend_hours: float | None = Field(default=None, gt=0, le=8760, allow_inf_nan=False)

    _time = field_validator("at")(sane_time)


class PatrolStartIn(_Body):
    staff_id: str = Field(min_length=1, max_length=64)
    started_at: datetime | None = None

    _time = field_validator("started_at")(sane_time)


class PointIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    t: datetime

    _time = field_validator("t")(sane_time)


class PointsIn(_Body):
    """GPS points of a patrol, in any order, up to 5,000 per batch."""
    points: list[PointIn] = Field(min_length=1, max_length=MAX_POINTS)


class PatrolEndIn(_Body):
    ended_at: datetime | None = None

    _time = field_validator("ended_at")(sane_time)


def describe_errors(exc: ValidationError, prefix: str = "") -> str:
    """One readable sentence per problem: where, what, and the value sent."""
    parts = []
    for err in exc.errors(include_url=False)[:10]:
        loc = ".".join(str(p) for p in err["loc"]) or "body"
        msg = err["msg"].removeprefix("Value error, ")
        value = err.get("input")
        shown = "" if err["type"] == "missing" or isinstance(value, dict) else f" (got {str(value)[:60]!r})"
        parts.append(f"{prefix}{loc}: {msg}{shown}")
    return "; ".join(parts)
