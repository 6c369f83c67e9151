"""The live intake HTTP API on the app's own Flask server (no Dash here).

``register_intake(server, store)`` adds Open311 GeoReport v2 (intake/open311.py,
discovery in intake/discovery.py, placing address-only reports in intake/awaiting.py),
case transitions (intake/workflow_api.py), patrols (intake/patrols_api.py) and the
OpenAPI description (intake/openapi.py) under ``/open311/v2/``.
"""
from __future__ import annotations


def register_intake(server, store, **kwargs):
    """Register the intake blueprints on ``server``; returns the :class:`Intake`."""
    from intake import awaiting, discovery, open311, openapi, patrols_api, workflow_api
    from intake.errors import register_error_pages
    from intake.runtime import EXT, Intake, limit_address

    state = Intake(store, **kwargs)
    server.extensions[EXT] = state
    register_error_pages(server)
    server.before_request(limit_address)  # per address, before anything is read (intake/limits.py)
    for bp in (open311.bp, awaiting.bp, discovery.bp, discovery.root_bp, workflow_api.bp, patrols_api.bp,
               openapi.bp):
        server.register_blueprint(bp)
    return state
