"""The WSGI server of ``townbrain serve``: waitress with the limits a town's network needs.

waitress reads a whole request body into its buffer before the application sees it
(and allowed 1 GiB), so a cap in the application comes too late: a 200 MB body was
read before its 413. The cap is therefore waitress's own ``max_request_body_size``,
which it checks against ``Content-Length`` as soon as the headers are in and answers
413 without reading the body (a chunked body is cut off at the cap as it arrives).

:data:`MAX_BODY` is 1 MiB, measured against what the screens legitimately send: a
Dash callback carries its inputs and states, and the largest ones are the live feed's
state (a cursor and the ticker's :data:`callbacks.live.TICKER_LEN` latest items, a few
KB) and the console's URL and selection; the map's spec (megabytes) only travels
server → browser and between clientside callbacks, never back. The API's own caps are
below it (intake/runtime.py: 64 KiB a report, 1 MiB a batch) and answer with the
GeoReport error body. ``TOWNBRAIN_MAX_BODY`` overrides it.
"""
from __future__ import annotations

import os

#: Largest request body the server reads (bytes).
MAX_BODY = int(os.environ.get("TOWNBRAIN_MAX_BODY", 1024 * 1024))


def waitress_options(threads: int = 8) -> dict:
    """Keyword arguments for ``waitress.serve`` / ``waitress.create_server``."""
    return {"threads": threads, "ident": "TownBrain", "max_request_body_size": MAX_BODY}


def create_server(wsgi_app, host: str = "127.0.0.1", port: int = 8050, threads: int = 8):
    """A waitress server with :func:`waitress_options` (``.run()`` serves, ``.close()`` stops)."""
    from waitress import create_server as waitress_server
    return waitress_server(wsgi_app, host=host, port=port, **waitress_options(threads))
