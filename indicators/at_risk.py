"""Open cases at risk of going overdue (临期预警).

>>> from indicators.examples import tiny_cases, PERIOD
>>> at_risk(tiny_cases(), **PERIOD, as_of="2018-01-03 12:00")
1
>>> at_risk(tiny_cases(), **PERIOD, as_of="2018-01-03 12:00", risk_hours=6)
0
"""
from indicators.registry import indicator


@indicator("at_risk", formula="count(accepted ∧ open at as_of ∧ as_of ≤ deadline < as_of + N h)",
           unit="cases", zh="临期案件数", en="At risk", higher_is_better=False,
           source="open overdue and 'at risk' (deadline within N hours); brief.md: "
                  "'see what is overdue now'", risk_hours=24)
def at_risk(v):
    """Accepted cases open at ``as_of`` whose deadline falls within the next N hours
    (``risk_hours``, default 24): what the duty officers must chase before it is late."""
    return v.count(v.at_risk)
