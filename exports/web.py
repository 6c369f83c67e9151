"""Export from the product: the routes behind the console's and the wall's "Export".

``POST /export/jobs`` starts a job (JSON: ``page`` ``/console`` or ``/wall``, the
page's ``search``, ``kind`` and its options) and answers 202 with its id;
``GET /export/jobs/ID`` tells its state and progress; ``GET /export/jobs/ID/file``
hands the file over once, to the session that asked for it (exports/jobs.py).

Who may: the gate lets only ``roles.EXPORT_ROLES`` reach ``/export/`` (access/gate.py);
here the page must be one the role may open, and a kiosk device never exports. What:
from the console its filtered cases as data, or drawn as a print map or an offline
HTML map titled by its filters and period (callbacks/console_export.py); from the
wall the module on screen as a print map, an offline HTML map or an atlas, or one of
its layers (or the cases) as data (``layer``: :func:`wall_layers`) — each
through the one exporter of :mod:`exports`, limited to the reader's scope
(access/scope.py), without personal columns unless the role may see them
(``roles.PERSONAL_ROLES``), stamped with the export id and the signed-in person.
Every export is audited (action ``export``: who, what, filters, scope, SHA-256 of
the file); when that record cannot be written the file is deleted and the export
fails (brief.md "Security": leaks must be traceable to who exported what).
"""
from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from urllib.parse import parse_qs

import flask

from access import roles
from access.audit import AuditError
from access.scope import Scope, request_scope
from exports.audited import run_audited
from exports.common import ExportError, new_export_id
from exports.jobs import ExportJobs, JobRefused
from callbacks.paths import app_href
from geodata.row_scope import db_scope

log = logging.getLogger(__name__)

DATA_FORMATS = ("csv", "gpkg", "geojson", "shp", "kml", "xlsx")
SUFFIX = {"csv": ".csv", "gpkg": ".gpkg", "geojson": ".geojson", "shp": ".zip", "kml": ".kml", "xlsx": ".xlsx"}
CRS_CHOICES = ("4326", "4490", "gcj02")
#: What each page may export.
KINDS = {"/console": ("data", "map", "html"), "/wall": ("map", "html", "atlas", "data")}
MAP_CHOICES = {"format": ("pdf", "png"), "paper": ("A4", "A3", "A1"), "orientation": ("landscape", "portrait"),
               "dpi": ("150", "300")}
ATLAS_BY = ("grid", "district", "pro_grid")
#: The module exported from the wall's overview (no ``?module=``): the CLI's default.
DEFAULT_MODULE = "public"
#: A wall map layer → the store layer its data export reads (the heat of cases is the
#: cases; polluting sites are enterprises; the population grid leaves as residents,
#: i.e. per-grid aggregates unless the role may see people: exports/data_export.py).
STORE_LAYER = {"case_heat": "cases", "polluting": "enterprises", "population": "residents"}


def wall_layers(module_id: str) -> tuple[str, ...]:
    """The store layers the wall's data export offers for ``module_id``: the cases,
    then the layers of the module's map (the default module's for an unknown one).

    >>> wall_layers("public")
    ('cases', 'districts', 'grids', 'rivers', 'roads', 'patrols', 'cameras')
    >>> wall_layers("livelihood")[-2:]
    ('residents', 'schools')
    """
    from layers.modules import MODULES, get
    module = get(module_id if module_id in {m.id for m in MODULES} else DEFAULT_MODULE)
    return tuple(dict.fromkeys(["cases", *(STORE_LAYER.get(lay, lay) for lay in module.layers)]))


def all_wall_layers() -> dict[str, tuple[str, ...]]:
    """Every layer the wall's data export offers, with the modules that offer it (the
    Export panel shows those of the module on screen: assets/export.js)."""
    from layers.modules import MODULES
    out: dict[str, list[str]] = {}
    for m in MODULES:
        for lay in wall_layers(m.id):
            out.setdefault(lay, []).append(m.id)
    return {k: tuple(v) for k, v in out.items()}


class BadRequest(ValueError):
    """An export request that does not say what to make (400, one sentence)."""


def _choice(body: dict, key: str, choices, default):
    value = str(body.get(key) or default)
    if value not in choices:
        raise BadRequest(f"{key} must be one of {', '.join(choices)}, not {value[:20]!r}")
    return value


def parse_request(body: dict) -> dict:
    """The export asked for, checked: page, kind, the page's query, and the options.

    >>> parse_request({"page": "/console", "kind": "data", "format": "gpkg", "search": "?grid=G1"})["format"]
    'gpkg'
    >>> parse_request({"page": "/console", "kind": "atlas"})
    Traceback (most recent call last):
    ...
    exports.web.BadRequest: kind must be one of data, map, html, not 'atlas'
    >>> parse_request({"page": "/wall", "kind": "data", "layer": "cameras", "search": "?module=public"})["layer"]
    'cameras'
    >>> parse_request({"page": "/wall", "kind": "data", "layer": "schools", "search": "?module=public"})
    Traceback (most recent call last):
    ...
    exports.web.BadRequest: layer must be one of cases, districts, grids, rivers, roads, patrols, cameras, not 'schools'
    """
    page = _choice(body, "page", tuple(KINDS), "/wall")
    kind = _choice(body, "kind", KINDS[page], KINDS[page][0])
    search = str(body.get("search") or "")[:2000]
    req = {"page": page, "kind": kind, "search": search if search.startswith("?") or not search else "?" + search}
    q = parse_qs(req["search"].lstrip("?"))
    req["lang"] = "en" if (q.get("lang") or ["zh"])[0] == "en" else "zh"
    if kind == "data":
        req["format"] = _choice(body, "format", DATA_FORMATS, "csv")
        req["crs"] = _choice(body, "crs", CRS_CHOICES, "4326")
    if page == "/wall":
        from layers.modules import MODULES
        module = (q.get("module") or [DEFAULT_MODULE])[0]
        req["module"] = module if module in {m.id for m in MODULES} else DEFAULT_MODULE
        if kind == "data":
            req["layer"] = _choice(body, "layer", wall_layers(req["module"]), "cases")
    if kind == "map":
        for key, choices in MAP_CHOICES.items():
            req[key] = _choice(body, key, choices, choices[0] if key != "paper" else "A3")
    if kind == "atlas":
        req["by"] = _choice(body, "by", ATLAS_BY, "grid")
    return req


def install_exports(server, store, console_cases, root: Path | None = None, console_view=None) -> ExportJobs:
    """The export routes on ``server``. ``console_cases(search, scope)`` gives the
    console's filtered cases (callbacks/console_export.py) and their filters;
    ``console_view(search, scope)`` the same as an :class:`exports.common.ConsoleView`
    with the words of its filters (for the console's maps; without it they are refused)."""
    jobs = ExportJobs(root or Path(tempfile.mkdtemp(prefix="townbrain-exports-")))
    server.extensions["townbrain_exports"] = jobs

    def refuse(status: int, why: str, sess=None):
        access = server.extensions.get("townbrain_access")
        try:
            if access is not None:
                access.audit.record("export", outcome="refused", user=sess.name if sess else None,
                                    source=flask.request.remote_addr, object="export"[:200], detail=why[:500])
        except AuditError:
            status, why = 503, "the audit trail cannot be written; try again later"
        resp = flask.jsonify({"error": why, "status": status})
        resp.status_code = status
        return resp

    def session():
        """The signed-in person asking, or None (a wall device, or nobody)."""
        sess = flask.g.get("tb_session")
        if sess is None or not sess.signed_in or sess.device or not roles.may_export(sess.role):
            return None
        return sess

    @server.route("/export/jobs", methods=["POST"])
    def export_start():
        sess = session()
        if sess is None:
            return refuse(403, "this account may not export")
        try:
            req = parse_request(flask.request.get_json(silent=True) or {})
        except BadRequest as exc:
            return refuse(400, str(exc), sess)
        if not roles.may_open(sess.role, req["page"]):
            return refuse(403, f"the {sess.role} role may not open {req['page']}", sess)
        if req.get("layer") and not store.has_layer(req["layer"]):
            return refuse(400, f"this town has no {req['layer']} layer to export", sess)
        # the session's own scope, as the gate gives it (access/scope.py): the exporters
        # decide what it lets through; one that admits nothing is refused here, and an
        # exporter given NOTHING would write no record anyway (exports.common.gate_scope)
        scope = request_scope()
        if scope.empty:
            return refuse(403, "this account's grants admit nothing to export", sess)
        personal = roles.may_see_personal(sess.role)
        who, source, access = sess.name, flask.request.remote_addr, server.extensions["townbrain_access"]
        cases = None
        if req["page"] == "/console":
            # read now, in the request: the scope and the filters are the page's at the click
            if req["kind"] != "data" and console_view is None:
                return refuse(400, "this server draws no map of the console", sess)
            try:
                cases, filters = (console_cases if req["kind"] == "data" else console_view)(req["search"], scope)
            except Exception as exc:  # noqa: BLE001 - one sentence to the page, the trace to the log
                log.exception("export: reading the console's cases")
                return refuse(500, f"cannot read the cases: {str(exc).splitlines()[0][:200]}", sess)
            req["filters"] = filters

        def work(job):
            export_id = new_export_id()
            try:
                with db_scope(scope):   # the job's own thread reads as its reader, under row-level security too
                    result = run_audited(access.audit,
                                         lambda: make(store, job, req, scope, cases, who, export_id, personal),
                                         user=who, source=source, export_id=export_id,
                                         detail=lambda r: audit_detail(req, scope.describe(), personal, r))
            except AuditError:
                raise RuntimeError("the audit trail cannot be written: the export was not kept") from None
            return result.path, {"export_id": export_id, "records": result.records, "pages": result.pages,
                                 "sha256": result.sha256}

        try:
            job = jobs.start(sess.session_id, f"{req['kind']}/{req.get('format', req['kind'])}", work)
        except JobRefused as why:
            return refuse(429, "too many exports under way; wait for one to finish" if str(why) == "busy"
                          else "you have exports waiting: download them first", sess)
        resp = flask.jsonify({"job": job.job_id, "status": app_href(f"/export/jobs/{job.job_id}"),
                              "file": app_href(f"/export/jobs/{job.job_id}/file")})
        resp.status_code = 202
        return resp

    def no_such():
        return flask.jsonify({"error": "no such export, or it was downloaded already", "status": 404}), 404

    @server.route("/export/jobs/<job_id>", methods=["GET"])
    def export_status(job_id):
        sess = session()
        job = jobs.get(sess.session_id, job_id) if sess else None
        if job is None:
            return no_such()
        resp = flask.jsonify(job.status())
        resp.headers["Cache-Control"] = "no-store"
        return resp

    @server.route("/export/jobs/<job_id>/file", methods=["GET"])
    def export_file(job_id):
        sess = session()
        path = jobs.take(sess.session_id, job_id) if sess else None
        if path is None:
            return no_such()
        # opened, then deleted: the open file is what is sent, and nothing stays behind
        # even when the download is cut off (POSIX keeps an unlinked open file readable)
        size = path.stat().st_size
        handle = open(path, "rb")
        jobs.discard(path)
        resp = flask.send_file(handle, as_attachment=True, download_name=path.name, max_age=0,
                               mimetype=_mimetype(path))
        resp.headers["Content-Length"] = str(size)
        resp.headers["Cache-Control"] = "no-store"
        return resp

    return jobs


def _mimetype(path: Path) -> str:
    import mimetypes
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def make(store, job, req: dict, scope: Scope, cases, made_by: str, export_id: str, personal: bool = False):
    """Run the one exporter of :mod:`exports` the request names, into the job's folder,
    limited to ``scope`` (the session's :class:`access.scope.Scope`; the console's
    ``cases`` — a frame for data, a :class:`~exports.common.ConsoleView` for a map —
    were read through the gate already); ``personal`` lets personal columns out."""
    console = req["page"] == "/console"
    if req["kind"] == "data" and console:
        from exports.data_export import export_frame
        job.progress = 0.3
        out = job.folder / f"cases-{export_id}{SUFFIX[req['format']]}"
        return export_frame(store, cases, out, req["format"], layer="cases", crs=req["crs"],
                            start=req["filters"]["start"], end=req["filters"]["end"], personal=personal,
                            made_by=made_by, export_id=export_id)
    if req["kind"] == "data":
        # a layer of the wall's module: the CLI's exporter, the gate's scope (None raises,
        # NOTHING writes no record), personal columns only for a role that may see them
        from exports.data_export import export_layer
        out = job.folder / f"{req['layer']}-{export_id}{SUFFIX[req['format']]}"
        return export_layer(store, req["layer"], out, req["format"], crs=req["crs"], scope=scope,
                            personal=personal, made_by=made_by, export_id=export_id,
                            progress=lambda _msg: setattr(job, "progress", 0.5))
    name = "console" if console else req["module"]
    if req["kind"] == "map":
        from exports.print_map import MapRequest, export_map
        mreq = MapRequest(module=req.get("module", DEFAULT_MODULE), fmt=req["format"], paper=req["paper"],
                          orientation=req["orientation"], dpi=int(req["dpi"]), lang=req["lang"])
        out = job.folder / f"{name}-{export_id}.{req['format']}"
        return export_map(store, out, mreq, scope=scope, made_by=made_by, export_id=export_id,
                          view=cases if console else None)
    if req["kind"] == "html":
        from exports.html_map import export_html
        out = job.folder / f"{name}-{export_id}.html"
        return export_html(store, out, req.get("module", DEFAULT_MODULE), lang=req["lang"], scope=scope,
                           made_by=made_by, export_id=export_id, view=cases if console else None)
    from exports.atlas import export_atlas

    def progress(i, n):
        job.progress = i / max(n, 1)
    out = job.folder / f"atlas-{req['by']}-{export_id}.pdf"
    return export_atlas(store, out, req["by"], lang=req["lang"], scope=scope, made_by=made_by,
                        export_id=export_id, progress=progress)


def audit_detail(req: dict, scope: str, personal: bool, result) -> dict:
    """What the audit record says of an export: kind, format, module or layer, filters,
    scope, whether personal columns left, the record or page count (the file's name and
    SHA-256 are added by :func:`exports.audited.run_audited`)."""
    what = {"kind": req["kind"], "format": req.get("format", "pdf" if req["kind"] == "atlas" else "html"),
            "page": req["page"]}
    if req["page"] == "/console":
        what.update(layer="cases", filters=req["filters"]["filters"])
        if req["kind"] == "data":
            what.update(crs=req["crs"], records=result.records)
        else:
            what.update(records=result.details.get("cases"), pages=result.pages)
    elif req["kind"] == "data":
        what.update(module=req["module"], layer=req["layer"], crs=req["crs"], records=result.records)
    else:
        what.update(module=req["module"], pages=result.pages)
    if req["kind"] == "map":
        what.update(paper=req["paper"], orientation=req["orientation"], dpi=int(req["dpi"]))
    if req["kind"] == "atlas":
        what.update(by=req["by"])
    return {**what, "scope": scope, "personal": personal}
