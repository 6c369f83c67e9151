"""Share of negative public-opinion items (负面舆情占比).

brief.md, module 3: "public-opinion monitoring (舆情)". Of the items published in the
period, the share whose sentiment is negative.

>>> import pandas as pd
>>> o = pd.DataFrame({"published_at": pd.to_datetime(["2026-03-01"] * 4).tz_localize("Asia/Shanghai"),
...                   "sentiment": ["negative", "neutral", "positive", "neutral"]})
>>> opinion_negative_share(o)
0.25
"""
from __future__ import annotations

import pandas as pd

from indicators.records import group_column, in_period, share
from indicators.registry import indicator


@indicator("opinion_negative_share", formula="negative items published in the period / "
                                             "items published in the period",
           unit="rate", zh="负面舆情占比", en="Negative posts", kind="table", rate=True,
           higher_is_better=False, needs=("opinion_items",),
           source="brief.md module 3: public-opinion monitoring (舆情)")
def opinion_negative_share(items: pd.DataFrame, start=None, end=None, by: str | None = None):
    """Negative items over all items published in [start, end)."""
    den = in_period(items["published_at"], start, end)
    return share(items["sentiment"] == "negative", den, group_column(items, by))
