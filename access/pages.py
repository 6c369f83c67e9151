"""Which page each server callback belongs to: the registry the gate checks.

Every server-side Dash callback is classified by the module that defines it. A
callback of a page's module may be called only by a role that may open that page;
a ``shell`` callback (the router, the live layer: they ride on every page) by any
role with a Dash page, and only for the path the page is on. A callback whose
module is not listed here is refused, and tests/access/test_gate_registry.py fails
until somebody classifies it: nothing new is reachable by default.
"""
from __future__ import annotations

SHELL = "shell"

CALLBACK_PAGES: dict[str, str] = {
    "callbacks.routes": SHELL,
    "callbacks.live": SHELL,
    "callbacks.console": "/console",
    "callbacks.wall": "/wall",
    "callbacks.wall_map": "/wall",
    "callbacks.wall_warnings": "/wall",
    "callbacks.modules": "/wall",
    "callbacks.grid_card": "/wall",
}


def callback_modules(dash_app) -> dict[str, str | None]:
    """{output key: module} of every server callback (clientside ones never reach the server)."""
    out = {}
    for key, spec in dash_app.callback_map.items():
        fn = spec.get("callback")
        if fn is not None:
            out[key] = getattr(fn, "__module__", None)
    return out


def callback_page(module: str | None) -> str | None:
    """The page (or :data:`SHELL`) of a callback's module; None when unclassified."""
    return CALLBACK_PAGES.get(module or "")
