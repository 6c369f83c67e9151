"""Disposal rate (处置率); brief.md 2018: 36,205 / 36,715 = 98.6 %.

>>> from indicators.examples import tiny_cases, PERIOD
>>> round(disposal_rate(tiny_cases(), **PERIOD), 4)
0.6667
"""
from indicators.registry import indicator, ratio


@indicator("disposal_rate", formula="disposed / accepted", unit="ratio", zh="处置率", en="Disposal rate",
           rate=True, higher_is_better=True,
           source="contract.md KPI: disposal_rate = disposed / accepted",
           target=0.986, target_source="brief.md, 2018 results: disposal rate 98.6% (the reference town)")
def disposal_rate(v):
    """Share of accepted cases disposed by ``as_of``; ``None`` when nothing was accepted."""
    return ratio(v.value("disposed"), v.value("accepted"))
