"""``townbrain export …``: maps, atlases, offline HTML and data for planners (issue 17).

Each subcommand is a thin shell over one exporter in :mod:`exports`; what they
share (the store, the export id, who made it) is decided here once. The CLI runs as
the store's operator and says so: every exporter is handed ``access.scope.TOWN``
explicitly (an exporter given no scope refuses: exports.common.gate_scope).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

import typer

from townbrain.cli_common import DB_HELP, err, fail, out, store_or_fail

export_app = typer.Typer(no_args_is_help=True,
                         help="Print layouts, atlases, offline HTML maps and data files for planners.")

_ID_HELP = "Export id printed on the layout and written into the file (default: a new one)"
_CONSOLE_HELP = ("A console view instead of a module: the console's query string, as in its address bar "
                 "(e.g. \"?grid=G01-01&status=dispatched&from=2024-01-01&to=2024-03-31&overdue=1\"); its cases, "
                 "titled by its filters and period")


def _console_view(store, search: str, lang: str):
    """The console at ``search`` as the operator sees it (the whole town), in ``lang``
    unless the query names its own; (view, filters, the language it speaks). Parameters
    the console would ignore are said on stderr, as the console notes them on screen."""
    from urllib.parse import parse_qs
    from access.scope import TOWN
    from callbacks.console_export import console_view
    from callbacks.console_state import parse_state
    from callbacks.data import ScreenData
    from geodata import config
    search = search if search.startswith("?") or not search else "?" + search
    if "lang" not in parse_qs(search.lstrip("?")):
        search = (search or "?") + ("&" if len(search) > 1 else "") + f"lang={lang}"
    screen = ScreenData(store, config.timezone())
    view, filters = console_view(screen, search, TOWN)
    _state, bad = parse_state(search, None, screen.now().date())
    if bad:
        err.print(f"ignored in --console: {', '.join(bad)}", highlight=False)
    return view, filters, _state.lang


def _run(store, status: str | None, make: Callable, what: dict, export_id: str | None) -> None:
    """Run one exporter as the operator and audit it (contract: the CLI's exports are
    audited under the operating-system user's name, ``os:NAME``; no record, no file:
    exports/audited.py): a status line on a terminal, its errors as one sentence, then
    one line a script can read with what the audit record holds.

    ``make(export_id, made_by)`` writes the file; ``what`` is what the record says of it."""
    from access.audit import AuditError, AuditLog
    from access.service import operator
    from exports.audited import run_audited
    from exports.common import ExportError, new_export_id
    from geodata.frames import StoreError
    export_id, who = export_id or new_export_id(), operator()

    def audited():
        return run_audited(AuditLog(store), lambda: make(export_id, who), user=who, source="cli",
                           export_id=export_id, detail=lambda r: {**what, "records": r.records, "pages": r.pages})
    try:
        if status:
            with out.status(status):
                result = audited()
        else:
            result = audited()
    except (ExportError, StoreError, AuditError) as exc:
        fail(str(exc))
    count = f"{result.records:,} records" if result.records is not None else f"{result.pages} pages"
    personal = "  WITH PERSONAL DATA" if what.get("personal") else ""
    out.print(f"{result.path}  {count}  {result.path.stat().st_size / 1e6:.2f} MB  "
              f"{result.seconds:.1f} s  export {result.export_id} by {result.made_by}{personal}  "
              f"sha256 {result.sha256}", highlight=False)


@export_app.command("data")
def export_data(layer: str = typer.Option(..., "--layer", help="Layer to export (cases, grids, enterprises …); "
                                          "residents leave as per-grid aggregates"),
                out_path: Path = typer.Option(..., "--out", help="File to write"),
                fmt: Optional[str] = typer.Option(None, "--format",
                                                  help="gpkg, geojson, shp (zipped), csv, kml or xlsx; "
                                                       "default from --out's suffix"),
                start: Optional[str] = typer.Option(None, "--from", help="First day (YYYY-MM-DD), on the layer's "
                                                    "time field (cases: reported_at)"),
                end: Optional[str] = typer.Option(None, "--to", help="Day after the last (YYYY-MM-DD)"),
                crs: str = typer.Option("4326", "--crs", help="4326 (WGS84), 4490 (CGCS2000) or gcj02"),
                geometry_as: str = typer.Option("auto", "--geometry", help="CSV/Excel: auto, lonlat or wkt"),
                with_personal: bool = typer.Option(False, "--with-personal-data",
                                                   help="Let personal data out: a case's reporter, contacts and "
                                                        "own words, residents record by record. Default: left "
                                                        "out (residents as per-grid counts). The audit record "
                                                        "names you and says so"),
                export_id: Optional[str] = typer.Option(None, "--export-id", help=_ID_HELP),
                db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)):
    """A layer, or a period's cases, as GeoPackage, GeoJSON, zipped Shapefile, CSV, KML or Excel.

    Personal fields stay home unless --with-personal-data is given; every export is
    audited under the operating-system user's name (os:NAME)."""
    from access.scope import TOWN
    from exports.common import ExportError
    from exports.data_export import export_layer
    if geometry_as not in ("auto", "lonlat", "wkt"):
        fail(f"--geometry must be auto, lonlat or wkt, not {geometry_as!r}")
    try:
        first, stop = _day(start, "--from"), _day(end, "--to")
    except ExportError as exc:
        fail(str(exc))
    store = store_or_fail(db)
    what = {"kind": "data", "layer": layer, "format": fmt or out_path.suffix.lstrip("."), "crs": crs,
            "from": start, "to": end, "scope": "town", "personal": with_personal}
    _run(store, f"exporting {layer}…", lambda eid, who: export_layer(
        store, layer, out_path, fmt, crs=crs, start=first, end=stop, scope=TOWN, personal=with_personal,
        made_by=who, export_id=eid, geometry_as=geometry_as), what, export_id)


def _day(value: Optional[str], option: str):
    """A day on the command line, local midnight in the configured zone."""
    if value is None:
        return None
    import pandas as pd
    from exports.common import ExportError
    from geodata import config
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise ExportError(f"{option} must be a date such as 2018-01-01, not {value!r}") from None
    return ts.tz_localize(config.timezone()) if ts.tzinfo is None else ts


@export_app.command("map")
def export_map_cmd(module: Optional[str] = typer.Option(None, "--module", help="Wall module: ecology, livelihood, "
                                                        "online, leadership, public, admin, enforcement, transport"),
                   console: Optional[str] = typer.Option(None, "--console", help=_CONSOLE_HELP),
                   out_path: Path = typer.Option(..., "--out", help="PDF or PNG to write"),
                   fmt: Optional[str] = typer.Option(None, "--format", help="pdf or png (default from --out)"),
                   paper: str = typer.Option("A3", "--paper", help="A4, A3 or A1"),
                   orientation: str = typer.Option("landscape", "--orientation", help="landscape or portrait"),
                   dpi: int = typer.Option(300, "--dpi", help="150 or 300 (PNG pixels; PDF stays vector)"),
                   lang: str = typer.Option("zh", "--lang", help="zh or en"),
                   grid: Optional[str] = typer.Option(None, "--grid", help="Zoom to this grid (an inset shows "
                                                      "the whole town)"),
                   bbox: Optional[str] = typer.Option(None, "--bbox", help="Zoom to lon/lat minx,miny,maxx,maxy"),
                   buildings: bool = typer.Option(True, "--buildings/--no-buildings", help="Draw building footprints"),
                   export_id: Optional[str] = typer.Option(None, "--export-id", help=_ID_HELP),
                   db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)):
    """A print layout of a module's map, or of a console view (--console): title, legend, scale bar,
    north arrow, inset, data as of, export id."""
    from access.scope import TOWN
    from exports.print_map import MapRequest, export_map
    if (module is None) == (console is None):
        fail("give --module ID for a module's map, or --console QUERY for a console view (one of them)")
    fmt = fmt or (out_path.suffix.lower().lstrip(".") or "pdf")
    box = None
    if bbox:
        try:
            box = tuple(float(v) for v in bbox.split(","))
            assert len(box) == 4 and box[0] < box[2] and box[1] < box[3]
        except (ValueError, AssertionError):
            fail(f"--bbox takes lon/lat minx,miny,maxx,maxy with min < max, not {bbox!r}")
    req = MapRequest(module=module or "public", fmt=fmt, paper=paper.upper(), orientation=orientation, dpi=dpi,
                     lang=lang, grid=grid, bbox=box, buildings=buildings)
    try:
        req.check()
    except ValueError as exc:
        fail(str(exc))
    store = store_or_fail(db)
    view = None
    what = {"kind": "map", "module": module, "format": fmt, "paper": req.paper, "orientation": orientation,
            "dpi": dpi, "grid": grid, "bbox": bbox, "scope": "town", "personal": False}
    if console is not None:
        from dataclasses import replace
        view, filters, lang = _console_view(store, console, lang)
        req = replace(req, lang=lang)
        what = {k: v for k, v in what.items() if k != "module"} | {"page": "/console", "layer": "cases",
                                                                    "filters": filters["filters"]}
    _run(store, f"drawing the {module or 'console'} map…",
         lambda eid, who: export_map(store, out_path, req, scope=TOWN, made_by=who, export_id=eid, view=view),
         what, export_id)


@export_app.command("html")
def export_html_cmd(out_path: Path = typer.Option(..., "--out", help="HTML file to write"),
                    module: str = typer.Option("public", "--module", help="Wall module (default public)"),
                    console: Optional[str] = typer.Option(None, "--console", help=_CONSOLE_HELP),
                    lang: str = typer.Option("zh", "--lang", help="zh or en"),
                    export_id: Optional[str] = typer.Option(None, "--export-id", help=_ID_HELP),
                    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)):
    """One self-contained offline interactive map of a module, or of a console view (--console):
    every script, style and font inlined; fetches nothing."""
    from access.scope import TOWN
    from exports.html_map import export_html
    store = store_or_fail(db)
    view = None
    what = {"kind": "html", "module": module, "scope": "town", "personal": False}
    if console is not None:
        view, filters, lang = _console_view(store, console, lang)
        what = {"kind": "html", "page": "/console", "layer": "cases", "filters": filters["filters"], "scope": "town",
                "personal": False}
    _run(store, f"building the offline {module if view is None else 'console'} map…",
         lambda eid, who: export_html(store, out_path, module, lang=lang, scope=TOWN, made_by=who,
                                     export_id=eid, view=view), what,
         export_id)


@export_app.command("atlas")
def export_atlas_cmd(out_path: Path = typer.Option(..., "--out", help="PDF to write"),
                     by: str = typer.Option("grid", "--by", help="grid, district or pro_grid"),
                     lang: str = typer.Option("zh", "--lang", help="zh or en"),
                     export_id: Optional[str] = typer.Option(None, "--export-id", help=_ID_HELP),
                     db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)):
    """One PDF with a cover, a contents page and one page per grid, district or professional grid."""
    from rich.progress import Progress
    from access.scope import TOWN
    from exports.atlas import export_atlas
    store = store_or_fail(db)
    with Progress(console=out, transient=True, disable=not out.is_terminal) as bar:
        task = bar.add_task(f"atlas by {by}", total=None)
        _run(store, None, lambda eid, who: export_atlas(
            store, out_path, by, lang=lang, scope=TOWN, made_by=who, export_id=eid,
            progress=lambda i, n: bar.update(task, completed=i, total=n)),
            {"kind": "atlas", "by": by, "scope": "town", "personal": False}, export_id)
