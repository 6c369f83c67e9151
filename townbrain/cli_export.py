"""``townbrain export …``: maps, atlases, offline HTML and data for planners (issue 17).

Each subcommand is a thin shell over one exporter in :mod:`exports`; what they
share (the store, the export id, who made it) is decided here once.
"""
from __future__ import annotations

import typer

export_app = typer.Typer(no_args_is_help=True,
                         help="Print layouts, atlases, offline HTML maps and data files for planners.")
