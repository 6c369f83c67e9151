"""``townbrain load``: a town's own file into a layer, and a report a person can act on.

The report says what was read (format, encoding, sheet or source layer, CRS),
how many records loaded and were quarantined and why, and — for spellings of
optional coded fields that no value map knows — each spelling with its count
and the exact ``--values`` option that maps it. Those records are loaded with
the field empty and the spelling kept in ``<field>_original``.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.table import Table

from townbrain.cli_common import DB_HELP, fail, out, parse_map, store_or_fail

__all__ = ["load", "print_report"]


def _value_maps(layer: str, values: list[str] | None, values_file: Path | None) -> dict[str, dict[str, str]]:
    """The file's maps, then the command line's on top (the command line wins)."""
    from geodata.value_maps import parse_values_spec, read_values_file
    maps: dict[str, dict[str, str]] = {}
    try:
        if values_file is not None:
            for fld, table in read_values_file(values_file, layer).items():
                maps.setdefault(fld, {}).update(table)
        for spec in values or []:
            for fld, table in parse_values_spec(spec).items():
                maps.setdefault(fld, {}).update(table)
    except ValueError as exc:
        fail(str(exc))
    return maps


def print_report(report) -> None:
    """The load report on the terminal."""
    from geodata.value_maps import values_option
    info = report.info
    read = [info.format] if info else []
    if info:
        for key, label in (("encoding", "encoding"), ("sheet", "sheet"), ("source_layer", "layer"),
                           ("where", "filter")):
            if info.notes.get(key):
                read.append(f"{label} {info.notes[key]}")
        if info.crs and info.crs != "EPSG:4326":
            read.append(f"from {info.crs}")
    name = info.path.name if info else report.source_file
    out.print(f"[bold]{name}[/] ({', '.join(read)}) → [bold]{report.layer}[/]: "
              f"{report.rows:,} record{'' if report.rows == 1 else 's'}, loaded [green]{report.loaded:,}[/], "
              f"quarantined [yellow]{report.quarantined:,}[/]", highlight=False)
    if info and info.notes.get("crs_override"):
        out.print(f"[yellow]note:[/] {info.notes['crs_override']}", highlight=False)
    far = report.reasons.get("coordinates out of range", 0) + report.reasons.get("coordinates at 0,0", 0)
    if info and info.notes.get("crs_assumed") and far and far >= report.rows / 2:
        out.print("hint: most coordinates are not lon/lat degrees and the file names no CRS, so EPSG:4326 was "
                  "assumed; if they are metres of a projected CRS, say which with --crs (e.g. 4549 for CGCS2000 "
                  "3-degree Gauss-Kruger, central meridian 120°E)", highlight=False)
    if report.generated_ids:
        from geodata.schema import LAYERS
        out.print(f"ids generated: the file has no {LAYERS[report.layer].id_field} column, so each record's id is "
                  "made from the file's name, its sheet or layer, and the row — the same on every reload of this "
                  "file (a copy under another name would load as new records); name an id column with --map",
                  highlight=False)
    if report.replaced_quarantine:
        out.print(f"replaced {report.replaced_quarantine:,} quarantine records of an earlier load of this file",
                  highlight=False)
    if report.reasons:
        t = Table("reason", "rows", title="quarantined", caption="kept in the quarantine layer with the original record")
        for reason, n in report.reasons.most_common():
            t.add_row(reason, f"{n:,}")
        out.print(t)
        for reason in report.reasons:
            field = reason.removeprefix("missing ")
            if reason.startswith("missing ") and field != "coordinates" and report.loaded == 0:
                out.print(f"hint: no row has {field}; name the file's column with --map {field}=COLUMN",
                          highlight=False)
    unknown = report.unknown_values
    odd = unknown[unknown["codes"].isna()] if len(unknown) else unknown
    unknown = unknown[unknown["codes"].notna()] if len(unknown) else unknown
    if len(odd):
        t = Table("field", "value", "rows", "why", title="values left empty",
                  caption="the records loaded; the value is kept in <field>_original")
        for r in odd.sort_values(["field", "rows"], ascending=[True, False]).head(30).itertuples():
            t.add_row(r.field, str(r.value), f"{r.rows:,}", str(r.problem))
        out.print(t)
    if len(unknown):
        t = Table("field", "spelling", "rows", "option that maps it", title="spellings no value map knows",
                  caption="loaded with the field empty, the spelling kept in <field>_original")
        for r in unknown.sort_values(["field", "rows"], ascending=[True, False]).itertuples():
            t.add_row(r.field, str(r.value), f"{r.rows:,}", values_option(r.field, str(r.value)))
        out.print(t)
        codes = unknown.drop_duplicates("field")
        for r in codes.itertuples():
            out.print(f"CODE for {r.field} is one of: {', '.join(r.codes)}", highlight=False)
        out.print("A file of them for repeat imports: --values-file values.yaml with "
                  "'field: {spelling: code}' lines, or values.csv with columns field,value,code",
                  highlight=False)
    if report.new_categories:
        cats = report.new_categories
        out.print(f"new categories added to the dictionary: {len(cats)} "
                  f"({', '.join(cats[:8])}{'…' if len(cats) > 8 else ''})", highlight=False)


def load(file: Path = typer.Argument(..., help="GeoJSON, GeoPackage, Shapefile (or .zip), KML/KMZ, GPX, "
                                     "FlatGeobuf, GeoParquet, OSM PBF, CSV or Excel file"),
         layer: str = typer.Option(..., "--layer", help="Target layer, e.g. cases, grids, enterprises"),
         db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
         map: Optional[str] = typer.Option(None, "--map", help="Rename source columns: FIELD=SOURCE,… "
                                           "(lon=COL,lat=COL name a table's coordinate columns)"),
         crs: Optional[str] = typer.Option(None, "--crs", help="Source CRS: any EPSG code (4490, EPSG:4549…), "
                                           "gcj02 or bd09; default: the file's own, else EPSG:4326"),
         source_layer: Optional[str] = typer.Option(None, "--source-layer",
                                                    help="Layer inside a multi-layer file (GeoPackage, GPX, "
                                                    "OSM: points, lines, multipolygons…)"),
         where: Optional[str] = typer.Option(None, "--where", help="OGR SQL filter on a vector file's "
                                             "attributes, e.g. \"highway IS NOT NULL\""),
         sheet: Optional[str] = typer.Option(None, "--sheet", help="Excel sheet, by name or number; "
                                             "default the only one with data"),
         encoding: Optional[str] = typer.Option(None, "--encoding", help="Text encoding of a CSV or a "
                                                "Shapefile's attributes (utf-8, utf-8-sig, gbk, gb18030…); "
                                                "default detected"),
         values: Optional[List[str]] = typer.Option(None, "--values", help="Map spellings to codes: "
                                                    "FIELD:SPELLING=CODE,… (repeatable), e.g. "
                                                    "'source:Constituent Call=hotline'"),
         values_file: Optional[Path] = typer.Option(None, "--values-file", help="A town's value maps: YAML "
                                                    "'field: {spelling: code}' or CSV field,value,code"),
         tz: Optional[str] = typer.Option(None, "--tz", help="Zone of times written without one in the file, "
                                          "e.g. America/Los_Angeles; default $TOWNBRAIN_TZ, else Asia/Shanghai")):
    """Load a file into a layer; rows that cannot be taken go to `quarantine` with the reason.

    Loading the same file again updates its records and replaces its quarantine records.
    """
    from geodata.loaders import LOADABLE
    if layer not in LOADABLE:
        fail(f"unknown layer {layer!r}; choose one of: {', '.join(LOADABLE)}")
    kwargs = {"mapping": parse_map(map), "crs": crs, "source_layer": source_layer, "where": where,
              "sheet": sheet, "encoding": encoding, "value_maps": _value_maps(layer, values, values_file)}
    if tz:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            fail(f"--tz {tz!r} is not a time zone name (e.g. Asia/Shanghai, America/Los_Angeles)")
        kwargs["source_tz"] = tz
    from geodata.frames import StoreError
    from geodata.loaders import LoadError, load_file
    store = store_or_fail(db, must_exist=False)
    try:
        with out.status(f"loading {file.name} into {layer}…"):
            report = load_file(store, file, layer, **kwargs)
    except (LoadError, StoreError) as exc:
        fail(str(exc))
    print_report(report)
