"""Closed cases among those due (结案数).

>>> from indicators.examples import tiny_cases, PERIOD
>>> closed(tiny_cases(), **PERIOD)
2
"""
from indicators.registry import indicator


@indicator("closed", formula="count(due ∧ closed_at < as_of)", unit="cases", zh="结案数", en="Closed",
           source="contract.md KPI: closed — due cases closed before as_of")
def closed(v):
    """Due cases closed before ``as_of``, on time or late."""
    return v.count(v.closed)
