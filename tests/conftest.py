"""Shared fixtures: the store under test on both backends.

PostGIS comes from ``$TOWNBRAIN_TEST_PG`` (``make test`` starts a throw-away
server and sets it). Each test gets a schema of its own, dropped afterwards, so
tests never see each other's tables. When PostGIS cannot be reached the PostGIS
variant fails under ``CI=true`` and is skipped, with the reason, on a developer's
machine without a server.
"""
from __future__ import annotations

import os
import time
import uuid

import pytest

DEFAULT_PG = "postgresql://townbrain@127.0.0.1:55432/townbrain_test"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pg_url() -> str:
    return os.environ.get("TOWNBRAIN_TEST_PG") or DEFAULT_PG


def require_service(name: str, exc: Exception):
    """Fail in CI, skip (saying why) elsewhere."""
    msg = f"{name} unavailable: {exc}"
    if IN_CI:
        pytest.fail(msg + " (CI=true: a test that needs it fails)")
    pytest.skip(msg + " (run `make test`, which starts it; under CI this fails)")


@pytest.fixture(scope="session")
def pg_base_url():
    import sqlalchemy as sa
    url = pg_url()
    try:
        eng = sa.create_engine("postgresql+psycopg://" + url.split("://", 1)[1])
        with eng.connect() as conn:
            conn.execute(sa.text("SELECT postgis_lib_version()"))
        eng.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means no usable PostGIS
        require_service("PostGIS", exc)
    return url


@pytest.fixture
def pg_schema_url(pg_base_url):
    """A PostGIS URL whose search_path is a fresh schema (then public, for PostGIS itself)."""
    import sqlalchemy as sa
    schema = "t_" + uuid.uuid4().hex[:12]
    eng = sa.create_engine("postgresql+psycopg://" + pg_base_url.split("://", 1)[1])
    with eng.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in pg_base_url else "?"
    yield f"{pg_base_url}{sep}options=-csearch_path%3D{schema},public"
    # A write the app started for the test may still be running on its own thread
    # (an API key's last use, a quarantine row): the DROP can be the deadlock's
    # victim then, and is tried again once that write is done.
    for attempt in range(5):
        try:
            with eng.begin() as conn:
                conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
            break
        except sa.exc.OperationalError as exc:
            if "deadlock" not in str(exc).lower() or attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))
    eng.dispose()


@pytest.fixture(params=["gpkg", "postgis"])
def store(request, tmp_path):
    """An empty store with the schema created, on each backend in turn."""
    from geodata.store import open_store
    if request.param == "gpkg":
        url = str(tmp_path / "town.gpkg")
    else:
        url = request.getfixturevalue("pg_schema_url")
    st = open_store(url)
    st.create_schema()
    yield st
    st.close()
