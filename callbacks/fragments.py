"""Panels the server renders as an HTML fragment and the browser swaps in whole.

Dash's renderer pays for every component a callback removes or adds: each one is a
store action, and every action re-runs the selector of every component on the page
(dash-renderer 4: O(changed × all)). The wall's module panels and charts and the grid
card's trend are a few dozen static elements each (no callback reads or writes
inside them), rebuilt on every module switch or grid click: as Dash children they
cost 75-150 ms of such actions a swap in headless Chromium (bench/ui.py). So they are
built with the same ``dash.html`` components, rendered to an HTML string here, sent
in one ``dcc.Store`` and put into their (childless) container by
``assets/wall.js: fill`` — one store update, no React children.

>>> from dash import html
>>> to_html(html.Div([html.Span("<3", id="a", className="x"), 2],
...                  style={"width": "50%", "--c": "#fff"}, title='say "hi"', hidden=True))
'<div style="width:50%;--c:#fff" title="say &quot;hi&quot;" hidden><span id="a" class="x">&lt;3</span>2</div>'
"""
from __future__ import annotations

import json
import re
from html import escape

from dash import ClientsideFunction, Input, Output, State, dcc
from dash.development.base_component import Component

#: Props of ``dash.html`` components written as HTML attributes (the rest, like
#: ``n_clicks``, only mean something to React).
_ATTRS = {"id": "id", "className": "class", "style": "style", "title": "title", "hidden": "hidden",
          "lang": "lang", "role": "role", "href": "href", "colSpan": "colspan"}
#: Elements that have no content and no end tag in HTML.
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                   "wbr"})


def to_html(node) -> str:
    """``node`` — ``dash.html`` components, strings, numbers, lists, ``None`` — as HTML."""
    if node is None or node is False:
        return ""
    if isinstance(node, (list, tuple)):
        return "".join(to_html(n) for n in node)
    if isinstance(node, (str, int, float)):
        return escape(str(node), quote=False)
    if not isinstance(node, Component) or getattr(node, "_namespace", "") != "dash_html_components":
        raise TypeError(f"only dash.html components render to a fragment, not {type(node).__name__}")
    tag = node._type.lower()
    attrs = []
    for prop, attr in _ATTRS.items():
        value = getattr(node, prop, None)
        if value is None or value is False:
            continue
        if prop == "id" and isinstance(value, dict):
            attrs.append(f'data-id="{escape(json.dumps(value, sort_keys=True))}"')
        elif prop == "style":
            attrs.append(f'style="{escape(_css(value))}"')
        elif value is True:
            attrs.append(attr)
        else:
            attrs.append(f'{attr}="{escape(str(value))}"')
    for prop, value in node.to_plotly_json()["props"].items():  # data-* attributes, as given
        if prop.startswith("data-") and value is not None:
            attrs.append(f'{prop}="{escape(str(value))}"')
    head = " ".join([tag, *attrs])
    if tag in _VOID:
        return f"<{head}>"  # no end tag: a parser reads "</br>" as a second <br>
    return f"<{head}>{to_html(getattr(node, 'children', None))}</{tag}>"


def _css(style: dict) -> str:
    """A React style dict as CSS text (camelCase to kebab-case; custom properties kept)."""
    def prop(k: str) -> str:
        return k if k.startswith("--") else re.sub(r"[A-Z]", lambda m: "-" + m.group(0).lower(), k)
    return ";".join(f"{prop(k)}:{v}" for k, v in style.items() if v is not None)


def store_id(target: str) -> str:
    """Id of the store holding the fragment of the container ``target``."""
    return f"{target}-html"


def fragment_store(target: str, content=None) -> dcc.Store:
    """The store of ``target``'s fragment, holding ``content`` rendered."""
    return dcc.Store(id=store_id(target), data=to_html(content))


def register_fragment(app, target: str) -> None:
    """Put the fragment in ``target`` whenever its store changes (and with the page)."""
    # the output is nominal (fill writes the DOM and returns no_update)
    app.clientside_callback(ClientsideFunction(namespace="townbrain_wall", function_name="fill"),
                            Output(target, "title"), Input(store_id(target), "data"), State(store_id(target), "id"))
