"""Raw SQL on a test store's own database, for states the store's API never makes
(a table from before a column existed, a database that refuses writes)."""
from __future__ import annotations

import sqlite3


def execute_raw(store, *statements: str) -> None:
    """Run ``statements`` in one transaction: through the store's engine on PostGIS,
    through sqlite3 on a GeoPackage."""
    if hasattr(store, "engine"):
        import sqlalchemy as sa
        with store.engine.begin() as conn:
            for sql in statements:
                conn.execute(sa.text(sql))
        return
    con = sqlite3.connect(store.path)
    try:
        for sql in statements:
            con.execute(sql)
        con.commit()
    finally:
        con.close()
