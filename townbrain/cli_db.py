"""``townbrain db …``: what a town's database administrator runs on a PostGIS store.

``townbrain db secure`` puts the layers that are read by grant under PostgreSQL's
row-level security, the second lock behind the app's own scope gate (issue 16,
Deliver 3; geodata/row_scope.py). Run it as the tables' owner, once after upgrading a
store made before it existed; the store does the same for every layer it makes.
"""
from __future__ import annotations

from typing import Optional

import typer
from rich.table import Table

from townbrain.cli_common import DB_HELP, fail, out, store_or_fail

db_app = typer.Typer(help="The database: row-level security for a PostGIS store.", no_args_is_help=True)


@db_app.command("secure")
def db_secure(role: Optional[str] = typer.Option(None, "--role", help="The app's login role, to check that the "
                                                 "policies bind it (not a superuser, not BYPASSRLS)"),
              show: bool = typer.Option(False, "--show", help="Print the statements run"),
              db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)):
    """Row-level security on PostGIS: ENABLE and FORCE it on cases, case_history, patrols,
    staff, residents, enterprises, buildings and the modules' own layers, with the policy
    townbrain_scope (a row is read or written only by work whose scope admits its district,
    grid or professional grid; the server sets that scope per request from the session).
    Idempotent; run as the tables' owner. The geography and the accounts, sessions,
    devices, API keys and audit trail have no policy."""
    from geodata.frames import StoreError
    store = store_or_fail(db)
    if not hasattr(store, "secure_rows"):
        fail("row-level security is PostgreSQL's; a GeoPackage has no roles (keep its file readable by the app only)")
    try:
        statements = store.secure_rows()
        info = store.row_security(role)
    except StoreError as exc:
        fail(str(exc))
    except Exception as exc:  # noqa: BLE001 - the server's refusal (not the owner, …) in one sentence
        fail(f"PostgreSQL refused: {str(getattr(exc, 'orig', exc)).splitlines()[0]} (run as the tables' owner)")
    if show:
        for stmt in statements:
            out.print(stmt, highlight=False)
    t = Table("layer", "row-level security", title="townbrain db secure")
    for name, on in sorted(info["layers"].items()):
        t.add_row(name, "on, forced" if on else "[bold red]off")
    out.print(t)
    if not info["bound"]:
        fail(f"role {info['role']} is a superuser or has BYPASSRLS: no policy binds it. Connect the app as a role "
             "without either (e.g. CREATE ROLE townbrain_app LOGIN NOSUPERUSER NOBYPASSRLS, owner of its tables)")
    out.print(f"role {info['role']} is bound by the policies", highlight=False)
