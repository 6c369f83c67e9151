"""``townbrain kpi``: read what the KPIs need from the store, compute, return JSON-able.

This is the thin edge between the store and the pure indicators (conventions.md:
"Pure core, thin edges"); the CLI wires :func:`kpi_command` and prints its result.

What is read, and why it is enough:

* cases with ``registered_at`` in ``[from, to)`` — exactly the accepted cases, and
  every KPI of the contract counts among accepted cases (disposed / due / closed
  are accepted cases judged at as_of), so the time filter runs in the database;
* patrols with ``started_at`` in the period, for 3-5-10, and then the cases
  reported from the first local day of the period on (``reported_by``,
  ``reported_at`` only), because the rule counts every problem an inspector found
  or handled that day, registered or fixed on the spot;
* for ``--by grid|district`` the grid / district ids, so a unit without any case
  still shows (with rates ``null``).

A ``scope`` (access/scope.py; the notebook library of a person with grants) passes
every frame read through the one gate — cases and reports by their place, patrols by
theirs or their inspector's, the units grouped by to those it admits — so the KPIs
are those of the records the scope may see. Without one (the CLI's operator) the
whole town.

Examples
--------
>>> import tempfile, os
>>> from geodata.store import open_store
>>> from indicators.examples import tiny_cases
>>> import geopandas as gpd, shapely
>>> st = open_store(os.path.join(tempfile.mkdtemp(), "t.gpkg")); st.create_schema()
>>> c = tiny_cases()
>>> g = gpd.GeoDataFrame(c, geometry=[shapely.Point(120.6, 31.0)] * len(c), crs=4326)
>>> st.upsert("cases", g)
4
>>> k = kpi_command(st, "2018-01-01", "2018-02-01")
>>> k["accepted"], k["disposed"], k["open_overdue"], k["rule_3510_compliance"]
(3, 2, 1, None)
>>> sorted(kpi_command(st, "2018-01-01", "2018-02-01", by="grid")["groups"])
['G1', 'G2']
"""
from __future__ import annotations

import pandas as pd

from geodata import config
from indicators.kpis import compute_kpis
from indicators.view import BY_COLUMNS

__all__ = ["kpi_command", "read_kpi_inputs", "CASE_COLUMNS"]

#: Case columns the KPIs use (those present are read).
CASE_COLUMNS = ("case_id", "source", "registered_at", "deadline", "closed_at", "resolved_level", "enforcement",
                "rework_count", "extended", "status", "district_id", "grid_id", "h3", "pro_grid_id")
BY_CHOICES = (None, "district", "grid", "h3", "pro_grid")


def _local_midnight(value) -> pd.Timestamp | None:
    if value is None:
        return None
    ts = pd.Timestamp(value)
    tz = config.timezone()
    ts = ts.tz_localize(tz) if ts.tzinfo is None else ts.tz_convert(tz)
    return ts.floor("D", ambiguous=False, nonexistent="shift_forward")


def read_kpi_inputs(store, start=None, end=None, by: str | None = None, scope=None) -> dict:
    """The frames :func:`~indicators.kpis.compute_kpis` needs, read with the period
    pushed down to the database: ``cases``, ``patrols``, ``reports``, ``history``,
    ``groups`` — through the gate when a ``scope`` is given (see above)."""
    out = _read_kpi_inputs(store, start, end, by)
    if scope is None or scope.town:
        return out
    from access.scope import scope_mask
    for name in ("cases", "patrols", "reports"):
        if out[name] is not None:
            out[name] = out[name][scope_mask(out[name], scope)]
    if out["groups"] is not None:
        col = BY_COLUMNS.get(by, by)
        units = pd.DataFrame({col: out["groups"]})
        out["groups"] = units.loc[scope_mask(units, scope), col].tolist()
    return out


def _read_kpi_inputs(store, start=None, end=None, by: str | None = None) -> dict:
    have = set(store.columns("cases"))
    cols = [c for c in CASE_COLUMNS if c in have]
    cases = pd.DataFrame(store.read("cases", start=start, end=end, time_field="registered_at", columns=cols))
    cases = cases.drop(columns="geometry", errors="ignore")
    out = {"cases": cases, "patrols": None, "reports": None, "history": None, "groups": None}

    if store.has_layer("patrols"):
        pcols = [c for c in ("staff_id", "started_at", "ended_at", "grid_id", "district_id", "pro_grid_id")
                 if c in store.columns("patrols")]
        patrols = pd.DataFrame(store.read("patrols", start=start, end=end, time_field="started_at",
                                          columns=pcols)).drop(columns="geometry", errors="ignore")
        if len(patrols):
            patrols = _patrol_groups(store, patrols)
            places = [c for c in ("district_id", "grid_id", "pro_grid_id") if c in have]
            reports = pd.DataFrame(store.read("cases", start=_local_midnight(start), end=end, time_field="reported_at",
                                              columns=["reported_by", "reported_at", *places]))
            out["reports"] = reports.loc[reports["reported_by"].notna(), ["reported_by", "reported_at", *places]]
            out["patrols"] = patrols

    if not {"rework_count", "extended"} <= have and store.has_layer("case_history"):
        hist = store.read("case_history", columns=["case_id", "action"], where={"action": ["rework", "extend"]})
        out["history"] = pd.DataFrame(hist).drop(columns="geometry", errors="ignore")

    col = BY_COLUMNS.get(by, by) if by else None
    layer = {"grid_id": "grids", "district_id": "districts", "pro_grid_id": "pro_grids"}.get(col)
    if layer and store.has_layer(layer):
        out["groups"] = store.read(layer, columns=[col])[col].dropna().astype(str).tolist()
    return out


def _patrol_groups(store, patrols: pd.DataFrame) -> pd.DataFrame:
    """Give patrols the grid / district of their inspector when they lack them
    (staff.grid_id; the district from the grids layer, else staff.district_id)."""
    patrols = patrols.copy()
    if store.has_layer("staff") and ("grid_id" not in patrols or "district_id" not in patrols):
        scols = [c for c in ("staff_id", "grid_id", "district_id", "pro_grid_id") if c in store.columns("staff")]
        staff = pd.DataFrame(store.read("staff", columns=scols)).drop_duplicates("staff_id").set_index("staff_id")
        for c in scols[1:]:
            if c not in patrols:
                patrols[c] = patrols["staff_id"].map(staff[c])
    if "grid_id" in patrols and store.has_layer("grids") and "district_id" in store.columns("grids"):
        grids = store.read("grids", columns=["grid_id", "district_id"])
        by_grid = pd.Series(grids["district_id"].to_numpy(), index=grids["grid_id"].astype(str))
        from_grid = patrols["grid_id"].astype("string").map(by_grid)
        patrols["district_id"] = from_grid.fillna(patrols["district_id"]) if "district_id" in patrols else from_grid
    return patrols


def kpi_command(store, start=None, end=None, as_of=None, by: str | None = None, *, now=None,
                risk_hours: float = 24.0, scope=None) -> dict:
    """The KPI object of contract.md for ``[start, end)`` at ``as_of``, as JSON-able data.

    Parameters
    ----------
    store : geodata.store.Store
    start, end : date / time / text, optional
        The period; naive values are in the configured zone (Asia/Shanghai).
    as_of : time-like, optional
        Default ``min(end, now)``.
    by : None, "district", "grid", "h3" or "pro_grid"
        ``None``: one object; else ``{"by", "period", "groups": {id: object}}`` with
        records outside every unit under ``"unassigned"``.
    scope : access.scope.Scope, optional
        Only what it admits (see above); default the whole town.

    Raises
    ------
    ValueError
        An unknown ``by`` or an empty period, said in one sentence.
    """
    if by not in BY_CHOICES:
        raise ValueError(f"--by must be one of district, grid, h3, pro_grid, not {by!r}")
    inputs = read_kpi_inputs(store, start, end, by, scope=scope)
    return compute_kpis(inputs["cases"], inputs["patrols"], start=start, end=end, as_of=as_of, by=by,
                        reports=inputs["reports"], history=inputs["history"], groups=inputs["groups"],
                        risk_hours=risk_hours, now=now)


#: Length of one period of each surge frequency, for the baseline window to read.
_PERIOD = {"D": pd.Timedelta(days=1), "W": pd.Timedelta(weeks=1), "M": pd.Timedelta(days=31)}


def warnings_command(store, start=None, end=None, *, freq: str = "D", hotspots: bool = True,
                     now=None, scope=None) -> pd.DataFrame:
    """Early-warning records for the periods starting in ``[start, end)``.

    Surges are tested on accepted cases (``registered_at`` set): an inspector's
    on-the-spot fixes are not news and would make a change of reporting practice
    look like a surge. The cases of the baseline before ``start`` are read too.
    Hot spots are accepted cases reported in ``[start, end)``. Default period: the last
    full period before ``now``. A ``scope`` tests only the cases it admits (the wall's
    warnings of a limited reader do the same).
    """
    from indicators.early_warning import hotspot_warnings, surge_warnings
    from indicators.surge import BASELINE
    if freq not in _PERIOD:
        raise ValueError(f"--freq must be D, W or M, not {freq!r}")
    tz = config.timezone()
    now = pd.Timestamp.now(tz=tz) if now is None else pd.Timestamp(now)
    end = _local_midnight(end) or _local_midnight(now.tz_convert(tz).date())
    start = _local_midnight(start) or end - _PERIOD[freq]
    if start >= end:
        raise ValueError("the period is empty: --from must be before --to")
    first = start - _PERIOD[freq] * (BASELINE[freq] + 1)
    cols = [c for c in ("case_id", "reported_at", "registered_at", "category", "grid_id", "h3", "district_id",
                        "pro_grid_id") if c in store.columns("cases")]
    if "grid_id" not in cols:
        raise ValueError("cases have no grid_id yet; run `townbrain assign` first")
    cases = store.read("cases", start=first, end=end, columns=cols, geometry=False)
    if scope is not None and not scope.town:
        from access.scope import scope_mask
        cases = cases[scope_mask(cases, scope)]
    accepted = cases[cases["registered_at"].notna()]
    names = None
    if store.has_layer("categories"):
        cats = store.read("categories", columns=["code", "name"])
        names = dict(zip(cats["code"], cats["name"]))
    parts = [surge_warnings(accepted, freq=freq, start=start, end=end, names=names)]
    if hotspots and "h3" in cols:
        parts.append(hotspot_warnings(accepted, start=start, end=end, names=names))
    found = [p for p in parts if len(p)]
    return pd.concat(found, ignore_index=True) if found else parts[0]
