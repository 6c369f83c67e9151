"""What every exporter shares: who made an export, its id, its scope, its result.

Every exporter takes ``scope`` (what the exporting person may see), ``made_by`` and
``export_id`` (printed on a layout, written into a file's metadata) and returns an
:class:`ExportResult` with the written file's path and SHA-256 — what the audit
record of the access work (issue 16) needs, so the console's "Export" button is a
call, not a rewrite.

Examples
--------
>>> s = Scope(grids=frozenset({"G01-01"}))
>>> s.is_town, s.admits("grids", {"grid_id": "G01-01", "district_id": "D02"})
(False, True)
>>> Scope().is_town
True
>>> new_export_id(pd.Timestamp("2026-12-05 09:30:00", tz="Asia/Shanghai"))[:20]
'EXP-20261205-093000-'
"""
from __future__ import annotations

import getpass
import hashlib
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from geodata import config

__all__ = ["ExportResult", "ExportError", "Scope", "new_export_id", "default_user", "sha256_of",
           "data_as_of", "finish"]

#: Columns that place a record in the town's units (``townbrain assign``).
UNIT_COLUMNS = {"grids": "grid_id", "districts": "district_id", "pro_grids": "pro_grid_id"}


class ExportError(ValueError):
    """An export that cannot be made as asked, said in one sentence."""


@dataclass(frozen=True)
class Scope:
    """The part of the town an export may contain: grant ids as ``access`` gives them
    (contract, ``townbrain user create --grant``). ``None`` everywhere = the whole town.
    ``personal`` lets records of people (residents) out one by one; without it they
    leave only as aggregates (brief.md, "Security")."""

    grids: frozenset[str] | None = None
    districts: frozenset[str] | None = None
    pro_grids: frozenset[str] | None = None
    personal: bool = False

    @property
    def is_town(self) -> bool:
        return self.grids is None and self.districts is None and self.pro_grids is None

    def admits(self, _layer: str, row: dict) -> bool:
        """Whether one record (a dict of its unit ids) lies in the scope."""
        if self.is_town:
            return True
        for unit, col in UNIT_COLUMNS.items():
            ids = getattr(self, unit)
            if ids is not None and row.get(col) in ids:
                return True
        return False

    def mask(self, frame: pd.DataFrame) -> np.ndarray:
        """Rows of ``frame`` inside the scope, by their grid / district / pro-grid ids.
        A frame with none of those columns is outside a limited scope entirely
        (callers clip such layers by :meth:`area` instead)."""
        if self.is_town:
            return np.ones(len(frame), dtype=bool)
        keep = np.zeros(len(frame), dtype=bool)
        for unit, col in UNIT_COLUMNS.items():
            ids = getattr(self, unit)
            if ids is not None and col in frame:
                keep |= frame[col].astype("string").isin(list(ids)).fillna(False).to_numpy(dtype=bool)
        return keep

    def has_unit_columns(self, frame: pd.DataFrame) -> bool:
        return any(c in frame for c in UNIT_COLUMNS.values())

    def area(self, store):
        """The union of the scope's grids, districts and professional grids (WGS84), or
        ``None`` for the whole town."""
        if self.is_town:
            return None
        import shapely
        parts = []
        for unit, col in UNIT_COLUMNS.items():
            ids = getattr(self, unit)
            if ids and store.has_layer(unit):
                g = store.read(unit, where={col: sorted(ids)}, columns=[col])
                parts.extend(g.geometry.to_numpy())
        return shapely.union_all(parts) if parts else shapely.Polygon()


@dataclass
class ExportResult:
    """What an exporter wrote: enough for an audit record and a progress line."""

    path: Path
    sha256: str
    export_id: str
    made_by: str
    kind: str
    records: int | None = None
    pages: int | None = None
    seconds: float | None = None
    details: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"path": str(self.path), "sha256": self.sha256, "export_id": self.export_id,
                "made_by": self.made_by, "kind": self.kind, "records": self.records, "pages": self.pages,
                "seconds": self.seconds, **self.details}


def new_export_id(now: pd.Timestamp | None = None) -> str:
    """``EXP-YYYYMMDD-HHMMSS-xxxxxx``: sortable by time, unique by its random tail."""
    now = now if now is not None else pd.Timestamp.now(tz=config.timezone())
    return f"EXP-{now:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def default_user() -> str:
    """The operating-system user: the CLI runs as its operator (contract, "The
    townbrain command": exports are audited under that name)."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in a container
        return os.environ.get("USER", "unknown")


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def data_as_of(store) -> pd.Timestamp:
    """The newest moment the data speaks of: the latest case report (or the export
    time when the store has no cases), in the configured zone."""
    tz = config.timezone()
    now = pd.Timestamp.now(tz=tz).floor("s")
    if store.has_layer("cases"):
        recent = store.read("cases", start=now - pd.Timedelta(days=3), end=now + pd.Timedelta(seconds=1),
                            time_field="reported_at", columns=["reported_at"], geometry=False)["reported_at"]
        if len(recent.dropna()):
            return recent.max().tz_convert(tz)
    return now


def finish(path: Path, *, export_id: str, made_by: str, kind: str, t0: float, **kw) -> ExportResult:
    import time
    path = Path(path)
    return ExportResult(path=path, sha256=sha256_of(path), export_id=export_id, made_by=made_by, kind=kind,
                        seconds=round(time.perf_counter() - t0, 3), **kw)


def plain_value(v):
    """A cell as a plain Python value for JSON or a spreadsheet: missing (None, NA,
    NaT, NaN) is None, a numpy scalar its Python twin, anything else as it is.

    >>> import numpy as np
    >>> [plain_value(x) for x in (np.int64(3), float("nan"), pd.NaT, "a")]
    [3, None, None, 'a']
    """
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and np.isnan(v):
        return None
    if isinstance(v, np.generic):
        return v.item()
    return v
