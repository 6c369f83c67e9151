"""Where disposed cases were resolved: grid / village / town / district.

brief.md: "small matters stay in the grid, big matters stay in the village, hard
matters stay in the town (小事不出格、大事不出村、难事不出镇) — so where a case was
resolved … is itself a KPI."

>>> from indicators.examples import tiny_cases, PERIOD
>>> resolved_level(tiny_cases(), **PERIOD)
{'grid': 1, 'village': 1, 'town': 0, 'district': 0}
"""
import numpy as np
import pandas as pd

from indicators.registry import indicator

LEVELS = ("grid", "village", "town", "district")


@indicator("resolved_level", formula="count(disposed) by resolved_level ∈ {grid, village, town, district}",
           unit="cases", zh="解决层级", en="Resolved at level", parts=LEVELS,
           source="contract.md KPI: resolved_level — counts of disposed cases by level")
def resolved_level(v):
    """Disposed cases counted by the level that resolved them (a disposed case
    without a level is in none of the four)."""
    out = np.zeros((v.n_groups, len(LEVELS)), dtype=np.int64)
    if not v.has("resolved_level"):
        return out
    lvl = pd.Categorical(v.cases["resolved_level"], categories=LEVELS).codes
    m = v.disposed & (lvl >= 0)
    flat = np.bincount(v.codes[m] * len(LEVELS) + lvl[m], minlength=v.n_groups * len(LEVELS))
    return flat.reshape(v.n_groups, len(LEVELS))
