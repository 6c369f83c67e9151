"""Case transitions for the inspectors' app and the dispatchers: dispatch, handle,
feedback, close (verify), rework, escalate, and the rest of the lifecycle.

The rules are geodata.workflow's (one implementation); a forbidden step is 409
with the actions that are allowed. Transitions run in the intake's writer thread,
one after another, so two steps on one case never race.
"""
from __future__ import annotations

import pandas as pd
from flask import Blueprint

from geodata.intake import Outcome
from geodata.workflow import InvalidStep, TransitionError, apply_transition
from intake.errors import guarded
from intake.models import TransitionIn
from intake.runtime import begin_post, commit, endpoint, now_utc, path_id, submission, validate

bp = guarded(Blueprint("open311_workflow", __name__, url_prefix="/open311/v2"))


def _iso(v):
    return None if v is None or (not isinstance(v, str) and pd.isna(v)) else pd.Timestamp(v).isoformat()


def state_of(case: dict) -> dict:
    """The public state of a case after a transition."""
    return {"service_request_id": str(case["case_id"]), "status": case.get("status"),
            "level": case.get("level"), "registered_at": _iso(case.get("registered_at")),
            "deadline": _iso(case.get("deadline")), "closed_at": _iso(case.get("closed_at")),
            "resolved_level": case.get("resolved_level"), "history_seq": int(case.get("history_seq") or 0)}


def _transition(case_id: str, step: TransitionIn, at: pd.Timestamp):
    def run(store):
        if store.count("cases", where={"case_id": case_id}) == 0:
            return Outcome(404, [{"code": 404, "description": f"no service request {case_id!r}"}]), {}
        known = store.has_layer("staff") and store.count("staff", where={"staff_id": step.by}) > 0
        if not known:
            return Outcome(400, [{"code": 400, "description": f"by {step.by[:64]!r} is not a staff_id of the "
                                  "staff layer; a step is made by known staff"}]), {}
        kw = {k: v for k, v in (("note", step.note), ("extend_hours", step.extend_hours),
                                ("deadline", step.deadline)) if v is not None}
        try:
            case, _ = apply_transition(store, case_id, step.action, at, step.by, step.level, **kw)
        except InvalidStep as exc:
            return Outcome(400, [{"code": 400, "description": str(exc)}]), {}
        except TransitionError as exc:
            return Outcome(409, [{"code": 409, "description": str(exc)}]), {}
        return Outcome(200, state_of(case)), {}
    return run


@bp.post("/requests/<case_id>/transitions.json")
@endpoint("case_history")
def post_transition(case_id: str):
    body, client, idem = begin_post("workflow:write")
    case_id = path_id(case_id, "service request")
    step = validate(TransitionIn, body)
    at = now_utc() if step.at is None else pd.Timestamp(step.at)
    return commit(submission(client, body, idem, run=_transition(case_id, step, at)))
