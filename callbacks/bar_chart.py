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

from dash import html

#: The colour of a bar whose trace names none.
DEFAULT_COLOUR = "#38bdf8"


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
        children.append(html.Div([_column(cat, i, traces, values, top, mode) for i, cat in enumerate(cats)],
                                 className="bar-chart-cols"))
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
    return html.Div([html.Span(str(cat), className="bar-cat"),
                     html.Span([*parts, html.Span(_label(labelled, i, total), className="bar-value")],
                               className="bar-track")], className="bar-row")


def _column(cat, i: int, traces: list, values: list, top: float, mode: str) -> html.Div:
    """One category of vertical bars: a bar per trace (grouped) or one stacked bar,
    the value over each, the category under them."""
    bars = [html.Span(html.Span(html.Span(_label(tr, i, vs[i]), className="bar-value"),
                                className="bar-seg", title=f"{cat}: {vs[i]:g}",
                                style={"height": _pct(vs[i], top), "background": _colour(tr, i)}),
                      className="bar-col")
            for tr, vs in zip(traces, values) if i < len(vs)]
    return html.Div([html.Span(bars, className="bar-group"), html.Span(str(cat), className="bar-cat")],
                    className="bar-slot")


def _segments(row: html.Div) -> list:
    """The coloured parts of a horizontal bar (for the doctest)."""
    return [c for c in row.children[1].children if "bar-seg" in (c.className or "")]
