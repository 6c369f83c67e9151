"""Due cases closed on time (按期结案数).

>>> from indicators.examples import tiny_cases, PERIOD
>>> closed_on_time(tiny_cases(), **PERIOD)
1
"""
from indicators.registry import indicator


@indicator("closed_on_time", formula="count(due ∧ closed_at ≤ deadline)", unit="cases",
           zh="按期结案数", en="Closed on time",
           source="contract.md KPI: closed_on_time — due cases with closed_at ≤ deadline")
def closed_on_time(v):
    """Due cases closed no later than their deadline."""
    return v.count(v.closed_on_time)
