"""Cases reported by inspectors (巡查上报数); brief.md 2018: 32,327.

>>> from indicators.examples import tiny_cases, PERIOD
>>> inspector_reported(tiny_cases(), **PERIOD)
2
"""
from indicators.registry import indicator


@indicator("inspector_reported", formula="count(accepted ∧ source = 'inspector')", unit="cases",
           zh="巡查上报数", en="Reported by inspectors",
           source="contract.md KPI: inspector_reported — accepted cases with source inspector")
def inspector_reported(v):
    """Accepted cases whose ``source`` is ``inspector``."""
    if not v.has("source"):
        return v.count(v.accepted & False)
    return v.count(v.accepted & v.equals("source", "inspector"))
