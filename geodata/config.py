"""Run-time configuration from the environment.

``TOWNBRAIN_DB``  store URL: a GeoPackage path (``data/town.gpkg``, ``gpkg:///abs/path.gpkg``)
                  or PostGIS (``postgresql://user:pw@host:port/db``). Default ``data/town.gpkg``.
``TOWNBRAIN_TZ``  zone for naive times in loaded files and for display (default Asia/Shanghai).
``TOWNBRAIN_OPEN311_PUBLIC_FIELDS``  fields of a service request that an Open311 read
                  without an API key shows (comma-separated; default: intake/privacy.py).
``TOWNBRAIN_OPEN311_JURISDICTION``  the ``jurisdiction_id`` Open311 clients may send
                  (besides the ``town`` layer's town_id and name).
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


def open311_public_fields() -> list[str] | None:
    """The Open311 fields a read without an API key shows, as set, or None for the default."""
    raw = os.environ.get("TOWNBRAIN_OPEN311_PUBLIC_FIELDS")
    if raw is None or not raw.strip():
        return None
    return [f.strip() for f in raw.split(",") if f.strip()]


def open311_jurisdiction() -> str | None:
    return (os.environ.get("TOWNBRAIN_OPEN311_JURISDICTION") or "").strip() or None


def is_postgis(url: str) -> bool:
    return url.split("://", 1)[0].split("+", 1)[0] in ("postgresql", "postgres", "postgis")


def gpkg_path(url: str) -> Path:
    """The file path of a GeoPackage URL (``gpkg:///abs``, ``gpkg://rel`` or a plain path)."""
    if url.startswith("gpkg://"):
        return Path(url[len("gpkg://"):])
    return Path(url)
