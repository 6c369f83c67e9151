"""Negative public-opinion items answered (负面舆情处置率).

brief.md, module 3 (online environment governance): "public-opinion monitoring
(舆情)". Of the negative items published in the period, the share answered
(``handled_at``) by as_of.

>>> import pandas as pd
>>> t = pd.to_datetime(["2026-03-01"] * 4).tz_localize("Asia/Shanghai")
>>> o = pd.DataFrame({"published_at": t, "sentiment": ["negative", "negative", "neutral", "negative"],
...                   "handled_at": [t[0] + pd.Timedelta(hours=2), pd.NaT, pd.NaT, t[3] + pd.Timedelta(days=9)]})
>>> opinion_handled_rate(o, as_of=pd.Timestamp("2026-03-05", tz="Asia/Shanghai"))
0.3333333333333333
"""
from __future__ import annotations

import pandas as pd

from indicators.records import group_column, in_period, share
from indicators.registry import indicator


@indicator("opinion_handled_rate", formula="negative items published in the period with handled_at ≤ as_of / "
                                           "negative items published in the period",
           unit="rate", zh="负面舆情处置率", en="Negative posts answered", kind="table", rate=True,
           higher_is_better=True, needs=("opinion_items",),
           source="brief.md module 3: public-opinion monitoring (舆情)")
def opinion_handled_rate(items: pd.DataFrame, start=None, end=None, as_of=None, by: str | None = None):
    """Negative items of [start, end) answered by ``as_of`` (default: now), over the
    negative items of [start, end)."""
    as_of = pd.Timestamp.now(tz="UTC") if as_of is None else pd.Timestamp(as_of)
    den = in_period(items["published_at"], start, end) & (items["sentiment"] == "negative")
    return share(items["handled_at"] <= as_of, den, group_column(items, by))
