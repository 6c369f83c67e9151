"""Rework rate (返工率): disposed cases that failed verification at least once.

GB/T 30428 workflow (brief.md, "How a case flows"): "A case that fails verification
goes back for rework (返工)". The marker is the ``rework_count`` column (the demo and
:mod:`geodata.workflow` keep it), else a ``rework`` action in ``case_history``;
with neither the rate is ``None`` (no data, not 0).

>>> from indicators.examples import tiny_cases, PERIOD
>>> rework_rate(tiny_cases(), **PERIOD)
0.5
>>> print(rework_rate(tiny_cases().drop(columns="rework_count"), **PERIOD))
None
"""
from indicators.registry import indicator


@indicator("rework_rate", formula="count(disposed ∧ rework_count > 0) / disposed", unit="ratio",
           zh="返工率", en="Rework rate", rate=True, higher_is_better=False,
           source="brief.md: 'Standard KPIs: … rework rate'; GB/T 30428 verification → rework")
def rework_rate(v):
    """Share of disposed cases that were sent back for rework before closing.

    Denominator: disposed cases (they have been through verification), so the rate
    stays in [0, 1]. ``None`` when nothing was disposed or no rework marker exists.
    """
    return v.share_of(v.marker("rework_count", "rework"), "disposed")
