"""GeoReport v2 service discovery (http://wiki.open311.org/Service_Discovery):
where the endpoint is, which specification and formats it speaks, how to get a key.
Served at ``/open311/discovery.json|xml`` and ``/open311/v2/discovery.json|xml``.
"""
from __future__ import annotations

from flask import Blueprint, request

from intake.errors import guarded
from intake.formats import XML_TYPE, georeport_response
from intake.open311 import FMT, served_town
from intake.runtime import endpoint

#: When this description of the endpoint last changed (GeoReport's ``changeset``).
CHANGESET = "2026-11-30T00:00:00Z"
root_bp = guarded(Blueprint("open311_discovery", __name__, url_prefix="/open311"))
bp = guarded(Blueprint("open311_v2_discovery", __name__, url_prefix="/open311/v2"))


def discovery_of(base_url: str, town_name: str) -> dict:
    """The discovery document of the GeoReport v2 endpoint at ``base_url``."""
    return {
        "changeset": CHANGESET,
        "contact": f"{town_name}: the command centre's duty desk; the API is described at {base_url}/openapi.json",
        "key_service": "a key for POST is issued by the town's system administrator with the scopes the client "
                       "needs (townbrain apikey create NAME --scope …; the scopes are in openapi.json)",
        "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": base_url,
                       "changeset": CHANGESET, "type": "production",
                       "formats": [XML_TYPE, "application/json"]}],
    }


@root_bp.get(f"/discovery.{FMT}")
@bp.get(f"/discovery.{FMT}")
@endpoint("cases")
def discovery(fmt: str):
    ctx = served_town()
    return georeport_response(discovery_of(request.url_root.rstrip("/") + "/open311/v2", ctx.name),
                              root="discovery")
