"""TownBrain indicators: pure functions, DataFrame in, number or Series out.

One indicator per file, listed in :mod:`indicators.registry`; each computes for the
whole town, per district, per grid or per H3 cell (``by=``) for any period.

>>> from indicators import compute_kpis, REGISTRY
>>> from indicators.examples import tiny_cases, PERIOD
>>> compute_kpis(tiny_cases(), **PERIOD)["disposal_rate"]
0.6666666666666666
>>> "closure_rate" in REGISTRY
True
"""
from indicators.registry import REGISTRY, Indicator, get, indicator, load_all

load_all()

from indicators.kpis import CONTRACT_KEYS, compute_all, compute_kpis  # noqa: E402
from indicators.view import CaseView  # noqa: E402

__all__ = ["REGISTRY", "Indicator", "get", "indicator", "load_all", "compute_kpis", "compute_all",
           "CONTRACT_KEYS", "CaseView"]
