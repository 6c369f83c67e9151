"""Patrols from the inspectors' app: start, GPS points in batches, end.

Points go to ``patrol_points`` as they come (any order, up to 5,000 a batch);
ending a patrol builds its track — points sorted by time, repeated fixes dropped —
as the LineString of the contract's ``patrols`` layer (patrol_id, staff_id,
started_at, ended_at), which the 3-5-10 rule counts (brief.md). Every step needs the
key's ``patrols:write`` scope, and points and the end only the key that started the
patrol (intake/scopes.py).
"""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely
from flask import Blueprint

from geodata.frames import StoreError
from geodata.intake import Outcome, new_case_id
from geodata.schema import METRIC_CRS, STORAGE_CRS
from intake.errors import ApiError, guarded
from intake.models import PatrolEndIn, PatrolStartIn, PointsIn
from intake.runtime import (MAX_BATCH_BODY, begin_post, commit, endpoint, now_utc, path_id, quarantine, submission, town,
                            unavailable, validate)
from intake.scopes import refuse

bp = guarded(Blueprint("open311_patrols", __name__, url_prefix="/open311/v2"))


def _session(store, patrol_id: str) -> dict:
    found = store.read("patrol_sessions", where={"patrol_id": patrol_id}) \
        if store.has_layer("patrol_sessions") else []
    if len(found) == 0:
        raise ApiError(404, f"no patrol {patrol_id!r}; start one with POST patrols.json", quarantine=False)
    return found.iloc[0].to_dict()


def _own_session(store, patrol_id: str, client: dict) -> dict:
    """The session of ``patrol_id`` when ``client``'s key started it; an audited 403
    when another key did (a patrol is one inspector's, through one app)."""
    try:
        session = _session(store, patrol_id)
    except StoreError as exc:
        raise unavailable(str(exc)) from None
    owner = session.get("key_id")
    if isinstance(owner, str) and owner and owner != client["key_id"]:
        raise refuse(client, f"patrol {patrol_id!r} was started by another API client; only the key that "
                             "started a patrol sends its points and ends it")
    return session


@bp.post("/patrols.json")
@endpoint("patrol_sessions")
def start_patrol():
    body, client, idem = begin_post("patrols:write")
    req = validate(PatrolStartIn, body)
    now = now_utc()
    pid = "P" + new_case_id()[1:]
    row = {"patrol_id": pid, "staff_id": req.staff_id,
           "started_at": now if req.started_at is None else pd.Timestamp(req.started_at),
           "ended_at": pd.NaT, "key_id": client["key_id"]}
    return commit(submission(client, body, idem, rows={"patrol_sessions": [row]},
                             outcome=Outcome(201, {"patrol_id": pid})))


@bp.post("/patrols/<patrol_id>/points.json")
@endpoint("patrol_points")
def add_points(patrol_id: str):
    body, client, idem = begin_post("patrols:write", MAX_BATCH_BODY)
    patrol_id = path_id(patrol_id, "patrol")
    req = validate(PointsIn, body)
    ctx = town()
    session = _own_session(ctx.store, patrol_id, client)
    if pd.notna(session.get("ended_at")):
        raise ApiError(409, f"patrol {patrol_id!r} has ended; start a new one", quarantine=False)
    rows, refused = [], []
    for i, p in enumerate(req.points):
        outside = ctx.outside_message(p.lon, p.lat)
        if outside:
            refused.append({"index": i, "code": 400, "description": outside})
            quarantine("patrol_points", outside, p.model_dump(mode="json"), row=f"point {i}", client=client)
            continue
        rows.append({"patrol_id": patrol_id, "t": pd.Timestamp(p.t), "lon": p.lon, "lat": p.lat})
    if not rows:
        raise ApiError(400, "no point of the batch is inside the town: " + refused[0]["description"],
                       quarantine=False)
    return commit(submission(client, body, idem, rows={"patrol_points": rows},
                             outcome=Outcome(201, {"accepted": len(rows), "refused": refused})))


def track_of(points: pd.DataFrame) -> shapely.LineString | None:
    """The track of a patrol: fixes in time order, a repeated time kept once; a
    single fix gives a zero-length line (still a LineString, as the layer needs)."""
    if len(points) == 0:
        return None
    pts = points.sort_values("t", kind="stable").drop_duplicates("t")
    xy = pts[["lon", "lat"]].to_numpy(dtype=float)
    if len(xy) == 1:
        xy = [xy[0], xy[0]]
    return shapely.LineString(xy)


def _end(patrol_id: str, ended_at):
    def run(store):
        try:
            session = _session(store, patrol_id)
        except ApiError as exc:
            return Outcome(exc.status, [{"code": exc.status, "description": exc.description}]), {}
        if pd.notna(session.get("ended_at")):
            return Outcome(409, [{"code": 409, "description": f"patrol {patrol_id!r} has already ended"}]), {}
        pts = store.read("patrol_points", where={"patrol_id": patrol_id}, columns=["t", "lon", "lat"])
        track = track_of(pts)
        if track is None:
            return Outcome(409, [{"code": 409, "description": f"patrol {patrol_id!r} has no GPS points; "
                                  "send points before ending it"}]), {}
        end = pd.Timestamp(ended_at) if ended_at is not None else max(now_utc(), pts["t"].max())
        started = session["started_at"]
        row = gpd.GeoDataFrame({"patrol_id": [patrol_id], "staff_id": [session["staff_id"]],
                                "started_at": [started], "ended_at": [end]},
                               geometry=[track], crs=STORAGE_CRS)
        store.upsert("patrols", row)
        store.update_columns("patrol_sessions", pd.DataFrame({"patrol_id": [patrol_id], "ended_at": [end]}))
        return Outcome(200, {"patrol_id": patrol_id, "points": int(len(shapely.get_coordinates(track))),
                             "length_m": round(float(gpd.GeoSeries([track], crs=STORAGE_CRS)
                                                     .to_crs(METRIC_CRS).length.iloc[0]), 1),
                             "started_at": _local_iso(started), "ended_at": _local_iso(end)}), {}
    return run


def _local_iso(t) -> str:
    """A time as ISO 8601 in the town's zone (as every other answer gives it)."""
    from geodata import config
    t = pd.Timestamp(t)
    return (t.tz_localize(config.timezone()) if t.tzinfo is None else t.tz_convert(config.timezone())).isoformat()


@bp.post("/patrols/<patrol_id>/end.json")
@endpoint("patrols")
def end_patrol(patrol_id: str):
    body, client, idem = begin_post("patrols:write")
    patrol_id = path_id(patrol_id, "patrol")
    req = validate(PatrolEndIn, body)
    _own_session(town().store, patrol_id, client)
    return commit(submission(client, body, idem, run=_end(patrol_id, req.ended_at)))
