"""What an Open311 read without an API key may show.

GeoReport v2 lets anyone read services and service requests without a key; brief.md
asks that personal data be protected. A service request read back carries the
fields of :data:`REQUEST_FIELDS`. Without a key only the town's public fields leave
the server (``TOWNBRAIN_OPEN311_PUBLIC_FIELDS``, default :data:`DEFAULT_PUBLIC`);
with a key, all of them for the requests its scopes open to it: those it created
(``requests:read-own``) or every one (``requests:read-all``), intake/scopes.py.

Never in any read, with or without a key, whatever the setting says: who reported
(``reported_by``, a staff id), the contact fields a citizen's app posts (``email``,
``phone``, ``first_name``, ``last_name``, ``device_id``, ``account_id``) and the
API client. They are stored with the case for the dispatcher, and are not fields
of a service request read back at all (:data:`NEVER_PUBLIC`).

Not public by default, a town's choice: the free text a citizen types, which may
hold a phone number, a name or an address (``description``, ``address``), the
photo (``media_url``: a face, a number plate) and the answers to a service's
questions (``attributes``).

>>> sorted(set(REQUEST_FIELDS) - set(DEFAULT_PUBLIC))
['address', 'attributes', 'description', 'media_url']
>>> public_fields(["service_request_id", "status", "description"])
('service_request_id', 'status', 'description')
>>> public_fields(["phone"])
Traceback (most recent call last):
...
ValueError: TOWNBRAIN_OPEN311_PUBLIC_FIELDS names 'phone', which no Open311 read shows (personal contact data, kept for the dispatcher only); fields it may name: service_request_id, status, ...
"""
from __future__ import annotations

from geodata import config

#: The fields of a service request read back (GeoReport v2 plus TownBrain's own), in order.
REQUEST_FIELDS = (
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url", "attributes", "workflow_status",
    "category", "district_id", "grid_id", "pro_grid_id", "h3",
)
#: Free text, photos and answers a citizen typed: shown only with a key unless the town says otherwise.
PERSONAL_BY_DEFAULT = ("description", "address", "media_url", "attributes")
DEFAULT_PUBLIC = tuple(f for f in REQUEST_FIELDS if f not in PERSONAL_BY_DEFAULT)
#: Stored with a case, never read back over Open311.
NEVER_PUBLIC = ("reported_by", "email", "phone", "first_name", "last_name", "device_id", "account_id",
                "api_client")


def public_fields(names: list[str] | None = None) -> tuple[str, ...]:
    """The fields a read without a key shows: ``names`` (default: the setting, else
    :data:`DEFAULT_PUBLIC`), checked; ``service_request_id`` is always among them.
    ValueError for a name that is not a field of a service request."""
    names = config.open311_public_fields() if names is None else names
    if names is None:
        return DEFAULT_PUBLIC
    for name in names:
        if name not in REQUEST_FIELDS:
            why = ("personal contact data, kept for the dispatcher only" if name in NEVER_PUBLIC
                   else "not a field of a service request")
            raise ValueError(f"TOWNBRAIN_OPEN311_PUBLIC_FIELDS names {name!r}, which no Open311 read shows "
                             f"({why}); fields it may name: {', '.join(REQUEST_FIELDS)}")
    chosen = set(names) | {"service_request_id"}
    return tuple(f for f in REQUEST_FIELDS if f in chosen)


def redact(request_row: dict, public: tuple[str, ...] | None) -> dict:
    """``request_row`` as a reader sees it: every field (``public`` None), else only
    the public ones (the others are left out, not emptied)."""
    if public is None:
        return request_row
    return {k: v for k, v in request_row.items() if k in public}
