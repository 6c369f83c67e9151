"""What every exporter shares: who made an export, its id, its scope, its result.

Every exporter takes ``scope`` — an :class:`access.scope.Scope`, what the exporting
person may see: :data:`~access.scope.TOWN` said out loud for the whole town, ``None``
an error (:func:`gate_scope`; fail closed) — and decides who sees what through
access/scope.py alone (:func:`scoped`), plus ``made_by`` and
``export_id`` (printed on a layout, written into a file's metadata) and returns an
:class:`ExportResult` with the written file's path and SHA-256 — what the audit
record of the access work (issue 16) needs, so the console's "Export" button is a
call, not a rewrite.

Examples
--------
>>> from access.scope import Scope
>>> df = pd.DataFrame({"grid_id": ["G01-01", "G01-02"]})
>>> len(scoped(df, Scope(grids=frozenset({"G01-01"})))), len(scoped(df, TOWN)), len(scoped(df, NOTHING))
(1, 2, 0)
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

from access.scope import COLUMNS, GEOGRAPHY, NOTHING, TOWN, placed_in_units, scope_mask, scope_mask_by
from access.scope import Scope as GateScope
from geodata import config

__all__ = ["ExportResult", "ExportError", "Scope", "Places", "gate_scope", "scoped", "BASEMAP", "TOWN", "NOTHING",
           "ConsoleView", "CASE_STATES", "new_export_id", "default_user", "sha256_of", "data_as_of", "finish"]

#: The place columns of a record (``townbrain assign``), as the gate reads them.
PLACE_COLUMNS = tuple(COLUMNS.values())
#: What a map draws whole under any scope, as its base map: the gate's geography
#: (roads, rivers, bus routes, the town) and the district outlines (a name, no record).
#: A data export of the districts layer is gated like any other layer.
BASEMAP = GEOGRAPHY | {"districts"}

class ExportError(ValueError):
    """An export that cannot be made as asked, said in one sentence."""


@dataclass(frozen=True)
class Scope:
    """The notebook library's grant ids (``townbrain.connect(scope=…)``; ``None``
    everywhere = the whole town). Not a rule: :attr:`townbrain.Town.gate` turns it into
    an :class:`access.scope.Scope`, and that is what an exporter takes
    (:func:`gate_scope` refuses this one)."""

    grids: frozenset[str] | None = None
    districts: frozenset[str] | None = None
    pro_grids: frozenset[str] | None = None
    personal: bool = False

    @property
    def is_town(self) -> bool:
        return self.grids is None and self.districts is None and self.pro_grids is None


def gate_scope(scope) -> GateScope:
    """The scope an exporter was given, checked: an :class:`access.scope.Scope`
    (:data:`~access.scope.TOWN` for the whole town, a user's grants, or
    :data:`~access.scope.NOTHING`). ``None`` is an error, never the whole town (fail
    closed: a caller that forgot to say whose export it is gets no file); so is any
    other kind of scope (the notebook's grant ids: pass ``town.gate``).

    >>> gate_scope(TOWN).town, gate_scope(NOTHING).empty
    (True, True)
    >>> gate_scope(None)
    Traceback (most recent call last):
    ...
    exports.common.ExportError: no scope given: say what the export may hold (access.scope.TOWN: the whole town)
    """
    if scope is None:
        raise ExportError("no scope given: say what the export may hold (access.scope.TOWN: the whole town)")
    if not isinstance(scope, GateScope):
        raise TypeError(f"an exporter takes an access.scope.Scope, not {type(scope).__name__}")
    return scope


@dataclass(frozen=True)
class Places:
    """What the gate places a record through when it has no place of its own, read
    once per export: the staff (a patrol, a report through its inspector:
    :func:`access.scope.scope_mask_by`) and the grids and professional grids (a
    footprint or a bare point by the unit it lies in: :func:`access.scope.placed_in_units`)."""

    staff: pd.DataFrame | None = None
    units: tuple = ()

    @classmethod
    def of(cls, store) -> "Places":
        staff = None
        if store.has_layer("staff"):
            cols = [c for c in ("staff_id", *PLACE_COLUMNS) if c in store.columns("staff")]
            if "staff_id" in cols:
                staff = store.read("staff", columns=cols, geometry=False)
        units = tuple(store.read(u, columns=[c for c in PLACE_COLUMNS if c in store.columns(u)])
                      for u in ("grids", "pro_grids") if store.has_layer(u))
        return cls(staff=staff, units=units)


def scoped(frame, scope: GateScope, places: Places | None = None, layer: str | None = None):
    """The rows of ``frame`` (a layer ``layer``) that ``scope`` lets through, decided by
    access/scope.py alone: the town's geography (:data:`access.scope.GEOGRAPHY`) whole;
    a record with a place column by :func:`~access.scope.scope_mask` (a grid also in
    its granted district), one with a ``staff_id`` also through that staff member
    (:func:`~access.scope.scope_mask_by`); a feature with neither by the grid or
    professional grid it lies in (:func:`~access.scope.placed_in_units`); anything
    else not at all (fail closed).

    >>> import pandas as pd
    >>> from access.scope import Scope
    >>> staff = pd.DataFrame({"staff_id": ["S0", "S3"], "grid_id": ["G1", "G3"]})
    >>> d1 = Scope(districts=frozenset({"D1"}), district_grids=frozenset({"G1"}))
    >>> patrols = pd.DataFrame({"patrol_id": ["P1", "P2"], "staff_id": ["S3", "S0"]})
    >>> scoped(patrols, d1, Places(staff))["patrol_id"].tolist()
    ['P2']
    >>> len(scoped(pd.DataFrame({"x": [1]}), d1)), len(scoped(pd.DataFrame({"x": [1]}), TOWN))
    (0, 1)
    """
    scope = gate_scope(scope)
    if frame is None or scope.town or layer in GEOGRAPHY:
        return frame
    places = places or Places()
    if any(c in frame for c in PLACE_COLUMNS) or "staff_id" in frame:
        return frame[scope_mask_by(frame, scope, places.staff, "staff_id")]
    if getattr(frame, "_geometry_column_name", None) in frame and len(frame) and not scope.empty:
        return frame[scope_mask(placed_in_units(frame, *places.units), scope)]
    return frame.iloc[0:0]


#: A case's state in a console view, drawn in this order (the latest on top).
CASE_STATES = ("closed", "open", "overdue")
#: The columns of a case a console view's map may show: no personal column ever
#: (exports.data_export.PERSONAL_COLUMNS), whatever the role.
VIEW_COLUMNS = ("case_id", "category", "subcategory", "status", "source", "district_id", "grid_id", "pro_grid_id",
                "reported_at", "registered_at", "deadline", "closed_at")


@dataclass(frozen=True)
class ConsoleView:
    """What the console shows, for a print map or an offline map of it: its cases (the
    ones its filters select, already read through the gate: callbacks/console_export.py
    ``console_view``) and the words of its filters and period, in the layout's language.

    ``cases`` is a GeoDataFrame of points in EPSG:4326 (only :data:`VIEW_COLUMNS` are
    kept); ``filters`` the (label, value) pairs a subtitle names; ``period`` the period
    in words; ``now`` the moment "open" and "overdue" are judged (the console's now,
    or the end of its ``as_of`` day); ``grids`` and ``districts`` the units its filters
    pick (the map is framed on them); ``search`` the canonical query (for the audit
    record); ``categories`` {code: name} for the tooltips.

    >>> import geopandas as gpd, shapely
    >>> now = pd.Timestamp("2024-05-06 12:00", tz="Asia/Shanghai")
    >>> cases = gpd.GeoDataFrame({"case_id": ["C1", "C2", "C3"], "phone": ["139", None, None],
    ...     "registered_at": [now - pd.Timedelta(days=3)] * 3,
    ...     "deadline": [now - pd.Timedelta(days=1), now + pd.Timedelta(days=1), now - pd.Timedelta(days=2)],
    ...     "closed_at": [pd.NaT, pd.NaT, now - pd.Timedelta(days=2)]},
    ...     geometry=[shapely.Point(120.5, 31.2)] * 3, crs=4326)
    >>> v = ConsoleView.of(cases, filters=(("状态", "在办"),), period="近7天", now=now)
    >>> v.states().tolist(), "phone" in v.cases, v.describe()
    (['overdue', 'open', 'closed'], False, '状态: 在办 · 近7天')
    """

    cases: object
    filters: tuple = ()
    period: str = ""
    now: pd.Timestamp | None = None
    grids: tuple = ()
    districts: tuple = ()
    search: str = ""
    categories: dict = field(default_factory=dict)

    @classmethod
    def of(cls, cases, **kw) -> "ConsoleView":
        """A view of ``cases`` keeping only :data:`VIEW_COLUMNS` and the points."""
        keep = [c for c in VIEW_COLUMNS if c in cases.columns]
        geom = getattr(cases, "_geometry_column_name", None)
        frame = cases[keep + ([geom] if geom in cases.columns else [])]
        return cls(cases=frame.reset_index(drop=True), **kw)

    def states(self) -> pd.Series:
        """Each case's state at :attr:`now`: ``overdue`` (accepted, not closed, past
        its deadline: geodata.case_filter.overdue_mask), ``closed``, else ``open``."""
        from geodata.case_filter import overdue_mask
        c = self.cases
        now = self.now if self.now is not None else pd.Timestamp.now(tz=config.timezone())
        if not len(c):
            return pd.Series([], dtype=object)
        closed = (c["closed_at"].notna() & (c["closed_at"] <= now)).to_numpy(bool) if "closed_at" in c else \
            np.zeros(len(c), bool)
        late = overdue_mask(c, now) if {"registered_at", "closed_at", "deadline"} <= set(c.columns) else \
            np.zeros(len(c), bool)
        return pd.Series(np.where(late, "overdue", np.where(closed, "closed", "open")), index=c.index)

    def describe(self, sep: str = " · ") -> str:
        """The filters and the period in one line (a layout's subtitle)."""
        return sep.join([f"{k}: {v}" if v else k for k, v in self.filters] + ([self.period] if self.period else []))


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
