"""Answers to links that lead nowhere: a path that is no page, a module that is no module.

Dash serves its index page for any path, so without this ``/nope`` answered 200 and
``/wall?module=foo`` silently showed the overview. Now:

* an unknown path gets the page-not-found page (the wall's error-page look, as for a
  bad ``as_of``) with links to the wall and the console, and the HTTP status 404;
* ``/wall?module=foo`` keeps showing the town (an unattended wall never goes blank)
  under a notice that names the unknown module and links every valid one, and the
  HTTP status 404, so a tool that checks the wall's link (kiosk provisioning, curl)
  sees it is wrong. The notice goes once ``?module=`` names a module (a click on the
  module bar, rotation).

Only Dash's index answers change: assets, ``/health``, ``/open311/…`` and Dash's own
``/_dash-…`` endpoints are other routes.
"""
from __future__ import annotations

from urllib.parse import parse_qs, urlencode

import flask
from dash import Input, Output, dcc, html

from callbacks import ids
from callbacks.chrome import title_bar
from callbacks.i18n import DEFAULT_LANG, MODULE_IDS, parse_query, t, wall_href
from callbacks.paths import app_href

WALL_PATHS = ("/", "/wall")


def unknown_module(search: str | None) -> str | None:
    """The ``?module=`` of a link when it names no module (the first one counts, as
    for :func:`callbacks.i18n.parse_query`).

    >>> unknown_module("?module=foo&lang=en"), unknown_module("?module=ecology"), unknown_module("")
    ('foo', None, None)
    """
    values = parse_qs((search or "").lstrip("?"), keep_blank_values=True).get("module")
    if not values:
        return None
    module = values[0]
    return None if module in MODULE_IDS else module


def link_status(path: str, search: str | None, pages) -> int:
    """The HTTP status of the index page at ``path`` + ``search``, ``pages`` being the
    paths that are pages.

    >>> pages = ("/", "/wall", "/console")
    >>> link_status("/nope", "", pages), link_status("/wall/", "?lang=en", pages)
    (404, 200)
    >>> link_status("/wall", "?module=foo", pages), link_status("/console", "?module=foo", pages)
    (404, 200)
    """
    path = path.rstrip("/") or "/"
    if path not in pages:
        return 404
    if path in WALL_PATHS and unknown_module(search) is not None:
        return 404
    return 200


def console_href(lang: str) -> str:
    return "/console" + (f"?{urlencode({'lang': lang})}" if lang != DEFAULT_LANG else "")


def not_found_layout(data, search: str | None, path: str = "") -> html.Div:
    """The page of a path that is no page: what happened, and the way to the wall and
    to the console, in the language of the link."""
    lang = parse_query(search)["lang"]
    return html.Div(id=ids.NOT_FOUND, className="console", children=[
        title_bar(None, lang, page_name=t("page.not_found", lang), show_as_of=False, page=None),
        html.Main(className="placeholder", role="alert", children=[
            html.H2(t("page.not_found", lang), className="placeholder-title"),
            html.P(t("not_found.path", lang, path=path or "/") if path else t("not_found.body", lang),
                   className="placeholder-body"),
            html.Div(className="placeholder-links", children=[
                dcc.Link(t("console.to_wall", lang), href=app_href(wall_href(None, lang)), className="placeholder-link"),
                dcc.Link(t("not_found.to_console", lang), href=app_href(console_href(lang)),
                         className="placeholder-link"),
            ]),
        ]),
    ])


def unknown_module_notice(search: str | None, lang: str) -> html.Div | None:
    """The wall's notice for a ``?module=`` naming no module: which one, and a link to
    each module (a full load, which always draws that module); ``None`` otherwise."""
    module = unknown_module(search)
    if module is None:
        return None
    q = parse_query(search)
    return html.Div(id=ids.UNKNOWN_MODULE, className="wall-notice unknown-module", role="alert", children=[
        html.Span(t("module.unknown", lang, module=module[:40])),
        html.Span(className="unknown-module-list", children=[
            html.A([t(f"module.{m}", lang), " ", html.Code(m)], href=app_href(wall_href(m, lang, q["rotate"])),
                   className="unknown-module-link", **{"data-module": m}) for m in MODULE_IDS]),
    ])


def register_not_found(app, pages) -> None:
    """HTTP 404 for the index page of a link that leads nowhere (:func:`link_status`),
    and the unknown-module notice leaving once the URL names a module."""
    prefix = app.config.routes_pathname_prefix
    index_endpoints = {prefix, prefix + "<path:path>"}  # dash/backends/_flask.py: setup_index, setup_catchall

    @app.server.after_request
    def not_found_status(response):
        req = flask.request
        if req.endpoint in index_endpoints and response.status_code == 200:
            path = "/" + req.path[len(prefix):]
            query = req.query_string.decode("utf-8", "replace")
            if link_status(path, f"?{query}" if query else "", pages) == 404:
                response.status_code = 404
        return response

    app.clientside_callback(
        """function (search) {
            var m = new URLSearchParams(search || '').get('module');
            return !(m !== null && %s.indexOf(m) < 0);
        }""" % list(MODULE_IDS).__repr__().replace("'", '"'),
        Output(ids.UNKNOWN_MODULE, "hidden"), Input(ids.WALL_URL, "search"), prevent_initial_call=True)
