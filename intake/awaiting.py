"""Reports that came without coordinates: placing them on the map.

GeoReport v2 lets a client locate a request by ``address_string`` alone; a case
needs its point (contract: every case has its geometry, and the wall, the KPIs
and grid assignment rely on it). Such a report is therefore not refused and not
turned into a case without a place: it is committed to ``awaiting_location``
with everything it carried, answered 201 with its ``service_request_id``, and read
back by that id with ``status_notes`` ``awaiting_location``. When a dispatcher has
found the place, ``POST requests/ID/location.json {"lat": …, "long": …}`` makes it
the case of the same id, assigned to its grids like any new case. The awaiting row
stays as it was (append-only); a case of the same id supersedes it in every read.
"""
from __future__ import annotations

from flask import Blueprint

from geodata.intake import Outcome
from geodata.intake_queries import AWAITING
from intake.errors import ApiError, guarded
from intake.models import LocationIn
from intake.open311 import answer_of, served_town
from intake.runtime import begin_post, commit, endpoint, path_id, submission, validate

bp = guarded(Blueprint("open311_awaiting", __name__, url_prefix="/open311/v2"))


def _place(case_id: str, spot: LocationIn, ctx):
    def run(store):
        if store.count("cases", where={"case_id": case_id}):
            return Outcome(409, [{"code": 409, "description": f"service request {case_id!r} already has its "
                                                              "location: it is a case"}]), {}
        found = store.read(AWAITING, where={"case_id": case_id}) if store.has_layer(AWAITING) else []
        if len(found) == 0:
            return Outcome(404, [{"code": 404, "description": f"no service request {case_id!r} awaits "
                                                              "a location"}]), {}
        case = ctx.case_record(found.iloc[0].to_dict(), spot.long, spot.lat)
        return Outcome(201, [answer_of(case)]), {"cases": [case]}
    return run


@bp.post("/requests/<case_id>/location.json")
@endpoint("cases")
def post_location(case_id: str):
    body, client, idem = begin_post("workflow:write")
    case_id = path_id(case_id, "service request")
    spot = validate(LocationIn, body)
    ctx = served_town()
    outside = ctx.outside_message(spot.long, spot.lat)
    if outside:
        raise ApiError(400, outside)
    return commit(submission(client, body, idem, run=_place(case_id, spot, ctx)))
