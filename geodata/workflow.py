"""The case lifecycle: states, allowed transitions, deadlines, and a history table.

brief.md ("How a case flows", GB/T 30428 digital city management): "information
collection → case registration (立案) → dispatch (派遣) → handling (处置) → feedback
(反馈) → verification and closing (核查结案) → evaluation (评价). A case that fails
verification goes back for rework (返工)"; "town and district command centres take
what the level below cannot solve"; "Each category has a time limit; every case
carries a deadline; everything is traceable".

The rules are a pure table (:data:`TRANSITIONS`), applied by the pure
:func:`transition`; :func:`apply_transition` is the thin edge that reads the case
from the store, applies the rule, and writes the case and one ``case_history`` row.
Every transition is kept, so :func:`state_at` rebuilds the state of every case at
any past instant from the history alone.

=========  ===========================================  ==========
action     from                                         to
=========  ===========================================  ==========
register   reported                                     registered  (立案; sets registered_at, deadline)
reject     reported                                     rejected    (不予立案)
dispatch   registered, rework                           dispatched  (派遣)
escalate   registered, dispatched, handled, rework      dispatched  (one level up, or to ``level``)
handle     dispatched                                   handled     (处置)
feedback   handled                                      feedback    (反馈)
extend     registered, dispatched, handled, feedback,   unchanged   (延期; new deadline)
           rework
close      feedback                                     closed      (核查结案; sets closed_at, resolved_level)
rework     feedback                                     rework      (核查不通过, 返工)
evaluate   closed                                       evaluated   (评价)
=========  ===========================================  ==========

Examples
--------
>>> import pandas as pd
>>> t = lambda h: pd.Timestamp("2024-05-06", tz="Asia/Shanghai") + pd.Timedelta(hours=h)
>>> case = {"case_id": "C1", "status": "reported", "reported_at": t(0), "category": "street_order"}
>>> case, h1 = transition(case, "register", t(1), "DSP01", time_limit_h=4)
>>> case["status"], case["deadline"] == t(5), h1["id"]
('registered', True, 'C1:0001')
>>> case, h2 = transition(case, "escalate", t(2), "DSP01")
>>> case["status"], case["level"]
('dispatched', 'village')
>>> transition(case, "close", t(3), "DSP01")
Traceback (most recent call last):
...
geodata.workflow.TransitionError: case C1: cannot 'close' a case that is 'dispatched'; allowed from 'dispatched': escalate, extend, handle
>>> hist = pd.DataFrame([h1, h2])
>>> state_at(hist, t(1.5))[["case_id", "status", "level"]].to_dict("records")
[{'case_id': 'C1', 'status': 'registered', 'level': 'grid'}]
"""
from __future__ import annotations

import pandas as pd

from geodata.schema import ACTIONS as SCHEMA_ACTIONS, LAYERS, LEVELS, STATUSES

__all__ = ["TRANSITIONS", "ACTIONS", "TransitionError", "InvalidStep", "DEADLINE_WINDOW", "transition", "apply_transition", "state_at",
           "deadline_for", "time_limit_for", "time_limits", "history_frame", "CASE_HISTORY", "HISTORY_COLUMNS", "DEFAULT_TIME_LIMIT_H",
           "allowed_actions"]

#: Fallback time limit (hours) for a category the ``categories`` layer does not know.
#: A local default, not a standard figure: three days, the longest common limit of
#: the everyday classes in the demo tree (``geodata.demo.categories``).
DEFAULT_TIME_LIMIT_H = 72.0

_OPEN = ("registered", "dispatched", "handled", "feedback", "rework")
#: (state, action) → new state; ``None`` keeps the state. Anything else is illegal.
TRANSITIONS: dict[tuple[str, str], str | None] = {
    ("reported", "register"): "registered",
    ("reported", "reject"): "rejected",
    ("registered", "dispatch"): "dispatched",
    ("rework", "dispatch"): "dispatched",
    **{(s, "escalate"): "dispatched" for s in ("registered", "dispatched", "handled", "rework")},
    ("dispatched", "handle"): "handled",
    ("handled", "feedback"): "feedback",
    **{(s, "extend"): None for s in _OPEN},
    ("feedback", "close"): "closed",
    ("feedback", "rework"): "rework",
    ("closed", "evaluate"): "evaluated",
}
ACTIONS = tuple(sorted({a for _, a in TRANSITIONS}))
assert {s for s, _ in TRANSITIONS} | {t for t in TRANSITIONS.values() if t} <= set(STATUSES)

#: Columns of a ``case_history`` row.
HISTORY_COLUMNS = ("id", "case_id", "seq", "action", "from_status", "to_status", "at", "by",
                   "level", "deadline", "note")

#: The history layer, declared in the data dictionary.
CASE_HISTORY = LAYERS["case_history"]
assert set(ACTIONS) == set(SCHEMA_ACTIONS), "geodata.schema.ACTIONS must list the workflow's actions"


class TransitionError(ValueError):
    """An action the workflow does not allow in the case's state."""


class InvalidStep(TransitionError):
    """A step whose own values cannot be true, whatever the case's state: a time before
    the case's last step or its report, a deadline outside :data:`DEADLINE_WINDOW`
    (the API answers 400, where a step refused by the state is 409)."""


#: How far after its step a deadline may be set: a year (the longest time limit of a
#: category is days; a deadline of 9999 would forge the on-time rates).
DEADLINE_WINDOW = pd.Timedelta(days=366)


def allowed_actions(status: str) -> list[str]:
    """Actions allowed from ``status``."""
    return sorted(a for (s, a) in TRANSITIONS if s == status)


def time_limits(categories: pd.DataFrame | None) -> dict[str, float]:
    """{category code: time limit in hours} from the ``categories`` layer."""
    if categories is None or not len(categories):
        return {}
    c = categories.dropna(subset=["time_limit_h"])
    return dict(zip(c["code"].astype(str), c["time_limit_h"].astype(float)))


def time_limit_for(case, limits: dict[str, float] | None = None,
                   default_h: float = DEFAULT_TIME_LIMIT_H) -> float:
    """Hours allowed for ``case``: its subcategory's limit, else its category's, else
    ``default_h`` (brief.md: "Each category has a time limit").

    >>> time_limit_for({"category": "a", "subcategory": "a/x"}, {"a": 48.0, "a/b": 2.0})
    48.0
    """
    limits = limits or {}
    for key in ("subcategory", "category"):
        code = case.get(key)
        if not _missing(code) and str(code) in limits:
            return float(limits[str(code)])
    return float(default_h)


def deadline_for(case, registered_at, limits: dict[str, float] | None = None,
                 default_h: float = DEFAULT_TIME_LIMIT_H) -> pd.Timestamp:
    """``registered_at`` + :func:`time_limit_for` the case.

    >>> deadline_for({"category": "a", "subcategory": "a/b"}, pd.Timestamp("2024-01-01"),
    ...              {"a": 48.0, "a/b": 2.0})
    Timestamp('2024-01-01 02:00:00')
    """
    return pd.Timestamp(registered_at) + pd.Timedelta(hours=time_limit_for(case, limits, default_h))


def _next_level(current: str | None, target: str | None, case_id) -> str:
    cur = LEVELS.index(current) if current in LEVELS else 0
    if target is None:
        if cur + 1 >= len(LEVELS):
            raise TransitionError(f"case {case_id}: cannot escalate above {LEVELS[-1]!r}")
        return LEVELS[cur + 1]
    if target not in LEVELS:
        raise TransitionError(f"case {case_id}: unknown level {target!r}; levels are {', '.join(LEVELS)}")
    if LEVELS.index(target) <= cur:
        raise TransitionError(f"case {case_id}: escalation goes up (grid → village → town → district), "
                              f"not from {LEVELS[cur]!r} to {target!r}")
    return target


def _missing(v) -> bool:
    return v is None or (not isinstance(v, str) and pd.isna(v))


def transition(case_row, action: str, at, by: str | None, level: str | None = None, *,
               time_limit_h: float | None = None, deadline=None, extend_hours: float | None = None,
               note: str | None = None, seq: int | None = None) -> tuple[dict, dict]:
    """Apply ``action`` to a case; return ``(new_case_row, history_row)``. Pure.

    Parameters
    ----------
    case_row : dict or Series
        Needs ``case_id`` and ``status`` (missing status = ``reported``); uses
        ``level`` (current handling level, default ``grid``), ``status_at``,
        ``history_seq``, ``rework_count``.
    action : str
        One of :data:`ACTIONS`.
    at : time-like
        When; must not be before the case's last transition (``status_at``).
    by : str
        staff_id of who acted.
    level : str, optional
        ``escalate``: the target level (default: one up). ``dispatch``: the level
        dispatched to (default: the current one).
    time_limit_h : float, optional
        ``register``: the category's limit (default :data:`DEFAULT_TIME_LIMIT_H`).
    deadline, extend_hours : optional
        ``extend``: the new deadline, or hours added to the current one.

    Raises
    ------
    TransitionError
        The action is not allowed in the case's state (or an escalation / extension
        that makes no sense), with the allowed actions named.
    """
    case = dict(case_row)
    cid = case.get("case_id")
    status = case.get("status")
    status = "reported" if _missing(status) else str(status)
    if action not in ACTIONS:
        raise TransitionError(f"case {cid}: unknown action {action!r}; actions are {', '.join(ACTIONS)}")
    if (status, action) not in TRANSITIONS:
        allowed = ", ".join(allowed_actions(status)) or "none (final state)"
        raise TransitionError(f"case {cid}: cannot {action!r} a case that is {status!r}; "
                              f"allowed from {status!r}: {allowed}")
    at = pd.Timestamp(at)
    last = case.get("status_at")
    if not _missing(last) and at < pd.Timestamp(last):
        raise InvalidStep(f"case {cid}: {action!r} at {at} is before its last transition at {last}")
    reported = case.get("reported_at")
    if not _missing(reported) and at < pd.Timestamp(reported):
        raise InvalidStep(f"case {cid}: {action!r} at {at} is before the case was reported at {reported}")
    new_status = TRANSITIONS[(status, action)] or status
    cur_level = case.get("level")
    cur_level = "grid" if _missing(cur_level) else str(cur_level)

    if action == "register":
        case["registered_at"] = at
        case["deadline"] = at + pd.Timedelta(hours=float(DEFAULT_TIME_LIMIT_H if time_limit_h is None
                                                          else time_limit_h))
        case["level"] = cur_level
    elif action == "dispatch":
        if level is not None and level not in LEVELS:
            raise TransitionError(f"case {cid}: unknown level {level!r}")
        case["level"] = level or cur_level
        case["dispatched_at"] = at
        case["dispatched_by"] = by
    elif action == "escalate":
        case["level"] = _next_level(cur_level, level, cid)
        case["dispatched_at"] = at
    elif action == "extend":
        old = case.get("deadline")
        if deadline is not None:
            new = pd.Timestamp(deadline)
        elif extend_hours is not None and not _missing(old):
            new = pd.Timestamp(old) + pd.Timedelta(hours=float(extend_hours))
        else:
            raise TransitionError(f"case {cid}: 'extend' needs a new deadline or extend_hours")
        if not _missing(old) and new <= pd.Timestamp(old):
            raise TransitionError(f"case {cid}: an extension must move the deadline later than {old}")
        if not at < new <= at + DEADLINE_WINDOW:
            raise InvalidStep(f"case {cid}: a deadline must be after the step ({at}) and within "
                              f"{DEADLINE_WINDOW.days} days of it, not {new}")
        case["deadline"] = new
        case["extended"] = True
    elif action == "handle":
        case["handled_by"] = by
    elif action == "close":
        case["closed_at"] = at
        case["resolved_level"] = cur_level
    elif action == "rework":
        case["rework_count"] = int(0 if _missing(case.get("rework_count")) else case["rework_count"]) + 1

    n = seq if seq is not None else int(0 if _missing(case.get("history_seq")) else case["history_seq"]) + 1
    case["status"] = new_status
    case["status_at"] = at
    case["history_seq"] = n
    hist = {"id": f"{cid}:{n:04d}", "case_id": cid, "seq": n, "action": action, "from_status": status,
            "to_status": new_status, "at": at, "by": by, "level": case.get("level", cur_level),
            "deadline": case.get("deadline"), "note": note}
    return case, hist


def history_frame(rows: list[dict]) -> pd.DataFrame:
    """History rows as a frame of the ``case_history`` shape."""
    df = pd.DataFrame(rows, columns=list(HISTORY_COLUMNS))
    df["seq"] = df["seq"].astype("Int64")
    for c in ("at", "deadline"):
        df[c] = pd.to_datetime(df[c], utc=True)
    return df


def apply_transition(store, case_id: str, action: str, at, by: str | None, level: str | None = None,
                     **kw) -> tuple[dict, dict]:
    """Read case ``case_id`` from ``store``, apply ``action`` (see :func:`transition`),
    write the case back (``upsert``) and append its ``case_history`` row.

    On ``register`` the deadline comes from the ``categories`` layer's
    ``time_limit_h`` for the case's subcategory or category (fallback
    :data:`DEFAULT_TIME_LIMIT_H`) unless ``time_limit_h=`` is given.
    The sequence number continues the case's history in the store.
    """
    found = store.read("cases", where={"case_id": case_id})
    if len(found) == 0:
        raise TransitionError(f"case {case_id}: not found in {store.url}")
    row = found.iloc[0]
    case = row.to_dict()
    if store.has_layer(CASE_HISTORY.name):
        case["history_seq"] = store.count(CASE_HISTORY.name, where={"case_id": case_id})
        if _missing(case.get("status_at")) and case["history_seq"]:
            last = store.read(CASE_HISTORY.name, where={"case_id": case_id}, columns=["at"])["at"].max()
            case["status_at"] = last
    if action == "register" and kw.get("time_limit_h") is None:
        limits = time_limits(store.read("categories", columns=["code", "time_limit_h"])) \
            if store.has_layer("categories") else {}
        kw["time_limit_h"] = time_limit_for(case, limits)
    new, hist = transition(case, action, at, by, level, **kw)
    import geopandas as gpd
    out = gpd.GeoDataFrame(pd.DataFrame([new]).drop(columns="geometry"),
                           geometry=gpd.GeoSeries([row.geometry], crs=found.crs))
    for c in ("rework_count", "history_seq"):
        if c in out:
            out[c] = out[c].astype("Int64")
    for c in ("extended",):
        if c in out:
            out[c] = out[c].astype("boolean")
    for c, dtype in found.dtypes.items():  # keep stored kinds: an all-NULL value gives no hint
        if c in out and c != "geometry" and str(dtype) in ("boolean", "Int64") and out[c].dtype == object:
            out[c] = out[c].astype(dtype)
    store.upsert("cases", out)
    store.append(CASE_HISTORY.name, history_frame([hist]))
    return new, hist


def state_at(history: pd.DataFrame, when) -> pd.DataFrame:
    """Each case's state at ``when``, rebuilt from the history alone.

    The state of a case at ``when`` is that of its last transition at or before
    ``when`` (ties broken by ``seq``); a case with no transition by then did not
    exist yet and is absent. Returns ``case_id``, ``status``, ``level``,
    ``deadline``, ``since`` (time of that transition) and ``seq``.
    """
    when = pd.Timestamp(when)
    at = pd.to_datetime(history["at"], utc=True)
    if when.tzinfo is None:
        from geodata import config
        when = when.tz_localize(config.timezone())
    h = history.assign(_at=at)[at <= when.tz_convert("UTC")]
    h = h.sort_values(["case_id", "_at", "seq"], kind="stable").groupby("case_id", sort=True).tail(1)
    cols = [c for c in ("case_id", "to_status", "level", "deadline", "at", "seq") if c in h.columns]
    out = pd.DataFrame(h[cols]).rename(columns={"to_status": "status", "at": "since"})
    return out.reset_index(drop=True)
