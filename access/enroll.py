"""``/enroll``: the wall's browser trades its one-time code for its device cookie.

A page like ``/login`` (same style, Chinese by default, ``?lang=en``, no script):
one field for the code, sent by POST — never in a URL. On success the answer sets
the device token (access/devices.py) in a cookie that is ``HttpOnly``,
``SameSite=Strict``, ``Secure`` behind TLS and long-lived (:data:`COOKIE_DAYS`,
Chromium's ceiling), renewed as the wall keeps running, and goes on to ``/wall``.
Attempts are rate-limited per address like the sign-in; each refused code is audited
(access/devices.py).
"""
from __future__ import annotations

import flask

from access.audit import AuditError
from access.gate import DEVICE_COOKIE, client_address
from access.i18n import TEXT, lang_of
from callbacks.paths import app_href, request_prefix

#: Chromium caps a cookie's lifetime at 400 days; the cookie is set again while the wall runs.
COOKIE_DAYS = 400

ENROLL = """<p>{{ t.enroll_why }}</p>
{% if note %}<p class="tb-note" id="tb-note">{{ note }}</p>{% endif %}
<form method="post" action="{{ base }}/enroll?{{ query }}" autocomplete="off">
<label for="tb-code">{{ t.enroll_code }}</label><input id="tb-code" name="code" required autofocus
 autocapitalize="characters" spellcheck="false" maxlength="32" placeholder="XXXX-XXXX-XXXX">
<button id="tb-submit" type="submit">{{ t.enroll_submit }}</button>
{% if error %}<p class="tb-error" id="tb-error" role="alert">{{ error }}</p>{% endif %}
</form>"""


def set_device_cookie(resp, token: str):
    from access.web import _tls_configured
    resp.set_cookie(DEVICE_COOKIE, token, max_age=COOKIE_DAYS * 86400, httponly=True, samesite="Strict",
                    path=request_prefix(), secure=flask.request.is_secure or _tls_configured())
    return resp


def install_enroll(server, access, limiter, limits: str) -> None:
    """The ``/enroll`` page and the renewal of a running wall's cookie."""
    from access.web import _render, _unavailable

    def lang_suffix() -> str:
        return "?lang=en" if lang_of(flask.request.args) == "en" else ""

    def page(error: str = "", status: int = 200):
        t = TEXT[lang_of(flask.request.args)]
        note = t["enroll_refused"] if flask.request.args.get("revoked") else ""
        query = "lang=en" if lang_of(flask.request.args) == "en" else ""
        resp = flask.make_response(_render("enroll", "enroll_title", ENROLL, note=note, error=error, query=query),
                                   status)
        resp.headers["Cache-Control"] = "no-store"
        return resp

    @server.route("/enroll", methods=["GET"])
    def enroll_form():
        sess = flask.g.get("tb_session")
        if sess is not None and sess.device:
            return flask.redirect(app_href("/wall" + lang_suffix()), 303)
        return page()

    @server.route("/enroll", methods=["POST"])
    @limiter.limit(limits)
    def enroll_post():
        t = TEXT[lang_of(flask.request.args)]
        try:
            token, why = access.devices.enroll(flask.request.form.get("code") or "", client_address())
        except AuditError:
            return _unavailable()
        if token is None:
            return page(t.get(f"enroll_{why}", t["enroll_unknown"]), 401)
        resp = flask.redirect(app_href("/wall" + lang_suffix()), 303)
        resp.headers["Cache-Control"] = "no-store"
        return set_device_cookie(resp, token)

    @server.after_request
    def _renew(resp):
        # once a minute (when last_seen was written) a running wall's cookie starts its 400 days again
        sess = flask.g.get("tb_session")
        token = flask.request.cookies.get(DEVICE_COOKIE)
        if sess is not None and sess.device and token and sess.stored_last_seen == sess.checked:
            set_device_cookie(resp, token)
        return resp
