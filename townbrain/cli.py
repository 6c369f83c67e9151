"""The ``townbrain`` command.

Typer gives every subcommand its ``--help`` from the signatures below; rich
prints tables and progress. Errors a user can fix are one sentence on stderr and
exit status 1 — never a traceback (contract: "The townbrain command").
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="TownBrain: the smart-brain command centre for towns run by grids.")
out = Console()
err = Console(stderr=True)

DB_HELP = "Store URL: a GeoPackage path or postgresql://…; default $TOWNBRAIN_DB, else data/town.gpkg."


def fail(message: str, code: int = 1):
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _store(db: str | None, must_exist: bool = True):
    """Open the store; a GeoPackage that is not there is an error unless we are
    about to create it (load, demo)."""
    from geodata import config
    from geodata.store import StoreError, open_store
    url = config.db_url(db)
    if must_exist and not config.is_postgis(url) and not config.gpkg_path(url).exists():
        fail(f"{config.gpkg_path(url)} does not exist; create it with `townbrain demo --out {url}` "
             "or load a file into it with `townbrain load`")
    try:
        return open_store(url)
    except StoreError as exc:
        fail(str(exc))


def _parse_map(spec: str | None) -> dict[str, str]:
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


@app.command()
def load(file: Path = typer.Argument(..., help="GeoJSON, GeoPackage, Shapefile or CSV file"),
         layer: str = typer.Option(..., "--layer", help="Target layer, e.g. cases, grids, enterprises"),
         db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
         map: Optional[str] = typer.Option(None, "--map", help="Rename source columns: FIELD=SOURCE,… "
                                           "(lon=COL,lat=COL name a CSV's coordinate columns)"),
         crs: Optional[str] = typer.Option(None, "--crs", help="Source CRS: any EPSG code (4490, EPSG:4549…), "
                                           "gcj02 or bd09; default: the file's own, else EPSG:4326"),
         source_layer: Optional[str] = typer.Option(None, "--source-layer",
                                                    help="Layer inside a multi-layer file (GeoPackage)"),
         tz: Optional[str] = typer.Option(None, "--tz", help="Zone of times written without one in the file, "
                                          "e.g. America/Los_Angeles; default $TOWNBRAIN_TZ, else Asia/Shanghai")):
    """Load a file into a layer; rows that cannot be taken go to `quarantine` with the reason."""
    from geodata.schema import LAYERS
    if layer not in LAYERS or layer == "quarantine":
        fail(f"unknown layer {layer!r}; choose one of: "
             f"{', '.join(n for n in LAYERS if n != 'quarantine')}")
    kwargs = {"mapping": _parse_map(map), "crs": crs}
    if tz:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            fail(f"--tz {tz!r} is not a time zone name (e.g. Asia/Shanghai, America/Los_Angeles)")
        kwargs["source_tz"] = tz
    from geodata.frames import StoreError
    from geodata.loaders import LoadError, load_file
    store = _store(db, must_exist=False)
    if source_layer:
        kwargs["source_layer"] = source_layer
    try:
        with out.status(f"loading {file.name} into {layer}…"):
            report = load_file(store, file, layer, **kwargs)
    except (LoadError, StoreError) as exc:
        fail(str(exc))
    out.print(f"[bold]{file.name}[/] → [bold]{layer}[/]: loaded [green]{report.loaded:,}[/], "
              f"quarantined [yellow]{report.quarantined:,}[/]", highlight=False)
    if report.reasons:
        t = Table("reason", "rows", title="quarantined")
        for reason, n in report.reasons.most_common():
            t.add_row(reason, f"{n:,}")
        out.print(t)
        for reason, n in report.reasons.items():
            field = reason.removeprefix("missing ")
            if reason.startswith("missing ") and field != "coordinates" and report.loaded == 0:
                out.print(f"hint: no row has {field}; name the file's column with --map {field}=COLUMN",
                          highlight=False)
    if report.new_categories:
        out.print(f"new categories added to the dictionary: {len(report.new_categories)} "
                  f"({', '.join(list(report.new_categories)[:8])}{'…' if len(report.new_categories) > 8 else ''})",
                  highlight=False)


@app.command()
def schema(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table"),
           layer: Optional[str] = typer.Option(None, "--layer", help="Only this layer")):
    """Print the data dictionary: layers, fields, types, code lists and ranges."""
    from geodata.schema import LAYERS, dictionary_rows
    if layer and layer not in LAYERS:
        fail(f"unknown layer {layer!r}; known layers: {', '.join(LAYERS)}")
    rows = [r for r in dictionary_rows() if not layer or r["layer"] == layer]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    t = Table("layer", "field", "type", "required", "codes", "range", "meaning", title="TownBrain data dictionary")
    for r in rows:
        t.add_row(r["layer"], r["field"], r["type"], r["required"], r["codes"], r["range"],
                  f"{r['meaning']} · {r['含义']}")
    Console(width=max(out.width, 150)).print(t)


@app.command()
def layers(db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)):
    """List the layers in the store with their record counts."""
    from geodata.frames import StoreError
    store = _store(db)
    try:
        names = store.layers()
        t = Table("layer", "records", title=str(store.url))
        for n in names:
            t.add_row(n, f"{store.count(n):,}")
    except StoreError as exc:
        fail(str(exc))
    out.print(t)


@app.command()
def demo(out_path: Optional[str] = typer.Option(None, "--out", help="GeoPackage to write (default: --db)"),
         seed: int = typer.Option(42, "--seed", help="Random seed; the same seed gives the same town"),
         db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
         today: Optional[str] = typer.Option(None, "--today", help="Generate cases up to this date "
                                             "(YYYY-MM-DD; default today)")):
    """Generate the calibrated demo town and write every layer."""
    import datetime as dt
    import time
    from geodata.frames import StoreError
    from geodata.store import open_store
    target = out_path or db
    try:
        day = dt.date.fromisoformat(today) if today else None
    except ValueError:
        fail(f"--today must be YYYY-MM-DD, not {today!r}")
    try:
        from geodata.demo import build_town, write_town
        store = open_store(target)
        t0 = time.perf_counter()
        with out.status("generating the demo town…"):
            town = build_town(seed=seed, today=day)
        t1 = time.perf_counter()
        with out.status(f"writing to {store.url}…"):
            write_town(store, town)
        t2 = time.perf_counter()
    except StoreError as exc:
        fail(str(exc))
    t = Table("layer", "records", title=f"demo town → {store.url}")
    for name, frame in town.items():
        t.add_row(name, f"{len(frame):,}")
    t.add_row("[bold]all", f"[bold]{sum(len(f) for f in town.values()):,}")
    out.print(t)
    out.print(f"generated in {t1 - t0:.1f} s, written in {t2 - t1:.1f} s", highlight=False)


@app.command()
def simulate(db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
             rate: float = typer.Option(2.0, "--rate", help="New cases per second"),
             seconds: Optional[float] = typer.Option(None, "--seconds", help="Stop after this long")):
    """Feed the store with live demo cases (and close old ones) at a steady rate."""
    from geodata.demo.simulate import run_simulator
    store = _store(db)
    try:
        run_simulator(store, rate=rate, seconds=seconds, echo=out.print)
    except KeyboardInterrupt:
        pass


@app.command()
def serve(db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
          host: str = typer.Option("127.0.0.1", "--host"),
          port: int = typer.Option(8050, "--port"),
          threads: int = typer.Option(8, "--threads", help="Worker threads of the WSGI server"),
          with_simulator: bool = typer.Option(False, "--simulate", help="Also run the live demo simulator")):
    """Serve the dashboard (and the API) with a production WSGI server (waitress)."""
    import threading
    from waitress import serve as wsgi_serve
    from app import create_app
    from geodata.config import db_url
    url = db_url(db)
    if not url.startswith("postgres") and not Path(url.replace("gpkg://", "")).exists():
        fail(f"{url} does not exist; create the demo town with `townbrain demo --out {url}` or load data")
    dash_app = create_app(url)
    if with_simulator:
        from geodata.demo.simulate import run_simulator
        threading.Thread(target=run_simulator, kwargs={"store": _store(url), "rate": 1.0},
                         daemon=True, name="simulator").start()
    out.print(f"TownBrain on [bold]http://{host}:{port}/wall[/]  (store: {url})", highlight=False)
    wsgi_serve(dash_app.server, host=host, port=port, threads=threads, ident="TownBrain")


bench_app = typer.Typer(help="Benchmarks (each prints a table and writes JSON under bench/results/).")
app.add_typer(bench_app, name="bench")


@bench_app.command("read-points")
def bench_read_points(pg: str = typer.Option(..., "--pg", help="PostGIS URL"),
                      points: int = typer.Option(1_000_000, "--points"),
                      as_json: bool = typer.Option(False, "--json")):
    """Points per second reading from PostGIS: the store versus geopandas.read_postgis."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench.read_points import main as bench_main
    result = bench_main(["--pg", pg, "--points", str(points)])
    if as_json:
        print(json.dumps(result))


def main():
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
