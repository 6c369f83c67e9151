"""Files with geometry of their own: GeoJSON, whatever GDAL reads, GeoParquet.

GeoJSON is parsed here (a bare array of Features, as Chinese web-map outlines
come, is not something GDAL takes); every other vector format goes through
pyogrio/GDAL: GeoPackage, Shapefile (also inside a .zip), KML and KMZ (LIBKML),
GPX, FlatGeobuf, GML, OpenStreetMap PBF/XML, MapInfo, File Geodatabase.
GeoParquet is read by pyarrow (GDAL's Parquet driver is not in pyogrio's
wheels); a Parquet file without geometry metadata is a table like a CSV.

OpenStreetMap files have five layers of everything; :data:`OSM_PRESETS` says,
per target layer, which OSM layer and which tag make a road, a building or a
river, and how OSM's columns map to the layer's fields — so
``townbrain load city.osm.pbf --layer roads`` needs nothing more. ``--map`` and
``--source-layer`` still override.
"""
from __future__ import annotations

import json
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geodata.arrow_exit import to_pandas
from geodata.raw_rows import LoadError, RawRows, first_line, raw_of_frame, raw_of_list

__all__ = ["read_geojson", "read_vector", "read_parquet", "OSM_PRESETS", "VECTOR_SUFFIXES"]

#: suffix → format in words (everything GDAL reads that people send as a file)
VECTOR_SUFFIXES = {".gpkg": "GeoPackage", ".shp": "Shapefile", ".zip": "zipped Shapefile",
                   ".fgb": "FlatGeobuf", ".gml": "GML", ".kml": "KML", ".kmz": "KMZ", ".gpx": "GPX",
                   ".pbf": "OSM PBF", ".osm": "OSM XML", ".tab": "MapInfo", ".mif": "MapInfo",
                   ".gdb": "File Geodatabase", ".sqlite": "SpatiaLite", ".geojsonl": "GeoJSONSeq"}

#: OpenStreetMap → layer: (OSM layer, GDAL filter, {FIELD: OSM column}). A closed
#: way drawn as a building comes in the multipolygons layer with ``osm_way_id``,
#: a multipolygon relation with ``osm_id``: the id is whichever is there.
OSM_PRESETS = {
    "roads": ("lines", "highway IS NOT NULL", {"road_id": "osm_id", "road_class": "highway"}),
    "rivers": ("lines", "waterway IS NOT NULL", {"river_id": "osm_id"}),
    "buildings": ("multipolygons", "building IS NOT NULL", {"building_id": "osm_ref", "use": "building"}),
}


def _json_scalar(v):
    """Property values as the store can keep them: lists/dicts become JSON text."""
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    return v


def read_geojson(path: Path) -> RawRows:
    """A FeatureCollection, a single Feature or a bare JSON array of Features."""
    try:
        obj = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise LoadError(f"{path.name} is not UTF-8 text, so it cannot be GeoJSON") from None
    except json.JSONDecodeError as exc:
        raise LoadError(f"{path.name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise LoadError(f"{path.name} nests its JSON too deeply to be GeoJSON") from None
    declared = None
    if isinstance(obj, list):
        features = obj
    elif isinstance(obj, dict) and obj.get("type") == "FeatureCollection":
        features = obj.get("features")
        if not isinstance(features, list):
            raise LoadError(f"{path.name} is a FeatureCollection without a 'features' list")
        # Pre-RFC 7946 files may name their CRS; honour it unless --crs overrides.
        name = ((obj.get("crs") or {}).get("properties") or {}).get("name")
        if name:
            try:
                declared = CRS.from_user_input(name)
            except Exception:  # noqa: BLE001 - an unknown name is reported below
                raise LoadError(f"{path.name} declares a CRS nobody knows: {name!r}") from None
    elif isinstance(obj, dict) and obj.get("type") == "Feature":
        features = [obj]
    else:
        raise LoadError(f"{path.name} is JSON but neither a FeatureCollection, a Feature "
                        "nor an array of Features")
    props, geoms, errors, raws = [], [], [], []
    for feat in features:
        raws.append(json.dumps(feat, ensure_ascii=False))
        error, geom, p = None, None, {}
        if not isinstance(feat, dict) or feat.get("type") != "Feature":
            error = "malformed record: not a GeoJSON Feature"
        else:
            p = feat.get("properties") or {}
            if not isinstance(p, dict):
                p, error = {}, "malformed record: properties is not an object"
            p = {k: _json_scalar(v) for k, v in p.items()}
            if "id" in feat and "id" not in p:
                p["id"] = feat["id"]
            g = feat.get("geometry")
            if g is not None and error is None:
                try:
                    geom = shapely.geometry.shape(g)
                except Exception as exc:  # noqa: BLE001 - any failure is this record's problem
                    error = f"unreadable geometry: {exc}"
        props.append(p)
        geoms.append(geom)
        errors.append(error)
    df = pd.DataFrame.from_records(props) if props else pd.DataFrame()
    df.index = pd.RangeIndex(len(features))
    return RawRows(df, np.array(geoms + [None], dtype=object)[:-1], errors, raw_of_list(raws), "GeoJSON", declared)


def _rows_from(df: pd.DataFrame, wkb, fmt: str, declared, notes: dict, default_mapping=None) -> RawRows:
    """RawRows from attribute columns and WKB geometries (None where a feature has none)."""
    n = len(df)
    errors: list[str | None] = [None] * n
    if wkb is None:
        geoms = np.full(n, None, dtype=object)
    else:
        wkb = np.asarray(wkb, dtype=object)
        geoms = shapely.from_wkb(wkb, on_invalid="ignore")
        for i in np.flatnonzero(pd.isna(geoms) & pd.notna(wkb)):
            errors[i] = "unreadable geometry: malformed WKB"
    geoms = np.asarray(geoms, dtype=object)
    return RawRows(df, geoms, errors, raw_of_frame(df, geoms), fmt, declared,
                   notes=notes, default_mapping=dict(default_mapping or {}))


def _dbf_encoding(path: Path) -> str | None:
    """The encoding of a Shapefile's attributes when it has no .cpg: detected from the .dbf bytes.

    GDAL reads a .dbf without .cpg (and without a language-driver byte) as
    ISO-8859-1, which turns a Chinese office's GBK names into mojibake.
    """
    from geodata.read_tables import decode
    try:
        if path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as z:
                names = z.namelist()
                if any(n.lower().endswith(".cpg") for n in names):
                    return None
                dbfs = [n for n in names if n.lower().endswith(".dbf")]
                if len(dbfs) != 1:
                    return None
                data = z.read(dbfs[0])
        else:
            if path.with_suffix(".cpg").exists() or path.with_suffix(".CPG").exists():
                return None
            dbf = next((p for p in (path.with_suffix(".dbf"), path.with_suffix(".DBF")) if p.exists()), None)
            if dbf is None:
                return None
            data = dbf.read_bytes()
    except (OSError, zipfile.BadZipFile):
        return None
    if len(data) < 32 or data[29] != 0:  # byte 29: the language driver id; GDAL honours a set one
        return None
    header_len = int.from_bytes(data[8:10], "little")
    body = data[header_len:]
    if all(b < 128 for b in body):
        return None
    try:
        _text, enc = decode(body, path.name)
    except LoadError:
        return None
    return {"UTF-8": "UTF-8", "GB18030/GBK": "GB18030"}.get(enc, enc)


def _pick_layer(path: Path, layers: list[tuple[str, int]], source_layer: str | None,
                layer_hint: str | None) -> str:
    names = [n for n, _ in layers]
    if source_layer:
        if source_layer not in names:
            raise LoadError(f"{path.name} has no layer {source_layer!r}; its layers are {', '.join(names)}")
        return source_layer
    if len(names) == 1:
        return names[0]
    if layer_hint in names:
        return layer_hint
    with_data = [n for n, count in layers if count != 0]
    if len(with_data) == 1:
        return with_data[0]
    shown = ", ".join(f"{n} ({c:,})" if c >= 0 else n for n, c in layers)
    raise LoadError(f"{path.name} holds several layers ({shown}); pick one with --source-layer")


def read_vector(path: Path, *, source_layer: str | None = None, layer_hint: str | None = None,
                encoding: str | None = None, where: str | None = None) -> RawRows:
    """Any vector file GDAL reads, one layer of it, every feature in order.

    GDAL's own remarks on the file (an unclosed ring, an unknown GPX version)
    are kept in ``notes["gdal_warnings"]`` instead of going to the terminal.
    """
    from geodata.gdal_lock import GDAL_LOCK
    with GDAL_LOCK, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rows = _read_vector(path, source_layer, layer_hint, encoding, where)
    if caught:
        rows.notes["gdal_warnings"] = sorted({first_line(w.message) for w in caught})[:5]
    return rows


def _kmz_inner(path: Path):
    """``/vsizip/…/doc.kml``: the KML inside a KMZ."""
    try:
        with zipfile.ZipFile(path) as z:
            kmls = [n for n in z.namelist() if n.lower().endswith(".kml")]
    except (OSError, zipfile.BadZipFile):
        return path     # GDAL says what is wrong with it
    if not kmls:
        raise LoadError(f"{path.name} is a KMZ without a .kml inside")
    inner = "doc.kml" if "doc.kml" in kmls else kmls[0]
    return f"/vsizip/{path.resolve()}/{inner}"


def _field_count(source) -> int:
    import pyogrio
    try:
        return max(len(pyogrio.read_info(source, layer=str(n))["fields"]) for n, _ in pyogrio.list_layers(source))
    except Exception:  # noqa: BLE001 - unreadable: the read itself will say why
        return -1


def _read_vector(path: Path, source_layer, layer_hint, encoding, where) -> RawRows:
    import pyogrio
    source = path
    if path.suffix.lower() == ".kmz":
        # GDAL reads one KMZ's ExtendedData from the archive, another's only from the KML
        # inside it (it depends on how the schema was written): take whichever has more.
        inner = _kmz_inner(path)
        if inner != path and _field_count(inner) > _field_count(path):
            source = inner
    try:
        listed = pyogrio.list_layers(source)
    except Exception as exc:  # noqa: BLE001 - GDAL says why in its own words
        raise LoadError(f"cannot read {path.name}: {first_line(exc)}") from None
    if not len(listed):
        raise LoadError(f"{path.name} holds no layers")
    try:
        info = pyogrio.read_info(source, layer=str(listed[0][0]))
        driver = info.get("driver") or ""
    except Exception:  # noqa: BLE001 - the read below says what is wrong
        driver = ""
    preset = OSM_PRESETS.get(layer_hint) if driver == "OSM" else None
    notes: dict = {}
    default_mapping: dict = {}
    if preset and not source_layer:
        source_layer, preset_where, default_mapping = preset
        where = where or preset_where
    counts = []
    for name, _gtype in listed:
        try:  # OSM layers cannot be counted without reading the file: -1 = unknown
            n = -1 if driver == "OSM" else int(pyogrio.read_info(source, layer=str(name),
                                                                  force_feature_count=True)["features"])
        except Exception:  # noqa: BLE001
            n = -1
        counts.append((str(name), n))
    chosen = _pick_layer(path, counts, source_layer, layer_hint)
    if len(counts) > 1:
        notes["source_layer"] = chosen
    if where:
        notes["where"] = where
    if encoding is None and path.suffix.lower() in (".shp", ".zip"):
        encoding = _dbf_encoding(path)
        if encoding:
            notes["encoding"] = f"{encoding} (detected; the file has no .cpg)"
    elif encoding:
        notes["encoding"] = encoding
    try:
        meta, _fids, wkb, field_data = pyogrio.raw.read(source, layer=chosen, datetime_as_string=True,
                                                        encoding=encoding, where=where)
    except Exception as exc:  # noqa: BLE001
        if where:
            try:
                cols = ", ".join(str(c) for c in pyogrio.read_info(source, layer=chosen)["fields"])
            except Exception:  # noqa: BLE001
                cols = "unknown"
            hint = " (OpenStreetMap keeps most tags in other_tags: e.g. \"other_tags LIKE '%\"shop\"=>%'\")" \
                if driver == "OSM" else ""
            raise LoadError(f"--where {where!r} is not a filter layer {chosen!r} of {path.name} can take; "
                            f"its columns are {cols}{hint}") from None
        raise LoadError(f"cannot read layer {chosen!r} of {path.name}: {first_line(exc)}") from None
    df = pd.DataFrame({name: arr for name, arr in zip(meta["fields"], field_data)})
    n = len(field_data[0]) if field_data else (0 if wkb is None else len(wkb))
    df.index = pd.RangeIndex(n)
    if driver == "OSM" and "osm_way_id" in df and "osm_id" in df:
        # a building is a closed way (w…) or a multipolygon relation (r…)
        df["osm_ref"] = np.where(pd.notna(df["osm_way_id"]), "w" + df["osm_way_id"].astype(str),
                                 "r" + df["osm_id"].astype(str))
    declared = CRS.from_user_input(meta["crs"]) if meta.get("crs") else None
    fmt = VECTOR_SUFFIXES.get(path.suffix.lower(), driver or "vector file")
    return _rows_from(df, wkb, fmt, declared, notes, default_mapping)


def read_parquet(path: Path) -> RawRows:
    """GeoParquet (geometry metadata) by pyarrow; a plain Parquet table has its coordinates in columns."""
    import pyarrow.parquet as pq
    try:
        table = pq.read_table(path)
    except Exception as exc:  # noqa: BLE001
        raise LoadError(f"cannot read {path.name} as Parquet: {first_line(exc)}") from None
    meta = table.schema.metadata or {}
    geo = json.loads(meta[b"geo"]) if b"geo" in meta else None
    df = to_pandas(table)
    df.index = pd.RangeIndex(len(df))
    if not geo:
        from geodata.read_tables import cells_to_text
        text = cells_to_text(df)
        return RawRows(text, None, [None] * len(text), raw_of_frame(text), "Parquet")
    col = geo.get("primary_column", "geometry")
    spec = (geo.get("columns") or {}).get(col, {})
    if spec.get("encoding", "WKB").upper() != "WKB":
        raise LoadError(f"{path.name}: GeoParquet geometry encoded as {spec.get('encoding')!r}; "
                        "only WKB is read")
    crs = spec.get("crs", "OGC:CRS84")  # GeoParquet: absent means OGC:CRS84
    declared = CRS.from_user_input(crs) if crs is not None else None
    wkb = df.pop(col).to_numpy(object)
    attrs = pd.DataFrame({c: df[c] for c in df.columns}, index=df.index)
    return _rows_from(attrs, wkb, "GeoParquet", declared, {})
