"""Disposed cases (办结数 / 处置数).

>>> from indicators.examples import tiny_cases, PERIOD
>>> disposed(tiny_cases(), **PERIOD)
2
"""
from indicators.registry import indicator


@indicator("disposed", formula="count(accepted ∧ closed_at < as_of)", unit="cases", zh="处置数",
           en="Disposed", source="contract.md KPI: disposed — accepted cases with closed_at before as_of")
def disposed(v):
    """Accepted cases closed before ``as_of``."""
    return v.count(v.disposed)
