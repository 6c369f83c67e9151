"""Extension rate (延期率): accepted cases whose deadline was extended.

The marker is the ``extended`` column (the demo and :mod:`geodata.workflow` set it),
else an ``extend`` action in ``case_history``; with neither the rate is ``None``.

>>> from indicators.examples import tiny_cases, PERIOD
>>> round(extension_rate(tiny_cases(), **PERIOD), 4)
0.3333
"""
from indicators.registry import indicator


@indicator("extension_rate", formula="count(accepted ∧ extended) / accepted", unit="ratio",
           zh="延期率", en="Extension rate", rate=True, higher_is_better=False,
           source="brief.md: 'Standard KPIs: … rework rate, extension rate'")
def extension_rate(v):
    """Share of accepted cases granted a deadline extension (延期).

    ``None`` when nothing was accepted or no extension marker exists.
    """
    return v.share_of(v.marker("extended", "extend"), "accepted")
