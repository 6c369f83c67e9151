"""Reading source files into raw rows: one row per record, nothing dropped.

:func:`read_source` turns any file of :data:`FORMATS` into a GeoDataFrame in
WGS84 whose rows are the file's records in order. The formats are read in
:mod:`geodata.read_vectors` (GeoJSON, everything GDAL reads, GeoParquet) and
:mod:`geodata.read_tables` (CSV in any common encoding, Excel). Columns:

* the file's attributes, renamed by ``mapping`` (``{FIELD: SOURCE}``) and the
  rest sanitised to lower_snake_case (``Status.Notes`` → ``status_notes``,
  ``CaseID`` → ``case_id``), so a column already called like a contract field
  (``Category``) lands on it without a mapping;
* ``geometry`` (None where a record has none or it could not be read);
* ``_row`` the record's 1-based number in the file (header excluded; it
  seeds generated ids), ``_line`` where a person finds it (the spreadsheet
  row of a CSV or Excel record, header counted; else ``_row``),
  ``_error`` a reason when the record could not even be read (a ragged CSV line, unreadable geometry, a
  coordinate that is not a number…). :func:`geodata.validate.validate` turns
  ``_error`` into a quarantine record. The original record's text, for the
  quarantine, comes on demand from ``SourceInfo.raw_of`` (writing a million
  good rows out as JSON would cost more than reading them).

A table's (CSV, Excel, plain Parquet) coordinates come from, in order: ``mapping`` keys ``lon``/``lat`` (or
``latlon`` for a "(lat, lon)" text column, ``wkt`` for a WKT column); columns
called lon/lng/long/longitude/经度 and lat/latitude/纬度 in any case; a column whose
values look like ``"(37.78, -122.41)"``; a WKT column (geometry/wkt/geom/the_geom).
A "(a, b)" pair is read as (lat, lon) — Socrata's convention — unless the
values show otherwise (|a| > 90 somewhere while |b| ≤ 90 everywhere, as with
any Chinese lon/lat). The columns consumed for coordinates are not kept.

Whole-file failures (missing, unreadable, not the format it claims, a
``mapping`` naming an absent column) raise :class:`LoadError`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pandas as pd
import shapely
from pyproj import CRS

from geodata.crs import CRSInputError, WGS84, all_finite, lonlat_problems, parse_crs, to_wgs84
from geodata.raw_rows import LoadError, RawRows
from geodata.read_tables import CSV_SUFFIXES, EXCEL_SUFFIXES, read_csv, read_excel
from geodata.read_vectors import VECTOR_SUFFIXES, read_geojson, read_parquet, read_vector
from geodata.value_maps import NA_TOKENS

__all__ = ["LoadError", "SourceInfo", "read_source", "snake_case", "NA_TOKENS", "COORD_KEYS", "FORMATS"]

#: What ``townbrain load`` reads, in words (the error for anything else lists it).
FORMATS = ("GeoJSON, GeoPackage, Shapefile (also zipped), KML/KMZ, GPX, FlatGeobuf, GeoParquet, "
           "OpenStreetMap (.osm.pbf/.osm), GML, MapInfo, File Geodatabase, CSV/TSV, Excel (.xlsx/.xls)")

#: ``mapping`` keys that name coordinate columns rather than fields.
COORD_KEYS = ("lon", "lat", "latlon", "wkt")
_LON_NAMES = ("lon", "lng", "long", "longitude", "经度", "x经度")
_LAT_NAMES = ("lat", "latitude", "纬度", "y纬度")
_WKT_NAMES = ("wkt", "geometry", "geom", "the_geom", "wkt_geom", "shape", "几何", "空间信息")
_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_PAIR = re.compile(rf"^\s*[(\[]\s*({_NUM})\s*[,;\s]\s*({_NUM})\s*[)\]]\s*$")


@dataclass
class SourceInfo:
    """What :func:`read_source` found out about a file."""

    path: Path
    format: str
    rows: int = 0
    crs: str = WGS84                       #: the CRS the coordinates were read in
    geometry_source: str | None = None     #: how geometry was found; None = the file has none
    columns: dict[str, str] = field(default_factory=dict)  #: output column → source column
    notes: dict = field(default_factory=dict)              #: encoding, sheet, source layer, filter…
    raw_of: object = None  #: positions → the records' original text (RawOf), for the quarantine


def snake_case(name: str) -> str:
    """A source column name as a lower_snake_case identifier ('' if nothing is left).

    Letters of any script are kept (a Chinese header stays Chinese); the name is
    cut to 60 bytes of UTF-8 so that PostgreSQL (63 bytes) keeps it whole.

    >>> [snake_case(n) for n in ["CaseID", "Status.Notes", "Request.Type", "shape_area", "tractce10", "所属 网格(编码)"]]
    ['case_id', 'status_notes', 'request_type', 'shape_area', 'tractce10', '所属_网格_编码']
    """
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", str(name))
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    s = re.sub(r"[\W_]+", "_", s).strip("_").lower()
    if s and s[0].isdigit():
        s = "c_" + s
    return s.encode("utf-8")[:60].decode("utf-8", "ignore")


# ---- CSV coordinates ----------------------------------------------------------

def _find_column(columns, wanted: tuple[str, ...]) -> str | None:
    lower = {str(c).strip().lower(): c for c in columns}
    for w in wanted:
        if w in lower:
            return lower[w]
    return None


def _pair_column(df: pd.DataFrame) -> str | None:
    """A text column whose values look like '(37.78, -122.41)'."""
    for col in df.columns:
        vals = df[col].dropna()
        if not len(vals):
            continue
        sample = vals.iloc[:500].astype(str)
        if sample.str.match(_PAIR).mean() >= 0.8:
            return col
    return None


def _wkt_column(df: pd.DataFrame) -> str | None:
    col = _find_column(df.columns, _WKT_NAMES)
    if col is None:
        return None
    sample = df[col].dropna().astype(str).iloc[:100]
    ok = sample.str.match(r"^\s*(SRID=\d+;)?\s*(MULTI)?(POINT|LINESTRING|POLYGON)|^\s*GEOMETRYCOLLECTION",
                          case=False)
    return col if len(sample) and ok.mean() >= 0.8 else None


def _points(x: pd.Series, y: pd.Series, raw_x: pd.Series, raw_y: pd.Series, what: str, errors: list):
    """Points from numeric x/y; a missing or non-numeric coordinate sets the row's error."""
    geoms = np.full(len(x), None, dtype=object)
    ok = x.notna() & y.notna()
    geoms[ok.to_numpy()] = shapely.points(x[ok].to_numpy(float), y[ok].to_numpy(float))
    for i in np.flatnonzero(~ok.to_numpy()):
        if errors[i]:
            continue
        rx, ry = raw_x.iloc[i], raw_y.iloc[i]
        if pd.isna(rx) or pd.isna(ry):
            empty = [n for n, v in zip(what.split("/"), (rx, ry)) if pd.isna(v)]
            errors[i] = f"missing coordinates: {' and '.join(empty)} empty"
        else:
            errors[i] = f"unparseable coordinates: {what}={rx!r}/{ry!r}"
    return geoms


def coordinate_numbers(s: pd.Series) -> pd.Series:
    """A text column as floats, NaN where a value is no number: what
    ``pd.to_numeric(s.str.strip(), errors="coerce")`` gives, by Arrow's cast when
    every value is a plain number or empty (0.03 s a million against 0.3 s), by
    pandas otherwise.

    >>> coordinate_numbers(pd.Series([" 120.5", "", None, "31"], dtype="str")).tolist()
    [120.5, nan, nan, 31.0]
    >>> coordinate_numbers(pd.Series(["120,5", "1e1"], dtype="str")).tolist()
    [nan, 10.0]
    """
    try:
        text = pc.utf8_trim_whitespace(pa.array(s, from_pandas=True).cast(pa.string()))
        text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
        numbers = pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return pd.to_numeric(s.astype("str").str.strip(), errors="coerce").astype(float)
    return pd.Series(numbers, index=s.index)


def _csv_geometry(df: pd.DataFrame, cmap: dict[str, str], errors: list):
    """(geometries, description, consumed columns) for a CSV frame."""
    lon, lat = cmap.get("lon"), cmap.get("lat")
    if (lon is None) != (lat is None) and not cmap.get("latlon"):
        # Only one named: find the other by its usual name.
        lon = lon or _find_column(df.columns, _LON_NAMES)
        lat = lat or _find_column(df.columns, _LAT_NAMES)
        if lon is None or lat is None:
            raise LoadError("--map names only one of lon/lat and the other column cannot be found")
    if lon is None and lat is None and not cmap.get("latlon") and not cmap.get("wkt"):
        lon, lat = _find_column(df.columns, _LON_NAMES), _find_column(df.columns, _LAT_NAMES)
        if lon is None or lat is None:
            lon = lat = None
    if lon is not None and lat is not None:
        x, y = coordinate_numbers(df[lon]), coordinate_numbers(df[lat])
        return _points(x, y, df[lon], df[lat], "lon/lat", errors), f"columns {lon}/{lat}", [lon, lat]
    pair = cmap.get("latlon") or (None if cmap.get("wkt") else _pair_column(df))
    if pair is not None:
        parts = df[pair].astype("str").str.extract(_PAIR)
        a, b = pd.to_numeric(parts[0], errors="coerce"), pd.to_numeric(parts[1], errors="coerce")
        # (lat, lon) unless the numbers say the first one cannot be a latitude.
        swap = bool((a.abs() > 90).any() and not (b.abs() > 90).any())
        x, y = (a, b) if swap else (b, a)
        raw = df[pair]
        geoms = np.full(len(df), None, dtype=object)
        ok = (x.notna() & y.notna()).to_numpy()
        geoms[ok] = shapely.points(x[ok].to_numpy(float), y[ok].to_numpy(float))
        for i in np.flatnonzero(~ok):
            if not errors[i]:
                errors[i] = ("missing coordinates: " + pair + " empty") if pd.isna(raw.iloc[i]) else \
                    f"unparseable coordinates: {pair}={raw.iloc[i]!r}"
        order = "lon, lat" if swap else "lat, lon"
        return geoms, f"text column {pair} as ({order})", [pair]
    wkt = cmap.get("wkt") or _wkt_column(df)
    if wkt is not None:
        txt = df[wkt].str.replace(r"^\s*SRID=\d+;", "", regex=True)
        geoms = shapely.from_wkt(txt.to_numpy(object), on_invalid="ignore")
        for i in np.flatnonzero(pd.isna(geoms)):
            if not errors[i]:
                errors[i] = ("missing geometry: " + wkt + " empty") if pd.isna(df[wkt].iloc[i]) else \
                    "unreadable geometry: not valid WKT"
        return np.asarray(geoms, dtype=object), f"WKT column {wkt}", [wkt]
    return np.full(len(df), None, dtype=object), None, []


# ---- columns --------------------------------------------------------------------

def _resolve(mapping: dict[str, str], columns, path: Path) -> dict[str, str]:
    """``{FIELD: actual source column}``; a source column may be spelt in any case."""
    out = {}
    by_lower: dict[str, list] = {}
    for c in columns:
        by_lower.setdefault(str(c).strip().lower(), []).append(c)
    for fld, src in mapping.items():
        if src in columns:
            out[fld] = src
            continue
        hits = by_lower.get(str(src).strip().lower(), [])
        if len(hits) != 1:
            shown = ", ".join(str(c) for c in list(columns)[:40])
            raise LoadError(f"--map {fld}={src}: {path.name} has no column {src!r}; its columns are {shown}")
        out[fld] = hits[0]
    return out


def _rename(df: pd.DataFrame, fields: dict[str, str], drop: list) -> tuple[pd.DataFrame, dict[str, str]]:
    """Mapped fields first, then every other column under its snake_case name."""
    out = {}
    sources = {}
    for fld, src in fields.items():
        name = fld if re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", fld) else snake_case(fld)
        if not name:
            raise LoadError(f"--map field name {fld!r} is not usable as a column name")
        out[name] = df[src]
        sources[name] = str(src)
    used = set(out) | {"geometry"}
    mapped = set(fields.values())
    for i, col in enumerate(df.columns):
        if col in mapped or col in drop:
            continue
        base = snake_case(col) or f"col_{i}"
        name, k = base, 1
        while name in used:  # e.g. 'Category' when category was mapped from another column
            k += 1
            name = f"{base}_src" if k == 2 else f"{base}_src{k - 1}"
        used.add(name)
        out[name] = df[col]
        sources[name] = str(col)
    return pd.DataFrame(out, index=df.index), sources


# ---- the entry point ------------------------------------------------------------

def _check_options(path: Path, kind: str, **given) -> None:
    """An option that does not apply to this kind of file is an error, not silently ignored."""
    applies = {"sheet": ("excel",), "where": ("vector", "shapefile"), "source_layer": ("vector", "shapefile"),
               "encoding": ("csv", "shapefile")}
    for option, value in given.items():
        if value is not None and kind not in applies[option]:
            flag = "--" + option.replace("_", "-")
            what = {"sheet": "an Excel workbook", "where": "a GDAL vector file (GeoPackage, Shapefile, KML, OSM…)",
                    "source_layer": "a multi-layer vector file (GeoPackage, GPX, OSM…)",
                    "encoding": "a CSV or a Shapefile"}[option]
            raise LoadError(f"{flag} applies to {what}; {path.name} is not one, so leave {flag} out")


def _crs_label(crs) -> str:
    if isinstance(crs, str):
        return crs
    return f"EPSG:{crs.to_epsg()}" if crs.to_epsg() else crs.name


def _kind_of(path: Path) -> str:
    """What reads a file, by its suffix."""
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        return "geojson"
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in EXCEL_SUFFIXES:
        return "excel"
    if suffix in (".parquet", ".geoparquet", ".parq"):
        return "parquet"
    if suffix in (".shp", ".zip"):
        return "shapefile"
    if suffix in VECTOR_SUFFIXES:
        return "vector"
    raise LoadError(f"{path.name}: unsupported file type {suffix or '(none)'}; TownBrain reads {FORMATS}")


def _read_any(path: Path, *, source_layer, layer_hint, encoding, sheet, where) -> RawRows:
    kind = _kind_of(path)
    _check_options(path, kind, sheet=sheet, where=where, source_layer=source_layer, encoding=encoding)
    if kind == "geojson":
        return read_geojson(path)
    if kind == "csv":
        return read_csv(path, encoding)
    if kind == "excel":
        return read_excel(path, sheet, layer_hint)
    if kind == "parquet":
        return read_parquet(path)
    return read_vector(path, source_layer=source_layer, layer_hint=layer_hint, encoding=encoding, where=where)


def _with_aliases(mapping: dict[str, str], columns, aliases: dict[str, str]) -> dict[str, str]:
    """``mapping`` plus {FIELD: column} for each alias column the file has, where the
    field is neither mapped nor already a column under its own name."""
    out = dict(mapping)
    present = {str(c).strip().lower(): c for c in columns}
    named = {snake_case(c) for c in columns}
    for alias, fld in aliases.items():
        col = present.get(str(alias).strip().lower())
        if col is None or fld in out or fld in named or col in out.values():
            continue
        out[fld] = col
    return out


def read_source(path, *, mapping: dict[str, str] | None = None, crs: str | None = None,
                source_layer: str | None = None, layer_hint: str | None = None,
                encoding: str | None = None, sheet: str | None = None, where: str | None = None,
                aliases: dict[str, str] | None = None) -> tuple[gpd.GeoDataFrame, SourceInfo]:
    """Read every record of ``path`` as a row, geometry converted to WGS84.

    Parameters
    ----------
    path : str or Path
        Any of :data:`FORMATS`, told by its suffix: ``.geojson``/``.json``,
        ``.gpkg``, ``.shp`` or ``.zip``, ``.kml``/``.kmz``, ``.gpx``, ``.fgb``,
        ``.parquet``, ``.osm.pbf``/``.osm``, ``.csv``/``.tsv``/``.txt``,
        ``.xlsx``/``.xls``.
    mapping : {FIELD: SOURCE}
        Rename source columns to contract fields; the keys ``lon``, ``lat``,
        ``latlon`` and ``wkt`` instead name a table's coordinate column(s).
    crs : str, optional
        The coordinates' CRS: any EPSG code, ``gcj02`` or ``bd09``. Default:
        the file's own, else EPSG:4326. It overrides the file's, since no file
        format can say "GCJ-02".
    source_layer, layer_hint : str, optional
        The layer to read from a multi-layer file; the hint (the target layer
        name) is used when the file has several and none is named, and picks
        the OpenStreetMap preset (:data:`geodata.read_vectors.OSM_PRESETS`).
    encoding : str, optional
        Text encoding of a CSV or a Shapefile's attributes; default detected.
    sheet : str, optional
        Excel sheet, by name or 1-based number; default the only one with data.
    where : str, optional
        An OGR SQL filter on a vector file's attributes (``highway IS NOT NULL``).
    aliases : {SOURCE: FIELD}, optional
        Column names that mean a field when ``mapping`` does not say otherwise
        (the data dictionary's Chinese names: ``上报时间`` → ``reported_at``).

    Returns
    -------
    (GeoDataFrame, SourceInfo)
        Rows as described in the module docstring, CRS EPSG:4326.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "pts.csv"
    >>> _ = p.write_text("ID,Longitude,Latitude\\nA,120.6,31.2\\nB,,31.3\\n")
    >>> rows, info = read_source(p, mapping={"case_id": "ID"})
    >>> rows[["case_id", "_row", "_error"]].to_dict("records")
    [{'case_id': 'A', '_row': 1, '_error': None}, {'case_id': 'B', '_row': 2, '_error': 'missing coordinates: lon empty'}]
    >>> info.geometry_source
    'columns Longitude/Latitude'
    """
    path = Path(path)
    if not path.exists():
        raise LoadError(f"{path} does not exist")
    if path.is_dir() and path.suffix.lower() != ".gdb":
        raise LoadError(f"{path} is a directory, not a file")
    mapping = dict(mapping or {})
    src_crs = None
    if crs:
        try:
            src_crs = parse_crs(crs)
        except CRSInputError as exc:
            raise LoadError(str(exc)) from None

    raw = _read_any(path, source_layer=source_layer, layer_hint=layer_hint, encoding=encoding, sheet=sheet,
                    where=where)
    df, geoms, errors, declared, fmt = raw.frame, raw.geoms, raw.errors, raw.declared_crs, raw.format
    for fld, col in raw.default_mapping.items():
        if fld not in mapping and col in df.columns:
            mapping[fld] = col
    mapping = _with_aliases(mapping, df.columns, aliases or {})

    coord_map = {k: mapping.pop(k) for k in COORD_KEYS if k in mapping}
    resolved = _resolve({**coord_map, **mapping}, list(df.columns), path)
    cmap = {k: resolved[k] for k in coord_map}
    fields = {k: v for k, v in resolved.items() if k not in coord_map}
    consumed: list = []
    if geoms is None:  # CSV: coordinates live in columns
        geoms, gsource, consumed = _csv_geometry(df, cmap, errors)
    elif cmap:
        raise LoadError(f"--map {', '.join(cmap)}=… names coordinate columns, which only a table "
                        f"(CSV, Excel) has; {path.name} is {fmt} with geometry of its own")
    else:
        gsource = f"{fmt} geometry"

    frame, sources = _rename(df, fields, consumed)
    source_crs = src_crs if src_crs is not None else (declared if declared is not None else CRS.from_epsg(4326))
    crs_label = _crs_label(source_crs)
    if src_crs is not None and declared is not None and (isinstance(src_crs, str) or not src_crs.equals(declared)):
        raw.notes["crs_override"] = f"the file declares {_crs_label(declared)}; --crs {crs} was used instead"
    elif src_crs is None and declared is None and gsource is not None and fmt != "GeoJSON":
        raw.notes["crs_assumed"] = "EPSG:4326"   # RFC 7946 makes GeoJSON WGS84; other files just did not say
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms):
        # the store is 2-D: KML's and GPX's heights are dropped on the way in
        has = pd.notna(geoms)
        if shapely.has_z(geoms[has]).any():
            geoms[has] = shapely.force_2d(geoms[has])
    if len(geoms) and not (isinstance(source_crs, CRS) and source_crs.equals(CRS.from_epsg(4326))):
        # A row whose coordinates were fine before conversion but not after
        # (outside the projection's domain, wrong --crs) says so in its reason.
        finite_before = all_finite(geoms)
        geoms = np.asarray(to_wgs84(geoms, source_crs), dtype=object)
        problems = lonlat_problems(geoms)
        for i in np.flatnonzero(finite_before):
            if problems[i] and not errors[i]:
                errors[i] = f"coordinates invalid after converting from {crs_label}: {problems[i]}"
    frame["_row"] = np.arange(1, len(frame) + 1)
    frame["_line"] = frame["_row"] if raw.lines is None else np.asarray(raw.lines, dtype=np.int64)
    frame["_error"] = pd.Series(errors, index=frame.index, dtype=object)
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, index=frame.index), crs=WGS84)
    info = SourceInfo(path=path, format=fmt, rows=len(gdf), crs=crs_label,
                      geometry_source=gsource, columns=sources, notes=raw.notes, raw_of=raw.raw_of)
    return gdf, info
