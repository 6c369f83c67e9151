"""The shell every page lives in, and the router that fills it from the URL.

Dash serves its index page for any path, so ``/wall``, ``/`` and ``/console`` all
reach the browser. The page of the URL the browser opened comes with the layout
itself (:func:`routed_layout`): Dash asks for ``/_dash-layout`` from that page, and
the request's ``Referer`` names it, so the first draw waits for no callback round
trip. The router callback picks the page when the path or the language changes
later: a module link changes just ``?module=`` and is handled by the wall's own
callbacks, so the map is not rebuilt for it.
"""
from __future__ import annotations

import json
from urllib.parse import urlsplit

import flask
from dash import ClientsideFunction, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from callbacks import ids
from callbacks.as_of import as_of_text
from callbacks.console import console_layout
from callbacks.i18n import HTML_LANGS, parse_query
from callbacks.not_found import not_found_layout
from callbacks.paths import local_path
from callbacks.wall import wall_layout

PAGE_KEY = "page-key"  # dcc.Store: [path, lang, as_of] of the page on screen
PAGES = {"/": wall_layout, "/wall": wall_layout, "/console": console_layout}


def shell(tz: str, page=None, key: list | None = None, lang: str = "zh", extras=()) -> html.Div:
    """The layout Dash serves: URL, clock ticker, page slot (holding ``page``, the
    page of ``key`` = [path, lang, as_of], when known), and ``extras`` (the live layer)."""
    return html.Div(className="shell", children=[
        dcc.Location(id=ids.URL, refresh=False),
        dcc.Store(id=PAGE_KEY, data=key),
        dcc.Store(id=ids.PAGE_WANTED, data=key),
        dcc.Store(id=ids.SCREEN_CONF, data={"tz": tz, "lang": lang}),
        dcc.Store(id=ids.HTML_LANG),
        dcc.Interval(id=ids.CLOCK_TICK, interval=1000),
        html.Div(page, id=ids.PAGE, className="page"),
        *extras,
    ])


def routed_layout(data, tz: str, extras=(), app=None):
    """``app.layout``: a function Dash calls for each ``/_dash-layout``, answering with
    the shell and the page of the URL the request came from. Without a usable
    ``Referer`` (a privacy setting, a proxy) the page slot is left empty and the
    router callback fills it, one round trip later. ``app``: the Dash app, whose
    requests prefix (read per request: the notebook sets it after creation) is taken
    off the page's path."""
    def layout():
        url = _page_url(app.config.requests_pathname_prefix if app is not None else "/")
        if url is None:
            return shell(tz, extras=extras)
        path, search = url
        key = page_key(path, search)
        page = page_of(data, path, search)
        return shell(tz, page=page, key=key, lang=key[1], extras=extras)
    return layout


def page_of(data, path: str, search: str | None):
    """The page at ``path``, or the page saying there is none (callbacks/not_found.py)."""
    page = PAGES.get(path)
    return page(data, search) if page is not None else not_found_layout(data, search, path)


def page_key(path: str, search: str | None) -> list:
    """[path, lang, as_of] of a URL: what decides the page drawn (``assets/routes.js:
    pageWanted`` makes the same key). A module switch or rotation changes none of them;
    a new ``as_of`` is another town to draw, as a new language is another text.

    >>> page_key("/wall", "?module=ecology&as_of=2018-12-31"), page_key("/console", "?lang=en")
    (['/wall', 'zh', '2018-12-31'], ['/console', 'en', None])
    """
    return [path, parse_query(search)["lang"], as_of_text(search) or None]


def _page_url(prefix: str = "/") -> tuple[str, str] | None:
    """(path, "?query") of the page that asked for the layout, when it is this server's."""
    if not flask.has_request_context():
        return None
    ref = flask.request.referrer
    if not ref:
        return None
    parts = urlsplit(ref)
    if parts.netloc != flask.request.host:
        return None
    return local_path(parts.path, prefix), (f"?{parts.query}" if parts.query else "")


#: What each page's first render loads lazily, by the end of its path; the wall (every
#: other path) has only the playback slider's chunk. The console draws no plotly chart
#: either since its map moved to Leaflet (callbacks/console.py): nothing to preload.
PRELOAD = {"/console": ()}
WALL_PRELOAD = ("_dash-component-suites/dash/dcc/async-slider.js",)


def preload_links(path: str, prefix: str = "/") -> str:
    """The ``<link rel="preload">`` tags of the page at ``path``.

    >>> preload_links("/console").count('plotly.min.js'), preload_links("/wall").count('plotly')
    (0, 0)
    """
    page = next((paths for end, paths in PRELOAD.items() if path.rstrip("/").endswith(end)), WALL_PRELOAD)
    return "".join(f'<link rel="preload" href="{prefix}{p}" as="script">' for p in page)


def html_lang_tag(html_text: str, search: str | None) -> str:
    """The index page with ``<html lang>`` in the language of the link.

    >>> html_lang_tag('<!DOCTYPE html>\\n<html lang="zh-CN">\\n<head>', "?lang=en").split("\\n")[1]
    '<html lang="en">'
    """
    lang = HTML_LANGS[parse_query(search)["lang"]]
    return html_text.replace('<html lang="zh-CN">', f'<html lang="{lang}">', 1)


def with_preloads(app) -> None:
    """Serve each page's index with its :func:`preload_links` in the ``<head>`` and its
    ``<html lang>`` in the language of the link (:func:`html_lang_tag`)."""
    base = app.interpolate_index

    def interpolate_index(**kwargs):
        path = flask.request.path if flask.has_request_context() else "/"
        # the prefix of now: the notebook sets it after the app is made (townbrain/nb_dashboard.py)
        kwargs["css"] = preload_links(path, app.config.requests_pathname_prefix) + kwargs.get("css", "")
        query = flask.request.query_string.decode("utf-8", "replace") if flask.has_request_context() else ""
        return html_lang_tag(base(**kwargs), f"?{query}" if query else "")

    app.interpolate_index = interpolate_index


def register_routes(app, data) -> None:
    # [path, lang] of the URL, set in the browser only when one of them changes
    # (assets/routes.js): a module switch sends the router nothing
    app.clientside_callback(
        ClientsideFunction(namespace="townbrain_routes", function_name="pageWanted"),
        Output(ids.PAGE_WANTED, "data"), Input(ids.URL, "pathname"), Input(ids.URL, "search"),
        State(ids.PAGE_WANTED, "data"))

    @app.callback(Output(ids.PAGE, "children"), Output(PAGE_KEY, "data"), Output(ids.SCREEN_CONF, "data"),
                  Input(ids.PAGE_WANTED, "data"), State(ids.URL, "pathname"), State(ids.URL, "search"),
                  State(PAGE_KEY, "data"), State(ids.SCREEN_CONF, "data"))
    def route(_wanted, pathname, search, shown, conf):
        path = local_path(pathname, app.config.requests_pathname_prefix)
        key = page_key(path, search)
        if shown == key:
            raise PreventUpdate  # only ?module= (or ?rotate=) changed
        page = page_of(data, path, search)
        return page, key, {**(conf or {}), "lang": key[1]}

    # <html lang> follows a language switch in the page (the index page has it already)
    app.clientside_callback(
        """function (conf) {
            var lang = %s[(conf && conf.lang) || 'zh'] || 'zh-CN';
            if (document.documentElement.lang !== lang) { document.documentElement.lang = lang; }
            return lang;
        }""" % json.dumps(HTML_LANGS),
        Output(ids.HTML_LANG, "data"), Input(ids.SCREEN_CONF, "data"))

    # The clock runs in the browser: see assets/clock.js.
    app.clientside_callback(
        ClientsideFunction(namespace="townbrain", function_name="tick"),
        Output(ids.CLOCK_TIME, "children"), Output(ids.CLOCK_DATE, "children"),
        Input(ids.CLOCK_TICK, "n_intervals"), Input(ids.SCREEN_CONF, "data"),
    )
