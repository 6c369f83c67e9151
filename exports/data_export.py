"""``townbrain export data``: a layer, or a period's cases, in the formats offices use.

The exporter reads one layer through the store (the period pushed down to the
database), keeps what the scope admits, turns residents into aggregates and leaves
a case's reporter, contacts and own words (:data:`PERSONAL_COLUMNS`) out unless
``personal`` lets them out (brief.md, "Security": personal data is protected), moves
the geometry into the asked CRS and hands the frame to one writer of
:mod:`exports.data_writers`. The file states its CRS, its export id, who made it and
when the data stood (GeoPackage ``gpkg_contents.description`` and its SRS, a
Shapefile's ``.prj`` and ``README.txt``, GeoJSON ``description`` and ``crs``, CSV a
``crs`` column, Excel a metadata sheet, KML the document's description).

Examples
--------
>>> import tempfile, os, geopandas as gpd, shapely
>>> from geodata.store import open_store
>>> st = open_store(os.path.join(tempfile.mkdtemp(), "t.gpkg")); st.create_schema(["districts"])
>>> st.upsert("districts", gpd.GeoDataFrame({"district_id": ["D1"], "name": ["东片区"]},
...           geometry=[shapely.box(120.5, 31.0, 120.6, 31.1)], crs=4326))
1
>>> from access.scope import TOWN
>>> r = export_layer(st, "districts", os.path.join(tempfile.mkdtemp(), "d.csv"), scope=TOWN, made_by="wang")
>>> r.records, r.kind, len(r.sha256)
(1, 'data/csv', 64)
"""
from __future__ import annotations

import time
from pathlib import Path

import geopandas as gpd
import pandas as pd

from access.scope import Scope
from exports.common import (ExportError, ExportResult, Places, data_as_of, default_user, finish, gate_scope,
                            new_export_id, scoped)
from exports.crs_out import OutCRS, parse_out_crs, to_out_crs
from exports.data_writers import WRITERS, Meta
from geodata import config
from geodata.schema import LAYERS

__all__ = ["export_layer", "export_frame", "read_for_export", "residents_to_grid_aggregates", "without_personal",
           "FORMATS", "PERSONAL_COLUMNS", "format_of"]

FORMATS = tuple(WRITERS)
_SUFFIX = {".gpkg": "gpkg", ".geojson": "geojson", ".json": "geojson", ".zip": "shp", ".shp": "shp",
           ".csv": "csv", ".kml": "kml", ".xlsx": "xlsx"}
#: Layers of people: never leave record by record without a role that may see them.
PERSONAL_LAYERS = ("residents",)
#: Columns of a case that say who reported it and how to reach them, and the free text
#: a citizen typed (intake/privacy.py: never public, or public only by the town's
#: choice): they leave in an export only for a role that may see them
#: (``access.roles.PERSONAL_ROLES``; the console's Export, exports/web.py).
PERSONAL_COLUMNS = ("reported_by", "email", "phone", "first_name", "last_name", "device_id", "account_id",
                    "api_client", "description", "address", "media_url", "attributes")
#: Layers of the access work (accounts, sessions, audit): not data for planners at all.
NEVER_EXPORTED = ("accounts", "sessions", "password_history", "audit_log", "api_keys", "idempotency_keys",
                  "kiosk_devices")


def format_of(path, fmt: str | None) -> str:
    """The format asked for, else the one the file name says."""
    if fmt:
        if fmt not in WRITERS:
            raise ExportError(f"--format must be one of {', '.join(WRITERS)}, not {fmt!r}")
        return fmt
    found = _SUFFIX.get(Path(path).suffix.lower())
    if not found:
        raise ExportError(f"cannot tell the format of {Path(path).name}; give --format {'|'.join(WRITERS)}")
    return found


def residents_to_grid_aggregates(residents: pd.DataFrame, grids: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """Residents per comprehensive grid: total, by household and by age band, on the
    grid's outline. What leaves the server instead of people (brief.md, "Security").

    >>> import shapely
    >>> r = pd.DataFrame({"grid_id": ["G1", "G1", "G2"], "household": ["registered", "floating", "floating"],
    ...                   "age_band": ["18-34", "60-79", "18-34"]})
    >>> g = gpd.GeoDataFrame({"grid_id": ["G1", "G2", "G3"], "name": ["a", "b", "c"]},
    ...                      geometry=[shapely.box(0, 0, 1, 1)] * 3, crs=4326)
    >>> residents_to_grid_aggregates(r, g)[["grid_id", "residents", "floating", "age_18_34"]]
      grid_id  residents  floating  age_18_34
    0      G1          2          1          1
    1      G2          1          1          1
    2      G3          0          0          0
    """
    from geodata.schema import AGE_BANDS, HOUSEHOLDS
    gid = residents["grid_id"].astype("string") if "grid_id" in residents else pd.Series(pd.NA, index=residents.index)
    out = pd.DataFrame({"residents": gid.value_counts()})
    if "household" in residents:
        for h in HOUSEHOLDS:
            out[h] = gid[residents["household"] == h].value_counts()
    if "age_band" in residents:
        for band in AGE_BANDS:
            out["age_" + band.replace("-", "_").replace("+", "_plus")] = gid[residents["age_band"] == band].value_counts()
    if grids is None:
        frame = out.rename_axis("grid_id").reset_index()
        return gpd.GeoDataFrame(frame.fillna(0).astype({c: "int64" for c in out.columns}))
    base = grids[[c for c in ("grid_id", "name", "district_id") if c in grids] + ["geometry"]].copy()
    base["grid_id"] = base["grid_id"].astype(str)
    merged = base.merge(out, left_on="grid_id", right_index=True, how="left")
    for c in out.columns:
        merged[c] = merged[c].fillna(0).astype("int64")
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=grids.crs)


def read_for_export(store, layer: str, *, start=None, end=None, scope: Scope | None = None,
                    personal: bool = False) -> tuple[pd.DataFrame, str]:
    """The frame to write and the name it is written under (``residents`` become
    ``residents_by_grid`` unless ``personal``).

    ``scope`` (an :class:`access.scope.Scope`) is required: :data:`access.scope.TOWN`
    for the whole town, :data:`access.scope.NOTHING` gives no records, ``None`` raises
    :class:`ExportError` (fail closed: :func:`exports.common.gate_scope`). Who sees
    which rows is access/scope.py's decision (:func:`exports.common.scoped`)."""
    scope = gate_scope(scope)
    if layer in NEVER_EXPORTED:
        raise ExportError(f"layer {layer!r} belongs to the access records and is not exported")
    if not store.has_layer(layer):
        known = ", ".join(n for n in store.layers() if n not in NEVER_EXPORTED)
        raise ExportError(f"layer {layer!r} is not in {store.url}; layers there: {known}")
    decl = LAYERS.get(layer)
    timed = start is not None or end is not None
    if timed and (decl is None or decl.time_field is None):
        raise ExportError(f"layer {layer!r} has no time to filter by; leave out --from/--to")
    name = layer
    places = None if scope.town else Places.of(store)
    if layer in PERSONAL_LAYERS and not personal:
        cols = [c for c in ("grid_id", "household", "age_band") if c in store.columns(layer)]
        people = scoped(store.read(layer, columns=cols, geometry=False), scope, places, layer)
        grids = store.read("grids", columns=[c for c in ("grid_id", "name", "district_id")
                                             if c in store.columns("grids")]) if store.has_layer("grids") else None
        grids = scoped(grids, scope, places, "grids")
        frame, name = residents_to_grid_aggregates(people, grids), f"{layer}_by_grid"
    else:
        # personal columns are not even read unless they may leave
        keep = None if personal else [c for c in store.columns(layer) if c not in PERSONAL_COLUMNS]
        frame = scoped(store.read(layer, start=start, end=end, columns=keep), scope, places, layer)
    return frame.reset_index(drop=True), name


def without_personal(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without the :data:`PERSONAL_COLUMNS` it has (itself when it has none).

    >>> list(without_personal(pd.DataFrame({"case_id": ["C1"], "reported_by": ["S1"], "phone": ["139"]})))
    ['case_id']
    """
    personal = [c for c in PERSONAL_COLUMNS if c in frame.columns]
    return frame.drop(columns=personal) if personal else frame


def export_layer(store, layer: str, out, fmt: str | None = None, *, crs="4326", start=None, end=None,
                 scope: Scope | None = None, personal: bool = False, made_by: str | None = None,
                 export_id: str | None = None, geometry_as: str = "auto", progress=None) -> ExportResult:
    """Write ``layer`` (or its records of ``[start, end)``) to ``out`` in ``fmt``.

    Parameters
    ----------
    store : geodata.store.Store
    layer : a layer of the store; ``residents`` leave as per-grid aggregates unless ``personal``
    out : the file to write (a Shapefile is written as a ``.zip``)
    fmt : gpkg, geojson, shp, csv, kml or xlsx; default from the file name
    crs : 4326, 4490 or gcj02
    start, end : half-open period on the layer's time field (cases: ``reported_at``)
    scope : what may be exported, an :class:`access.scope.Scope`: required, ``TOWN`` for the
        whole town (the CLI's operator), ``NOTHING`` writes no records, ``None`` raises
    personal : let :data:`PERSONAL_COLUMNS` and residents record by record out
    made_by, export_id : written into the file's metadata (default: the OS user, a new id)
    geometry_as : for CSV and Excel: ``lonlat`` (points), ``wkt``, or ``auto`` (lon/lat for points)

    Returns
    -------
    ExportResult with the path, SHA-256 and record count.
    """
    t0 = time.perf_counter()
    fmt = format_of(out, fmt)
    parse_out_crs(crs)  # a bad --crs is said before the read
    frame, name = read_for_export(store, layer, start=start, end=end, scope=scope, personal=personal)
    if progress:
        progress(f"read {len(frame):,} records of {layer}")
    return export_frame(store, frame, out, fmt, layer=name, source_layer=layer, crs=crs, start=start, end=end,
                        personal=personal, made_by=made_by, export_id=export_id,
                        geometry_as=geometry_as, t0=t0)


def export_frame(store, frame: pd.DataFrame, out, fmt: str | None = None, *, layer: str, source_layer: str | None = None,
                 crs="4326", start=None, end=None, personal: bool = False, made_by: str | None = None,
                 export_id: str | None = None, geometry_as: str = "auto", t0: float | None = None) -> ExportResult:
    """Write a frame already read and limited by the caller (:func:`export_layer`'s
    read, or the console's filtered cases: exports/web.py) to ``out`` in ``fmt``,
    in the CRS ``crs``, stating the export in the file like every data export.
    :data:`PERSONAL_COLUMNS` leave only with ``personal`` (a role that may see them,
    or the CLI's ``--with-personal-data``): this is the one place that decides it."""
    t0 = time.perf_counter() if t0 is None else t0
    if not personal:
        frame = without_personal(frame)
    fmt = format_of(out, fmt)
    target: OutCRS = parse_out_crs(crs)
    out = Path(out)
    if fmt == "shp" and out.suffix.lower() != ".zip":
        out = out.with_suffix(".zip")
    out.parent.mkdir(parents=True, exist_ok=True)
    export_id = export_id or new_export_id()
    made_by = made_by or default_user()
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame and frame.crs is not None:
        frame = to_out_crs(frame, target)
    meta = Meta(layer=layer, source_layer=source_layer or layer, crs=target, export_id=export_id, made_by=made_by,
                data_as_of=data_as_of(store), tz=config.timezone(), start=start, end=end,
                personal=personal, geometry_as=geometry_as)
    details = WRITERS[fmt](frame, out, meta) or {}
    return finish(out, export_id=export_id, made_by=made_by, kind=f"data/{fmt}", t0=t0, records=len(frame),
                  details={"layer": layer, "crs": target.label, **details})
