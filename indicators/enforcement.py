"""Enforcement conversions (转执法数); brief.md 2018: "261 patrol leads went into formal
law enforcement".

>>> from indicators.examples import tiny_cases, PERIOD
>>> enforcement(tiny_cases(), **PERIOD)
1
"""
from indicators.registry import indicator


@indicator("enforcement", formula="count(accepted ∧ enforcement)", unit="cases", zh="转执法数",
           en="Into law enforcement",
           source="contract.md KPI: enforcement — accepted cases with enforcement true")
def enforcement(v):
    """Accepted cases that went into formal law enforcement (missing flag = no)."""
    if not v.has("enforcement"):
        return v.count(v.accepted & False)
    return v.count(v.accepted & v.flag("enforcement"))
