"""The audit chain on both stores: `townbrain audit verify` finds an edited record,
the database refuses UPDATE and early DELETE, and on PostGIS a role with INSERT and
SELECT only can write the trail but not change it."""
from __future__ import annotations

import sqlite3
import uuid

import pytest
from typer.testing import CliRunner

from access.audit import AuditLog
from townbrain.cli import app as cli

runner = CliRunner()


def _fill(store, n=6):
    log = AuditLog(store)
    for i in range(n):
        log.record("sign_in" if i % 2 else "sign_in_failed", user=f"u{i}", source="10.0.0.1",
                   outcome="ok" if i % 2 else "refused")
    return log


def _edit_directly(store, seq: int, column: str, value: str) -> None:
    """What someone with the database in hand would do: go around the triggers."""
    if store.url.startswith("postgresql"):
        import sqlalchemy as sa
        with store.engine.begin() as conn:
            conn.execute(sa.text('ALTER TABLE audit_log DISABLE TRIGGER USER'))
            conn.execute(sa.text(f'UPDATE audit_log SET "{column}" = :v WHERE seq = :s'), {"v": value, "s": seq})
            conn.execute(sa.text('ALTER TABLE audit_log ENABLE TRIGGER USER'))
    else:
        con = sqlite3.connect(store.path)
        con.execute("DROP TRIGGER audit_log_no_update")
        con.execute(f'UPDATE audit_log SET "{column}" = ? WHERE seq = ?', (value, seq))
        con.commit()
        con.close()


def test_verify_passes_a_whole_chain_and_names_the_first_edited_record(store):
    _fill(store)
    ok = runner.invoke(cli, ["audit", "verify", "--db", store.url])
    assert ok.exit_code == 0, ok.output
    assert "6 record(s)" in ok.output
    _edit_directly(store, 4, "username", "someone-else")
    broken = runner.invoke(cli, ["audit", "verify", "--db", store.url])
    assert broken.exit_code == 1
    assert "record 4" in broken.output and "altered" in broken.output


def test_a_removed_record_breaks_the_chain(store):
    _fill(store)
    if store.url.startswith("postgresql"):
        import sqlalchemy as sa
        with store.engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            conn.execute(sa.text("DELETE FROM audit_log WHERE seq = 3"))
            conn.execute(sa.text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
    else:
        con = sqlite3.connect(store.path)
        con.execute("DROP TRIGGER audit_log_keep_180d")
        con.execute("DELETE FROM audit_log WHERE seq = 3")
        con.commit()
        con.close()
    verdict = AuditLog(store).verify()
    assert not verdict.ok and verdict.broken_seq == 3 and "missing" in verdict.reason


def test_the_database_refuses_to_change_or_delete_recent_records(store):
    _fill(store, 2)
    if store.url.startswith("postgresql"):
        import sqlalchemy as sa
        for stmt in ("UPDATE audit_log SET outcome = 'ok'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                with store.engine.begin() as conn:
                    conn.execute(sa.text(stmt))
    else:
        con = sqlite3.connect(store.path)
        for stmt in ("UPDATE audit_log SET outcome = 'ok'", "DELETE FROM audit_log"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only|kept 180 days"):
                con.execute(stmt)
        con.close()
    assert AuditLog(store).verify().ok


def test_audit_list_filters_by_user_and_time(store):
    _fill(store)
    res = runner.invoke(cli, ["audit", "list", "--db", store.url, "--user", "u3", "--json"])
    assert res.exit_code == 0 and res.output.count('"username": "u3"') == 1
    res = runner.invoke(cli, ["audit", "list", "--db", store.url, "--since", "2999-01-01", "--json"])
    assert res.exit_code == 0 and res.output.strip() == ""


@pytest.mark.postgis
def test_the_apps_postgis_role_may_only_insert_and_read_the_audit_trail(pg_schema_url):
    import sqlalchemy as sa
    from geodata.store import open_store
    owner = open_store(pg_schema_url)
    _fill(owner, 2)
    role = "tb_app_" + uuid.uuid4().hex[:8]
    schema = pg_schema_url.split("search_path%3D", 1)[1].split(",", 1)[0]
    with owner.engine.begin() as conn:
        conn.execute(sa.text(f"CREATE ROLE {role} LOGIN PASSWORD 'app-pw'"))
        conn.execute(sa.text(f"GRANT USAGE ON SCHEMA {schema}, public TO {role}"))
    try:
        res = runner.invoke(cli, ["audit", "protect", "--role", role, "--db", pg_schema_url])
        assert res.exit_code == 0, res.output
        assert f'GRANT INSERT, SELECT ON "audit_log" TO "{role}"' in res.output
        as_app = pg_schema_url.replace("://townbrain@", f"://{role}:app-pw@", 1)
        app_store = open_store(as_app)
        log = AuditLog(app_store)
        assert log.record("sign_in", user="li")["seq"] == 3  # it may add
        assert log.verify().ok                                # and read
        for stmt in ("UPDATE audit_log SET outcome = 'ok'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
            with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
                with app_store.engine.begin() as conn:
                    conn.execute(sa.text(stmt))
        app_store.close()
    finally:
        with owner.engine.begin() as conn:
            conn.execute(sa.text(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role}"))
            conn.execute(sa.text(f"REVOKE ALL ON SCHEMA {schema}, public FROM {role}"))
        owner.close()
        import sqlalchemy as sa2
        eng = sa2.create_engine("postgresql+psycopg://" + pg_schema_url.split("://", 1)[1].split("?", 1)[0])
        with eng.begin() as conn:
            conn.execute(sa2.text(f"DROP OWNED BY {role}"))
            conn.execute(sa2.text(f"DROP ROLE {role}"))
        eng.dispose()
