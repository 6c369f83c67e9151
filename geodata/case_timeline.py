"""A case's workflow timeline as the console shows it: the steps that happened, in
order, then the one step that is due next. Pure: a case row and its ``case_history``
rows in, a DataFrame out (``geodata.case_queries.case_detail`` reads them).

brief.md ("How a case flows", GB/T 30428): collection → registration (立案) →
dispatch (派遣) → handling (处置) → feedback (反馈) → verification and closing (核查结案)
→ evaluation (评价); a case that fails verification goes back for rework (返工); an
extension (延期) sets a new deadline. Issue 15: a timeline shows only what happened
— never a future step drawn as done ("处置 时间未记录" on a case just registered) —
includes rework and extensions, and shows the next step as due, with its deadline.

Each row: ``step`` (a key of ``step.*`` labels), ``action``, ``at`` (NaT when the
step is known to have happened but its time was not recorded), ``by``, ``level``,
``note``, ``deadline`` (an extension's new deadline; the due step's deadline),
``state`` (``done`` or ``due``) and ``source`` (``history`` or ``case``).

Examples
--------
>>> t = lambda h: pd.Timestamp("2024-05-06 08:00", tz="Asia/Shanghai") + pd.Timedelta(hours=h)
>>> just_registered = {"reported_at": t(0), "registered_at": t(1), "deadline": t(9), "status": "registered",
...                    "handled_by": "HDL01"}
>>> tl = timeline_from_case(just_registered, now=t(2))
>>> tl[["step", "state"]].values.tolist()
[['reported', 'done'], ['registered', 'done'], ['dispatched', 'due']]
>>> tl["deadline"].iloc[-1] == t(9)
True
>>> hist = pd.DataFrame({"seq": [1, 2, 3, 4, 5, 6], "at": [t(1), t(2), t(3), t(4), t(5), t(6)],
...     "action": ["register", "dispatch", "handle", "feedback", "rework", "extend"],
...     "to_status": ["registered", "dispatched", "handled", "feedback", "rework", "rework"],
...     "by": ["D1"] * 6, "level": [None] * 6, "note": [None] * 6, "deadline": [t(9)] * 5 + [t(30)]})
>>> tl = timeline_from_history({"reported_at": t(0), "status": "rework", "deadline": t(30)}, hist, now=t(7))
>>> tl["step"].tolist(), tl["state"].iloc[-1]
(['reported', 'registered', 'dispatched', 'handled', 'feedback', 'rework', 'extended', 'dispatched'], 'due')
"""
from __future__ import annotations

import pandas as pd

__all__ = ["COLUMNS", "STEP_OF_ACTION", "NEXT_STEP", "timeline_from_case", "timeline_from_history"]

COLUMNS = ("step", "action", "at", "by", "level", "note", "deadline", "state", "source")
#: The step (label key ``step.<step>``) an action of ``geodata.workflow`` records.
STEP_OF_ACTION = {"report": "reported", "register": "registered", "reject": "rejected", "dispatch": "dispatched",
                  "escalate": "escalated", "handle": "handled", "feedback": "feedback", "extend": "extended",
                  "close": "closed", "rework": "rework", "evaluate": "evaluated"}
#: The state a step leaves the case in (an extension leaves it as it was).
_STATUS_AFTER = {"reported": "reported", "registered": "registered", "dispatched": "dispatched",
                 "escalated": "dispatched", "handled": "handled", "feedback": "feedback", "rework": "rework",
                 "closed": "closed", "evaluated": "evaluated", "rejected": "rejected"}
#: What is due next in each open state (geodata.workflow.TRANSITIONS: a rework case is
#: dispatched again); a closed case's evaluation is not a deadline, so nothing is due.
NEXT_STEP = {"reported": "registered", "registered": "dispatched", "dispatched": "handled", "handled": "feedback",
             "feedback": "closed", "rework": "dispatched"}
#: Workflow order of the states, to tell from a case's status which steps it went through.
_ORDER = ("reported", "registered", "dispatched", "handled", "feedback", "rework", "closed", "evaluated")


def _get(row, key):
    v = row.get(key) if hasattr(row, "get") else None
    return None if v is None or (not isinstance(v, str) and pd.isna(v)) else v


def _frame(steps: list[dict], source: str) -> pd.DataFrame:
    out = pd.DataFrame(steps, columns=list(COLUMNS[:-1]))
    for col in ("at", "deadline"):
        out[col] = pd.to_datetime(out[col], utc=True)
    return out.assign(source=source)


def _until(steps: list[dict], now) -> list[dict]:
    """The steps that had happened by ``now`` (the console's as_of instant): a step
    recorded later, and everything after it, had not."""
    if now is None:
        return steps
    now = pd.Timestamp(now)
    for i, st in enumerate(steps):
        if st["at"] is not None and pd.Timestamp(st["at"]) > now:
            return steps[:i]
    return steps


def _with_due(steps: list[dict], deadline) -> list[dict]:
    """``steps`` and, when the last state is open, the step due next with ``deadline``
    (none before registration: an unaccepted report has no deadline)."""
    status = next((_STATUS_AFTER[s["step"]] for s in reversed(steps) if s["step"] in _STATUS_AFTER), None)
    nxt = NEXT_STEP.get(status)
    if nxt is None:
        return steps
    return steps + [{"step": nxt, "action": None, "at": None, "by": None, "level": None, "note": None,
                     "deadline": deadline if status != "reported" else None, "state": "due"}]


def _reported(case: dict) -> list[dict]:
    at = _get(case, "reported_at")
    return [] if at is None else [{"step": "reported", "action": "report", "at": at,
                                   "by": _get(case, "reported_by"), "level": None, "note": _get(case, "source"),
                                   "deadline": None, "state": "done"}]


def timeline_from_history(case: dict, history: pd.DataFrame, now=None) -> pd.DataFrame:
    """The timeline from the case's ``case_history`` rows (``geodata.workflow``): the
    report, then one step per recorded action — rework and extensions (with their new
    deadline) included — then the step due next, with the deadline in force."""
    hist = history.sort_values([c for c in ("at", "seq") if c in history], kind="stable")
    steps = _reported(case)
    for r in hist.to_dict("records"):
        action = _get(r, "action")
        step = STEP_OF_ACTION.get(action) or _get(r, "to_status")
        if step is None:
            continue
        steps.append({"step": step, "action": action, "at": _get(r, "at"), "by": _get(r, "by"),
                      "level": _get(r, "level"), "note": _get(r, "note"),
                      "deadline": _get(r, "deadline") if step == "extended" else None, "state": "done"})
    steps = _until(steps, now)
    # the deadline in force then: the last one recorded by ``now``, else the case's
    in_force = next((_get(r, "deadline") for r in reversed(hist.to_dict("records"))
                     if _get(r, "deadline") is not None and (now is None or _get(r, "at") is None
                                                             or pd.Timestamp(r["at"]) <= pd.Timestamp(now))),
                    _get(case, "deadline"))
    return _frame(_with_due(steps, in_force), "history")


def timeline_from_case(case: dict, now=None) -> pd.DataFrame:
    """The timeline a case's own columns attest, when it has no history: the steps
    with a recorded time, and those the case names a person for when its status is
    past them (handled by HDL003 on a closed case, at a time it does not record); a
    rework and an extension when its counters say so; then the step due next.

    >>> t = pd.Timestamp("2024-05-06 08:00", tz="Asia/Shanghai")
    >>> timeline_from_case({"reported_at": t, "status": "rejected"})["step"].tolist()
    ['reported', 'rejected']
    """
    status = _get(case, "status")
    rank = _ORDER.index(status) if status in _ORDER else -1

    def passed(step: str) -> bool:  # the status is this step's state or a later one
        return step in _ORDER and rank >= _ORDER.index(step)

    steps = _reported(case)
    if _get(case, "registered_at") is not None:
        steps.append({"step": "registered", "action": "register", "at": _get(case, "registered_at")})
    for step, action in (("dispatched", "dispatch"), ("handled", "handle")):
        # with its time, or named (by whom) on a case whose status is past it: a handler
        # named on a case just registered is an assignment, not a step that happened
        at, by = _get(case, f"{step}_at"), _get(case, f"{step}_by")
        if at is not None or (by is not None and passed(step)):
            steps.append({"step": step, "action": action, "at": at, "by": by})
    if (_get(case, "rework_count") or 0) > 0:
        steps.append({"step": "rework", "action": "rework", "at": None, "note": f"×{int(case['rework_count'])}"})
    if bool(_get(case, "extended") or False):
        steps.append({"step": "extended", "action": "extend", "at": None, "deadline": _get(case, "deadline")})
    if _get(case, "closed_at") is not None:
        steps.append({"step": "closed", "action": "close", "at": _get(case, "closed_at"),
                      "level": _get(case, "resolved_level")})
    if status in ("evaluated", "rejected"):
        steps.append({"step": status, "action": status[:-2] if status == "evaluated" else "reject", "at": None})
    steps = [{"by": None, "level": None, "note": None, "deadline": None, "state": "done", **s} for s in steps]
    steps = _until(steps, now)
    closed = _get(case, "closed_at")
    finished = status == "rejected" or (status in ("closed", "evaluated") and (
        closed is None or now is None or pd.Timestamp(closed) <= pd.Timestamp(now)))
    if finished or (steps and steps[-1]["step"] in ("closed", "evaluated", "rejected")):
        return _frame(steps, "case")
    # where the case stands: its status while open; as of a day before it closed, the
    # last state its steps reached (the rework and extension counters are not states)
    current = status if closed is None and status in NEXT_STEP else next(
        (_STATUS_AFTER[s["step"]] for s in reversed(steps) if s["step"] in _STATUS_AFTER and s["at"] is not None),
        None)
    due = _with_due([{"step": current}], _get(case, "deadline")) if current else []
    return _frame(steps + [d for d in due if d.get("state") == "due"], "case")
