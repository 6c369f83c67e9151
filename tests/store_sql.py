"""Raw SQL on a test store's own database, for states the store's API never makes
(a table from before a column existed, a database that refuses writes)."""
from __future__ import annotations


def execute_raw(store, *statements: str) -> None:
    """Run ``statements`` in one transaction: through the store's engine on PostGIS,
    through sqlite3 on a GeoPackage."""
    if hasattr(store, "engine"):
        import sqlalchemy as sa
        with store.engine.begin() as conn:
            for sql in statements:
                conn.execute(sa.text(sql))
        return
    # Through the store's own connection, under the file's lock: the app under test
    # may be reading this file through GDAL on another thread (the wall's warm-up),
    # and a second SQLite copy touching it then dies with SIGBUS (geodata/store_gpkg.py
    # _file_lock).
    with store._sql() as con:
        con.execute("BEGIN")
        try:
            for sql in statements:
                con.execute(sql)
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
