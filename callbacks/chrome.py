"""The parts every page shares: the title bar with town name, clock and "data as of".

The clock ticks in the browser (``assets/clock.js``, a clientside callback), so a
wall showing the time costs the server nothing.
"""
from __future__ import annotations

from dash import html

from callbacks import ids
from callbacks.i18n import t

#: System fonts only (no font files fetched, brief.md: intranet). Noto Sans CJK SC is
#: what Debian's fonts-noto-cjk installs; the others are their Windows/macOS peers.
#: Keep in step with ``--font-ui`` in assets/wall.css.
FONT_STACK = ('"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", '
              '"Microsoft YaHei", "Helvetica Neue", Arial, sans-serif')


def title_bar(town: str | None, lang: str, page_name: str = "", show_as_of: bool = True) -> html.Header:
    """Town name and subtitle on the left, the page or module name in the middle,
    the clock, date and data-as-of stamp on the right."""
    right_sub = [html.Span(id=ids.CLOCK_DATE, className="clock-date")]
    if show_as_of:
        right_sub.append(html.Span([html.Span(t("clock.as_of", lang), className="as-of-label"),
                                    html.Span("—", id=ids.DATA_AS_OF, className="as-of-value")],
                                   className="as-of"))
    return html.Header(id=ids.TITLE_BAR, className="title-bar", children=[
        html.Div(className="title-left", children=[
            html.H1(town or t("app.name", lang), id=ids.TOWN_NAME, className="town-name"),
            html.Div(t("app.subtitle", lang), className="subtitle"),
        ]),
        html.Div(page_name, id=ids.PAGE_NAME, className="page-name"),
        html.Div(className="title-right", children=[
            html.Div(id=ids.CLOCK_TIME, className="clock-time"),
            html.Div(right_sub, className="clock-sub"),
        ]),
    ])
