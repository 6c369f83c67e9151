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
from callbacks.health import register_health
from callbacks.routes import register_routes, shell
from callbacks.wall import register_wall
from geodata import config
from geodata.store import open_store

ROOT = Path(__file__).resolve().parent

# <html lang> picks the Simplified Chinese glyph forms in CJK fonts; the dark
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
    data = ScreenData(open_store(db_url), tz=config.timezone())
    app = dash.Dash(
        __name__,
        title="TownBrain",
        assets_folder=str(ROOT / "assets"),
        serve_locally=True,                  # Dash's JS from the Python package, never a CDN
        suppress_callback_exceptions=True,   # pages are rendered by the router, after start
        update_title=None,                   # no "Updating..." flicker in the wall's tab title
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.index_string = INDEX
    app.layout = shell(config.timezone())
    register_routes(app, data)
    register_wall(app, data)
    register_health(app.server, data)
    return app


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
