"""``townbrain load``: read a file, validate it at the door, write it to the store.

The work is split in three, each usable on its own:

* :func:`geodata.readers.read_source` — any supported file → raw rows in WGS84;
* :func:`geodata.validate.validate` — raw rows → (good, quarantined, new categories),
  driven by the data dictionary;
* :func:`load_file` — both, then ``store.upsert`` the good rows, ``store.append``
  the quarantine records and ``store.upsert`` the new categories.

Nothing is silently dropped: ``report.loaded + report.quarantined == report.rows``
for every file that can be read; one that cannot raises :class:`LoadError`.

Examples
--------
>>> import tempfile, pathlib
>>> from geodata.store import open_store
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "cases.csv").write_text(
...     "id,when,lon,lat,source\\n"
...     "A,2018-03-01 09:00,120.60,31.20,12345热线\\n"
...     "B,not a date,120.61,31.21,巡查上报\\n")
>>> st = open_store(str(d / "town.gpkg")); st.create_schema()
>>> r = load_file(st, d / "cases.csv", "cases", mapping={"case_id": "id", "reported_at": "when"})
>>> r.loaded, r.quarantined, dict(r.reasons)
(1, 1, {'unparseable reported_at': 1})
>>> st.read("cases")[["case_id", "source"]].to_dict("records")
[{'case_id': 'A', 'source': 'hotline'}]
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from geodata.readers import COORD_KEYS, LoadError, SourceInfo, read_source
from geodata.schema import LAYERS
from geodata.validate import UNKNOWN_COLUMNS, Validation, validate
from geodata.value_maps import check_value_maps, field_aliases

#: Layers a town loads from its files; the others are written by TownBrain itself
#: (the quarantine, API keys, the live intake's bookkeeping).
LOADABLE = tuple(n for n in LAYERS if n not in ("quarantine", "api_keys", "idempotency_keys", "patrol_sessions",
                                                 "patrol_points", "awaiting_location",
                                                 # accounts and the audit trail: only access/ writes them
                                                 "users", "password_history", "sessions", "audit_log"))

__all__ = ["LOADABLE", "LoadError", "LoadReport", "load_file", "read_source", "validate", "Validation", "SourceInfo"]


@dataclass
class LoadReport:
    """What a load did. ``loaded + quarantined == rows``."""

    layer: str
    source_file: str
    rows: int = 0
    loaded: int = 0
    quarantined: int = 0
    repaired: int = 0                       #: geometries fixed by make_valid / line merge, and loaded
    new_categories: list[str] = field(default_factory=list)   #: codes added to ``categories``
    reasons: Counter = field(default_factory=Counter)         #: quarantine reason → rows
    #: spellings of optional coded fields no value map knows: field, value, rows, codes
    unknown_values: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=UNKNOWN_COLUMNS))
    replaced_quarantine: int = 0            #: quarantine records of an earlier load of this file, replaced
    generated_ids: bool = False             #: the file has no id column: ids made from the file and row
    info: SourceInfo | None = None

    def __str__(self) -> str:
        return (f"{self.source_file} → {self.layer}: {self.rows} rows, loaded {self.loaded}, "
                f"quarantined {self.quarantined}")


def source_label(path: Path, info: SourceInfo) -> str:
    """What a load's records are known by: the file's name, and the part of it that was
    read — an Excel sheet, a layer of a multi-layer file, a filter. It seeds generated
    ids and keys the quarantine records a reload replaces, so two sheets of one
    workbook never overwrite each other.

    >>> source_label(Path("a/cases.xlsx"), SourceInfo(Path("a/cases.xlsx"), "Excel", notes={"sheet": "一月"}))
    'cases.xlsx#一月'
    >>> source_label(Path("x.osm.pbf"), SourceInfo(Path("x.osm.pbf"), "OSM PBF",
    ...                                            notes={"source_layer": "lines", "where": "highway IS NOT NULL"}))
    'x.osm.pbf#lines?highway IS NOT NULL'
    """
    label = path.name
    part = info.notes.get("sheet") or info.notes.get("source_layer")
    if part:
        label += f"#{part}"
    if info.notes.get("where"):
        label += f"?{info.notes['where']}"
    return label


def reason_counts(reasons) -> Counter:
    """Rows per reason kind: the text before the first ': ' of each row's first problem."""
    return Counter(str(r).split(": ", 1)[0] for r in reasons)


def load_file(store, path, layer: str, *, mapping: dict[str, str] | None = None,
              crs: str | None = None, source_tz: str | None = None,
              source_layer: str | None = None, encoding: str | None = None, sheet: str | None = None,
              where: str | None = None,
              value_maps: dict[str, dict[str, str]] | None = None) -> LoadReport:
    """Load ``path`` into ``layer`` of ``store``; rejected rows go to ``quarantine``.

    Loading the same file again updates: records upsert by id (generated ids
    are stable per file and row) and the quarantine records of the earlier
    load of this file into this layer are replaced, not repeated.

    Parameters
    ----------
    store : geodata.store.Store
    path : str or Path
        Any format of :data:`geodata.readers.FORMATS`.
    layer : str
        Target layer of the data dictionary (not ``quarantine``).
    mapping : {FIELD: SOURCE}, optional
        Source columns renamed to contract fields (``reported_at="Opened"``);
        ``lon``/``lat``/``latlon``/``wkt`` name a table's coordinate column(s).
        Columns named like a field in the data dictionary's Chinese
        (``上报时间``) or a common alias map by themselves.
    crs : str, optional
        Source CRS: any EPSG code, ``gcj02`` or ``bd09`` (default: the file's, else EPSG:4326).
    source_tz : str, optional
        Zone of the file's naive times (default ``geodata.config.timezone()``).
    source_layer, encoding, sheet, where : str, optional
        Layer inside a multi-layer file, text encoding (default detected),
        Excel sheet, OGR SQL filter — see :func:`geodata.readers.read_source`.
    value_maps : {field: {spelling: code}}, optional
        Extra spellings for closed code lists (see :mod:`geodata.value_maps`).

    Raises
    ------
    LoadError
        The file cannot be read at all, the layer is unknown, a value map names
        a field or code that does not exist, or the file has no geometry for a
        spatial layer.
    """
    if layer not in LOADABLE:
        raise LoadError(f"unknown layer {layer!r}; choose one of {', '.join(LOADABLE)}")
    try:
        value_maps = check_value_maps(layer, value_maps or {})
    except ValueError as exc:
        raise LoadError(str(exc)) from None
    decl = LAYERS[layer]
    unknown_targets = [f for f in (mapping or {}) if f not in decl.field_names and f not in COORD_KEYS]
    if unknown_targets:
        raise LoadError(f"--map {unknown_targets[0]}=…: layer {layer} has no field {unknown_targets[0]!r}; its fields "
                        f"are {', '.join(decl.field_names)} (and lon, lat, latlon, wkt for coordinate columns); "
                        "other columns are kept under their own names without --map")
    path = Path(path)
    rows, info = read_source(path, mapping=mapping, crs=crs, source_layer=source_layer, layer_hint=layer,
                             encoding=encoding, sheet=sheet, where=where, aliases=field_aliases(layer))
    if decl.geometry is not None and info.geometry_source is None and len(rows):
        raise LoadError(f"{path.name} has no coordinates for layer {layer!r}: no lon/lat, "
                        "'(lat, lon)' or WKT column found; name them with --map lon=COL,lat=COL")

    label = source_label(path, info)
    known = set()
    if store.has_layer("categories"):
        known = set(store.read("categories", columns=["code"])["code"].dropna().astype(str))
    good, quarantined, new_cats, unknown = validate(layer, rows, source_file=label, source_tz=source_tz,
                                                    known_categories=known, value_maps=value_maps,
                                                    raw_of=info.raw_of)

    report = LoadReport(layer=layer, source_file=label, rows=len(rows), info=info)
    report.generated_ids = bool(decl.id_field) and decl.id_field not in rows.columns
    report.loaded = store.upsert(layer, good) if len(good) else 0
    if store.has_layer("quarantine"):
        report.replaced_quarantine = store.delete("quarantine", where={"layer": layer, "source_file": label})
    if len(quarantined):
        report.quarantined = store.append("quarantine", quarantined)
    if len(new_cats):
        store.upsert("categories", new_cats)
    report.repaired = int(good.attrs.get("repaired", 0))
    report.new_categories = new_cats["code"].tolist()
    report.reasons = reason_counts(quarantined["reason"])
    report.unknown_values = unknown
    return report
