"""The duty officers' console (``/console``): for now a page that says it is coming.

It carries the same title bar as the wall, so the chrome (town name, clock) is
already shared when the real console lands (issue 6, item 4).
"""
from __future__ import annotations

from dash import dcc, html

from callbacks import ids
from callbacks.chrome import title_bar
from callbacks.i18n import parse_query, t, wall_href


def console_layout(data, search: str | None) -> html.Div:
    lang = parse_query(search)["lang"]
    try:
        town = data.town_name()
    except Exception:  # noqa: BLE001 - a placeholder page needs no store
        town = None
    return html.Div(id=ids.CONSOLE, className="console", children=[
        title_bar(town, lang, page_name=t("page.console", lang), show_as_of=False),
        html.Main(className="placeholder", children=[
            html.H2(t("console.coming", lang), className="placeholder-title"),
            html.P(t("console.body", lang), className="placeholder-body"),
            dcc.Link(t("console.to_wall", lang), href=wall_href(None, lang), className="placeholder-link"),
        ]),
    ])


def not_found_layout(data, search: str | None) -> html.Div:
    lang = parse_query(search)["lang"]
    return html.Div(id=ids.NOT_FOUND, className="console", children=[
        title_bar(None, lang, page_name=t("page.not_found", lang), show_as_of=False),
        html.Main(className="placeholder", children=[
            html.P(t("not_found.body", lang), className="placeholder-body"),
            dcc.Link(t("console.to_wall", lang), href=wall_href(None, lang), className="placeholder-link"),
        ]),
    ])
