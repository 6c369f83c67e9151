"""Accepted cases (受理数).

>>> from indicators.examples import tiny_cases, PERIOD
>>> accepted(tiny_cases(), **PERIOD)
3
>>> accepted(tiny_cases(), **PERIOD, by="grid").tolist()
[2, 1]
"""
from indicators.registry import indicator


@indicator("accepted", formula="count(registered_at ∈ [from, to))", unit="cases", zh="受理数",
           en="Accepted", source="contract.md KPI: accepted — cases with registered_at in the period")
def accepted(v):
    """Accepted cases: registered (立案) in the period ``[from, to)``.

    A case without ``registered_at`` was not accepted (contract: "registered_at
    (empty = not accepted)").
    """
    return v.count(v.accepted)
