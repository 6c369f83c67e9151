"""The wall's module charts as plain HTML bars, drawn from their plotly figure dicts.

``layers/charts.py`` describes each chart as a plotly figure (bar traces: horizontal
or vertical, one trace, stacked or grouped). On the wall they are static pictures —
no hover, no zoom (they were ``staticPlot``) — so a module switch need not start
plotly: :func:`bar_chart` lays the same bars out as ``div``s whose length is a CSS
percentage. Text stays text (crisp at 4K, scaled with the wall's rem), and a switch
costs a React render of a few dozen elements instead of two plotly plots (about
170 ms of the switch in headless Chromium, ``bench/ui.py``).

Examples
--------
>>> fig = {"data": [{"type": "bar", "orientation": "h", "x": [3, 1], "y": ["a", "b"],
...                  "marker": {"color": "#38bdf8"}}], "layout": {"title": {"text": "T"}}}
>>> chart = bar_chart(fig, "k")
>>> chart.className
'module-chart bar-chart is-h'
>>> [r.children[0].children for r in chart.children[1].children]
['a', 'b']
>>> [seg.style["width"] for seg in _segments(chart.children[1].children[1])]
['33.3%']
"""
from __future__ import annotations

import re

from dash import html

#: The colour of a bar whose trace names none.
DEFAULT_COLOUR = "#38bdf8"
#: A vertical chart with more categories than this is dense: on a side panel read
#: from 5 m each slot is narrower than a 22 px word, so its category names are
#: abbreviated (full name on hover) and only the highest and the latest value are
#: printed (every value on hover).
DENSE = 8
_MONTH_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def short_category(cat) -> str:
    """A category name abbreviated for a dense axis, by design rather than cut:
    a month is its number ("3月" → "3") or its initial ("Mar" → "M"), as calendars
    print them; anything else its first two characters.

    >>> [short_category(c) for c in ("12月", "Mar", "Sep", "Floating debris")]
    ['12', 'M', 'S', 'Fl']
    """
    text = str(cat)
    zh = re.fullmatch(r"(\d{1,2})月", text)
    if zh:
        return zh.group(1)
    if text in _MONTH_EN:
        return text[0]
    return text[:2]


def bar_chart(fig: dict, key: str | None = None, class_name: str = "module-chart") -> html.Figure:
    """The bars of ``fig`` (plotly bar traces) as an HTML figure with its title,
    category labels, values and — for several traces — a legend; ``key`` names a
    module chart (its id)."""
    traces = [tr for tr in fig.get("data", []) if tr.get("type") == "bar"]
    layout = fig.get("layout", {})
    title = (layout.get("title") or {}).get("text", "")
    horizontal = bool(traces) and traces[0].get("orientation") == "h"
    mode = layout.get("barmode") or ("stack" if len(traces) < 2 else "group")
    cats = list(traces[0].get("y" if horizontal else "x") or []) if traces else []
    values = [[_num(v) for v in (tr.get("x" if horizontal else "y") or [])] for tr in traces]
    if mode == "stack":
        top = max([sum(col) for col in zip(*values)] or [0])
    else:
        top = max([v for vs in values for v in vs] or [0])
    children = [html.Figcaption(title, className="bar-chart-title")]
    if len(traces) > 1 and any(tr.get("name") for tr in traces):
        children.append(html.Div([html.Span([html.I(style={"--c": _colour(tr, 0)}), tr.get("name", "")],
                                            className="bar-chart-key") for tr in traces],
                                 className="bar-chart-legend"))
    if not cats:
        children.append(html.Div("—", className="bar-chart-empty"))
    elif horizontal:
        children.append(html.Div([_row(cat, i, traces, values, top) for i, cat in enumerate(cats)],
                                 className="bar-chart-rows"))
    else:
        dense = len(cats) > DENSE
        shown = _printed_values(values, mode) if dense else None
        children.append(html.Div([_column(cat, i, traces, values, top, mode, dense, shown)
                                  for i, cat in enumerate(cats)], className="bar-chart-cols"))
    ident = {} if key is None else {"id": {"type": "module-chart", "chart": key}}
    return html.Figure(children, className=f"{class_name} bar-chart {'is-h' if horizontal else 'is-v'}", **ident)


def _num(v) -> float:
    try:
        return float(v) if v is not None and v == v else 0.0
    except (TypeError, ValueError):
        return 0.0


def _colour(trace: dict, i: int) -> str:
    c = (trace.get("marker") or {}).get("color", DEFAULT_COLOUR)
    if isinstance(c, (list, tuple)):
        return c[i] if i < len(c) and c[i] else DEFAULT_COLOUR
    return c or DEFAULT_COLOUR


def _pct(v: float, top: float) -> str:
    return f"{100 * v / top:.1f}%" if top > 0 else "0%"


def _label(trace: dict, i: int, value: float) -> str:
    """What is printed at the bar's end: the trace's text, else the value."""
    text = trace.get("text")
    if isinstance(text, (list, tuple)) and i < len(text) and text[i] is not None:
        return str(text[i])
    return f"{value:g}"


def _row(cat, i: int, traces: list, values: list, top: float) -> html.Div:
    """One horizontal bar: label, the bar (its parts stacked), the value printed after it."""
    parts = [html.Span(className="bar-seg", title=f"{cat}: {vs[i]:g}",
                       style={"width": _pct(vs[i], top), "background": _colour(tr, i)})
             for tr, vs in zip(traces, values) if i < len(vs)]
    total = sum(vs[i] for vs in values if i < len(vs))
    labelled = next((tr for tr in reversed(traces) if tr.get("text") is not None), traces[-1])
    return html.Div([html.Span(str(cat), className="bar-cat", title=str(cat)),
                     html.Span([*parts, html.Span(_label(labelled, i, total), className="bar-value")],
                               className="bar-track")], className="bar-row")


def _printed_values(values: list, mode: str) -> set[int]:
    """The categories of a dense chart whose value is printed: the highest and the latest."""
    totals = [sum(col) for col in zip(*values)] if mode == "stack" else \
        [max(col) for col in zip(*values)] if values else []
    if not totals:
        return set()
    return {max(range(len(totals)), key=totals.__getitem__), len(totals) - 1}


def _column(cat, i: int, traces: list, values: list, top: float, mode: str, dense: bool = False,
            printed: set | None = None) -> html.Div:
    """One category of vertical bars: a bar per trace (grouped) or one stacked bar,
    the value over each, the category under them (abbreviated on a dense axis, see
    :data:`DENSE`)."""
    bars = [html.Span(html.Span(html.Span(_label(tr, i, vs[i]), className="bar-value")
                                if not dense or i in printed else None,
                                className="bar-seg", title=f"{cat}: {_label(tr, i, vs[i])}",
                                style={"height": _pct(vs[i], top), "background": _colour(tr, i)}),
                      className="bar-col")
            for tr, vs in zip(traces, values) if i < len(vs)]
    name = html.Span(short_category(cat), className="bar-cat", title=str(cat)) if dense else \
        html.Span(str(cat), className="bar-cat")
    return html.Div([html.Span(bars, className="bar-group"), name], className="bar-slot")


def _segments(row: html.Div) -> list:
    """The coloured parts of a horizontal bar (for the doctest)."""
    return [c for c in row.children[1].children if "bar-seg" in (c.className or "")]
