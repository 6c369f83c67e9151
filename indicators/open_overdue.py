"""Open overdue cases (超期未结).

>>> from indicators.examples import tiny_cases, PERIOD
>>> open_overdue(tiny_cases(), **PERIOD)
1
"""
from indicators.registry import indicator


@indicator("open_overdue", formula="count(accepted ∧ ¬(closed_at < as_of) ∧ deadline < as_of)",
           unit="cases", zh="超期未结数", en="Open overdue", higher_is_better=False,
           source="contract.md KPI: open_overdue — accepted cases still open at as_of whose "
                  "deadline is before as_of")
def open_overdue(v):
    """Accepted cases still open at ``as_of`` whose deadline has passed."""
    return v.count(v.open_overdue)
