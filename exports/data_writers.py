"""One writer per office format; each states the CRS and the export in the file itself.

Times: GeoPackage stores them in UTC as its standard asks (Requirement 5, "DATETIME
… in UTC"); the text formats write ISO 8601 with the town's offset
(``2018-01-01T07:06:52+08:00``); Excel, which has no zones, writes local times and
names the zone on the metadata sheet. Writing through pyogrio goes via Arrow, whose
timestamps with a named zone GDAL converts row by row (20 s for the demo's 400 k
cases); UTC or text costs a tenth of that.
"""
from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from exports.common import ExportError, plain_value
from exports.crs_out import OutCRS
from geodata.gdal_lock import GDAL_LOCK
from geodata.schema import FIELDS_BY_LAYER, LAYERS

__all__ = ["Meta", "WRITERS", "shapefile_field_names"]


@dataclass(frozen=True)
class Meta:
    layer: str
    source_layer: str
    crs: OutCRS
    export_id: str
    made_by: str
    data_as_of: pd.Timestamp
    tz: str
    start: object = None
    end: object = None
    personal: bool = False
    geometry_as: str = "auto"

    def rows(self) -> list[tuple[str, str]]:
        period = "" if self.start is None and self.end is None else f"[{self.start or '…'}, {self.end or '…'})"
        rows = [("layer 图层", self.layer), ("crs 坐标系", f"{self.crs.label} — {self.crs.description}"),
                ("export id 导出编号", self.export_id), ("made by 导出人", self.made_by),
                ("data as of 数据截至", self.data_as_of.isoformat()), ("time zone 时区", self.tz),
                ("source 数据来源", "TownBrain")]
        if period:
            rows.insert(1, ("period 时段", period))
        if self.layer != self.source_layer:
            rows.insert(1, ("note 说明", f"{self.source_layer}: aggregates per grid only (personal data) "
                                         f"· 仅按网格汇总(个人信息不逐条导出)"))
        return rows

    def description(self) -> str:
        return "; ".join(f"{k.rsplit(' ', 1)[0]}: {v}" for k, v in self.rows())


def _datetime_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if isinstance(frame[c].dtype, pd.DatetimeTZDtype)
            or pd.api.types.is_datetime64_any_dtype(frame[c].dtype)]


def _times_as_text(frame: pd.DataFrame, tz: str) -> pd.DataFrame:
    """Datetime columns as ISO 8601 text in ``tz`` with its offset; missing stays missing."""
    frame = frame.copy()
    for c in _datetime_columns(frame):
        s = frame[c]
        s = s.dt.tz_convert(tz) if s.dt.tz is not None else s.dt.tz_localize(tz)
        off = s.dt.strftime("%z")
        text = s.dt.strftime("%Y-%m-%dT%H:%M:%S") + off.str[:3] + ":" + off.str[3:]
        frame[c] = text.where(s.notna(), None).astype("string")
    return frame


def _times_utc(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy(deep=False)  # new columns replace old ones; the caller's frame is left alone
    for c in _datetime_columns(frame):
        if frame[c].dt.tz is not None:
            frame[c] = frame[c].dt.tz_convert("UTC")
    return frame


def _has_geometry(frame) -> bool:
    return isinstance(frame, gpd.GeoDataFrame) and frame._geometry_column_name in frame


# ---- GeoPackage ------------------------------------------------------------------------

def write_gpkg(frame, out: Path, meta: Meta) -> dict:
    """A large frame in bulk (exports/gpkg_bulk.py: GDAL makes the layer, Arrow fills
    it); a small one, or one the bulk path cannot store exactly, by GDAL feature by
    feature. Either way a new file, so SQLite need not sync each page to disk as it
    goes (a crash leaves a half file either way), with its R-tree — a planner's GIS wants it."""
    from exports import gpkg_bulk
    out.unlink(missing_ok=True)
    frame = _times_utc(frame)
    options = {"DESCRIPTION": meta.description(), "IDENTIFIER": meta.layer}
    if len(frame) >= gpkg_bulk.BULK_ROWS and gpkg_bulk.bulk_writable(frame) is None:
        gpkg_bulk.write_gpkg_bulk(frame, out, meta.layer, options)
        return {"written": "bulk"}
    with GDAL_LOCK:   # the option is process-wide: no store write may run under it
        pyogrio.set_gdal_config_options({"OGR_SQLITE_SYNCHRONOUS": "OFF"})
        try:
            pyogrio.write_dataframe(frame, out, layer=meta.layer, driver="GPKG", use_arrow=True,
                                    layer_options=options)
        finally:
            pyogrio.set_gdal_config_options({"OGR_SQLITE_SYNCHRONOUS": None})
    return {"written": "gdal"}


# ---- GeoJSON ---------------------------------------------------------------------------

def write_geojson(frame, out: Path, meta: Meta) -> dict:
    out.unlink(missing_ok=True)
    opts = {"DESCRIPTION": meta.description(), "WRITE_NAME": "YES"}
    if meta.crs.label == "EPSG:4326":
        opts["RFC7946"] = "YES"  # RFC 7946 is WGS84 only; other CRSs keep the "crs" member GDAL writes
    text = _times_as_text(frame, meta.tz)
    with GDAL_LOCK:
        pyogrio.write_dataframe(text, out, layer=meta.layer, driver="GeoJSON", use_arrow=True, layer_options=opts)
    return {}


# ---- Shapefile (zipped) ---------------------------------------------------------------------

def shapefile_field_names(columns) -> dict[str, str]:
    """Column → a dBase field name of at most 10 bytes, unique; short names unchanged.

    >>> shapefile_field_names(["case_id", "registered_at", "registered_by", "h3"])
    {'case_id': 'case_id', 'registered_at': 'registered', 'registered_by': 'register_1', 'h3': 'h3'}
    """
    names: dict[str, str] = {}
    used: set[str] = set()
    for col in columns:
        base = col.encode("utf-8")[:10].decode("utf-8", "ignore")
        name, k = base, 0
        while name.lower() in used:
            k += 1
            tail = f"_{k}"
            name = base.encode("utf-8")[:10 - len(tail)].decode("utf-8", "ignore") + tail
        used.add(name.lower())
        names[col] = name
    return names


_FAMILY = {"Point": "points", "MultiPoint": "points", "LineString": "lines", "MultiLineString": "lines",
           "Polygon": "polygons", "MultiPolygon": "polygons"}


def _field_doc(layer: str, col: str) -> tuple[str, str]:
    f = FIELDS_BY_LAYER.get(layer, {}).get(col)
    return (f.doc, f.doc_zh) if f else ("", "")


def write_shp(frame, out: Path, meta: Meta) -> dict:
    """A .zip of the Shapefile(s) — one per geometry family, a Shapefile holds one —
    with ``.cpg`` (UTF-8), ``.prj``, ``fields.csv`` (each dBase field name beside the
    full column name and meaning) and ``README.txt`` (the export's metadata)."""
    import tempfile
    attrs = [c for c in frame.columns if c != getattr(frame, "_geometry_column_name", None)]
    text = _times_as_text(frame, meta.tz)
    for c in attrs:  # dBase text holds 254 bytes; refuse rather than cut a value short
        s = text[c]
        if s.dtype == object or isinstance(s.dtype, pd.StringDtype):
            longest = s.dropna().astype(str).str.encode("utf-8").str.len().max() if s.notna().any() else 0
            if longest and longest > 254:
                raise ExportError(f"field {c!r} has values of {int(longest)} bytes; a Shapefile field holds 254 — "
                                  "export as gpkg, geojson, csv or xlsx instead")
    names = shapefile_field_names(attrs)
    text = text.rename(columns=names)
    parts: list[tuple[str, pd.DataFrame]] = []
    if _has_geometry(frame):
        fam = frame.geometry.geom_type.map(_FAMILY)
        kinds = [k for k in ("points", "lines", "polygons") if (fam == k).any()]
        if fam.isna().any() and not kinds:
            kinds = []
        if len(kinds) <= 1:
            parts.append((meta.layer, text))
        else:
            parts += [(f"{meta.layer}_{k}", text[(fam == k).to_numpy()]) for k in kinds]
    else:
        parts.append((meta.layer, pd.DataFrame(text)))
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, part in parts:
            with GDAL_LOCK:
                pyogrio.write_dataframe(part, Path(tmp) / f"{name}.shp", driver="ESRI Shapefile", use_arrow=True,
                                        layer_options={"ENCODING": "UTF-8"})
            for f in sorted(Path(tmp).glob(f"{name}.*")):
                z.write(f, f.name)
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["shp_field", "field", "type", "meaning", "含义"])
        for col, short in names.items():
            kind = "text (ISO 8601 time)" if col in _datetime_columns(frame) else str(frame[col].dtype)
            w.writerow([short, col, kind, *_field_doc(meta.source_layer, col)])
        z.writestr("fields.csv", "\ufeff" + buf.getvalue())
        readme = ["TownBrain export — a zipped Shapefile", ""] + [f"{k}: {v}" for k, v in meta.rows()]
        readme += ["", "dBase field names hold 10 bytes: fields.csv maps each to the full column name.",
                   "Times are text in ISO 8601 with their offset (dBase dates hold no time).",
                   "字段名最长10字节，fields.csv 给出完整字段名与含义。文本编码 UTF-8（见 .cpg）。"]
        if len(parts) > 1:
            readme.append("One Shapefile per geometry type: " + ", ".join(n for n, _ in parts))
        z.writestr("README.txt", "\n".join(readme) + "\n")
    return {"shapefiles": [n for n, _ in parts], "renamed_fields": {c: s for c, s in names.items() if c != s}}


# ---- CSV ------------------------------------------------------------------------------

def _geometry_columns(frame, how: str) -> tuple[pd.DataFrame, list[str]]:
    """Attributes plus ``lon``/``lat`` (points) or ``wkt``; ``how`` auto|lonlat|wkt."""
    if not _has_geometry(frame):
        return pd.DataFrame(frame), []
    geom = frame.geometry
    attrs = pd.DataFrame(frame.drop(columns=frame._geometry_column_name))
    points = bool(len(geom)) and bool((geom.geom_type.dropna() == "Point").all())
    if how == "lonlat" and not points:
        raise ExportError("lon/lat columns need a point layer; use WKT for lines and polygons")
    if how in ("auto", "lonlat") and points:
        attrs["lon"] = np.round(geom.x.to_numpy(), 7)
        attrs["lat"] = np.round(geom.y.to_numpy(), 7)
        return attrs, ["lon", "lat"]
    attrs["wkt"] = shapely.to_wkt(geom.to_numpy(), rounding_precision=7, trim=True)
    return attrs, ["wkt"]


def write_csv(frame, out: Path, meta: Meta) -> dict:
    """UTF-8 with a BOM (Excel then opens Chinese text right), times in ISO 8601, the
    geometry as lon/lat or WKT, and a ``crs`` column naming their CRS on every row."""
    table, geo_cols = _geometry_columns(_times_as_text(frame, meta.tz), meta.geometry_as)
    if geo_cols:
        table["crs"] = meta.crs.label
    table.to_csv(out, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return {"geometry_columns": geo_cols}


# ---- KML ------------------------------------------------------------------------------

def write_kml(frame, out: Path, meta: Meta) -> dict:
    if not _has_geometry(frame):
        raise ExportError(f"layer {meta.layer!r} has no geometry to put in KML; use csv or xlsx")
    out.unlink(missing_ok=True)
    name_field = "name" if "name" in frame else (LAYERS[meta.source_layer].id_field
                                                  if meta.source_layer in LAYERS else None)
    text = _times_as_text(frame, meta.tz)
    opts = {"NAME": f"{meta.layer} · {meta.export_id}", "DESCRIPTION": meta.description()}
    # LIBKML names each placemark from the field LIBKML_NAME_FIELD names (default "name")
    with GDAL_LOCK:   # the option is process-wide
        pyogrio.set_gdal_config_options({"LIBKML_NAME_FIELD": name_field if name_field in frame else "name"})
        try:
            pyogrio.write_dataframe(text, out, layer=meta.layer, driver="LIBKML", use_arrow=True,
                                    dataset_options=opts)
        finally:
            pyogrio.set_gdal_config_options({"LIBKML_NAME_FIELD": None})
    return {}


# ---- Excel ----------------------------------------------------------------------------

def write_xlsx(frame, out: Path, meta: Meta) -> dict:
    """Sheets: the data (local times, geometry as lon/lat or WKT), 数据字典 (the data
    dictionary of the layer's fields, from ``geodata.schema``) and 说明 (metadata:
    CRS, export id, who, when)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    frame = frame.copy()
    for c in _datetime_columns(frame):
        s = frame[c]
        frame[c] = (s.dt.tz_convert(meta.tz) if s.dt.tz is not None else s).dt.tz_localize(None)
    table, geo_cols = _geometry_columns(frame, meta.geometry_as)
    if len(table) > 1_048_575:
        raise ExportError(f"{len(table):,} records do not fit one Excel sheet (1,048,575); "
                          "narrow the period with --from/--to or use gpkg or csv")
    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    ws = wb.create_sheet(meta.layer[:31])
    from openpyxl.cell import WriteOnlyCell

    def header(sheet, names):
        cells = []
        for n in names:
            cell = WriteOnlyCell(sheet, value=n)
            cell.font = bold
            cells.append(cell)
        sheet.append(cells)
    header(ws, list(table.columns))
    cols = [table[c].astype(object).to_numpy() for c in table.columns]
    for row in zip(*cols):
        ws.append([plain_value(v) for v in row])
    dic = wb.create_sheet("数据字典 dictionary")
    header(dic, ["field 字段", "type 类型", "codes 代码", "range 范围", "meaning", "含义"])
    from geodata.schema import dictionary_rows
    known = {r["field"]: r for r in dictionary_rows() if r["layer"] == meta.source_layer}
    for c in table.columns:
        r = known.get(c)
        if r:
            dic.append([c, r["type"], r["codes"], r["range"], r["meaning"], r["含义"]])
        elif c in ("lon", "lat"):
            dic.append([c, "float", "", "", f"{'longitude' if c == 'lon' else 'latitude'} in {meta.crs.label}",
                        f"{'经度' if c == 'lon' else '纬度'}（{meta.crs.label}）"])
        elif c == "wkt":
            dic.append([c, "text", "", "", f"geometry as WKT in {meta.crs.label}", f"几何（WKT，{meta.crs.label}）"])
        else:
            dic.append([c, str(table[c].dtype), "", "", "", ""])
    info = wb.create_sheet("说明 metadata")
    header(info, ["item 项目", "value 内容"])
    for k, v in meta.rows():
        info.append([k, v])
    info.append(["times 时间", f"local time in {meta.tz} (Excel keeps no zone) · 本地时间"])
    wb.save(out)
    return {"geometry_columns": geo_cols}


WRITERS = {"gpkg": write_gpkg, "geojson": write_geojson, "shp": write_shp, "csv": write_csv,
           "kml": write_kml, "xlsx": write_xlsx}
