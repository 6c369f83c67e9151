"""The one place indicators are listed.

An indicator is a small declaration: a name, a formula in words, a unit, labels
in Chinese and English, and a kernel. Period indicators on cases (``kind="case"``)
have a kernel ``f(view) -> ndarray`` over a :class:`~indicators.view.CaseView` — one
value per group, so the same code serves the whole town, a district, a grid or an
H3 cell. Indicators of the standing organisation (``kind="table"``, e.g.
professional-grid caps) are plain ``DataFrame in → DataFrame out`` functions.

The registered object is callable like the pure function an analyst expects::

    accepted(cases, start="2018-01-01", end="2019-01-01")            # a number
    accepted(cases, start="2018-01-01", end="2019-01-01", by="grid")  # a Series

Adding an indicator touches one file (``indicators/<name>.py``) plus its test;
:data:`INDICATOR_MODULES` below names the files, in display order
(conventions.md: "A small unit of extension, listed in one place").

Examples
--------
>>> from indicators.registry import REGISTRY, load_all
>>> _ = load_all()
>>> REGISTRY["closure_rate"].formula
'closed / due'
>>> REGISTRY["closure_rate"].zh
'结案率'
>>> REGISTRY["disposal_rate"].target
0.986
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

__all__ = ["Indicator", "indicator", "REGISTRY", "INDICATOR_MODULES", "load_all", "get"]

#: The indicator files, one indicator each, in the order panels list them.
INDICATOR_MODULES = (
    "accepted", "disposed", "disposal_rate", "inspector_reported", "inspector_share",
    "enforcement", "due", "closed", "closure_rate", "closed_on_time", "ontime_closure_rate",
    "open_overdue", "at_risk", "rework_rate", "extension_rate", "resolved_level",
    "rule_3510", "composite_score", "pro_grid_enterprises", "pro_grid_staffing",
    # the modules' own layers (layers/modules.py; arithmetic in indicators/records.py)
    "key_project_on_schedule_rate", "task_ontime_rate", "camera_online_rate", "approval_ontime_rate",
    "approval_avg_days", "approval_no_visit_share", "opinion_handled_rate", "opinion_negative_share",
    "parking_occupancy", "insurance_coverage_rate", "school_place_utilisation", "school_application_ratio",
)

REGISTRY: dict[str, "Indicator"] = {}


@dataclass(frozen=True)
class Indicator:
    """A registered indicator. Call it like a function (see the module docstring)."""

    name: str
    func: Callable
    formula: str
    unit: str
    zh: str
    en: str
    kind: str = "case"            #: ``case`` (kernel over a CaseView) or ``table``
    rate: bool = False            #: a ratio: ``None`` on a zero denominator
    higher_is_better: bool | None = None
    parts: tuple[str, ...] = ()   #: for a split (resolved_level): the part names
    source: str = ""              #: the line of contract.md / brief.md / a standard behind it
    needs: tuple[str, ...] = ("cases",)
    params: dict = field(default_factory=dict)
    #: the value the town aims at, where brief.md gives one (the wall shows "目标 ≥ …");
    #: reached when the value is ≥ it (``higher_is_better``) or ≤ it (otherwise)
    target: float | None = None
    target_source: str = ""       #: the brief.md line the target comes from

    def kernel(self, view) -> np.ndarray:
        """Values per group of ``view`` (``case`` indicators only)."""
        return view.value(self.name)

    def __call__(self, data, *args, start=None, end=None, as_of=None, by=None, **kw):
        """Compute on ``data``: a cases DataFrame (``case`` kind) or the table's inputs.

        For a ``case`` indicator, returns a number (``by=None``) or a Series indexed
        by group; a rate with a zero denominator is ``None`` / ``<NA>``.
        """
        if self.kind != "case":
            # a table indicator takes the period and grouping it declares (records.py ones do)
            given = {k: v for k, v in (("start", start), ("end", end), ("as_of", as_of), ("by", by))
                     if v is not None}
            return self.func(data, *args, **given, **kw)
        from indicators.view import CaseView
        view = data if isinstance(data, CaseView) else CaseView(
            data, start=start, end=end, as_of=as_of, by=by, **kw)
        return view.output(self.name, view.value(self.name))


def indicator(name: str, *, formula: str, unit: str, zh: str, en: str, kind: str = "case",
              rate: bool = False, higher_is_better: bool | None = None, parts: tuple[str, ...] = (),
              source: str = "", needs: tuple[str, ...] = ("cases",), target: float | None = None,
              target_source: str = "", **params) -> Callable:
    """Register the decorated kernel as indicator ``name`` and return the
    :class:`Indicator` (which is callable).

    Raises ``ValueError`` when the name is taken, the kernel has no docstring, or a
    ``target`` comes without its ``target_source`` or on an indicator with no direction.
    """
    if target is not None and (not target_source or higher_is_better is None):
        raise ValueError(f"indicator {name!r}: a target needs target_source and higher_is_better")
    def wrap(func: Callable) -> Indicator:
        if name in REGISTRY:
            raise ValueError(f"indicator {name!r} is registered twice")
        if not (func.__doc__ or "").strip():
            raise ValueError(f"indicator {name!r} needs a docstring")
        ind = Indicator(name=name, func=func, formula=formula, unit=unit, zh=zh, en=en, kind=kind,
                        rate=rate, higher_is_better=higher_is_better, parts=tuple(parts),
                        source=source, needs=tuple(needs), params=dict(params), target=target,
                        target_source=target_source)
        # The kernel's docstring is the indicator's documentation (help(), the registry test).
        object.__setattr__(ind, "__doc__", func.__doc__)
        REGISTRY[name] = ind
        return ind
    return wrap


def load_all() -> dict[str, Indicator]:
    """Import every file of :data:`INDICATOR_MODULES` (registering them) and return
    the registry in that order."""
    for mod in INDICATOR_MODULES:
        importlib.import_module(f"indicators.{mod}")
    return {n: REGISTRY[n] for n in INDICATOR_MODULES if n in REGISTRY} | REGISTRY


def get(name: str) -> Indicator:
    """The indicator ``name``, or a clear ``KeyError``."""
    load_all()
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown indicator {name!r}; known: {', '.join(REGISTRY)}") from None


def case_indicators() -> list[Indicator]:
    """The period indicators over cases, in display order."""
    return [i for i in load_all().values() if i.kind == "case"]


def as_float(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` elementwise; NaN where ``den`` is 0 (contract: "A rate with a
    zero denominator is null, not 0 and not an error")."""
    num, den = as_float(num), as_float(den)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


def to_python(v):
    """A JSON-able scalar: NaN / NA → None, numpy ints → int."""
    if v is None or v is pd.NA:
        return None
    if isinstance(v, (float, np.floating)):
        return None if np.isnan(v) else float(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    return v
