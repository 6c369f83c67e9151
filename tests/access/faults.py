"""Real failures of the store for tests: the database itself refusing the audit trail."""
from __future__ import annotations

from tests.store_sql import execute_raw


def refuse_audit_inserts(store) -> None:
    """From now on every insert into ``audit_log`` fails inside the database (a trigger
    raising, as a full disk or a revoked grant would), on either backend."""
    if store.url.startswith("postgresql"):
        execute_raw(store, "CREATE FUNCTION tb_no_audit() RETURNS trigger AS $$ BEGIN "
                           "RAISE EXCEPTION 'audit disk full'; END $$ LANGUAGE plpgsql",
                    "CREATE TRIGGER tb_no_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION tb_no_audit()")
    else:
        execute_raw(store, "CREATE TRIGGER tb_no_audit BEFORE INSERT ON audit_log BEGIN "
                           "SELECT RAISE(ABORT, 'audit disk full'); END")
