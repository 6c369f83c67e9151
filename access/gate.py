"""Deny by default: one ``before_request`` in front of every route of the server.

Open without a session: the sign-in pages (``/login…``, ``/logout``), ``/enroll``
(a wall trading its code, part 4; access/enroll.py), ``/health`` (status only without a role) and the
Open311 API under ``/open311/``, which keeps its own rules (intake/). Everything
else needs a signed-in session allowed to make the request:

* a page — ``/wall``, ``/console``, ``/audit``, … — redirects to ``/login?next=…``
  without one, and is 403 for a role that may not open it (access/roles.py);
* the export routes under ``/export/`` (exports/web.py) are 403 for every role but
  those that may export (``roles.EXPORT_ROLES``); the routes check the page and the
  job's owner themselves;
* Dash's endpoints (``/_dash-layout``, ``/_dash-dependencies``,
  ``/_dash-update-component``, ``/_reload-hash``, ``/_favicon.ico``) and the static
  files (``/assets/``, ``/_dash-component-suites/``, ``/static/``) answer 401 JSON
  without a session and 403 for a role with no Dash page. The static files are
  public code, but nothing before sign-in needs them (the sign-in pages carry their
  own stylesheet), so they are closed too: the less an outsider can fetch, the less
  there is to probe;
* a callback is checked against the page it belongs to (access/pages.py) and,
  when it carries the page's ``pathname``, against that page; the layout against
  the page its ``Referer`` names (callbacks/routes.py draws that page into it).

An enrolled wall carries a device cookie instead (access/devices.py): it is a session
of the ``kiosk`` role, checked against the store on every request, with no idle
time-out; a revoked one is refused (a page goes back to ``/enroll``).

Every refusal is audited. A request from a foreign ``Origin`` (or that the browser
marks ``Sec-Fetch-Site: cross-site``) that could change something is refused.
"""
from __future__ import annotations

import json
import logging
from urllib.parse import quote, urlsplit

import flask

from access import roles
from access.audit import AuditError
from access.pages import SHELL, callback_modules, callback_page
from access.scope import TOWN, request_scope
from callbacks.paths import app_href, local_path, request_prefix
from geodata import row_scope

log = logging.getLogger(__name__)

COOKIE = "tb_session"
#: The enrolled wall's cookie (access/devices.py, access/enroll.py): a person's session wins over it.
DEVICE_COOKIE = "tb_device"
OPEN_PREFIXES = ("/login", "/logout", "/enroll", "/health", "/open311/")
DASH_ENDPOINTS = ("/_dash-layout", "/_dash-dependencies", "/_dash-update-component", "/_reload-hash",
                  "/_favicon.ico")
STATIC_PREFIXES = ("/assets/", "/_dash-component-suites/", "/static/")
#: Paths of pages that access/web.py serves to a signed-in person (any role).
ACCOUNT_PAGES = ("/account",)


def _is_open(path: str) -> bool:
    return any(path == p.rstrip("/") or path.startswith(p if p.endswith("/") else p + "/") or path == p
               for p in OPEN_PREFIXES)


def client_address() -> str | None:
    return flask.request.remote_addr


def foreign_origin(request) -> bool:
    """Whether a browser says this request comes from another site."""
    origin = request.headers.get("Origin")
    if origin and origin != "null":
        return urlsplit(origin).netloc != request.host
    if origin == "null":
        return True
    return request.headers.get("Sec-Fetch-Site") == "cross-site"


def _activity(path: str, request) -> bool:
    """Whether the request is something a person did (see access/sessions.py)."""
    if path.startswith(STATIC_PREFIXES) or path in ("/_dash-dependencies", "/_favicon.ico", "/_reload-hash"):
        return False
    if path == "/_dash-update-component":
        body = request.get_json(silent=True, cache=True) or {}
        changed = (body.get("changedPropIds") if isinstance(body, dict) else None) or []
        return not changed or not all(str(c).endswith(".n_intervals") for c in changed)
    return True


class Gate:
    def __init__(self, access, dash_app=None):
        self.access = access
        self.dash_app = dash_app
        self._modules: dict | None = None

    # ---- the rules ----------------------------------------------------------------------
    def modules(self) -> dict:
        if self._modules is None:
            self._modules = callback_modules(self.dash_app) if self.dash_app is not None else {}
        return self._modules

    def page_allowed(self, role: str, path: str) -> bool:
        """A known page by the role map; an unknown one (the 404 page) to any Dash role."""
        if path.startswith(roles.EXPORT_PREFIX) or path == roles.EXPORT_PREFIX.rstrip("/"):
            return roles.may_export(role)
        path = path.rstrip("/") or "/"
        known = {p for pages in roles.DASH_PAGES.values() for p in pages} | \
                {p for pages in roles.OWN_PAGES.values() for p in pages}
        if path in known:
            return roles.may_open(role, path)
        if path in ACCOUNT_PAGES:
            return True
        return roles.has_dash(role)

    def callback_refusal(self, role: str, body: dict) -> str | None:
        """Why ``role`` may not make this callback, or None."""
        if not isinstance(body, dict):
            return "a callback body that is no JSON object"
        output = body.get("output")
        module = self.modules().get(output)
        page = callback_page(module)
        if page is None:
            return f"unclassified or unknown callback {str(output)[:80]}"
        if page != SHELL and not roles.may_open(role, page):
            return f"callback of {page}"
        for item in [*(body.get("inputs") or []), *(body.get("state") or [])]:
            items = item if isinstance(item, list) else [item]
            for it in items:
                if isinstance(it, dict) and it.get("property") == "pathname" and isinstance(it.get("value"), str):
                    # the page as the router reads it: under a proxy's prefix too (callbacks/paths.py)
                    if not self.page_allowed(role, local_path(it["value"], request_prefix())):
                        return f"callback for page {it['value'][:80]}"
        return None

    # ---- Flask --------------------------------------------------------------------------
    def check(self):
        """The ``before_request`` hook: None lets the request through."""
        req = flask.request
        path = req.path
        # the database work of this request (geodata/row_scope.py; undone in :meth:`finish`):
        # nothing until the session is known, then the session's grants; the Open311 API
        # keeps its own rules (a key's scopes, no personal data without one), in Python
        flask.g.tb_row_token = row_scope.enter(TOWN if path.startswith("/open311/") else None)
        if path.startswith("/open311/"):
            return None  # its own rules (intake/): reads by GeoReport v2, writes with a key
        token = req.cookies.get(COOKIE)
        device_refused = None
        try:
            sess = self.access.sessions.resolve(token, client_address(), activity=_activity(path, req)) \
                if token else None
            if sess is None and req.cookies.get(DEVICE_COOKIE):
                sess, device_refused = self.access.devices.check(req.cookies[DEVICE_COOKIE], client_address())
        except AuditError:
            return unavailable()
        flask.g.tb_session = sess
        row_scope.replace(request_scope)  # resolved on the first read of a scoped table
        if req.method not in ("GET", "HEAD", "OPTIONS") and foreign_origin(req):
            return self.refuse(403, sess, "foreign origin " + str(req.headers.get("Origin"))[:100])
        if _is_open(path):
            return None
        dash = path in DASH_ENDPOINTS or path.startswith(STATIC_PREFIXES)
        if device_refused and sess is None:
            # a wall whose device was revoked (or whose store lost it): refused, audited;
            # a page goes to /enroll, where a new code can be typed
            if dash:
                return self.refuse(401, None, device_refused, user=_device_name(device_refused))
            return self.refuse_device(device_refused)
        if sess is None or not sess.signed_in:
            if dash:
                return self.refuse(401, sess, "no session")
            return self.to_login(sess)
        if dash:
            if not roles.has_dash(sess.role):
                return self.refuse(403, sess, f"the {sess.role} role has no Dash page")
            if path == "/_dash-layout" and req.referrer:
                ref = urlsplit(req.referrer)
                if ref.netloc == req.host and not self.page_allowed(sess.role, local_path(ref.path, request_prefix())):
                    return self.refuse(403, sess, f"layout of {ref.path[:80]}")
            if path == "/_dash-update-component":
                why = self.callback_refusal(sess.role, req.get_json(silent=True, cache=True) or {})
                if why:
                    return self.refuse(403, sess, why)
            return None
        if not self.page_allowed(sess.role, path):
            return self.refuse(403, sess, f"the {sess.role} role may not open {path[:80]}")
        return None

    @staticmethod
    def finish(_exc=None) -> None:
        """The ``teardown_request`` hook: the request's database scope is undone, so a
        server thread carries no reader's scope into its next request."""
        token = flask.g.pop("tb_row_token", None)
        if token is not None:
            try:
                row_scope.leave(token)
            except ValueError:  # set in another context (cannot happen with Flask's threads)
                row_scope.replace(None)

    def to_login(self, sess):
        """A page without a signed-in session: to the sign-in (or the step it is at)."""
        req = flask.request
        lang = "en" if req.args.get("lang") == "en" else None
        if sess is not None:  # half signed in: back to the step it is at
            from access.web import STAGE_PAGES
            return flask.redirect(app_href(STAGE_PAGES[sess.stage] + (f"?lang={lang}" if lang else "")), 303)
        nxt = req.full_path.rstrip("?") if req.query_string else req.path
        try:
            self.access.audit.record("refused", outcome="refused", source=client_address(),
                                     object=f"{req.method} {req.path}"[:200], detail="no session: to sign-in")
        except AuditError:
            return unavailable()
        # ``next`` is the app's own path (the proxy stripped the prefix); the address, the browser's
        return flask.redirect(app_href("/login?next=" + quote(nxt, safe="/") + (f"&lang={lang}" if lang else "")),
                              303)

    def refuse_device(self, why: str):
        req = flask.request
        unwritten = audit_refusal(self.access, _device_name(why), why)
        if unwritten is not None:
            return unwritten
        lang = "&lang=en" if req.args.get("lang") == "en" else ""
        resp = flask.redirect(app_href("/enroll?revoked=1" + lang), 303)
        resp.headers["Cache-Control"] = "no-store"
        return resp

    def refuse(self, status: int, sess, why: str, user: str | None = None):
        req = flask.request
        unwritten = audit_refusal(self.access, sess.name if sess else user, why)
        if unwritten is not None:
            return unwritten
        log.info("refused %s %s: %s", req.method, req.path, why)
        if req.path in DASH_ENDPOINTS or req.path.startswith(STATIC_PREFIXES) or req.is_json:
            msg = "sign in first" if status == 401 else "not allowed for this account"
            resp = flask.jsonify({"error": msg, "status": status})
        else:
            from access.web import refused_page
            resp = flask.make_response(refused_page(status), status)
        resp.status_code = status
        resp.headers["Cache-Control"] = "no-store"
        return resp


def audit_refusal(access, user: str | None, why: str):
    """The ``refused`` record of the request being answered (who, from where, what, why);
    None once written, else the 503 to answer instead: a refusal is never silent."""
    req = flask.request
    try:
        access.audit.record("refused", outcome="refused", user=user, source=client_address(),
                            object=f"{req.method} {req.path}"[:200], detail=why)
    except AuditError:
        return unavailable()
    return None


def _device_name(why: str) -> str | None:
    """``kiosk:NAME`` out of a device refusal's reason, when it names one."""
    last = why.rsplit(" ", 1)[-1]
    return last if last.startswith("kiosk:") else None


def unavailable():
    """The answer when the audit trail cannot be written: 503, ``Retry-After``, nothing
    of what was asked."""
    resp = flask.jsonify({"error": "the audit trail cannot be written; try again later", "status": 503})
    resp.status_code = 503
    resp.headers["Retry-After"] = "30"
    resp.headers["Cache-Control"] = "no-store"
    return resp


# ---- security headers -----------------------------------------------------------------------
def content_security_policy(script_hashes=()) -> str:
    """The CSP: everything from this server; inline scripts only by their hash (Dash's
    renderer start and its clientside callbacks, dash's ``csp_hashes``). Styles allow
    'unsafe-inline': Dash's index page and plotly.js set style attributes and
    ``<style>`` elements; styles cannot run code. Measured in the browser:
    tests/access/test_browser_signin.py."""
    scripts = " ".join(["'self'", *script_hashes])
    return ("default-src 'self'; "
            f"script-src {scripts}; "
            "style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


class Headers:
    def __init__(self, dash_app=None):
        self.dash_app = dash_app
        self._csp = None

    def csp(self) -> str:
        if self._csp is None:
            hashes = list(self.dash_app.csp_hashes())  # each already 'sha256-…'  if self.dash_app is not None else []
            self._csp = content_security_policy(hashes)
        return self._csp

    def add(self, resp):
        h = resp.headers
        h.setdefault("Content-Security-Policy", self.csp())
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("X-Content-Type-Options", "nosniff")
        # same-origin: callbacks/routes.py reads the Referer of /_dash-layout; no other site gets it
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if flask.request.path in DASH_ENDPOINTS[:3] or flask.request.path.startswith(("/login", "/account", "/audit")):
            h.setdefault("Cache-Control", "no-store")
        return resp


def install_gate(server, access, dash_app=None) -> Gate:
    gate = Gate(access, dash_app)
    headers = Headers(dash_app)
    if dash_app is not None:  # whose requests prefix the addresses written for the browser carry
        server.extensions["townbrain_dash"] = dash_app
    server.before_request(gate.check)
    server.teardown_request(gate.finish)
    server.after_request(headers.add)
    return gate
