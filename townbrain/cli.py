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

from townbrain.cli_common import (DB_HELP, err, fail, operators_store, out, parse_map as _parse_map,
                                  store_or_fail as _store)
from townbrain.cli_export import export_app
from townbrain.cli_load import load

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="TownBrain: the smart-brain command centre for towns run by grids.")
app.command()(load)
app.add_typer(export_app, name="export")


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
                                             "(YYYY-MM-DD; default today)"),
         assign: bool = typer.Option(True, "--assign/--no-assign",
                                     help="Assign points to grids afterwards (as `townbrain assign`)")):
    """Generate the calibrated demo town, write every layer and assign points to grids."""
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
        store = operators_store(open_store(target))
        t0 = time.perf_counter()
        with out.status("generating the demo town…"):
            town = build_town(seed=seed, today=day)
        t1 = time.perf_counter()
        with out.status(f"writing to {store.url}…"):
            write_town(store, town)
        t2 = time.perf_counter()
        if assign:
            from grids.assign import assign_store
            with out.status("assigning every point to its grids…"):
                assign_store(store)
        t3 = time.perf_counter()
    except StoreError as exc:
        fail(str(exc))
    t = Table("layer", "records", title=f"demo town → {store.url}")
    for name, frame in town.items():
        t.add_row(name, f"{len(frame):,}")
    t.add_row("[bold]all", f"[bold]{sum(len(f) for f in town.values()):,}")
    out.print(t)
    out.print(f"generated in {t1 - t0:.1f} s, written in {t2 - t1:.1f} s"
              + (f", assigned to grids in {t3 - t2:.1f} s" if assign else ""), highlight=False)


@app.command()
def simulate(db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
             rate: Optional[float] = typer.Option(None, "--rate", help="Registered cases per second "
                                                  "(default: the town's own pace at each hour of the week)"),
             seconds: Optional[float] = typer.Option(None, "--seconds", help="Stop after this long")):
    """Feed the store with live demo cases (and close old ones) at the town's own pace."""
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
    from townbrain.memory import tune_allocator
    tune_allocator()  # a server re-reads the town every minute: freed memory goes back
    dash_app = create_app(url)
    if with_simulator:
        from geodata.demo.simulate import run_simulator
        threading.Thread(target=run_simulator, kwargs={"store": _store(url)},
                         daemon=True, name="simulator").start()
    out.print(f"TownBrain on [bold]http://{host}:{port}/wall[/]  (store: {url})", highlight=False)
    from townbrain.server import waitress_options  # body size capped before it is read
    wsgi_serve(dash_app.server, host=host, port=port, **waitress_options(threads))


@app.command()
def assign(db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
           layer: Optional[list[str]] = typer.Option(None, "--layer", help="Only this point layer (repeatable)"),
           engine: str = typer.Option("numpy", "--engine", help="numpy (one machine) or dask (partitions)"),
           scheduler: Optional[str] = typer.Option(None, "--scheduler",
                                                   help="Address of an existing Dask cluster (tcp://host:8786)"),
           h3_resolution: int = typer.Option(9, "--h3-resolution", min=0, max=15)):
    """Assign every point record to district_id, grid_id, pro_grid_id and h3 (written as columns)."""
    from geodata.frames import StoreError
    from grids.assign import assign_store
    if engine not in ("numpy", "dask"):
        fail(f"--engine must be numpy or dask, not {engine!r}")
    if scheduler and engine != "dask":
        fail("--scheduler needs --engine dask")
    store = _store(db)
    from rich.progress import Progress
    try:
        with Progress(transient=True, console=out) as bar:
            tasks = {}

            def progress(name, done, total):
                if name not in tasks:
                    tasks[name] = bar.add_task(f"assigning {name}", total=total or 1)
                bar.update(tasks[name], completed=done)

            result = assign_store(store, layers=layer or None, engine=engine, scheduler=scheduler,
                                  h3_resolution=h3_resolution, progress=progress)
    except (StoreError, ValueError, OSError) as exc:
        fail(str(exc))
    t = Table("layer", "records", "assigned", "unassigned", "seconds", title="assignment")
    for name, r in result.items():
        t.add_row(name, f"{r['total']:,}", f"{r['assigned']:,}", f"{r['unassigned']:,}", f"{r['seconds']:.2f}")
    out.print(t)


grids_app = typer.Typer(help="Grid systems: coverage checks.")
app.add_typer(grids_app, name="grids")


@grids_app.command("check")
def grids_check(db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
                out_file: Optional[Path] = typer.Option(None, "--out", help="Also write the findings as a layer "
                                                        "file (.gpkg, .geojson)"),
                as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table"),
                save: bool = typer.Option(False, "--save", help="Write the findings to the store's "
                                          "'grid_findings' layer for the map")):
    """Gaps and overlaps between grids, grids crossing their district, professional grids over
    80 enterprises, grids without inspectors or without their two officers."""
    from geodata.frames import StoreError
    from grids.coverage import check_store
    store = _store(db)
    try:
        findings = check_store(store)
    except (StoreError, ValueError) as exc:
        fail(str(exc))
    if save:
        store.write("grid_findings", findings.assign(id=[f"F{i:04d}" for i in range(len(findings))]),
                    mode="replace")
    if out_file:
        findings.to_file(out_file)
    cols = ["kind", "grid_ids", "district_id", "count", "area_m2", "lon", "lat", "message"]
    if as_json:
        print(findings[cols].to_json(orient="records", force_ascii=False))
        return
    if not len(findings):
        out.print("grid coverage: no findings — the grids cover the town with no gap or overlap, stay inside "
                  "their districts, professional grids keep the cap and every grid is staffed", highlight=False)
        return
    t = Table(*cols, title=f"grid coverage: {len(findings)} finding(s)")
    for r in findings[cols].itertuples(index=False):
        t.add_row(*["" if pd_isna(v) else (f"{v:,.1f}" if isinstance(v, float) else str(v)) for v in r])
    out.print(t)


def pd_isna(v) -> bool:
    import pandas as pd
    return v is None or (not isinstance(v, str) and bool(pd.isna(v)))


@app.command()
def kpi(db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
        start: Optional[str] = typer.Option(None, "--from", help="Period start (date or time; included)"),
        end: Optional[str] = typer.Option(None, "--to", help="Period end (excluded)"),
        as_of: Optional[str] = typer.Option(None, "--as-of", help="Evaluate at this time (default: the "
                                            "earlier of --to and now)"),
        by: Optional[str] = typer.Option(None, "--by", help="Group by district, grid, h3 or pro_grid"),
        as_json: bool = typer.Option(False, "--json", help="Print JSON")):
    """The KPIs of the period (accepted, disposed, closure and on-time closure rates, 3-5-10…)."""
    from geodata.frames import StoreError
    from indicators.report import kpi_command
    store = _store(db)
    try:
        result = kpi_command(store, start=start, end=end, as_of=as_of, by=by)
    except (StoreError, ValueError) as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps(result, ensure_ascii=False, default=str))
        return
    groups = result["groups"] if "groups" in result else {"town": result}
    keys = [k for k, v in next(iter(groups.values()), {}).items() if not isinstance(v, dict)]
    period = result.get("period", {})
    title = f"KPIs {period.get('from', '')} → {period.get('to', '')} (as of {period.get('as_of', '')})"
    if len(groups) <= 8:  # one column per group, one row per KPI: fits a terminal
        t = Table("KPI", *map(str, groups), title=title)
        for k in keys:
            t.add_row(k, *[_fmt(g.get(k)) for g in groups.values()])
    else:
        t = Table(by or "", *keys, title=title)
        for name, g in groups.items():
            t.add_row(str(name), *[_fmt(g.get(k)) for k in keys])
    Console(width=max(out.width, 40 + 12 * (len(keys) if len(groups) > 8 else len(groups)))).print(t)


@app.command()
def warnings(db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
             start: Optional[str] = typer.Option(None, "--from", help="First period tested (default: the last "
                                                 "full period)"),
             end: Optional[str] = typer.Option(None, "--to", help="End of the periods tested (excluded)"),
             freq: str = typer.Option("D", "--freq", help="Period: D (day), W (week) or M (month)"),
             lang: str = typer.Option("zh", "--lang", help="zh or en"),
             hotspots: bool = typer.Option(True, "--hotspots/--no-hotspots", help="Also test for hot spots"),
             as_json: bool = typer.Option(False, "--json", help="Print JSON records")):
    """Early warning: surges of cases by grid and category, and hot spots (Gi*)."""
    from geodata.frames import StoreError
    from indicators.report import warnings_command
    if lang not in ("zh", "en"):
        fail(f"--lang must be zh or en, not {lang!r}")
    store = _store(db)
    try:
        found = warnings_command(store, start=start, end=end, freq=freq, hotspots=hotspots)
    except (StoreError, ValueError) as exc:
        fail(str(exc))
    if as_json:
        print(found.to_json(orient="records", force_ascii=False, date_format="iso"))
        return
    if not len(found):
        out.print("no warnings: no surge or hot spot in the period", highlight=False)
        return
    for r in found.itertuples(index=False):
        out.print(f"[{'red' if r.kind == 'surge' else 'yellow'}]●[/] {getattr(r, 'message_' + lang)}", highlight=False)


def _fmt(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.3f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


from townbrain.cli_apikey import apikey_app  # noqa: E402 - the live intake's API keys and their scopes
app.add_typer(apikey_app, name="apikey")
from townbrain.cli_access import audit_app, kiosk_app, user_app  # noqa: E402 - accounts, walls, the audit trail
app.add_typer(user_app, name="user")
app.add_typer(kiosk_app, name="kiosk")
app.add_typer(audit_app, name="audit")
from townbrain.cli_db import db_app  # noqa: E402 - row-level security on PostGIS (the town's DBA)
app.add_typer(db_app, name="db")

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


@bench_app.command("assign")
def bench_assign(points: int = typer.Option(1_000_000, "--points", min=1),
                 pg: Optional[str] = typer.Option(None, "--pg", help="PostGIS URL, to time ST_Covers too"),
                 repeat: int = typer.Option(3, "--repeat", min=1),
                 as_json: bool = typer.Option(False, "--json", help="Print the result as one JSON object")):
    """Exact assignment of N random points to the demo town's grids: TownBrain vs
    geopandas.sjoin (vs PostGIS with --pg), in one run."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench.assign import format_table, run_assign_bench
    result = run_assign_bench(points, pg, repeat=repeat)
    if as_json:
        print(json.dumps(result, default=str))
    else:
        out.print(format_table(result), highlight=False)


def _crash_report(exc: BaseException) -> Path:
    """Write the traceback of an error nobody foresaw to a file; return its path."""
    import tempfile
    import time
    import traceback
    path = Path(tempfile.gettempdir()) / f"townbrain-error-{time.strftime('%Y%m%d-%H%M%S')}.txt"
    path.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
    return path


def main():
    """Run the command; an error nobody foresaw is still one sentence, its traceback in a file."""
    try:
        app()  # typer handles usage errors and typer.Exit itself; anything else comes out here
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:  # `townbrain … | head`: the reader has gone, which is fine
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    except Exception as exc:  # noqa: BLE001 - the contract: never a traceback on the terminal
        where = _crash_report(exc)
        err.print(f"[bold red]error:[/] {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} "
                  f"— an unexpected failure; the details are in {where}", highlight=False, soft_wrap=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
