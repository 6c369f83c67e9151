"""The parts every page shares: the title bar with town name, clock and "data as of".

The clock ticks in the browser (``assets/clock.js``, a clientside callback), so a
wall showing the time costs the server nothing.
"""
from __future__ import annotations

from dash import html

from callbacks import ids
from callbacks.export_panel import account_controls
from callbacks.i18n import t

#: System fonts only (no font files fetched, brief.md: intranet). Noto Sans CJK SC is
#: what Debian's fonts-noto-cjk installs; the others are their Windows/macOS peers.
#: Keep in step with ``--font-ui`` in assets/wall.css.
FONT_STACK = ('"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", '
              '"Microsoft YaHei", "Helvetica Neue", Arial, sans-serif')


def title_bar(town: str | None, lang: str, page_name: str = "", show_as_of: bool = True,
              as_of: str | None = None, page: str | None = "/wall") -> html.Header:
    """Town name and subtitle on the left, the page or module name in the middle (with,
    when the town is shown as of a past day, that day in a badge of its own, apart
    from the clock), the clock, date and data-as-of stamp on the right. As of a day,
    the stamp says when the figures were counted ("统计于"), so that the title bar
    holds one "截至" only, the day's. Beside the town's name, for the person signed in,
    the Export control of ``page`` and the sign-out link (callbacks/export_panel.py)."""
    right_sub = [html.Span(id=ids.CLOCK_DATE, className="clock-date")]
    if show_as_of:
        label = t("clock.as_of", lang) if as_of is None else t("as_of.counted", lang)
        right_sub.append(html.Span([html.Span(label, className="as-of-label"),
                                    html.Span("—", id=ids.DATA_AS_OF, className="as-of-value")],
                                   className="as-of"))
    middle = [html.Div(page_name, id=ids.PAGE_NAME, className="page-name")]
    if as_of is not None:
        middle.append(html.Div(t("as_of.badge", lang, day=as_of), id=ids.AS_OF_BADGE, className="as-of-badge"))
    return html.Header(id=ids.TITLE_BAR, className="title-bar", children=[
        html.Div(className="title-left", children=[
            html.H1(town or t("app.name", lang), id=ids.TOWN_NAME, className="town-name"),
            html.Div(t("app.subtitle", lang), className="subtitle"),
            account_controls(lang, page),
        ]),
        html.Div(middle, className="title-middle"),
        html.Div(className="title-right", children=[
            html.Div(id=ids.CLOCK_TIME, className="clock-time"),
            html.Div(right_sub, className="clock-sub"),
        ]),
    ])
