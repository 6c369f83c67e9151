"""What an API key may do here: the scope each write needs, and which fields a read shows.

A key carries scopes (geodata/apikeys.py :data:`~geodata.apikeys.SCOPES`). Every POST
names the scope it needs when it reads its body (:func:`intake.runtime.begin_post`
takes no default, so a new endpoint cannot forget it); a key without it is answered
403 in GeoReport form naming the scope, nothing of its request is stored, and the
refusal is written to the audit trail (access/audit.py) under ``apikey:<key_id>`` —
a known client's refusal, unlike an outsider's, which only the log counts
(intake/refusals.py). If the audit cannot be written the answer is 503: nothing is
refused unaudited.

Reads stay open (GeoReport v2): without a key, or with a key that has no read scope,
a request shows the town's public fields (intake/privacy.py). ``requests:read-all``
shows every field of every request; ``requests:read-own`` every field of the requests
the key created — the ``api_client`` that intake/open311.py stores with each case and
each report awaiting its location — and the public fields of the rest.
"""
from __future__ import annotations

from flask import request

from geodata.apikeys import SCOPES
from geodata.intake_queries import AWAITING
from intake.errors import ApiError
from intake.privacy import redact

READ_OWN, READ_ALL = "requests:read-own", "requests:read-all"
#: Column of ``cases`` and ``awaiting_location`` naming the key that created the row.
CREATOR = "api_client"
AUDIT_RETRY_S = 30


def refuse(client: dict, why: str) -> ApiError:
    """A 403 for a known client, written to the audit trail first (a 503 when it cannot be)."""
    from access.audit import AuditError
    from intake.runtime import intake
    try:
        intake().audit.record("refused", outcome="refused", user=f"apikey:{client['key_id']}",
                              source=request.remote_addr, object=f"{request.method} {request.path}"[:200],
                              detail=f"{why} (client {client['name']})")
    except AuditError:
        return ApiError(503, "the audit trail cannot be written; try again later",
                        headers={"Retry-After": str(AUDIT_RETRY_S)}, quarantine=False)
    return ApiError(403, why, quarantine=False)


def require(client: dict, scope: str) -> None:
    """Go on when ``client``'s key has ``scope``; else raise the audited 403."""
    if scope not in SCOPES:  # a typo in an endpoint must not open or close it silently
        raise ValueError(f"no API key scope {scope!r}")
    if scope in client["scopes"]:
        return
    held = ", ".join(client["scopes"]) or "none"
    old = " (a key issued before keys had scopes holds the default ones)" if client.get("default_scopes") else ""
    raise refuse(client, f"this api_key lacks the scope {scope!r}, which {request.method} {request.path} needs; "
                         f"it has: {held}{old}. The town's administrator can grant it: "
                         f"townbrain apikey scopes {client['key_id']} --scope {scope},...")


def created_by(store, key_id: str, ids: list[str]) -> set[str]:
    """Those of ``ids`` (cases, or reports awaiting location) that key ``key_id`` created."""
    own: set[str] = set()
    if not ids:
        return own
    for layer in ("cases", AWAITING):
        if not store.has_layer(layer) or CREATOR not in store.columns(layer):
            continue  # no report of this layer ever came through the API
        found = store.read(layer, where={"case_id": list(ids), CREATOR: key_id}, columns=["case_id"],
                           geometry=False)
        own.update(str(i) for i in found["case_id"])
    return own


class Reader:
    """Who reads (a client, or None without a key) and so which fields each request shows."""

    def __init__(self, client: dict | None, public: tuple[str, ...]):
        self.client, self.public = client, public
        scopes = client["scopes"] if client else ()
        self.all, self.own = READ_ALL in scopes, READ_OWN in scopes

    def show(self, store, rows: list[dict]) -> list[dict]:
        """``rows`` (service requests) with what this reader may not see left out;
        StoreError when the creators cannot be read."""
        if self.all:
            return rows
        own = created_by(store, self.client["key_id"], [r["service_request_id"] for r in rows]) \
            if self.own else set()
        return [r if r["service_request_id"] in own else redact(r, self.public) for r in rows]


def reader() -> Reader:
    """The reader of this request (401 for a key that is sent and not valid)."""
    from intake.runtime import intake, reader_of
    return Reader(reader_of(), intake().public_fields)

