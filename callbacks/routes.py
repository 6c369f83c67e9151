"""The shell every page lives in, and the router that fills it from the URL.

Dash serves its index page for any path, so ``/wall``, ``/`` and ``/console`` all
reach the browser and this router picks the page. It re-renders only when the
path or the language changes: a module link changes just ``?module=`` and is
handled by the wall's own callback, so the map is not rebuilt for it.
"""
from __future__ import annotations

from dash import ClientsideFunction, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from callbacks import ids
from callbacks.console import console_layout, not_found_layout
from callbacks.i18n import parse_query
from callbacks.wall import wall_layout

PAGE_KEY = "page-key"  # dcc.Store: (path, lang) of the page on screen
PAGES = {"/": wall_layout, "/wall": wall_layout, "/console": console_layout}


def shell(tz: str) -> html.Div:
    """The layout Dash serves: URL, clock ticker, page slot."""
    return html.Div(className="shell", children=[
        dcc.Location(id=ids.URL, refresh=False),
        dcc.Store(id=PAGE_KEY),
        dcc.Store(id=ids.SCREEN_CONF, data={"tz": tz, "lang": "zh"}),
        dcc.Interval(id=ids.CLOCK_TICK, interval=1000),
        html.Div(id=ids.PAGE, className="page"),
    ])


def register_routes(app, data) -> None:

    @app.callback(Output(ids.PAGE, "children"), Output(PAGE_KEY, "data"), Output(ids.SCREEN_CONF, "data"),
                  Input(ids.URL, "pathname"), Input(ids.URL, "search"),
                  State(PAGE_KEY, "data"), State(ids.SCREEN_CONF, "data"))
    def route(pathname, search, shown, conf):
        path = (pathname or "/").rstrip("/") or "/"
        lang = parse_query(search)["lang"]
        key = [path, lang]
        if shown == key:
            raise PreventUpdate  # only ?module= (or ?rotate=) changed
        page = PAGES.get(path, not_found_layout)(data, search)
        return page, key, {**(conf or {}), "lang": lang}

    # The clock runs in the browser: see assets/clock.js.
    app.clientside_callback(
        ClientsideFunction(namespace="townbrain", function_name="tick"),
        Output(ids.CLOCK_TIME, "children"), Output(ids.CLOCK_DATE, "children"),
        Input(ids.CLOCK_TICK, "n_intervals"), Input(ids.SCREEN_CONF, "data"),
    )
