"""What the server answers when a request cannot be served: a 4xx for bad input, a 503
for a store that cannot be read — never a 500 with a traceback (issue 16, Deliver 6:
"every bad input a 4xx, never a 500, and one log line, not a traceback, per refusal";
"a store that cannot be read is a 503 with Retry-After").

Dash's ``/_dash-update-component`` takes whatever JSON it is sent and calls the
callback with it, so a crafted body (inputs missing, a string where the component
gives a list, a date outside pandas' range) used to raise inside Dash or inside a
callback and end as a 500 with a traceback per request. Two steps now:

1. **The body's shape**, before Dash reads it (after the gate, which answers 401/403
   first; a body the gate cannot parse at all is refused before it): a JSON object naming a
   registered callback (``app.callback_map``), with exactly the inputs and states
   that callback declares, in order, by id and property, and ``changedPropIds`` and
   ``outputs`` of the right types. Otherwise 400, and nothing runs.
2. **The values.** A callback is a function of its inputs (and the store, whose
   failures are step 3), so one that raises on a well-shaped body raised on values
   its components would not send: 400 naming the callback and the exception's type,
   logged on one line with the file and line that raised — a real bug still shows in
   the log, and in a browser test as a failed callback in the console.
3. **The store.** :class:`geodata.frames.StoreUnavailable` anywhere (a callback, a
   page, the sign-in) is a 503 with ``Retry-After`` and a sentence without the store's
   path or its driver's words (those go to the log). A page (Dash's index) checks the
   store first, so a town whose GeoPackage is corrupt gets the 503 and not an empty
   screen. So is an audit trail that cannot be written (:class:`access.audit.AuditError`:
   a case's view or its refusal, recorded inside a callback): the action does not
   happen and nothing of it is sent; it is not the caller's bad input.
"""
from __future__ import annotations

import logging
import os
import time
import traceback

import flask
from werkzeug.exceptions import HTTPException

from access.audit import AuditError
from access.gate import COOKIE, DEVICE_COOKIE, audit_refusal, unavailable as audit_unavailable
from geodata.frames import StoreUnavailable

log = logging.getLogger("townbrain.refusals")

CALLBACK = "/_dash-update-component"
#: Seconds a client waits before asking again when the store cannot be read.
RETRY_AFTER_S = 30
#: A page checks the store at most this often (seconds) while it answers.
PING_EVERY_S = 2.0
UNAVAILABLE = "the town's data store cannot be read right now; try again in a moment"


def _json(status: int, error: str, **headers):
    resp = flask.jsonify({"error": error, "status": status})
    resp.status_code = status
    resp.headers["Cache-Control"] = "no-store"
    resp.headers.update(headers)
    return resp


def _one_line(exc: BaseException) -> str:
    """``Type: first line of the message (file:line)`` of where ``exc`` was raised."""
    tb = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in tb if "site-packages" not in f.filename] or tb  # the last frame of TownBrain's code
    where = f" ({os.path.basename(ours[-1].filename)}:{ours[-1].lineno})" if ours else ""
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{type(exc).__name__}: {text}{where}"


def _items_problem(name: str, got, want: list[dict]) -> str | None:
    if not isinstance(got, list):
        return f"'{name}' must be a list"
    if len(got) != len(want):
        return f"'{name}' must have {len(want)} item(s), not {len(got)}"
    for i, (g, w) in enumerate(zip(got, want)):
        pattern = str(w.get("id", "")).startswith("{")  # a pattern-matching id: a dict, or a list of them
        entries = g if pattern and isinstance(g, list) else [g]
        for e in entries:
            if not isinstance(e, dict):  # "value" may be absent: the renderer leaves out an undefined one
                return f"'{name}[{i}]' must be an object with id and property"
            if e.get("property") != w.get("property") or (not pattern and e.get("id") != w.get("id")):
                return f"'{name}[{i}]' must be {w.get('id')}.{w.get('property')}"
    return None


def _outputs_problem(outputs, output: str) -> str | None:
    multi = output.startswith("..")
    n = len(output[2:-2].split("...")) if multi else 1
    items = outputs if isinstance(outputs, list) else [outputs]
    if multi != isinstance(outputs, list) or len(items) != n:
        return f"'outputs' must name the callback's {n} output(s)"
    if not all(isinstance(o, dict) and isinstance(o.get("id"), (str, dict)) and isinstance(o.get("property"), str)
               for o in items):
        return "'outputs' must be objects with id and property"
    return None


def callback_body_problem(body, callback_map: dict) -> str | None:
    """Why ``body`` is not a call of a registered callback, or None.

    >>> cmap = {"out.children": {"inputs": [{"id": "a", "property": "value"}], "state": []}}
    >>> ok = {"output": "out.children", "outputs": {"id": "out", "property": "children"},
    ...       "inputs": [{"id": "a", "property": "value", "value": 1}], "changedPropIds": ["a.value"]}
    >>> callback_body_problem(ok, cmap) is None
    True
    >>> callback_body_problem({**ok, "inputs": "a"}, cmap), callback_body_problem([ok], cmap)
    ("'inputs' must be a list", 'the body must be a JSON object')
    >>> callback_body_problem({k: v for k, v in ok.items() if k != "inputs"}, cmap)
    "'inputs' must be a list"
    """
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    output = body.get("output")
    if not isinstance(output, str) or output not in callback_map:
        return "'output' does not name a callback of this app"
    cb = callback_map[output]
    why = (_items_problem("inputs", body.get("inputs"), cb.get("inputs") or [])
           or _items_problem("state", body.get("state", []), cb.get("state") or []))
    if why:
        return why
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        return "'changedPropIds' must be a list of strings"
    if "outputs" in body and not cb.get("no_output"):
        return _outputs_problem(body["outputs"], output)
    return None


class Refusals:
    """The hooks on the Flask server of a Dash app (see :func:`install_refusals`)."""

    def __init__(self, dash_app, store):
        self.dash_app, self.store = dash_app, store
        self._ping_ok_at = 0.0

    def check_callback_json(self):
        """``before_request`` before the gate: from a caller with a session cookie, a body
        the gate cannot read (JSON that is not an object, or inputs that are not lists) is
        a 400; anything else goes on to the gate, so a caller without a session still gets
        its 401 first."""
        req = flask.request
        if req.path != CALLBACK or req.method != "POST" or not (req.cookies.get(COOKIE) or req.cookies.get(DEVICE_COOKIE)):
            return None  # without a session the gate does not read the body: its 401 comes first
        body = req.get_json(silent=True, cache=True)
        if body is None:  # not JSON: say so; an empty body goes on (the gate reads it as {})
            return self._bad_body("the body must be JSON") if req.get_data(cache=True) else None
        why = "the body must be a JSON object" if not isinstance(body, dict) else next(
            (f"'{k}' must be a list" for k in ("inputs", "state", "changedPropIds")
             if k in body and not isinstance(body[k], list)), None)
        return self._bad_body(why) if why else None

    def check_callback_body(self):
        """``before_request`` after the gate: the body must be a call of the callback it names."""
        req = flask.request
        if req.path != CALLBACK or req.method != "POST":
            return None
        why = callback_body_problem(req.get_json(silent=True, cache=True), self.dash_app.callback_map)
        return self._bad_body(why) if why else None

    def _bad_body(self, why: str):
        log.warning("refused POST %s: %s", CALLBACK, why)
        return self._audited(400, why) or _json(400, why)

    def _audited(self, status: int, why: str):
        """Write the refusal to the audit trail (issue 16, Deliver 5: "every refusal"):
        the session's account when the gate has seen it (a body refused before the gate
        comes from a caller holding a session cookie, not yet checked, and is recorded
        without a name). None when written; the 503 of an audit that cannot be written
        (then the refusal does not happen silently)."""
        access = self.dash_app.server.extensions.get("townbrain_access")
        if access is None:
            return None
        return audit_refusal(access, getattr(flask.g.get("tb_session"), "name", None), f"{status}: {why}"[:300])

    def check_store_for_pages(self):
        """``before_request`` after the gate: a page (Dash's index) needs a readable store."""
        rule = flask.request.url_rule
        if flask.request.method != "GET" or rule is None or rule.endpoint not in self._index_endpoints():
            return None
        if time.monotonic() - self._ping_ok_at < PING_EVERY_S:
            return None
        try:
            self.store.ping()
        except Exception as exc:  # noqa: BLE001 - whatever the driver raises, the store cannot be read
            return self.unavailable(exc)
        self._ping_ok_at = time.monotonic()
        return None

    def _index_endpoints(self) -> set[str]:
        server = self.dash_app.server
        return {r.endpoint for r in server.url_map.iter_rules()
                if r.rule in ("/", "/<path:path>") or r.rule.endswith("/<path:path>")}

    def unavailable(self, exc: BaseException):
        log.warning("503 %s %s: store unavailable: %s", flask.request.method, flask.request.path, _one_line(exc))
        return _json(503, UNAVAILABLE, **{"Retry-After": str(RETRY_AFTER_S)})

    def on_error(self, exc: Exception):
        """The server's handler of any exception a view raised."""
        if isinstance(exc, HTTPException):
            return exc
        if isinstance(exc, StoreUnavailable):
            return self.unavailable(exc)
        if isinstance(exc, AuditError):  # the action it was to record does not happen: nothing is sent
            log.warning("503 %s %s: %s", flask.request.method, flask.request.path, _one_line(exc))
            return audit_unavailable()
        if flask.request.path == CALLBACK:
            body = flask.request.get_json(silent=True, cache=True) or {}
            output = str(body.get("output"))[:120]
            log.warning("refused POST %s %s: its inputs raised %s", CALLBACK, output, _one_line(exc))
            why = f"the callback cannot use these inputs ({type(exc).__name__})"
            return self._audited(400, f"{output}: {why}") or _json(400, why)
        raise exc  # anything else is a bug of ours: Flask's 500, with its traceback in the log


def install_refusals(dash_app, store) -> Refusals:
    """Install the hooks that go before the access gate (access/web.py): a body the gate
    cannot read never reaches it. :func:`install_after_gate` adds the rest."""
    refusals = Refusals(dash_app, store)
    server = dash_app.server
    server.before_request(refusals.check_callback_json)
    server.register_error_handler(Exception, refusals.on_error)
    server.extensions["townbrain_refusals"] = refusals
    return refusals


def install_after_gate(dash_app) -> None:
    """After the gate (it answers 401/403 first): a callback's body is checked against
    the callback map, and a page request checks the store (503 if away)."""
    refusals = dash_app.server.extensions["townbrain_refusals"]
    dash_app.server.before_request(refusals.check_callback_body)
    dash_app.server.before_request(refusals.check_store_for_pages)
