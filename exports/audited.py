"""Every export leaves an audit record, or no file (issue 16, Deliver 5; issue 17, Deliver 5).

The product's Export (exports/web.py) and the command line (townbrain/cli_export.py)
make a file the same way: run the exporter, then record action ``export`` with who,
what, the scope, whether personal data left and the file's SHA-256. When that record
cannot be written the file is deleted and :class:`access.audit.AuditError` raised —
brief.md "Security": leaks must be traceable to who exported what, so an export the
trail cannot name does not leave. A failed export is recorded as ``failed``, as far
as the trail can be written.

Examples
--------
>>> import tempfile, os, pathlib
>>> from access.audit import AuditLog
>>> from geodata.store import open_store
>>> d = pathlib.Path(tempfile.mkdtemp()); log = AuditLog(open_store(str(d / "t.gpkg")))
>>> def make():
...     (d / "x.csv").write_text("a"); return finish(d / "x.csv", export_id="EXP-1", made_by="os:li",
...                                                  kind="data/csv", t0=0.0, records=1)
>>> r = run_audited(log, make, user="os:li", source="cli", export_id="EXP-1",
...                 detail=lambda r: {"records": r.records})
>>> rec = log.list().iloc[-1]
>>> rec["action"], rec["username"], rec["object"], r.sha256 in rec["detail"]
('export', 'os:li', 'export EXP-1', True)
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from exports.common import ExportResult, finish  # noqa: F401 - finish: the doctest's exporter

__all__ = ["run_audited"]


def run_audited(audit, make: Callable[[], ExportResult], *, user: str, source: str | None, export_id: str,
                detail: Callable[[ExportResult], dict]) -> ExportResult:
    """``make()`` the export and record it in ``audit`` (an :class:`access.audit.AuditLog`)
    as ``export {export_id}`` by ``user`` from ``source``, its detail ``detail(result)``
    plus the file's SHA-256. Raises what ``make`` raises (recorded as failed), or
    ``AuditError`` with the file deleted when the record cannot be written."""
    from access.audit import AuditError
    try:
        result = make()
    except Exception as exc:
        try:
            audit.record("export", outcome="failed", user=user, source=source, object=f"export {export_id}",
                         detail=(str(exc).splitlines() or [type(exc).__name__])[0][:300])
        except AuditError:
            pass
        raise
    record = {"export_id": result.export_id, **detail(result), "file": Path(result.path).name,
              "sha256": result.sha256}
    try:
        audit.record("export", user=user, source=source, object=f"export {export_id}",
                     detail=json.dumps(record, ensure_ascii=False, default=str))
    except AuditError:
        Path(result.path).unlink(missing_ok=True)
        raise
    return result
