"""Every period indicator at once: the contract's KPI object, and a table per group.

:func:`compute_kpis` gives exactly the keys of contract.md ("KPI definitions") plus
a few more (``at_risk``, ``rework_rate``, ``extension_rate``, ``composite_score``,
``period``); :func:`compute_all` gives one row per group and one column per
registered case indicator, for the screen and for notebooks.

Examples
--------
>>> from indicators.examples import tiny_cases, PERIOD
>>> k = compute_kpis(tiny_cases(), **PERIOD)
>>> k["accepted"], k["disposed"], k["resolved_level"]
(3, 2, {'grid': 1, 'village': 1, 'town': 0, 'district': 0})
>>> print(k["rule_3510_compliance"])
None
>>> sorted(compute_kpis(tiny_cases(), **PERIOD, by="grid")["groups"])
['G1', 'G2']
>>> compute_all(tiny_cases(), **PERIOD, by="grid")[["accepted", "resolved_level_grid"]]
         accepted  resolved_level_grid
grid_id
G1              2                    1
G2              1                    0
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from indicators.registry import case_indicators, to_python
from indicators.view import CaseView

__all__ = ["compute_kpis", "compute_all", "CONTRACT_KEYS", "UNASSIGNED_KEY"]

#: The keys contract.md requires of `townbrain kpi`, in its order.
CONTRACT_KEYS = ("accepted", "disposed", "disposal_rate", "inspector_reported", "inspector_share",
                 "enforcement", "due", "closed", "closure_rate", "closed_on_time", "ontime_closure_rate",
                 "open_overdue", "resolved_level", "rule_3510_compliance")
#: JSON key of the group of records with no district / grid / cell (contract, assign).
UNASSIGNED_KEY = "unassigned"


def _view(cases, patrols, start, end, as_of, by, **kw) -> CaseView:
    return cases if isinstance(cases, CaseView) else CaseView(
        cases, start=start, end=end, as_of=as_of, by=by, patrols=patrols, **kw)


def compute_kpis(cases: pd.DataFrame, patrols: pd.DataFrame | None = None, *, start=None, end=None,
                 as_of=None, by: str | None = None, reports: pd.DataFrame | None = None,
                 history: pd.DataFrame | None = None, groups=None, risk_hours: float = 24.0,
                 now=None) -> dict:
    """The KPIs of ``[start, end)`` at ``as_of`` as a JSON-able dict.

    Parameters
    ----------
    cases : DataFrame
        The cases (at least those registered in the period; more do no harm).
    patrols : DataFrame, optional
        For ``rule_3510_compliance`` (``None`` without patrols).
    start, end, as_of, by, reports, history, groups, risk_hours, now
        As for :class:`indicators.view.CaseView`.

    Returns
    -------
    dict
        With ``by=None`` one object with the contract keys (rates ``None`` on a zero
        denominator) plus ``at_risk``, ``rework_rate``, ``extension_rate``,
        ``composite_score`` and ``period``; with ``by`` given,
        ``{"by": ..., "period": ..., "groups": {label: object}}``.
    """
    v = _view(cases, patrols, start, end, as_of, by, reports=reports, history=history, groups=groups,
              risk_hours=risk_hours, now=now)
    inds = case_indicators()
    values = {i.name: np.asarray(v.value(i.name)) for i in inds}

    def record(g: int) -> dict:
        rec = {}
        for name in CONTRACT_KEYS + tuple(i.name for i in inds if i.name not in CONTRACT_KEYS):
            ind = next(i for i in inds if i.name == name)
            x = values[name][g]
            rec[name] = {p: to_python(y) for p, y in zip(ind.parts, x)} if ind.parts else to_python(x)
        return rec

    if v.by_column is None:
        return {**record(0), "period": v.period()}
    out = {}
    for g, label in enumerate(v.labels):
        out[UNASSIGNED_KEY if label is None else str(label)] = record(g)
    return {"by": by, "period": v.period(), "groups": out}


def compute_all(cases: pd.DataFrame, patrols: pd.DataFrame | None = None, *, start=None, end=None,
                as_of=None, by: str | None = None, **kw) -> pd.DataFrame:
    """One row per group, one column per registered case indicator (a split such as
    ``resolved_level`` becomes ``resolved_level_grid`` …); rates are nullable floats."""
    v = _view(cases, patrols, start, end, as_of, by, **kw)
    cols = {}
    for ind in case_indicators():
        x = np.asarray(v.value(ind.name))
        if ind.parts:
            for j, p in enumerate(ind.parts):
                cols[f"{ind.name}_{p}"] = x[:, j]
        elif x.dtype.kind == "f":
            cols[ind.name] = pd.array(np.where(np.isnan(x), None, x), dtype="Float64")
        else:
            cols[ind.name] = x
    index = pd.Index(v.labels, name=v.by_column or "scope", dtype=object)
    return pd.DataFrame(cols, index=index)
