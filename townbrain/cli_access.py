"""``townbrain user …``, ``townbrain kiosk …`` and ``townbrain audit …``: people's
accounts, the enrolled walls and the audit trail.

The command line runs on the server as its operator; what it changes is audited
under the operating-system user's name (``os:NAME``, contract). Wrong input is one
sentence on stderr and exit status 1.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from townbrain.cli_common import DB_HELP, fail, out, store_or_fail

user_app = typer.Typer(help="People's accounts: create, list, disable, grant, revoke sessions.",
                       no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail: verify its hash chain, list it, protect it.", no_args_is_help=True)


def _access(db):
    from access.service import Access
    return Access(store_or_fail(db))


def _run(fn):
    """Call ``fn``; an account, audit or store problem is one sentence."""
    from access.accounts import AccountError
    from access.audit import AuditError
    from geodata.frames import StoreError
    try:
        return fn()
    except (AccountError, AuditError, StoreError) as exc:
        fail(str(exc))


def _fmt(t) -> str:
    import pandas as pd
    return "" if t is None or pd.isna(t) else pd.Timestamp(t).strftime("%Y-%m-%d %H:%M")


@user_app.command("create")
def user_create(name: str = typer.Option(..., "--name", help="Sign-in name"),
                role: str = typer.Option(..., "--role", help="sysadmin, security_admin, auditor, leader, "
                                         "duty_officer, grid_staff, planner or analyst"),
                grant: Optional[str] = typer.Option(None, "--grant", help="ID,…: town, district, grid or "
                                                    "professional-grid ids the account may see"),
                db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)):
    """Create an account and print its one-time password (it must be changed at the first sign-in)."""
    from access.roles import needs_totp
    from access.service import operator
    if role == "kiosk":
        fail("a wall is not a person: enrol it with `townbrain kiosk enroll --name NAME`")
    acc = _access(db)
    password = _run(lambda: acc.accounts.create(name, role, grant or "", by=operator()))
    out.print(f"account [bold]{name}[/] ({role}) created; one-time password, shown once:", highlight=False)
    print(password)
    out.print("It must be changed at the first sign-in" +
              (", where the second factor (TOTP) is enrolled too." if needs_totp(role) else "."), highlight=False)


@user_app.command("list")
def user_list(db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)):
    """The accounts: role, grants, state — never a password or a secret."""
    acc = _access(db)
    df = _run(acc.accounts.list)
    t = Table("name", "role", "grants", "state", "last sign-in", "created")
    for r in df.to_dict("records"):
        state = ("disabled" if r.get("disabled_at") is not None and not _na(r["disabled_at"]) else
                 "locked" if not _na(r.get("locked_until")) and acc.accounts.locked(r) else
                 "must change password" if r.get("must_change") is True else "active")
        t.add_row(str(r["name"]), str(r["role"]), str(r.get("grants") or ""), state,
                  _fmt(r.get("last_sign_in")), _fmt(r.get("created_at")))
    out.print(t)


def _na(v) -> bool:
    import pandas as pd
    return v is None or bool(pd.isna(v))


@user_app.command("disable")
def user_disable(name: str = typer.Argument(..., help="The account"),
                 db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)):
    """Disable an account and end its sessions (kept for the audit trail, never deleted)."""
    from access.service import operator
    acc = _access(db)
    _run(lambda: acc.accounts.disable(name, by=operator()))
    n = _run(lambda: acc.sessions.revoke_user(name, "disabled", by=operator()))
    out.print(f"disabled {name}; {n} open session(s) ended")


@user_app.command("grant")
def user_grant(name: str = typer.Argument(..., help="The account"),
               ids: str = typer.Argument(..., help="ID,…: town, district, grid or professional-grid ids "
                                         "(replaces the account's grants)"),
               db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)):
    """Set what an account may see: its grants replace the old ones."""
    from access.service import operator
    acc = _access(db)
    grants = _run(lambda: acc.accounts.set_grants(name, ids, by=operator()))
    out.print(f"{name} now holds: {', '.join(grants) or 'nothing'}")


@user_app.command("revoke")
def user_revoke(name: str = typer.Argument(..., help="The account"),
                db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)):
    """End every open session of an account now (it signs in again)."""
    from access.service import operator
    acc = _access(db)
    if _run(lambda: acc.accounts.get(name)) is None:
        fail(f"no account {name!r}; see `townbrain user list`")
    n = _run(lambda: acc.sessions.revoke_user(name, "revoked", by=operator()))
    out.print(f"{n} session(s) of {name} ended")


@user_app.command("bootstrap")
def user_bootstrap(out_file: Path = typer.Option(Path("data/first-accounts.txt"), "--out",
                                                 help="File for the passwords, readable by its owner only"),
                   db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)):
    """On a store with no account yet: one account per role (data roles granted the whole
    town), one-time passwords printed once and written to --out (mode 0600). Does
    nothing when any account exists. `make run` calls it."""
    from access.roles import GRANTED_ROLES, PEOPLE_ROLES, needs_totp
    from access.service import operator
    acc = _access(db)
    if _run(acc.accounts.count):
        out.print("accounts exist already: sign in with yours (`townbrain user list`); nothing created")
        return
    lines = []
    for role in PEOPLE_ROLES:
        pw = _run(lambda: acc.accounts.create(role, role, "town" if role in GRANTED_ROLES else "",
                                              by=operator()))
        lines.append(f"{role:<15} {pw}   {'(+ TOTP enrolment)' if needs_totp(role) else ''}".rstrip())
    out_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write("# TownBrain first accounts: name = role, one-time passwords (changed at first sign-in)\n")
        fh.write("\n".join(lines) + "\n")
    os.chmod(out_file, 0o600)
    out.print("[bold]First accounts[/] (name = role; each password works once and is changed at the "
              f"first sign-in; also in {out_file}, readable by you only):", highlight=False)
    for line in lines:
        print("  " + line)


@audit_app.command("verify")
def audit_verify(db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)):
    """Check the hash chain: exit 0 when whole, 1 naming the first broken record."""
    acc = _access(db)
    verdict = acc.audit.verify()
    if not verdict.ok:
        fail(f"audit trail broken at record {verdict.broken_seq}: {verdict.reason}"
             if verdict.broken_seq else verdict.reason)
    out.print(f"audit trail whole: {verdict.records} record(s), hash chain unbroken")


@audit_app.command("list")
def audit_list(user: Optional[str] = typer.Option(None, "--user", help="Only this account (os:NAME for the CLI)"),
               since: Optional[str] = typer.Option(None, "--since", help="From this time on (YYYY-MM-DD[ HH:MM])"),
               limit: Optional[int] = typer.Option(None, "--limit", help="Only the last N records"),
               as_json: bool = typer.Option(False, "--json", help="One JSON object per line"),
               db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)):
    """The audit trail, oldest first: time, user, source, action, object, outcome, detail."""
    import json
    import pandas as pd
    from geodata import config
    start = None
    if since:
        try:
            start = pd.Timestamp(since)
        except ValueError:
            fail(f"--since must be a date or time such as 2026-12-01 or '2026-12-01 08:00', not {since!r}")
        if start.tzinfo is None:
            start = start.tz_localize(config.timezone())
    acc = _access(db)
    df = _run(lambda: acc.audit.list(user=user, since=start, limit=limit))
    cols = ["seq", "at", "username", "source", "action", "object", "outcome", "detail"]
    if as_json:
        for r in df.to_dict("records"):
            print(json.dumps({c: (None if _na(r.get(c)) else
                                  pd.Timestamp(r[c]).isoformat() if c == "at" else
                                  int(r[c]) if c == "seq" else str(r[c])) for c in cols}, ensure_ascii=False))
        return
    t = Table(*cols)
    for r in df.to_dict("records"):
        t.add_row(*("" if _na(r.get(c)) else _fmt(r[c]) if c == "at" else str(r[c]) for c in cols))
    out.print(t)


@audit_app.command("protect")
def audit_protect(role: Optional[str] = typer.Option(None, "--role", help="PostGIS: the app's login role, "
                                                     "to be left INSERT and SELECT on audit_log only"),
                  db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)):
    """Make the database refuse to change the audit trail: triggers against UPDATE and
    TRUNCATE and against DELETE within the retention (180 days); on PostGIS, with
    --role, that role may only INSERT into and SELECT from audit_log. Run as the owner."""
    from access.audit import LAYER, RETENTION_DAYS
    store = store_or_fail(db)
    _run(lambda: store.protect_append_only(LAYER, RETENTION_DAYS))
    out.print(f"audit_log: UPDATE and TRUNCATE refused, DELETE refused for {RETENTION_DAYS} days")
    if role:
        if not hasattr(store, "grant_append_only"):
            fail("--role is for a PostGIS store; a GeoPackage has no roles (protect the file's permissions)")
        for stmt in _run(lambda: store.grant_append_only(LAYER, role)):
            out.print(stmt, highlight=False)


kiosk_app = typer.Typer(help="Wall devices: enrol with a one-time code, list, revoke.", no_args_is_help=True)


@kiosk_app.command("enroll")
def kiosk_enroll(name: str = typer.Option(..., "--name", help="The wall's name, e.g. command-room"),
                 db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)):
    """Print a one-time code (valid 10 minutes) that the wall's browser types at /enroll
    to become the wall: no sign-in, no idle time-out, until `townbrain kiosk revoke`."""
    from access.devices import CODE_MINUTES
    from access.service import operator
    acc = _access(db)
    code = _run(lambda: acc.devices.issue(name, by=operator()))
    out.print(f"wall [bold]{name}[/]: one-time enrolment code, valid {CODE_MINUTES} minutes, shown once:",
              highlight=False)
    print(code)
    out.print("Open /enroll in the wall's browser (e.g. http://SERVER:8050/enroll) and type it there.",
              highlight=False)


@kiosk_app.command("list")
def kiosk_list(as_json: bool = typer.Option(False, "--json", help="One JSON object per line"),
               db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)):
    """The walls: name, state, enrolled at, last seen, revoked at — never a code or a token."""
    import json
    import pandas as pd
    acc = _access(db)
    df = _run(acc.devices.list)
    cols = ["name", "state", "enrolled_at", "last_seen", "revoked_at", "source", "created_by"]
    if as_json:
        for r in df.to_dict("records"):
            print(json.dumps({c: (None if _na(r.get(c)) else pd.Timestamp(r[c]).isoformat() if c.endswith(("_at",
                              "_seen")) else str(r[c])) for c in cols}, ensure_ascii=False))
        return
    t = Table("name", "state", "enrolled at", "last seen", "revoked at", "address", "issued by")
    for r in df.to_dict("records"):
        t.add_row(*("" if _na(r.get(c)) else _fmt(r[c]) if c.endswith(("_at", "_seen")) else str(r[c])
                    for c in cols))
    out.print(t)


@kiosk_app.command("revoke")
def kiosk_revoke(name: str = typer.Argument(..., help="The wall"),
                 db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)):
    """Revoke a wall: its next request is refused (its page goes back to /enroll)."""
    from access.service import operator
    acc = _access(db)
    _run(lambda: acc.devices.revoke(name, by=operator()))
    out.print(f"wall {name} revoked; refused from its next request on")
