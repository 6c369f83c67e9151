"""``townbrain apikey …``: the API keys of the live intake's clients and their scopes.

A key is printed once and stored hashed (geodata/apikeys.py); its scopes say what it
may do (``--scope``, repeatable or comma-separated; default requests:write and
requests:read-own). Issuing, revoking and changing scopes are audited under the
operating-system user's name (contract: "The CLI runs on the server as its
operator"), before they are made: a change the audit cannot record is not made.
"""
from __future__ import annotations

from typing import List, Optional

import typer
from rich.table import Table

from townbrain.cli_common import DB_HELP, err, fail, out, store_or_fail

apikey_app = typer.Typer(help="API keys of the live intake's clients (stored hashed) and their scopes.",
                         no_args_is_help=True)


def _scope_help() -> str:
    from geodata.apikeys import DEFAULT_SCOPES, SCOPES
    return (f"What the key may do, repeatable or comma-separated: {', '.join(SCOPES)}. "
            f"Default: {','.join(DEFAULT_SCOPES)}")


def _create_help() -> str:
    from geodata.apikeys import SCOPES
    return ("Print a new API key for a client of /open311/v2/ (shown once; only its hash is kept). "
            "Scopes:\n\n" + "\n\n".join(f"{k}: {v}" for k, v in SCOPES.items()))


def _keys(db):
    """The store's keys, recording each change in the audit trail under the operator."""
    from access.audit import AuditLog
    from access.service import operator
    from geodata.apikeys import ApiKeys
    store = store_or_fail(db)
    log = AuditLog(store)
    return ApiKeys(store, audit=lambda action, **kw: log.record(action, user=operator(), **kw))


def _run(fn):
    """Call ``fn``; a key, audit or store problem is one sentence."""
    from access.audit import AuditError
    from geodata.frames import StoreError
    try:
        return fn()
    except (AuditError, StoreError) as exc:
        fail(str(exc))


def _when(t) -> str:
    import pandas as pd
    return "" if t is None or pd.isna(t) else pd.Timestamp(t).strftime("%Y-%m-%d %H:%M")


@apikey_app.command("create", help=_create_help())
def apikey_create(name: Optional[str] = typer.Argument(None, metavar="NAME", help="Client the key is for, e.g. "
                                                                                 "inspector-app"),
                  name_opt: Optional[str] = typer.Option(None, "--name", help="The same as NAME (the older form)"),
                  scope: Optional[List[str]] = typer.Option(None, "--scope", help=_scope_help()),
                  db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)):
    from geodata.apikeys import DEFAULT_SCOPES, parse_scopes
    if name and name_opt and name.strip() != name_opt.strip():
        fail(f"two client names, {name!r} and --name {name_opt!r}; give one")
    chosen = _run(lambda: parse_scopes(scope)) if scope else DEFAULT_SCOPES
    if not chosen:
        fail("--scope names no scope; leave it out for the default ones")
    key = _run(lambda: _keys(db).create(name or name_opt or "", chosen))
    err.print(f"scopes: {', '.join(chosen)}", highlight=False)
    print(key)  # alone on stdout, the last word: scripts take it from there


@apikey_app.command("list")
def apikey_list(db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)):
    """The issued keys (key id, client, scopes, issued, revoked) — never the keys themselves."""
    keys = _run(lambda: _keys(db).list())
    t = Table("key_id", "name", "scopes", "created_at", "revoked_at")
    for r in keys.itertuples():
        scopes = str(r.scopes).replace(",", ", ") + ("  (default: issued before scopes)" if r.default_scopes else "")
        t.add_row(str(r.key_id), str(r.name), scopes, _when(r.created_at), _when(r.revoked_at))
    out.print(t)


@apikey_app.command("scopes")
def apikey_scopes(key_id: str = typer.Argument(..., help="key_id (from `apikey list`) or the whole key"),
                  scope: List[str] = typer.Option(..., "--scope", help=_scope_help()),
                  db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)):
    """Replace a key's scopes (a running server applies them within a minute)."""
    now = _run(lambda: _keys(db).set_scopes(key_id, scope))
    out.print(f"{key_id}: {', '.join(now)}", highlight=False)


@apikey_app.command("revoke")
def apikey_revoke(key_id: str = typer.Argument(..., help="key_id (from `apikey list`) or the whole key"),
                  db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)):
    """Revoke a key: the server refuses it within a minute (its verification cache)."""
    if not _run(lambda: _keys(db).revoke(key_id)):
        fail(f"no API key {key_id!r}; see `townbrain apikey list`")
    out.print(f"revoked {key_id}")
