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
import shapely

from geodata import config

__all__ = ["ExportResult", "ExportError", "Scope", "Places", "GEOGRAPHY", "new_export_id", "default_user", "sha256_of",
           "data_as_of", "finish"]

#: Columns that place a record in the town's units (``townbrain assign``).
UNIT_COLUMNS = {"grids": "grid_id", "districts": "district_id", "pro_grids": "pro_grid_id"}
#: Layers of the town's geography, not records of its work: a limited scope sees them
#: whole on a map (a data export clips them to the scope's area).
GEOGRAPHY = frozenset({"town", "districts", "rivers", "roads", "buildings", "bus_routes"})


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

    def mask(self, frame: pd.DataFrame, places: "Places | None" = None) -> np.ndarray:
        """Rows of ``frame`` inside the scope, by their grid / district / pro-grid ids.
        With ``places`` (:meth:`Places.of` the store) a record known by its grid alone
        is in its district's grant too, and a record with no unit of its own but a
        ``staff_id`` (a patrol) is placed through that staff member. Anything else with
        none of those columns is outside a limited scope entirely (fail closed; callers
        clip geography by :meth:`area` instead).

        >>> places = Places(grid_district={"G1": "D1", "G3": "D2"},
        ...                 staff=pd.DataFrame({"staff_id": ["S0", "S3"], "grid_id": ["G1", "G3"]}))
        >>> d1 = Scope(districts=frozenset({"D1"}))
        >>> d1.mask(pd.DataFrame({"patrol_id": ["P1", "P2"], "staff_id": ["S3", "S0"]}), places).tolist()
        [False, True]
        >>> d1.mask(pd.DataFrame({"grid_id": ["G1", "G3"]}), places).tolist(), d1.mask(pd.DataFrame({"x": [1]})).tolist()
        ([True, False], [False])
        """
        if self.is_town:
            return np.ones(len(frame), dtype=bool)
        keep = np.zeros(len(frame), dtype=bool)

        def member(values, ids) -> np.ndarray:
            return pd.Series(values).astype("string").isin(list(ids)).fillna(False).to_numpy(dtype=bool)
        for unit, col in UNIT_COLUMNS.items():
            ids = getattr(self, unit)
            if ids is not None and col in frame:
                keep |= member(frame[col], ids)
        if places is None:
            return keep
        if self.districts and "grid_id" in frame and "district_id" not in frame:
            keep |= member(frame["grid_id"].astype("string").map(places.grid_district), self.districts)
        if self.has_unit_columns(frame):
            return keep
        if "staff_id" in frame:
            if places.staff is not None:
                staff = places.staff.drop_duplicates("staff_id").set_index("staff_id")
                placed = staff.reindex(frame["staff_id"].astype("string").to_numpy()).reset_index(drop=True)
                keep |= self.mask(placed, places) if self.has_unit_columns(placed) else False
        elif places.area is not None and _all_points(frame):
            # a point placed by nothing but where it lies: as `townbrain assign` would place it
            geom = frame.geometry if frame.crs is None or frame.crs.equals(4326) else frame.geometry.to_crs(4326)
            keep |= shapely.intersects_xy(places.area, geom.x.to_numpy(), geom.y.to_numpy())
        return keep

    def keep(self, layer: str, frame, places: "Places | None" = None):
        """``frame`` (a layer ``layer`` of a map) as the scope may see it: geography
        (:data:`GEOGRAPHY`) whole, any other layer's records by :meth:`mask`."""
        if self.is_town or frame is None or layer in GEOGRAPHY:
            return frame
        return frame[self.mask(frame, places)]

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


@dataclass(frozen=True)
class Places:
    """Where records without a district of their own lie: each grid's district, each
    staff member's grid / professional grid (a patrol is placed through its
    inspector) and the scope's area (a bare point by where it lies), read once per
    export."""

    grid_district: dict
    staff: pd.DataFrame | None = None
    area: object = None

    @classmethod
    def of(cls, store, scope: "Scope | None" = None) -> "Places":
        g2d, staff = {}, None
        if store.has_layer("grids") and "district_id" in store.columns("grids"):
            g = store.read("grids", columns=["grid_id", "district_id"], geometry=False).dropna()
            g2d = dict(zip(g["grid_id"].astype(str), g["district_id"].astype(str)))
        if store.has_layer("staff"):
            cols = [c for c in ("staff_id", "grid_id", "pro_grid_id") if c in store.columns("staff")]
            if "staff_id" in cols:
                staff = store.read("staff", columns=cols, geometry=False)
        area = None if scope is None or scope.is_town else scope.area(store)
        return cls(grid_district=g2d, staff=staff, area=area)


def _all_points(frame) -> bool:
    geom = getattr(frame, "geometry", None) if getattr(frame, "_geometry_column_name", None) in frame else None
    return geom is not None and bool((geom.geom_type.dropna() == "Point").all())


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
