"""Run-time configuration from the environment.

``TOWNBRAIN_DB``  store URL: a GeoPackage path (``data/town.gpkg``, ``gpkg:///abs/path.gpkg``)
                  or PostGIS (``postgresql://user:pw@host:port/db``). Default ``data/town.gpkg``.
``TOWNBRAIN_TZ``  zone for naive times in loaded files and for display (default Asia/Shanghai).
"""
from __future__ import annotations

import os
from pathlib import Path

from geodata.schema import DEFAULT_TZ

DEFAULT_DB = "data/town.gpkg"


def db_url(explicit: str | None = None) -> str:
    """The store URL: ``explicit``, else ``$TOWNBRAIN_DB``, else ``data/town.gpkg``."""
    return explicit or os.environ.get("TOWNBRAIN_DB") or DEFAULT_DB


def timezone() -> str:
    return os.environ.get("TOWNBRAIN_TZ") or DEFAULT_TZ


def is_postgis(url: str) -> bool:
    return url.split("://", 1)[0].split("+", 1)[0] in ("postgresql", "postgres", "postgis")


def gpkg_path(url: str) -> Path:
    """The file path of a GeoPackage URL (``gpkg:///abs``, ``gpkg://rel`` or a plain path)."""
    if url.startswith("gpkg://"):
        return Path(url[len("gpkg://"):])
    return Path(url)
