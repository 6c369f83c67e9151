"""On-time closure rate (按期结案率) = closed on time / due-to-close (brief.md).

>>> from indicators.examples import tiny_cases, PERIOD
>>> round(ontime_closure_rate(tiny_cases(), **PERIOD), 4)
0.3333
"""
from indicators.registry import indicator, ratio


@indicator("ontime_closure_rate", formula="closed_on_time / due", unit="ratio", zh="按期结案率",
           en="On-time closure rate", rate=True, higher_is_better=True,
           source="brief.md: on-time closure rate 按期结案率 = closed on time / due-to-close")
def ontime_closure_rate(v):
    """Share of due cases closed by their deadline; ``None`` when nothing is due."""
    return ratio(v.value("closed_on_time"), v.value("due"))
