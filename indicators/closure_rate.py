"""Closure rate (结案率) = closed / due-to-close (brief.md, "Standard KPIs").

>>> from indicators.examples import tiny_cases, PERIOD
>>> round(closure_rate(tiny_cases(), **PERIOD), 4)
0.6667
>>> print(closure_rate(tiny_cases(), **PERIOD, as_of="2018-01-03"))
None
"""
from indicators.registry import indicator, ratio


@indicator("closure_rate", formula="closed / due", unit="ratio", zh="结案率", en="Closure rate",
           rate=True, higher_is_better=True,
           source="brief.md: closure rate 结案率 = closed / due-to-close; contract.md closure_rate")
def closure_rate(v):
    """Share of due cases that are closed; ``None`` when nothing is due."""
    return ratio(v.value("closed"), v.value("due"))
