"""Cases due to close (应结案数).

>>> from indicators.examples import tiny_cases, PERIOD
>>> due(tiny_cases(), **PERIOD)
3
>>> due(tiny_cases(), **PERIOD, as_of="2018-01-04 12:00")
1
"""
from indicators.registry import indicator


@indicator("due", formula="count(accepted ∧ deadline < as_of)", unit="cases", zh="应结案数", en="Due",
           source="contract.md KPI: due (应结案数) — accepted cases with a deadline before as_of")
def due(v):
    """Accepted cases whose deadline passed before ``as_of`` (no deadline = never due)."""
    return v.count(v.due)
