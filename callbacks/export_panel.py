"""The title bar's "导出 / Export" control and "退出登录 / Sign out" link (issue 17, points 1 and 5).

Drawn with the page, for the person it is drawn for: the export control only for a
role that may export (``access.roles.EXPORT_ROLES``) on a page it may open, the
sign-out link for any signed-in person — never for the wall as a kiosk device,
which is revoked, not signed out. The console offers its filtered cases as data, as
a print map and as an offline map; the wall its module as a print map, an offline
map, an atlas, or one of its layers as data (the layers of the module on screen:
each option names its modules and ``assets/export.js`` shows those of the URL's
``?module=``). A field shows only for the kinds it serves (classes ``only for-KIND``)
and only a shown field is sent. The control is a ``<details>`` with plain
``<select>``s (uncontrolled: no Dash callback and no server round trip until the
button); ``assets/export.js`` posts the choice with the page's query string to
``/export/jobs`` (exports/web.py), shows the job's progress and then the link to
the file. What the server makes and checks is decided there, not here: hiding the
control is a courtesy, the gate and the route are the rule.
"""
from __future__ import annotations

import json

import flask
from dash import html

from access import roles
from callbacks import ids
from callbacks.i18n import LABELS, t
from callbacks.paths import app_href

EXPORT_LABELS = {
    "zh": {
        "export.button": "导出", "export.title": "导出", "export.kind": "内容", "export.kind.data": "筛选的案件（数据）",
        "export.kind.map": "打印地图", "export.kind.html": "离线交互地图（HTML）", "export.kind.atlas": "图集（PDF）",
        "export.kind.layer": "图层数据", "export.layer": "图层", "export.layer.residents_agg": "人口（按网格汇总）",
        "export.note.wall_data": "图层数据按您的数据范围导出。",
        "export.format": "格式", "export.paper": "纸张", "export.orientation": "方向",
        "export.orientation.landscape": "横向", "export.orientation.portrait": "纵向", "export.dpi": "分辨率",
        "export.crs": "坐标系", "export.crs.4326": "WGS84（EPSG:4326）", "export.crs.4490": "CGCS2000（EPSG:4490）",
        "export.crs.gcj02": "GCJ-02（国测局）", "export.by": "每页", "export.by.grid": "网格", "export.by.district": "片区",
        "export.by.pro_grid": "专业网格", "export.go": "开始导出", "export.note.console": "导出当前筛选条件下的全部案件。",
        "export.note.wall": "导出当前模块的地图或图层数据。", "export.working": "正在导出…", "export.queued": "排队中…",
        "export.done": "已完成：{records}", "export.records": "{n} 条记录", "export.pages": "{n} 页",
        "export.download": "下载文件", "export.failed": "导出失败：{why}", "export.downloaded": "已下载",
        "chrome.sign_out": "退出登录",
    },
    "en": {
        "export.button": "Export", "export.title": "Export", "export.kind": "What", "export.kind.data": "Filtered cases (data)",
        "export.kind.map": "Print map", "export.kind.html": "Offline interactive map (HTML)",
        "export.kind.atlas": "Atlas (PDF)", "export.kind.layer": "Layer data", "export.layer": "Layer",
        "export.layer.residents_agg": "Residents (per-grid totals)", "export.format": "Format", "export.paper": "Paper",
        "export.orientation": "Orientation", "export.orientation.landscape": "Landscape",
        "export.orientation.portrait": "Portrait", "export.dpi": "Resolution", "export.crs": "Coordinates",
        "export.crs.4326": "WGS84 (EPSG:4326)", "export.crs.4490": "CGCS2000 (EPSG:4490)",
        "export.crs.gcj02": "GCJ-02 (web maps)", "export.by": "One page per", "export.by.grid": "grid",
        "export.by.district": "district", "export.by.pro_grid": "professional grid", "export.go": "Export",
        "export.note.console": "Exports every case the current filters select.",
        "export.note.wall": "Exports the map or a layer of the module on screen.", "export.working": "Exporting…",
        "export.queued": "Queued…", "export.done": "Done: {records}", "export.records": "{n} records",
        "export.pages": "{n} pages", "export.download": "Download the file", "export.failed": "Export failed: {why}",
        "export.downloaded": "Downloaded", "chrome.sign_out": "Sign out",
    },
}
for _lang, _labels in EXPORT_LABELS.items():
    for _key, _text in _labels.items():
        LABELS[_lang].setdefault(_key, _text)

DATA_FORMATS = (("csv", "CSV"), ("gpkg", "GeoPackage"), ("geojson", "GeoJSON"), ("shp", "Shapefile (.zip)"),
                ("kml", "KML"), ("xlsx", "Excel (.xlsx)"))


def _person():
    """The signed-in person the page is drawn for, or None (no request, nobody, a device)."""
    if not flask.has_request_context():
        return None
    sess = flask.g.get("tb_session")
    if sess is None or not sess.signed_in or sess.device:
        return None
    return sess


def _select(name: str, label: str, options, kinds: tuple[str, ...] = (), id_name: str | None = None) -> html.Label:
    """A labelled plain ``<select>``: its first option is the default (no ``value`` prop:
    React would make a select with one and no handler read-only). ``kinds``: the kinds
    of export it serves (shown and sent only for those; all when empty); an option may
    be ``(value, text, {attributes})``."""
    cls = "export-field" + (" only " + " ".join(f"for-{k}" for k in kinds) if kinds else "")
    return html.Label(className=cls, children=[
        html.Span(label, className="export-label"),
        html.Select(name=name, id=f"{ids.EXPORT}-{id_name or name}",
                    children=[html.Option(o[1], value=o[0], **(o[2] if len(o) > 2 else {})) for o in options])])


def _layer_options(lang: str, personal: bool) -> list:
    """The wall's data layers, each naming the modules whose screen offers it."""
    from exports.web import all_wall_layers
    opts = []
    for layer, modules in all_wall_layers().items():
        text = t("export.layer.residents_agg", lang) if layer == "residents" and not personal \
            else t(f"layer.{layer}", lang)
        opts.append((layer, text, {"data-modules": " ".join(modules)}))
    return opts


def export_panel(lang: str, page: str, personal: bool = False) -> html.Details:
    """The Export control of ``page`` (``/console``: its filtered cases as data, a print
    map or an offline map; ``/wall``: the module's map, offline HTML, atlas, or a layer
    as data). ``personal``: the person may see personal data (only a label changes)."""
    from exports.web import DEFAULT_MODULE, KINDS
    kinds = KINDS[page]
    map_fields = [
        _select("format", t("export.format", lang), [("pdf", "PDF"), ("png", "PNG")], ("map",), "map-format"),
        _select("paper", t("export.paper", lang), [("A3", "A3"), ("A4", "A4"), ("A1", "A1")], ("map",)),
        _select("orientation", t("export.orientation", lang),
                [(o, t(f"export.orientation.{o}", lang)) for o in ("landscape", "portrait")], ("map",)),
        _select("dpi", t("export.dpi", lang), [("300", "300 dpi"), ("150", "150 dpi")], ("map",)),
    ]
    data_fields = [
        _select("format", t("export.format", lang), DATA_FORMATS, ("data",)),
        _select("crs", t("export.crs", lang), [(c, t(f"export.crs.{c}", lang)) for c in ("4326", "4490", "gcj02")],
                ("data",)),
    ]
    data_word = "export.kind.data" if page == "/console" else "export.kind.layer"
    fields = [_select("kind", t("export.kind", lang),
                      [(k, t(data_word if k == "data" else f"export.kind.{k}", lang)) for k in kinds])]
    if page == "/console":
        fields += data_fields + map_fields
    else:
        fields += map_fields + [
            _select("by", t("export.by", lang), [(b, t(f"export.by.{b}", lang)) for b in ("grid", "district", "pro_grid")],
                    ("atlas",)),
            _select("layer", t("export.layer", lang), _layer_options(lang, personal), ("data",)),
            *data_fields,
        ]
    texts = {k.split(".", 1)[1]: t(k, lang) for k in ("export.working", "export.queued", "export.done",
                                                       "export.records", "export.pages", "export.download",
                                                       "export.failed", "export.downloaded")}
    note = "export.note.console" if page == "/console" else "export.note.wall"
    return html.Details(id=ids.EXPORT, className="export", children=[
        html.Summary(t("export.button", lang), id=ids.EXPORT_BUTTON, className="export-button"),
        html.Div(id=ids.EXPORT_PANEL, className="export-panel",
                 # data-base: the app's address under a proxy's prefix, where the jobs are asked for
                 **{"data-page": page, "data-kind": kinds[0], "data-default-module": DEFAULT_MODULE,
                    "data-base": app_href("/"),
                    "data-texts": json.dumps(texts, ensure_ascii=False)}, children=[
            html.Div(t(note, lang), className="export-note"),
            *fields,
            html.Button(t("export.go", lang), id=ids.EXPORT_GO, className="export-go", type="button"),
            # filled by assets/export.js only: React keeps no children here
            html.Div(id=ids.EXPORT_STATUS, className="export-status", role="status"),
        ]),
    ])


def account_controls(lang: str, page: str | None) -> html.Div | None:
    """The title bar's Export control and sign-out link for the person signed in, or None."""
    sess = _person()
    if sess is None:
        return None
    children = []
    if page in ("/console", "/wall") and roles.may_export(sess.role) and roles.may_open(sess.role, page):
        children.append(export_panel(lang, page, roles.may_see_personal(sess.role)))
    children.append(html.A(t("chrome.sign_out", lang), id=ids.SIGN_OUT, className="sign-out",
                           href=app_href("/logout" + ("?lang=en" if lang == "en" else "")), title=sess.name))
    return html.Div(children, className="title-account")
