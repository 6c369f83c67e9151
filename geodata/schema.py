"""The data dictionary: every layer, its fields, types, code lists and ranges.

This module is the one machine-readable statement of ``../shared/contract.md``
("Layers (tables) and their columns"). The store creates tables from it, the
loaders validate against it, and ``townbrain schema`` prints it.

Examples
--------
>>> LAYERS["cases"].id_field
'case_id'
>>> FIELDS_BY_LAYER["cases"]["source"].codes
('inspector', 'citizen', 'hotline', 'iot', 'department')
>>> LAYERS["staff"].geometry is None
True
"""
from __future__ import annotations

from dataclasses import dataclass, field

#: CRS of every stored layer (contract: "Stored in EPSG:4326 (lon/lat)").
STORAGE_CRS = "EPSG:4326"
#: Metric CRS for areas and lengths near 120°E: CGCS2000 / 3-degree Gauss-Kruger CM 120E.
METRIC_CRS = "EPSG:4549"
#: Zone that naive times from a file are taken to be in.
DEFAULT_TZ = "Asia/Shanghai"

#: Plausible area: mainland China plus margin, or anywhere when a layer is
#: loaded from abroad. Coordinates must be finite lon/lat in degrees.
LON_RANGE = (-180.0, 180.0)
LAT_RANGE = (-90.0, 90.0)


@dataclass(frozen=True)
class Field:
    """One column of a layer.

    ``kind`` is one of ``text``, ``int``, ``float``, ``bool``, ``datetime``.
    ``codes`` is a closed code list (a value outside it is rejected);
    ``open_codes`` marks a category tree that grows when a file brings new codes.
    """

    name: str
    kind: str
    required: bool = False
    codes: tuple[str, ...] | None = None
    open_codes: bool = False
    min: float | None = None
    max: float | None = None
    doc: str = ""
    doc_zh: str = ""


@dataclass(frozen=True)
class Layer:
    name: str
    id_field: str | None
    geometry: str | None  # 'Point', 'LineString', 'Polygon', 'MultiPolygon', 'Geometry' or None
    fields: tuple[Field, ...]
    time_field: str | None = None
    doc: str = ""
    doc_zh: str = ""
    extra: dict = field(default_factory=dict)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"layer {self.name!r} has no field {name!r}")

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]


SOURCES = ("inspector", "citizen", "hotline", "iot", "department")
STATUSES = ("reported", "registered", "dispatched", "handled", "feedback", "closed",
            "rework", "evaluated", "rejected")
LEVELS = ("grid", "village", "town", "district")
#: Workflow actions (the transition table is geodata.workflow.TRANSITIONS).
ACTIONS = ("close", "dispatch", "escalate", "evaluate", "extend", "feedback", "handle", "register",
           "reject", "rework")
CREDITS = ("green", "yellow", "red")
ROLES = ("inspector", "handler", "dispatcher", "officer", "auxiliary", "grid_head")
HOUSEHOLDS = ("registered", "floating")
AGE_BANDS = ("0-6", "7-17", "18-34", "35-59", "60-79", "80+")
ROAD_CLASSES = ("expressway", "main", "secondary", "village", "path")

_T, _I, _F, _B, _D = "text", "int", "float", "bool", "datetime"

_layers = [
    Layer("town", "town_id", "MultiPolygon", (
        Field("town_id", _T, True, doc="town code", doc_zh="镇编码"),
        Field("name", _T, doc="town name, shown in the title bar", doc_zh="镇名称"),
    ), doc="the town's outline and name (one row)", doc_zh="镇域"),
    Layer("districts", "district_id", "MultiPolygon", (
        Field("district_id", _T, True, doc="district code", doc_zh="片区编码"),
        Field("name", _T, doc="district name", doc_zh="片区名称"),
    ), doc="districts (片区)", doc_zh="片区"),
    Layer("grids", "grid_id", "MultiPolygon", (
        Field("grid_id", _T, True, doc="comprehensive grid code", doc_zh="综合网格编码"),
        Field("name", _T, doc="grid name", doc_zh="网格名称"),
        Field("district_id", _T, doc="district the grid belongs to", doc_zh="所属片区"),
    ), doc="comprehensive grids", doc_zh="综合网格"),
    Layer("pro_grids", "pro_grid_id", "MultiPolygon", (
        Field("pro_grid_id", _T, True, doc="professional grid code", doc_zh="专业网格编码"),
        Field("name", _T, doc="professional grid name", doc_zh="专业网格名称"),
    ), doc="professional grids (at most 80 enterprises each)", doc_zh="专业网格"),
    Layer("buildings", "building_id", "Polygon", (
        Field("building_id", _T, True, doc="building id", doc_zh="建筑编码"),
        Field("use", _T, codes=None, doc="residential, commercial, industrial, public…", doc_zh="用途"),
        Field("floors", _I, min=0, max=200, doc="floors above ground", doc_zh="层数"),
        Field("residents", _I, min=0, max=100000, doc="people living there", doc_zh="居住人数"),
    ), doc="buildings", doc_zh="建筑"),
    Layer("residents", "resident_id", "Point", (
        Field("resident_id", _T, True, doc="anonymous resident id (no names, no ID numbers)", doc_zh="人口编码(匿名)"),
        Field("building_id", _T, doc="building lived in", doc_zh="所在建筑"),
        Field("age_band", _T, codes=AGE_BANDS, doc="age band", doc_zh="年龄段"),
        Field("household", _T, codes=HOUSEHOLDS, doc="registered or floating", doc_zh="户籍/流动"),
    ), doc="residents, anonymous", doc_zh="人口"),
    Layer("enterprises", "enterprise_id", "Point", (
        Field("enterprise_id", _T, True, doc="enterprise id", doc_zh="企业编码"),
        Field("name", _T, doc="enterprise name", doc_zh="企业名称"),
        Field("industry", _T, open_codes=True, doc="industry", doc_zh="行业"),
        Field("employees", _I, min=0, max=1_000_000, doc="employees", doc_zh="从业人数"),
        Field("credit", _T, codes=CREDITS, doc="credit colour", doc_zh="信用等级"),
    ), doc="enterprises", doc_zh="企业"),
    Layer("roads", "road_id", "LineString", (
        Field("road_id", _T, True, doc="road id", doc_zh="道路编码"),
        Field("name", _T, doc="road name", doc_zh="道路名称"),
        Field("road_class", _T, open_codes=True, doc="expressway, main, secondary, village…", doc_zh="道路等级"),
    ), doc="roads", doc_zh="道路"),
    Layer("rivers", "river_id", "Geometry", (
        Field("river_id", _T, True, doc="river id", doc_zh="河道编码"),
        Field("name", _T, doc="river name", doc_zh="河道名称"),
    ), doc="rivers and canals (lines or polygons)", doc_zh="河道"),
    Layer("staff", "staff_id", None, (
        Field("staff_id", _T, True, doc="staff id", doc_zh="人员编码"),
        Field("role", _T, codes=ROLES, doc="role", doc_zh="角色"),
        Field("grid_id", _T, doc="comprehensive grid served", doc_zh="所属综合网格"),
        Field("pro_grid_id", _T, doc="professional grid served", doc_zh="所属专业网格"),
    ), doc="staff (no names)", doc_zh="人员"),
    Layer("patrols", "patrol_id", "LineString", (
        Field("patrol_id", _T, True, doc="patrol id", doc_zh="巡查编码"),
        Field("staff_id", _T, doc="inspector", doc_zh="巡查员"),
        Field("started_at", _D, doc="start", doc_zh="开始时间"),
        Field("ended_at", _D, doc="end", doc_zh="结束时间"),
    ), time_field="started_at", doc="patrols with their GPS tracks", doc_zh="巡查轨迹"),
    Layer("cases", "case_id", "Point", (
        Field("case_id", _T, True, doc="case id", doc_zh="案件编号"),
        Field("category", _T, open_codes=True, doc="major class", doc_zh="大类"),
        Field("subcategory", _T, open_codes=True, doc="minor class", doc_zh="小类"),
        Field("source", _T, codes=SOURCES, doc="where the case came from", doc_zh="来源"),
        Field("reported_by", _T, doc="staff_id of the reporter, or empty", doc_zh="上报人"),
        Field("reported_at", _D, True, doc="reported", doc_zh="上报时间"),
        Field("registered_at", _D, doc="accepted (立案); empty = not accepted", doc_zh="立案时间"),
        Field("deadline", _D, doc="time limit", doc_zh="处置时限"),
        Field("closed_at", _D, doc="closed; empty = open", doc_zh="结案时间"),
        Field("status", _T, codes=STATUSES, doc="workflow state", doc_zh="状态"),
        Field("resolved_level", _T, codes=LEVELS, doc="level that resolved it", doc_zh="解决层级"),
        Field("enforcement", _B, doc="went into formal law enforcement", doc_zh="转执法"),
    ), time_field="reported_at", doc="cases (events, matters)", doc_zh="案件"),
    Layer("case_history", "id", None, (
        Field("id", _T, True, doc="case_id:seq, e.g. C20180102-00001:0003", doc_zh="流转记录编号"),
        Field("case_id", _T, True, doc="case", doc_zh="案件编号"),
        Field("seq", _I, True, min=1, doc="1, 2, … per case, in order", doc_zh="序号"),
        Field("action", _T, True, codes=ACTIONS, doc="workflow action", doc_zh="操作"),
        Field("from_status", _T, codes=STATUSES, doc="state before", doc_zh="原状态"),
        Field("to_status", _T, True, codes=STATUSES, doc="state after", doc_zh="新状态"),
        Field("at", _D, True, doc="when", doc_zh="时间"),
        Field("by", _T, doc="staff_id who acted", doc_zh="操作人"),
        Field("level", _T, codes=LEVELS, doc="handling level after the action", doc_zh="处置层级"),
        Field("deadline", _D, doc="deadline after the action", doc_zh="处置时限"),
        Field("note", _T, doc="free text", doc_zh="备注"),
    ), time_field="at", doc="every workflow transition of every case", doc_zh="案件流转记录"),
    Layer("quarantine", None, None, (
        Field("layer", _T, True, doc="layer the record was meant for", doc_zh="目标图层"),
        Field("source_row", _T, doc="row number or feature index in the source file", doc_zh="源行号"),
        Field("reason", _T, True, doc="why it was rejected", doc_zh="原因"),
        Field("raw", _T, doc="the original record as text", doc_zh="原始记录"),
        Field("source_file", _T, doc="file it came from", doc_zh="源文件"),
        Field("quarantined_at", _D, doc="when", doc_zh="隔离时间"),
    ), doc="rejected records with their reason", doc_zh="隔离区"),
    Layer("categories", "code", None, (
        Field("code", _T, True, doc="category code (major or major/minor)", doc_zh="类别编码"),
        Field("parent", _T, doc="major class of a minor class", doc_zh="上级类别"),
        Field("name", _T, doc="name", doc_zh="名称"),
        Field("time_limit_h", _F, min=0, doc="time limit in hours", doc_zh="处置时限(小时)"),
        Field("added_from", _T, doc="file that introduced it, empty for the built-in tree", doc_zh="来源文件"),
    ), doc="the open category tree", doc_zh="案件类别"),
]

LAYERS: dict[str, Layer] = {layer.name: layer for layer in _layers}
FIELDS_BY_LAYER: dict[str, dict[str, Field]] = {
    layer.name: {f.name: f for f in layer.fields} for layer in _layers
}
#: Layers that carry point geometry and are assigned to grids.
POINT_LAYERS = tuple(n for n, lay in LAYERS.items() if lay.geometry == "Point")
#: Columns that ``townbrain assign`` adds to point layers.
ASSIGN_FIELDS = (
    Field("district_id", _T, doc="district", doc_zh="片区"),
    Field("grid_id", _T, doc="comprehensive grid", doc_zh="综合网格"),
    Field("pro_grid_id", _T, doc="professional grid", doc_zh="专业网格"),
    Field("h3", _T, doc="H3 cell, resolution 9", doc_zh="H3 网格"),
)


def layer(name: str) -> Layer:
    """Return the declaration of ``name``, or raise a clear ``KeyError``."""
    try:
        return LAYERS[name]
    except KeyError:
        raise KeyError(f"unknown layer {name!r}; known layers: {', '.join(LAYERS)}") from None


def dictionary_rows() -> list[dict]:
    """One row per field, for printing and export."""
    rows = []
    for lay in _layers:
        for f in lay.fields:
            rng = ""
            if f.min is not None or f.max is not None:
                rng = f"[{'' if f.min is None else f.min:g}, {'' if f.max is None else f.max:g}]" \
                    if f.min is not None and f.max is not None else \
                    (f"≥ {f.min:g}" if f.min is not None else f"≤ {f.max:g}")
            codes = ", ".join(f.codes) if f.codes else ("open tree" if f.open_codes else "")
            rows.append({
                "layer": lay.name,
                "geometry": lay.geometry or "",
                "field": f.name,
                "type": f.kind,
                "required": "yes" if (f.required or f.name == lay.id_field) else "",
                "codes": codes,
                "range": rng,
                "meaning": f.doc,
                "含义": f.doc_zh,
            })
    return rows
