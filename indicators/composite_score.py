"""The composite score (综合评分, 0–100) and the ranking of grids and districts.

Weights and their reading: :mod:`indicators.weights`.

>>> from indicators.examples import tiny_cases, PERIOD
>>> round(composite_score(tiny_cases(), **PERIOD), 2)
52.94
>>> r = composite_ranking(tiny_cases(), **PERIOD, by="grid")
>>> r["score"].round(2).to_dict(), r["rank"].to_dict()
({'G1': 76.47, 'G2': 0.0}, {'G1': 1, 'G2': 2})
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from indicators import weights as W
from indicators.registry import REGISTRY, indicator, ratio


@indicator("composite_score", formula="100 × Σ wᵢ·sᵢ / Σ wᵢ over present indicators; "
           "sᵢ = rate, or 1 − rate when lower is better (weights: indicators/weights.py)",
           unit="points", zh="综合评分", en="Composite score", higher_is_better=True,
           source="brief.md: 'a composite score ranks grids and departments'")
def composite_score(v):
    """Weighted score of the timeliness and quality rates, 0 (worst) to 100 (best);
    ``None`` for a group with fewer than ``weights.MIN_ACCEPTED`` accepted cases."""
    total = np.zeros(v.n_groups)
    wsum = np.zeros(v.n_groups)
    for name, w in W.WEIGHTS.items():
        x = np.asarray(v.value(name), dtype=float)
        if REGISTRY[name].higher_is_better is False:
            x = 1.0 - x
        ok = ~np.isnan(x)
        total += np.where(ok, w * x, 0.0)
        wsum += np.where(ok, w, 0.0)
    score = 100.0 * ratio(total, wsum)
    score[v.value("accepted") < W.MIN_ACCEPTED] = np.nan
    return score


def composite_ranking(cases: pd.DataFrame, *, by: str = "grid", **kw) -> pd.DataFrame:
    """Score, rank (1 = best; ties share the better rank) and the weighted components
    per group. ``kw`` as for any indicator (``start``, ``end``, ``as_of``, ``patrols`` …)."""
    from indicators.view import CaseView
    v = CaseView(cases, by=by, **kw)
    out = pd.DataFrame({n: v.output(n, v.value(n)) for n in W.WEIGHTS})
    out["score"] = v.output("composite_score", v.value("composite_score"))
    out["rank"] = out["score"].astype("float64").rank(ascending=False, method="min").astype("Int64")
    return out
