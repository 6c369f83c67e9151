"""What every ``townbrain`` subcommand shares: the consoles, failing in one sentence, the store."""
from __future__ import annotations

import typer
from rich.console import Console

__all__ = ["out", "err", "DB_HELP", "fail", "store_or_fail", "operators_store", "parse_map"]

# soft_wrap: a report line piped to a file or another program stays one line (a
# terminal still wraps it); tables are drawn to the terminal's width, or 80.
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

DB_HELP = "Store URL: a GeoPackage path or postgresql://…; default $TOWNBRAIN_DB, else data/town.gpkg."


def fail(message: str, code: int = 1):
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def store_or_fail(db: str | None, must_exist: bool = True):
    """Open the store; a GeoPackage that is not there is an error unless we are
    about to create it (load, demo)."""
    from geodata import config
    from geodata.store import StoreError, open_store
    url = config.db_url(db)
    if must_exist and not config.is_postgis(url) and not config.gpkg_path(url).exists():
        fail(f"{config.gpkg_path(url)} does not exist; create it with `townbrain demo --out {url}` "
             "or load a file into it with `townbrain load`")
    try:
        return operators_store(open_store(url))
    except StoreError as exc:
        fail(str(exc))


def operators_store(store):
    """``store`` working as the command's operator: the whole town (contract: "The CLI runs
    on the server as its operator"), also under PostGIS's row-level security."""
    from access.scope import TOWN
    store.row_scope = TOWN
    return store


def parse_map(spec: str | None) -> dict[str, str]:
    """``FIELD=SOURCE,FIELD=SOURCE`` → {FIELD: SOURCE}."""
    mapping = {}
    for part in filter(None, (p.strip() for p in (spec or "").split(","))):
        if "=" not in part:
            fail(f"--map takes FIELD=SOURCE pairs separated by commas; {part!r} has no '='")
        field, source = (s.strip() for s in part.split("=", 1))
        if not field or not source:
            fail(f"--map pair {part!r} needs a field and a source column")
        mapping[field] = source
    return mapping


