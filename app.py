"""TownBrain's Dash app: composition only.

``create_app(db_url)`` wires the store, the pages, the callbacks and ``/health``
together; the logic lives in ``callbacks/`` (Dash wiring) and ``layers/`` (pure map
layers). Everything the browser loads comes from this server: Dash's own JS from
the installed package (``serve_locally``), our CSS and JS from ``assets/``, no
CDN, no tiles, no web fonts (brief.md: command centres sit on intranets).

Run it with ``townbrain serve`` (waitress), or point any WSGI server at
``app:server``, which is built on first access, not at import.
"""
from __future__ import annotations

from pathlib import Path

import dash

from callbacks.data import ScreenData
from callbacks.console import register_console  # the duty console (/console)
from callbacks.console_export import console_cases, console_view
from callbacks.health import register_health
from callbacks.module_data import ModuleData
from callbacks.modules import register_modules
from callbacks.live import live_layer, register_live  # live feed, playback, rotation, stale banner
from callbacks.not_found import register_not_found  # 404 for links that lead nowhere
from callbacks.refusals import install_after_gate, install_refusals  # 400 / 503, never a 500
from callbacks.routes import PAGES, register_routes, routed_layout, with_preloads
from callbacks.wall import register_wall
from geodata import config
from geodata.store import open_store
from intake import register_intake
from access.web import install_access
from exports.web import install_exports

ROOT = Path(__file__).resolve().parent

# <html lang> picks the Simplified Chinese glyph forms in CJK fonts (callbacks/routes.py
# makes it "en" for ?lang=en, and follows a switch in the page); the dark
# background is set before any CSS loads so the wall never flashes white.
INDEX = """<!DOCTYPE html>
<html lang="zh-CN">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body style="background:#07121f">
        {%app_entry%}
        <footer>
            {%config%}
            {%scripts%}
            {%renderer%}
        </footer>
    </body>
</html>"""


def create_app(db_url: str | None = None) -> dash.Dash:
    """The dashboard on the store at ``db_url`` (default ``$TOWNBRAIN_DB``, else
    ``data/town.gpkg``). Opening the store touches nothing: an unreachable store
    gives a degraded ``/health`` and a wall with a notice, not a failed start."""
    # create=False: a missing GeoPackage is a store that is away (503), never an empty file made by a request
    data = ScreenData(open_store(db_url, create=False), tz=config.timezone())
    data.modules = ModuleData(data.store, tz=config.timezone())  # the wall modules' snapshot
    app = dash.Dash(
        __name__,
        title="TownBrain",
        assets_folder=str(ROOT / "assets"),
        serve_locally=True,                  # Dash's JS from the Python package, never a CDN
        suppress_callback_exceptions=True,   # pages are rendered by the router, after start
        update_title=None,                   # no "Updating..." flicker in the wall's tab title
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
        # gzip/brotli every response (flask-compress): the wall's first render is
        # 6.4-6.9 MB of JS and JSON raw, 1.8-2.0 MB compressed (docs/map-rendering.md)
        compress=_has_flask_compress(),
    )
    app.index_string = INDEX
    with_preloads(app)  # the console's plotly.js without waiting
    register_routes(app, data)
    register_not_found(app, PAGES)
    register_wall(app, data)
    register_modules(app, data, data.modules)
    register_console(app, data)
    # live feed, playback, rotation, stale banner (callbacks/live.py): its timers and
    # overlay ride in the shell so they survive page and language changes
    # (the shell and the page of the URL asked for come in one layout: callbacks/routes.py)
    app.layout = routed_layout(data, config.timezone(), extras=[live_layer()], app=app)
    register_live(app, data)
    register_health(app.server, data)
    register_intake(app.server, data.store)  # Open311 + workflow + patrols API under /open311/v2/
    # a callback body the gate cannot read is a 400 before it; a store that cannot be read, a 503
    install_refusals(app, data.store)
    # deny by default: sign-in pages, the gate in front of every route, security headers (access/)
    install_access(app, data.store)
    install_after_gate(app)  # then a callback's body against the callback map; a page asks the store first
    # the Export control's jobs (exports/web.py): behind the same gate, audited
    install_exports(app.server, data.store, lambda search, scope: console_cases(data, search, scope),
                    console_view=lambda search, scope: console_view(data, search, scope))
    return app


def _has_flask_compress() -> bool:
    try:
        import flask_compress  # noqa: F401
    except ImportError:
        return False
    return True


_server = None


def get_server():
    """The Flask server of an app on the default store, created on first call."""
    global _server
    if _server is None:
        _server = create_app().server
    return _server


def __getattr__(name: str):
    # PEP 562: ``app.server`` (``waitress-serve app:server``) builds the app lazily,
    # so importing this module (tests, docs, the CLI) opens no store.
    if name == "server":
        return get_server()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if __name__ == "__main__":  # pragma: no cover - for a quick look; `townbrain serve` is the real way
    create_app().run(host="127.0.0.1", port=8050, debug=False)
