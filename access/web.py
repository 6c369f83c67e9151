"""The sign-in pages and the few pages of access/ itself (Flask views, no Dash).

``/login`` (name and password) → ``/login/password`` (a new password, at the first
sign-in and every 90 days) → ``/login/enrol`` (the TOTP secret as a QR code, first
time) or ``/login/totp`` (the code) → the page asked for, or the role's home.
``/logout`` ends the session. ``/account`` says who is signed in; ``/audit`` is the
auditor's page. Chinese by default, English with ``?lang=en``; in the wall's dark
style (login.css, served at ``/login/style.css``); no script at all.

Under a path prefix (a reverse proxy, JupyterHub's proxy: callbacks/paths.py) every
address these pages write — the stylesheet, a form's action, a link, a redirect —
carries it, and so does the session cookie's ``Path``: other applications behind the
same host never receive it. ``next`` holds the app's own path, without the prefix.

Sign-in attempts are rate limited per address by Flask-Limiter (in memory: one
server process) on top of the per-account lock-out.
"""
from __future__ import annotations

import threading
from pathlib import Path
from urllib.parse import quote

import flask
import pandas as pd
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin

from access import roles
from access import totp as totp_mod
from access.audit import AuditError
from access.gate import COOKIE, client_address, install_gate
from access.i18n import TEXT, lang_of
from access.service import Access
from callbacks.paths import app_href, request_prefix

STAGE_PAGES = {"password": "/login", "change_password": "/login/password", "totp_enrol": "/login/enrol",
               "totp": "/login/totp", "signed_in": "/account"}
SIGN_IN_LIMITS = "10 per minute;100 per hour"
_CSS = (Path(__file__).with_name("login.css")).read_text()

BASE = """<!DOCTYPE html>
<html lang="{{ 'en' if lang == 'en' else 'zh-CN' }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} · TownBrain</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="{{ base }}/login/style.css"></head>
<body><main class="tb-card{{ ' wide' if wide }}" id="tb-{{ page }}">
<div class="tb-brand"><span class="product">{{ t.product }}</span>
<a id="tb-lang" href="?{{ lang_query }}">{{ t.lang_switch }}</a></div>
<h1>{{ title }}</h1>
{{ body }}
</main></body></html>"""

LOGIN = """{% if note %}<p class="tb-note" id="tb-note">{{ note }}</p>{% endif %}
<form method="post" action="{{ base }}/login?{{ query }}" autocomplete="off">
<label for="tb-name">{{ t.name }}</label><input id="tb-name" name="name" value="{{ name }}" required autofocus
 autocapitalize="off" spellcheck="false">
<label for="tb-password">{{ t.password }}</label><input id="tb-password" name="password" type="password" required>
<button id="tb-submit" type="submit">{{ t.sign_in }}</button>
{% if error %}<p class="tb-error" id="tb-error" role="alert">{{ error }}</p>{% endif %}
</form>"""

CHANGE = """<p>{{ t.change_why }}</p><p class="tb-note">{{ t.policy }}</p>
<form method="post" action="{{ base }}/login/password?{{ query }}" autocomplete="off">
<label for="tb-current">{{ t.current }}</label><input id="tb-current" name="current" type="password" required autofocus>
<label for="tb-new">{{ t.new }}</label><input id="tb-new" name="new" type="password" required>
<label for="tb-again">{{ t.again }}</label><input id="tb-again" name="again" type="password" required>
<button id="tb-submit" type="submit">{{ t.save }}</button>
{% if error %}<p class="tb-error" id="tb-error" role="alert">{{ error }}</p>{% endif %}
</form>"""

CODE = """<p>{{ why }}</p>
{% if qr %}<div class="tb-qr" id="tb-qr">{{ qr }}</div>
<p>{{ t.secret }}: <code id="tb-secret">{{ secret }}</code></p>
<p class="tb-mono" id="tb-uri">{{ uri }}</p>{% endif %}
<form method="post" action="{{ base }}{{ action }}?{{ query }}" autocomplete="off">
<label for="tb-code">{{ t.code }}</label><input id="tb-code" name="code" inputmode="numeric" pattern="[0-9 ]*"
 maxlength="8" required autofocus>
<button id="tb-submit" type="submit">{{ t.verify }}</button>
{% if error %}<p class="tb-error" id="tb-error" role="alert">{{ error }}</p>{% endif %}
</form>"""

ACCOUNT = """<dl id="tb-who"><dt>{{ t.name }}</dt><dd id="tb-account-name">{{ name }}</dd>
<dt>{{ t.role }}</dt><dd id="tb-account-role">{{ t.roles[role] }} ({{ role }})</dd>
<dt>{{ t.grants }}</dt><dd>{{ grants or t.nothing }}</dd>
<dt>{{ t.pages }}</dt><dd class="tb-links">{% for p in pages %}<a href="{{ base }}{{ p }}?{{ query }}">{{ t.page_names.get(p, p) }}</a>{% else %}{{ t.nothing }}{% endfor %}</dd></dl>
<p class="tb-links"><a id="tb-change" href="{{ base }}/login/password?{{ query }}">{{ t.change }}</a>
<a id="tb-signout" href="{{ base }}/logout?{{ query }}">{{ t.sign_out }}</a></p>"""

AUDIT = """<p id="tb-verdict" class="{{ 'tb-ok' if verdict.ok else 'tb-bad' }}">{{ t.audit_whole if verdict.ok else t.audit_broken }}
 — {{ verdict.records }} {{ t.records }}{% if not verdict.ok %}: {{ verdict.reason }}{% endif %}</p>
<form class="tb-inline" method="get" action="{{ base }}/audit"><input type="hidden" name="lang" value="{{ lang }}">
<div><label for="tb-user">{{ t.user }}</label><input id="tb-user" name="user" value="{{ user }}"></div>
<div><label for="tb-since">{{ t.since }}</label><input id="tb-since" name="since" value="{{ since }}" placeholder="2026-12-01"></div>
<button type="submit">{{ t.filter }}</button></form>
<table id="tb-audit"><thead><tr><th>#</th><th>time</th><th>user</th><th>source</th><th>action</th><th>object</th>
<th>outcome</th><th>detail</th></tr></thead><tbody>
{% for r in rows %}<tr><td>{{ r.seq }}</td><td>{{ r.at }}</td><td>{{ r.username }}</td><td>{{ r.source }}</td>
<td>{{ r.action }}</td><td>{{ r.object }}</td><td class="{{ r.outcome }}">{{ r.outcome }}</td><td>{{ r.detail }}</td></tr>
{% endfor %}</tbody></table>
<p class="tb-links"><a href="{{ base }}/account?{{ query }}">{{ t.account }}</a>
<a href="{{ base }}/logout?{{ query }}">{{ t.sign_out }}</a></p>"""

REFUSED = """<p id="tb-refused">{{ msg }}</p><p class="tb-links"><a href="{{ base }}/account?{{ query }}">{{ t.account }}</a>
<a href="{{ base }}/logout?{{ query }}">{{ t.sign_out }}</a></p>"""


def _render(page: str, title_key: str, body_tpl: str, wide: bool = False, **ctx) -> str:
    lang = lang_of(flask.request.args)
    t = TEXT[lang]
    query = ctx.pop("query", None)
    query = ("lang=en" if lang == "en" else "") if query is None else query
    args = {k: v for k, v in flask.request.args.items() if k != "lang"}
    other = {**args, **({"lang": "en"} if lang == "zh" else {})}
    lang_query = "&".join(f"{quote(k)}={quote(v)}" for k, v in other.items())
    base = app_href("")   # the path prefix the browser reaches the app under, "" at the root
    body = flask.render_template_string(body_tpl, t=t, lang=lang, query=query, base=base, **ctx)
    return flask.render_template_string(BASE, t=t, lang=lang, title=t[title_key], page=page, wide=wide,
                                        lang_query=lang_query, body=_markup(body), base=base)


def _markup(s: str):
    from markupsafe import Markup
    return Markup(s)


def refused_page(status: int) -> str:
    t = TEXT[lang_of(flask.request.args)]
    return _render("refused", "refused_title", REFUSED, msg=t["refused_401" if status == 401 else "refused_403"])


def safe_next(value: str | None) -> str | None:
    """A local path to go on to after sign-in, or None (no open redirect).

    >>> safe_next("/console?lang=en"), safe_next("//evil.example/x"), safe_next("https://evil.example")
    ('/console?lang=en', None, None)
    """
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    return value


class _User(UserMixin):
    """Flask-Login's ``current_user``: the signed-in session's account."""

    def __init__(self, sess):
        self.sess = sess
        self.id = sess.name
        self.role = sess.role


def install_access(dash_app, store, clock=None) -> Access:
    """Sign-in pages, the gate and the security headers on ``dash_app``'s server."""
    server = dash_app.server
    access = Access(store, clock=clock)
    server.extensions["townbrain_access"] = access
    # the server's own work (its background threads, the live intake's writer) reads and
    # writes the town; a request works as its session (the gate, geodata/row_scope.py)
    from access.scope import TOWN
    store.row_scope = TOWN
    install_gate(server, access, dash_app)

    login_manager = LoginManager()
    login_manager.session_protection = None  # our sessions are server-side rows, not Flask's cookie
    login_manager.init_app(server)

    @login_manager.request_loader
    def _load(_request):
        sess = flask.g.get("tb_session")
        return _User(sess) if sess is not None and sess.signed_in else None

    limiter = Limiter(get_remote_address, app=server, storage_uri="memory://", default_limits=[],
                      headers_enabled=True)
    from access.enroll import install_enroll
    install_enroll(server, access, limiter, SIGN_IN_LIMITS)  # /enroll: the wall as a device (access/devices.py)
    pending_next: dict[str, str] = {}
    pending_secret: dict[str, str] = {}
    guard = threading.Lock()

    def lang_suffix(sep="?") -> str:
        return f"{sep}lang=en" if lang_of(flask.request.args) == "en" else ""

    def with_cookie(resp, token: str | None):
        if token is None:
            resp.delete_cookie(COOKIE, path=request_prefix(), samesite="Strict")
        else:
            resp.set_cookie(COOKIE, token, httponly=True, samesite="Strict", path=request_prefix(),
                            secure=flask.request.is_secure or _tls_configured())
        resp.headers["Cache-Control"] = "no-store"
        return resp

    def session_at(*stages):
        sess = flask.g.get("tb_session")
        return sess if sess is not None and sess.stage in stages else None

    def go_on(sess):
        """Redirect a session to its stage's page, or (signed in) to where it was going."""
        if sess.stage != "signed_in":
            return flask.redirect(app_href(STAGE_PAGES[sess.stage] + lang_suffix()), 303)
        with guard:
            nxt = pending_next.pop(sess.session_id, None)
        if nxt and not _page_ok(sess.role, nxt):
            nxt = None
        return flask.redirect(app_href(nxt or roles.home(sess.role) + lang_suffix()), 303)

    def finish(sess, user):
        access.audit.record("sign_in", user=sess.name, source=client_address(),
                            detail=f"role={user['role']}")
        access.accounts.succeeded(sess.name)
        access.sessions.set_stage(sess, "signed_in")
        return go_on(sess)

    def _page_ok(role, nxt):
        from access.gate import Gate
        path = nxt.split("?", 1)[0]
        return Gate(access).page_allowed(role, path)

    @server.route("/login/style.css")
    def login_css():
        resp = flask.Response(_CSS, mimetype="text/css")
        resp.headers["Cache-Control"] = "public, max-age=3600"
        return resp

    @server.route("/login", methods=["GET"])
    def login_form():
        sess = flask.g.get("tb_session")
        if sess is not None:
            return go_on(sess)
        t = TEXT[lang_of(flask.request.args)]
        note = t["signed_out"] if flask.request.args.get("out") else ""
        return _render("login", "title", LOGIN, note=note, name="", error="",
                       query=flask.request.query_string.decode())

    @server.route("/login", methods=["POST"])
    @limiter.limit(SIGN_IN_LIMITS)
    def login_post():
        t = TEXT[lang_of(flask.request.args)]
        name = (flask.request.form.get("name") or "").strip()[:64]
        password = flask.request.form.get("password") or ""
        try:
            user, why = access.accounts.check_password(name, password, client_address())
            if user is None:
                msg = {"locked": t["locked"], "lockout": t["locked"], "disabled": t["disabled"]}.get(why, t["bad"])
                html = _render("login", "title", LOGIN, note="", name=name, error=msg,
                               query=flask.request.query_string.decode())
                return with_cookie(flask.make_response(html, 401), None)
            stage = access.accounts.next_stage(user)
            token = access.sessions.create(name, "password" if stage == "signed_in" else stage, client_address())
            sess = access.sessions.resolve(token, client_address())
            nxt = safe_next(flask.request.args.get("next"))
            if nxt:
                with guard:
                    pending_next[sess.session_id] = nxt
            resp = finish(sess, user) if stage == "signed_in" else go_on(sess)
            return with_cookie(resp, token)
        except AuditError:
            return _unavailable()

    @limiter.request_filter
    def _only_posts():
        return flask.request.method != "POST"

    @server.errorhandler(429)
    def _too_many(_exc):
        if not flask.request.path.startswith("/login"):
            return flask.jsonify({"error": "too many requests", "status": 429}), 429
        t = TEXT[lang_of(flask.request.args)]
        html = _render("login", "title", LOGIN, note="", name="", error=t["rate"],
                       query=flask.request.query_string.decode())
        return flask.make_response(html, 429)

    @server.route("/login/password", methods=["GET", "POST"])
    @limiter.limit(SIGN_IN_LIMITS, methods=["POST"])
    def change_password():
        sess = session_at("change_password", "signed_in")
        if sess is None:
            return flask.redirect(app_href("/login" + lang_suffix()), 303)
        t = TEXT[lang_of(flask.request.args)]
        error = ""
        if flask.request.method == "POST":
            f = flask.request.form
            if f.get("new", "") != f.get("again", ""):
                error = t["mismatch"]
            else:
                try:
                    problems = access.accounts.change_password(sess.name, f.get("current", ""), f.get("new", ""),
                                                               client_address())
                    if not problems:
                        if sess.stage == "signed_in":
                            return flask.redirect(app_href("/account" + lang_suffix()), 303)
                        user = access.accounts.get(sess.name)
                        stage = access.accounts.next_stage(user)
                        if stage == "signed_in":
                            return finish(sess, user)
                        access.sessions.set_stage(sess, stage)
                        return go_on(sess)
                except AuditError:
                    return _unavailable()
                words = t.get("problem", {})
                error = t["needs"] + " " + ("；" if words else "; ").join(words.get(p, p) for p in problems)
        return _render("password", "change_title", CHANGE, error=error)

    def code_page(kind: str):
        sess = session_at(kind)
        if sess is None:
            return flask.redirect(app_href("/login" + lang_suffix()), 303)
        t = TEXT[lang_of(flask.request.args)]
        secret = None
        if kind == "totp_enrol":
            with guard:
                secret = pending_secret.setdefault(sess.session_id, totp_mod.new_secret())
        error = ""
        if flask.request.method == "POST":
            try:
                user = access.accounts.get(sess.name)
                if access.accounts.locked(user):
                    access.sessions.end(sess, "locked", client_address())
                    return with_cookie(flask.redirect(app_href("/login" + lang_suffix()), 303), None)
                if access.accounts.check_totp(user, flask.request.form.get("code", ""), client_address(),
                                              secret=secret):
                    with guard:
                        pending_secret.pop(sess.session_id, None)
                    return finish(sess, access.accounts.get(sess.name))
                if access.accounts.locked(access.accounts.get(sess.name)):
                    access.sessions.end(sess, "locked", client_address())
                    html = _render("login", "title", LOGIN, note="", name=sess.name, error=t["locked"], query="")
                    return with_cookie(flask.make_response(html, 401), None)
            except AuditError:
                return _unavailable()
            error = t["bad_code"]
        ctx = {"why": t["totp_why"], "qr": None, "secret": None, "uri": None}
        if secret:
            uri = totp_mod.uri(secret, sess.name)
            ctx = {"why": t["enrol_why"], "qr": _markup(totp_mod.qr_svg(uri)), "secret": secret, "uri": uri}
        action = STAGE_PAGES[kind]
        return _render("enrol" if secret else "totp", "enrol_title" if secret else "totp_title", CODE,
                       action=action, error=error, **ctx)

    @server.route("/login/totp", methods=["GET", "POST"], endpoint="login_totp")
    @limiter.limit(SIGN_IN_LIMITS, methods=["POST"])
    def login_totp():
        return code_page("totp")

    @server.route("/login/enrol", methods=["GET", "POST"], endpoint="login_enrol")
    @limiter.limit(SIGN_IN_LIMITS, methods=["POST"])
    def login_enrol():
        return code_page("totp_enrol")

    @server.route("/logout", methods=["GET", "POST"])
    def logout():
        # GET is safe here: the cookie is SameSite=Strict, so another site cannot sign anyone out
        sess = flask.g.get("tb_session")
        if sess is not None and sess.device:  # a wall is not signed out; it is revoked (townbrain kiosk revoke)
            return flask.redirect(app_href("/wall" + lang_suffix()), 303)
        if sess is not None:
            try:
                access.sessions.end(sess, "sign_out", client_address())
            except AuditError:
                return _unavailable()
        return with_cookie(flask.redirect(app_href("/login?out=1" + lang_suffix("&")), 303), None)

    @server.route("/account")
    def account():
        sess = flask.g.tb_session
        user = access.accounts.get(sess.name) or {}
        pages = sorted({p for p in roles.DASH_PAGES.get(sess.role, ()) if p != "/"} |
                       set(roles.OWN_PAGES.get(sess.role, ())))
        return _render("account", "account", ACCOUNT, name=sess.name, role=sess.role,
                       grants=user.get("grants") or "", pages=pages)

    @server.route("/audit")
    def audit_page():
        args = flask.request.args
        user, since = (args.get("user") or "").strip(), (args.get("since") or "").strip()
        start = None
        if since:
            try:
                start = pd.Timestamp(since)
                start = start.tz_localize("Asia/Shanghai") if start.tzinfo is None else start
            except ValueError:
                start = None
        df = access.audit.list(user=user or None, since=start, limit=500)
        rows = []
        for r in df.iloc[::-1].to_dict("records"):
            rows.append({k: ("" if r.get(k) is None or (not isinstance(r.get(k), str) and pd.isna(r.get(k)))
                             else r[k]) for k in ("seq", "at", "username", "source", "action", "object", "outcome",
                                                  "detail")})
            if rows[-1]["at"] != "":
                rows[-1]["at"] = pd.Timestamp(rows[-1]["at"]).strftime("%Y-%m-%d %H:%M:%S")
        return _render("audit", "audit_title", AUDIT, wide=True, verdict=access.audit.verify(), rows=rows,
                       user=user, since=since)

    return access


def _tls_configured() -> bool:
    import os
    return os.environ.get("TOWNBRAIN_TLS", "").lower() in ("1", "true", "yes")


def _unavailable():
    from access.gate import unavailable
    return unavailable()
