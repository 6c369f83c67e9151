"""Inspector share of accepted cases (巡查发现占比); brief.md 2018: 88.04 %.

>>> from indicators.examples import tiny_cases, PERIOD
>>> round(inspector_share(tiny_cases(), **PERIOD), 4)
0.6667
"""
from indicators.registry import indicator, ratio


@indicator("inspector_share", formula="inspector_reported / accepted", unit="ratio",
           zh="巡查发现占比", en="Inspector share", rate=True, higher_is_better=True,
           source="contract.md KPI: inspector_share = inspector_reported / accepted",
           target=0.8804, target_source="brief.md, 2018 results: 32,327 reported by inspectors — 88.04%")
def inspector_share(v):
    """Share of accepted cases that inspectors reported; ``None`` when nothing was accepted."""
    return ratio(v.value("inspector_reported"), v.value("accepted"))
