"""The wall's panels as HTML fragments (callbacks/fragments.py) and its charts as
HTML bars (callbacks/bar_chart.py): what the browser is sent, as data."""
from __future__ import annotations

import re

import pandas as pd
import pytest
from dash import dcc, html

from callbacks.bar_chart import bar_chart
from callbacks.fragments import to_html
from layers.charts import CHARTS, ChartContext


def test_fragments_escape_text_and_attributes():
    out = to_html(html.Div([html.Span("a < b & c", title='"q"'), None, False, 3.5, ["x", html.Br()]],
                           id={"type": "chart", "k": 1}, className="c1 c2",
                           style={"backgroundColor": "#fff", "--c": "red"}))
    assert out == ('<div data-id="{&quot;k&quot;: 1, &quot;type&quot;: &quot;chart&quot;}" class="c1 c2" '
                   'style="background-color:#fff;--c:red"><span title="&quot;q&quot;">a &lt; b &amp; c</span>'
                   '3.5x<br></div>')
    assert to_html(html.Script("alert(1)</script>")) == "<script>alert(1)&lt;/script&gt;</script>"
    with pytest.raises(TypeError, match="Graph"):
        to_html(html.Div(dcc.Graph()))


def _bars(chart) -> list[tuple[str, list[str], str]]:
    """(category, segment widths or heights, printed value) of each bar."""
    out = []
    for part in re.split(r'<div class="bar-(?:row|slot)">', to_html(chart))[1:]:
        cat = re.search(r'<span class="bar-cat"(?: title="[^"]*")?>([^<]*)</span>', part).group(1)
        sizes = re.findall(r'(?:width|height):([\d.]+%)', part)
        values = re.findall(r'<span class="bar-value">([^<]*)</span>', part)
        out.append((cat, sizes, values))
    return out


def test_horizontal_bars_scale_to_the_longest_and_print_their_value():
    fig = {"data": [{"type": "bar", "orientation": "h", "x": [8, 2, 0], "y": ["甲", "乙", "丙"],
                     "marker": {"color": ["#f00", "#0f0", "#00f"]}, "text": ["8 件", None, "0 件"]}],
           "layout": {"title": {"text": "标题"}}}
    chart = bar_chart(fig, "k")
    h = to_html(chart)
    assert 'class="module-chart bar-chart is-h"' in h and 'data-id="{&quot;chart&quot;: &quot;k&quot;' in h
    assert '<figcaption class="bar-chart-title">标题</figcaption>' in h
    assert _bars(chart) == [("甲", ["100.0%"], ["8 件"]), ("乙", ["25.0%"], ["2"]), ("丙", ["0.0%"], ["0 件"])]
    assert "background:#0f0" in h


def test_stacked_bars_share_one_scale_and_print_the_total():
    fig = CHARTS["camera_kinds"](ChartContext(now=pd.Timestamp("2026-03-15", tz="Asia/Shanghai"), layer_stats={
        "cameras_by_kind": {"road": {"online": 6, "offline": 2}, "park": {"online": 1, "offline": 1}}}),
        lambda k: k, "en")
    bars = _bars(bar_chart(fig, "camera_kinds"))
    assert bars == [("camera_kind.road", ["75.0%", "25.0%"], ["8"]), ("camera_kind.park", ["12.5%", "12.5%"], ["2"])]
    assert 'class="bar-chart-legend"' in to_html(bar_chart(fig))


def test_vertical_and_grouped_columns():
    ctx = ChartContext(now=pd.Timestamp("2026-03-15", tz="Asia/Shanghai"), layer_stats={"schools_by_level": {
        "primary": {"intake_places": 100, "applications": 120}, "kindergarten": {"intake_places": 60,
                                                                                 "applications": 30}}})
    bars = _bars(bar_chart(CHARTS["school_places"](ctx, lambda k: k, "en")))
    assert bars == [("school.kindergarten", ["50.0%", "25.0%"], ["60", "30"]),
                    ("school.primary", ["83.3%", "100.0%"], ["100", "120"])]
    monthly = CHARTS["theme_monthly"](ChartContext(now=ctx.now), lambda k: k, "zh")
    cols = _bars(bar_chart(monthly))
    # twelve months are a dense axis: "3" under the column, "3月" in full on hover,
    # and a value printed over the highest and the latest column only
    assert [c for c, _, _ in cols][-1] == "3" and len(cols) == 12
    assert re.findall(r'<span class="bar-cat" title="([^"]*)">', to_html(bar_chart(monthly)))[-1] == "3月"
    assert all(sizes == ["0%"] and values in ([], ["0"]) for _, sizes, values in cols)  # nothing yet: flat, not NaN
    assert cols[-1][2] == ["0"]


def test_a_chart_without_bars_says_so():
    h = to_html(bar_chart({"data": [{"type": "bar", "x": [], "y": []}], "layout": {"title": {"text": "T"}}}))
    assert 'class="bar-chart-empty">—</div>' in h
