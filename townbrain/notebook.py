"""TownBrain from a notebook: ``import townbrain as tb; town = tb.connect()``.

Analysts get the numbers the wall shows, not a second version of them: every
method here is a thin call into the code the wall, the console and the
``townbrain`` command already run —

* :meth:`Town.cases` — the console's filter (:class:`geodata.case_filter.CaseFilter`:
  the period and the membership filters pushed down to the store, search and
  "overdue now" by :class:`geodata.case_frame.CaseFrame`'s mask), read on the
  store's fast point path;
* :meth:`Town.kpi` — :func:`indicators.report.kpi_command`, the body of
  ``townbrain kpi``; :meth:`Town.warnings` — :func:`indicators.report.warnings_command`;
* :meth:`Town.inspector_days` — :func:`indicators.rule_3510.inspector_days` on the
  very inputs the KPI reads, so its complying share *is* ``rule_3510_compliance``;
* :meth:`Town.map` — the offline map of ``townbrain export html``
  (:mod:`exports.html_map`), shown in an ``<iframe srcdoc>``.

Residents leave only as aggregates (brief.md, "Security"): ``town.layer("residents")``
is a count per grid, age band and household type, never a row per person.

A ``scope`` (grant ids, as ``townbrain user create --grant`` takes them, or an
:class:`exports.common.Scope`) limits every read to those districts / grids /
professional grids; the default is the whole town, which is what the operator of a
local store sees (the access work may enforce a narrower one per account). Every
read goes through the one gate of the wall and the console
(:func:`access.scope.scope_mask`): cases, patrols, staff and entities by their place,
a footprint by the grid it lies in, the KPIs and warnings over the records admitted;
the town's geography (roads, rivers) stays whole.

Examples
--------
>>> import townbrain as tb
>>> from townbrain.examples import tiny_town
>>> town = tb.connect(tiny_town())
>>> town
<Town 'tiny.gpkg': 7 layers with records, cases 2018-01-02 – 2018-01-10>
>>> k = town.kpi("2018-01-01", "2018-02-01")
>>> k[["accepted", "disposed", "open_overdue"]].to_dict("records")
[{'accepted': 3, 'disposed': 2, 'open_overdue': 1}]
>>> town.cases(start="2018-01-01", end="2018-02-01", grid="G1")["case_id"].tolist()
['A', 'D', 'C']
"""
from __future__ import annotations

import html
import inspect
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from exports.common import Scope
from geodata import config

__all__ = ["connect", "Town"]

ROOT = Path(__file__).resolve().parent.parent
#: Layers whose rows are people: they leave the library only counted (brief.md, "Security").
AGGREGATE_ONLY = {"residents": ("grid_id", "district_id", "age_band", "household")}
#: Layers of the access work and the intake's book-keeping: not town data.
PRIVATE_LAYERS = {"users", "password_history", "sessions", "api_keys", "audit_log", "idempotency_keys", "devices",
                  "awaiting_location"}
#: What :meth:`Town.cases` reads when ``columns`` is not given: the console's columns,
#: the contract's case columns and the assignment's (the whole demo town in ≤ 1 s).
#: ``by`` given as the column it groups by.
BY_SHORT = {"grid_id": "grid", "district_id": "district", "pro_grid_id": "pro_grid"}
CASE_COLUMNS = ("case_id", "category", "subcategory", "source", "reported_by", "reported_at", "registered_at",
                "deadline", "closed_at", "status", "resolved_level", "enforcement", "district_id", "grid_id",
                "pro_grid_id", "h3")


def _values(v: str | Iterable[str] | None) -> tuple[str, ...]:
    if v is None:
        return ()
    return (v,) if isinstance(v, str) else tuple(str(x) for x in v)


def scope_from_grants(store, grants: str | Iterable[str] | Scope | None) -> Scope:
    """A :class:`~exports.common.Scope` from grant ids (``"D1,G01-02"``, a list, or
    ``"town"``), looking each id up in the districts, grids and professional grids, or
    from an :class:`access.scope.Scope` (an empty one admits nothing).

    >>> from townbrain.examples import tiny_town
    >>> from geodata.store import open_store
    >>> scope_from_grants(open_store(tiny_town()), "G2").grids
    frozenset({'G2'})
    """
    if grants is None or isinstance(grants, Scope):
        return grants or Scope()
    if hasattr(grants, "town") and hasattr(grants, "grids"):  # access.scope.Scope (issue 16): same ids
        if grants.town:
            return Scope()
        return Scope(**{u: frozenset(getattr(grants, u)) or None for u in ("districts", "grids", "pro_grids")}) \
            if any(getattr(grants, u) for u in ("districts", "grids", "pro_grids")) else Scope(grids=frozenset())
    from access.accounts import parse_grants
    ids = parse_grants(grants)
    if "town" in ids:
        return Scope()
    if not ids:  # grants that name nothing admit nothing (fail closed, as access/ does)
        return Scope(grids=frozenset())
    found: dict[str, set[str]] = {"districts": set(), "grids": set(), "pro_grids": set()}
    for layer, col in (("districts", "district_id"), ("grids", "grid_id"), ("pro_grids", "pro_grid_id")):
        if store.has_layer(layer):
            known = set(store.read(layer, columns=[col], geometry=False)[col].dropna().astype(str))
            found[layer] |= known & set(ids)
    unknown = set(ids) - set().union(*found.values())
    if unknown:
        raise ValueError(f"unknown grant id(s) {', '.join(sorted(unknown))}: a grant is 'town' or a district, "
                         "grid or professional-grid id of this store")
    return Scope(**{k: frozenset(v) if v else None for k, v in found.items()})


def connect(url: str | os.PathLike | None = None, *, scope: str | Iterable[str] | Scope | None = None,
            personal: bool = False) -> "Town":
    """Open a town's store for analysis.

    Parameters
    ----------
    url : str or path, optional
        A GeoPackage path (``data/town.gpkg``, ``gpkg:///abs/town.gpkg``) or a PostGIS
        URL (``postgresql://user:pw@host:port/db``). Default: ``$TOWNBRAIN_DB``, else
        ``data/town.gpkg`` — the app's own configuration.
    scope : grant ids or Scope, optional
        The part of the town this session may read: ``"town"``, district / grid /
        professional-grid ids (``"D1,G01-02"`` or a list), or an
        :class:`exports.common.Scope`. Default: the whole town.
    personal : bool
        Whether a case's reporter, contacts and own words
        (:data:`exports.data_export.PERSONAL_COLUMNS`) come with it. Default no, as
        for an export: an analyst's numbers do not need who reported what. ``True`` is
        written to the audit trail under the operating-system user's name before
        anything is read, and the connection fails if it cannot be.

    Returns
    -------
    Town

    Examples
    --------
    >>> from townbrain.examples import tiny_town
    >>> connect(tiny_town(), scope="G2").cases()["case_id"].tolist()
    ['B']
    """
    from geodata.store import open_store
    u = config.db_url(None if url is None else str(url))
    if not config.is_postgis(u) and not Path(u.removeprefix("gpkg://")).exists():
        raise FileNotFoundError(f"{u} does not exist; create the demo town with `townbrain demo --out {u}`")
    store = open_store(u)
    town = Town(store, scope=scope_from_grants(store, scope), url=u, personal=personal)
    # on PostGIS the database keeps this connection to the scope too (geodata/row_scope.py)
    store.row_scope = town.gate
    if personal:
        from access.service import Access, operator
        Access(store).audit.record("personal_data", user=operator(), source="notebook", object="cases",
                                   detail=f"connect(personal=True), scope {town.gate.describe()}"[:300])
    return town



def _sort_key(times: pd.Series) -> np.ndarray:
    """Times as datetime64 (UTC), missing last: ``to_numpy()`` of zoned times gives an
    object array of Timestamps, which took 0.6 s of the 1.8 s of ``cases()`` on 400k rows."""
    if isinstance(times.dtype, pd.DatetimeTZDtype):
        return times.dt.tz_convert(None).to_numpy()
    return times.to_numpy()

class Town:
    """One town's store, read the way the wall and the console read it.

    Make one with :func:`connect`. ``town.indicators`` lists the KPIs with their
    formulas and source files.
    """

    def __init__(self, store, *, scope: Scope | None = None, url: str | None = None, personal: bool = False):
        self.store = store
        self.scope = scope or Scope()
        self.personal = personal
        self.url = url or getattr(store, "url", "")
        self._span: tuple[pd.Timestamp, pd.Timestamp] | None = None
        self._gate_scope = None

    @property
    def gate(self):
        """:attr:`scope` as the gate takes it (:class:`access.scope.Scope`, a district's
        grids included); an empty scope admits nothing."""
        if self._gate_scope is None:
            from access.scope import TOWN, known_ids, scope_of
            if self.scope.is_town:
                self._gate_scope = TOWN
            else:
                ids = set().union(*(getattr(self.scope, u) or () for u in ("districts", "grids", "pro_grids")))
                self._gate_scope = scope_of(ids, known_ids(self.store))
        return self._gate_scope

    # ---- what the town holds ----------------------------------------------------------
    @property
    def name(self) -> str:
        """The town's name (the ``town`` layer), else the store's file name."""
        from exports.print_map import store_town_name
        return store_town_name(self.store) or Path(str(self.url).removeprefix("gpkg://")).name

    def layers(self) -> pd.Series:
        """Record count of every town layer (access and book-keeping tables left out).

        >>> from townbrain.examples import tiny_town
        >>> int(connect(tiny_town()).layers()["cases"])
        4
        """
        names = [n for n in self.store.layers() if n not in PRIVATE_LAYERS]
        return pd.Series({n: self.store.count(n) for n in names}, name="records", dtype="int64")

    def period(self) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        """The first and last case report in the store (local time)."""
        if self._span is None:
            if not self.store.has_layer("cases"):
                return None, None
            t = self.store.read("cases", columns=["reported_at"], geometry=False)["reported_at"].dropna()
            tz = config.timezone()
            self._span = (t.min().tz_convert(tz), t.max().tz_convert(tz)) if len(t) else (None, None)
        return self._span

    def data_as_of(self) -> pd.Timestamp:
        """The newest moment the data speaks of (what the exports print as "data as of")."""
        from exports.common import data_as_of
        return data_as_of(self.store)

    def __repr__(self) -> str:
        first, last = self.period()
        span = f", cases {first:%Y-%m-%d} – {last:%Y-%m-%d}" if first is not None else ""
        scope = "" if self.scope.is_town else ", scoped"
        n = int((self.layers() > 0).sum())
        return f"<Town {self.name!r}: {n} layers with records{span}{scope}>"

    def _repr_html_(self) -> str:
        first, last = self.period()
        counts = self.layers()
        rows = "".join(f"<tr><td>{html.escape(n)}</td><td style='text-align:right'>{c:,}</td></tr>"
                       for n, c in counts.items())
        span = f"{first:%Y-%m-%d} – {last:%Y-%m-%d}" if first is not None else "—"
        scope = "全镇 whole town" if self.scope.is_town else html.escape(
            ", ".join(sorted(set().union(*(getattr(self.scope, u) or () for u in ("districts", "grids", "pro_grids"))))))
        return (f"<div class='tb-town'><b>{html.escape(self.name)}</b> "
                f"<span style='color:#52606d'>{html.escape(str(self.url))}</span><br>"
                f"案件时段 Cases: {span} · 数据截至 Data as of: {self.data_as_of():%Y-%m-%d %H:%M} · "
                f"范围 Scope: {scope}"
                f"<details><summary>{len(counts)} 图层 layers</summary><table>"
                f"<tr><th>layer</th><th>records</th></tr>{rows}</table></details></div>")

    # ---- records -----------------------------------------------------------------------
    def _scoped(self, frame: pd.DataFrame, layer: str | None = None) -> pd.DataFrame:
        """The rows of ``frame`` the scope admits (access/scope.py): by their place
        columns; a layer without any by the grid and professional grid each feature lies in; the town's
        geography whole; a table without place or geometry not at all (fail closed)."""
        from access.scope import COLUMNS, GEOGRAPHY, placed_in_units, scope_mask
        if self.scope.is_town or layer in GEOGRAPHY:
            return frame
        if any(c in frame for c in COLUMNS.values()):
            return frame[scope_mask(frame, self.gate)]
        if isinstance(frame, gpd.GeoDataFrame) and len(frame):
            units = [self.store.read(u, columns=[c for c in COLUMNS.values() if c in self.store.columns(u)])
                     for u in ("grids", "pro_grids") if self.store.has_layer(u)]
            return frame[scope_mask(placed_in_units(frame, *units), self.gate)]
        return frame.iloc[0:0]

    def cases(self, start=None, end=None, *, category: str | Iterable[str] | None = None,
              status: str | Iterable[str] | None = None, grid: str | Iterable[str] | None = None,
              district: str | Iterable[str] | None = None, source: str | Iterable[str] | None = None,
              overdue: bool = False, search: str | None = None, columns: Iterable[str] | None = None,
              now=None) -> gpd.GeoDataFrame:
        """Cases reported in ``[start, end)`` with the duty console's filters.

        Parameters
        ----------
        start, end : date / time / text, optional
            The period on ``reported_at`` (naive values in the town's zone).
        category, status, grid, district, source : str or list of str, optional
            Keep cases whose value is one of these.
        overdue : bool
            Only accepted cases still open ``now`` whose deadline has passed (the KPI
            ``open_overdue`` at as_of = now).
        search : str, optional
            Case-insensitive text in the case id, category (code or name), grid or
            district (id or name) or address — the console's search box.
        columns : list of str, optional
            Attribute columns (default :data:`CASE_COLUMNS` that the store has).
        now : time-like, optional
            The moment "overdue" is judged at (default: now).

        Returns
        -------
        geopandas.GeoDataFrame
            EPSG:4326 points, one row per case, in order of ``reported_at``.

        Examples
        --------
        >>> from townbrain.examples import tiny_town
        >>> town = connect(tiny_town())
        >>> town.cases("2018-01-01", "2018-02-01", overdue=True, now="2018-01-20")["case_id"].tolist()
        ['B']
        >>> town.cases(search="fire")["case_id"].tolist()
        ['C']
        >>> town.cases().crs.to_epsg()
        4326
        """
        from geodata.case_filter import CaseFilter
        flt = CaseFilter(start=None if start is None else pd.Timestamp(start),
                         end=None if end is None else pd.Timestamp(end),
                         categories=_values(category), statuses=_values(status), sources=_values(source),
                         grids=_values(grid), districts=_values(district), overdue=bool(overdue),
                         search=search or "")
        have = self.store.columns("cases")
        want = [c for c in self._shown_columns("cases", columns if columns is not None else CASE_COLUMNS,
                                               asked=columns is not None) if c in have]
        need = list(dict.fromkeys(["case_id", *want]))
        if flt.overdue or flt.search.strip():  # the mask needs these, whatever is shown
            need = list(dict.fromkeys([*need, "registered_at", "closed_at", "deadline", "reported_at", "category",
                                       "subcategory", "grid_id", "district_id",
                                       *(c for c in ("address",) if c in have)]))
        if not self.scope.is_town:
            need = list(dict.fromkeys([*need, *(c for c in ("grid_id", "district_id", "pro_grid_id") if c in have)]))
        df = self.store.read_points("cases", columns=need, **flt.store_kwargs())
        if flt.overdue or flt.search.strip():
            from geodata.case_frame import CaseFrame
            from geodata.case_queries import category_names, place_names
            frame = CaseFrame(pd.DataFrame(df.drop(columns="geometry")), names=category_names(self.store),
                              places=place_names(self.store))
            df = df[frame.mask(flt, now)]
        df = self._scoped(df)
        keep = list(dict.fromkeys(["case_id", *want])) if columns is None else want
        # one take for the order and the columns (400k rows: each extra copy costs ~0.1 s)
        rows = (np.argsort(_sort_key(df["reported_at"]), kind="stable")
                if "reported_at" in df and not df["reported_at"].is_monotonic_increasing else slice(None))
        out = df.iloc[rows, [df.columns.get_loc(c) for c in [*keep, "geometry"]]]
        out.index = pd.RangeIndex(len(out))
        return out

    def layer(self, name: str, columns: Iterable[str] | None = None,
              bbox: tuple[float, float, float, float] | None = None) -> pd.DataFrame:
        """A layer of the store as a GeoDataFrame (a DataFrame for a table without geometry).

        Parameters
        ----------
        name : str
            A layer of contract.md ("districts", "grids", "enterprises", "patrols", …).
        columns : list of str, optional
            The attribute columns wanted (default all).
        bbox : (minx, miny, maxx, maxy), optional
            lon/lat: only features whose envelope meets it.

        Returns
        -------
        GeoDataFrame or DataFrame
            ``"residents"`` is the exception: counts per grid, district, age band and
            household type (``residents`` column), never one row per person.

        Examples
        --------
        >>> from townbrain.examples import tiny_town
        >>> town = connect(tiny_town())
        >>> town.layer("residents")[["grid_id", "household", "residents"]].to_dict("records")
        [{'grid_id': 'G1', 'household': 'floating', 'residents': 1}, {'grid_id': 'G1', 'household': 'registered', 'residents': 1}, {'grid_id': 'G2', 'household': 'registered', 'residents': 1}]
        >>> town.layer("grids", columns=["name"], bbox=(120.615, 31.0, 120.62, 31.01))["name"].tolist()
        ['二网格']
        """
        if name in PRIVATE_LAYERS:
            raise ValueError(f"{name!r} is not town data; the access work reads it")
        if not self.store.has_layer(name):
            raise ValueError(f"no layer {name!r} in {self.url}; layers: {', '.join(self.layers().index)}")
        if name in AGGREGATE_ONLY:
            return self._aggregate(name, AGGREGATE_ONLY[name], bbox)
        have = self.store.columns(name)
        cols = None if columns is None else list(columns)
        if name == "cases" and not self.personal:
            cols = self._shown_columns(name, cols if cols is not None else have, asked=cols is not None)
        units = [c for c in ("grid_id", "district_id", "pro_grid_id") if c in have]
        read = cols if cols is None or self.scope.is_town else list(dict.fromkeys([*cols, *units]))
        df = self._scoped(self.store.read(name, columns=read, bbox=bbox), name)
        if cols is not None:
            df = df[[c for c in df.columns if c in cols or c == "geometry"]]
        return df.reset_index(drop=True)

    def _shown_columns(self, name: str, columns: Iterable[str], asked: bool) -> list[str]:
        """``columns`` without a case's personal ones unless the town was connected with
        ``personal=True``; asking for one by name without it is an error that says so."""
        from exports.data_export import PERSONAL_COLUMNS
        columns = list(columns)
        if self.personal or name != "cases":
            return columns
        personal = [c for c in columns if c in PERSONAL_COLUMNS]
        if asked and personal:
            raise ValueError(f"{', '.join(personal)}: personal data of the reporter; "
                             "connect(..., personal=True) shows it (and writes that to the audit trail)")
        return [c for c in columns if c not in PERSONAL_COLUMNS]

    def _aggregate(self, name: str, keys: tuple[str, ...], bbox) -> pd.DataFrame:
        have = self.store.columns(name)
        keys = [k for k in keys if k in have]
        places = [] if self.scope.is_town else [c for c in ("pro_grid_id",) if c in have and c not in keys]
        df = self._scoped(pd.DataFrame(self.store.read(name, columns=[*keys, *places], bbox=bbox, geometry=False)))
        out = df.groupby(keys, dropna=False, observed=True).size().rename(name).reset_index()
        return out.sort_values(keys, kind="stable").reset_index(drop=True)

    # ---- indicators -------------------------------------------------------------------
    @property
    def indicators(self) -> pd.DataFrame:
        """The indicator registry: key, Chinese and English name, formula, unit, the
        brief / contract line behind it (``source``), target and the file it is in.

        >>> from townbrain.examples import tiny_town
        >>> connect(tiny_town()).indicators.loc["closure_rate", ["zh", "formula", "file"]].tolist()
        ['结案率', 'closed / due', 'indicators/closure_rate.py']
        """
        from indicators.registry import load_all
        rows = []
        for key, ind in load_all().items():
            src = inspect.getsourcefile(ind.func) or ""
            try:
                src = Path(src).resolve().relative_to(ROOT).as_posix()
            except ValueError:
                pass
            rows.append({"key": key, "zh": ind.zh, "en": ind.en, "formula": ind.formula, "unit": ind.unit,
                         "source": ind.source, "target": ind.target, "kind": ind.kind, "file": src})
        return pd.DataFrame(rows).set_index("key", drop=False).rename_axis(None)

    def kpi(self, start=None, end=None, by: str | None = None, as_of=None) -> "pd.DataFrame":
        """The KPIs of ``townbrain kpi`` for ``[start, end)`` judged at ``as_of``.

        Parameters
        ----------
        start, end : date / time / text
            The period (naive values in the town's zone).
        by : None, "district", "grid", "h3" or "pro_grid" (or the column: "grid_id" …)
            ``None``: one row for the town (or the scope); else one row per unit,
            indexed by its id, ``"unassigned"`` for records outside every unit. A
            scoped town counts the records its scope admits, in the units it admits.
        as_of : time-like, optional
            Default: the earlier of ``end`` and now.

        Returns
        -------
        KpiFrame
            A DataFrame with a column per KPI key (``resolved_level`` split into
            ``resolved_level.grid`` … as :func:`pandas.json_normalize` names them; a
            rate with a zero denominator is ``NaN``), the period in ``.attrs["period"]``.
            ``.map()`` with no function draws the grids coloured by a KPI; pandas'
            own ``.map(func)`` still maps elementwise.

        Examples
        --------
        >>> from townbrain.examples import tiny_town
        >>> town = connect(tiny_town())
        >>> town.kpi("2018-01-01", "2018-02-01", by="grid")[["accepted", "disposal_rate"]]
                 accepted  disposal_rate
        grid_id
        G1              2            1.0
        G2              1            0.0
        >>> town.kpi("2018-01-01", "2018-02-01").map(lambda v: v).shape
        (1, 21)
        """
        from indicators.report import kpi_command
        from townbrain.nb_map import KpiFrame
        by = BY_SHORT.get(by, by)
        got = kpi_command(self.store, start, end, as_of=as_of, by=by, scope=self.gate)
        if by is None:
            period, rows, index = got.pop("period"), [got], None
        else:
            period = got.get("period")
            groups = got["groups"]
            rows, index = list(groups.values()), pd.Index(list(groups.keys()), name=f"{by}_id" if by != "h3" else by)
            for r in rows:
                r.pop("period", None)
        df = pd.json_normalize(rows)
        if index is not None:
            df.index = index
        df = df.astype({c: "float64" for c in df.columns if df[c].isna().all()})
        out = KpiFrame(df)
        out.attrs.update(period=period, by=by)
        out._town = self
        return out

    def warnings(self, start=None, end=None, *, freq: str = "D", hotspots: bool = True) -> pd.DataFrame:
        """Early warnings (surges by category and grid, hot spots) for the periods
        starting in ``[start, end)`` — :func:`indicators.report.warnings_command`, as on
        the wall; ``freq`` is ``"D"``, ``"W"`` or ``"M"``.

        >>> from townbrain.examples import tiny_town
        >>> len(connect(tiny_town()).warnings("2018-01-01", "2018-02-01"))
        0
        """
        from indicators.report import warnings_command
        return warnings_command(self.store, start, end, freq=freq, hotspots=hotspots, scope=self.gate)

    def inspector_days(self, start=None, end=None) -> pd.DataFrame:
        """The 3-5-10 table: one row per inspector-day with a patrol starting in
        ``[start, end)`` — patrols, hours, cases reported that day and whether the day
        complies (≥ 3, ≥ 5 h, ≥ 10), with the inspector's grid and district. The
        share of ``complies`` is the KPI ``rule_3510_compliance`` of the same period.

        >>> from townbrain.examples import tiny_town
        >>> connect(tiny_town()).inspector_days("2018-01-01", "2018-02-01")[
        ...     ["staff_id", "patrols", "hours", "cases", "complies", "grid_id"]]
          staff_id  patrols  hours  cases  complies grid_id
        0       I1        3    5.5      1     False      G1
        """
        from indicators.report import read_kpi_inputs
        from indicators.rule_3510 import inspector_days
        inputs = read_kpi_inputs(self.store, start, end, scope=self.gate)
        if inputs["patrols"] is None or not len(inputs["patrols"]):  # no patrol in the period (or the scope): the table's columns, no rows
            return pd.DataFrame({c: pd.Series(dtype=t) for c, t in (
                ("staff_id", object), ("day", object), ("patrols", "int64"), ("hours", "float64"),
                ("cases", "int64"), ("complies", bool), ("grid_id", object), ("district_id", object))})
        return inspector_days(inputs["patrols"], inputs["reports"], start=start, end=end, tz=config.timezone())

    # ---- pictures ---------------------------------------------------------------------
    def map(self, module: str = "public", lang: str = "zh", kpi: str | None = None, *,
            start=None, end=None) -> Any:
        """The module's offline map (grids coloured by its KPI, case heat, its point
        layers with tooltips, our own basemap layers) for the notebook.

        Parameters
        ----------
        module : str
            A wall module id (``public``, ``ecology``, ``enforcement`` …).
        lang : "zh" or "en"
        kpi : str, optional
            Colour the grids by this KPI of :meth:`kpi` instead of the module's own,
            for ``[start, end)`` (default: this year so far, as the wall counts).

        Returns
        -------
        townbrain.nb_map.TownMap
            Shown inline by Jupyter (``_repr_html_``: an ``<iframe srcdoc>``, nothing
            fetched); ``.to_html(path)`` writes the same page as a file.
        """
        from townbrain.nb_map import town_map
        return town_map(self, module=module, lang=lang, kpi=kpi, start=start, end=end)

    def dashboard(self, module: str = "public", *, page: str = "wall", lang: str = "zh", **kw) -> Any:
        """The wall (or ``page="console"``) inline in Jupyter; see :func:`townbrain.nb_dashboard.dashboard`."""
        from townbrain.nb_dashboard import dashboard
        return dashboard(self, module=module, page=page, lang=lang, **kw)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "Town":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
