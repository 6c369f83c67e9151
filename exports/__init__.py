"""Maps and data for planners (issue 17): one exporter per file.

| exporter | file | command |
|---|---|---|
| data formats (gpkg, geojson, zipped shp, csv, kml, xlsx) | :mod:`exports.data_export` | ``townbrain export data`` |
| print layout of a module's map (PDF / PNG) | :mod:`exports.print_map` | ``townbrain export map`` |
| atlas, one page per grid / district / pro grid | :mod:`exports.atlas` | ``townbrain export atlas`` |
| offline interactive map in one HTML file | :mod:`exports.html_map` | ``townbrain export html`` |

Every exporter takes a required ``scope`` — an :class:`access.scope.Scope`, decided by
access/scope.py alone (``access.scope.TOWN`` for the whole town; ``None`` is an
error, :func:`~exports.common.gate_scope`) — ``made_by`` and ``export_id`` and returns an
:class:`~exports.common.ExportResult` (path, SHA-256), so the console's Export button
and the audit record are a call away.
"""
