"""Average time to complete an approval, in days (平均办理时长).

brief.md, module 6: approvals and how fast they are done ("enterprise registration in
1 day"). The mean of completed_at − submitted_at over the applications completed in
the period, in days.

>>> import pandas as pd
>>> t = pd.to_datetime(["2026-03-01 09:00"] * 3).tz_localize("Asia/Shanghai")
>>> a = pd.DataFrame({"submitted_at": t, "completed_at": [t[0] + pd.Timedelta(hours=12),
...                   t[1] + pd.Timedelta(days=2.5), pd.NaT]})
>>> approval_avg_days(a)
1.5
"""
from __future__ import annotations

import pandas as pd

from indicators.records import group_column, in_period
from indicators.registry import indicator, to_python


@indicator("approval_avg_days", formula="mean(completed_at − submitted_at) in days of approvals completed "
                                        "in the period",
           unit="days", zh="平均办理时长", en="Average days to approve", kind="table", higher_is_better=False,
           needs=("approvals",), source="brief.md module 6: approvals, 'enterprise registration in 1 day'")
def approval_avg_days(approvals: pd.DataFrame, start=None, end=None, by: str | None = None):
    """Mean days from submission to completion of the applications completed in
    [start, end); ``None`` when none was completed."""
    done = in_period(approvals["completed_at"], start, end)
    days = ((approvals["completed_at"] - approvals["submitted_at"]).dt.total_seconds() / 86400)[done]
    groups = group_column(approvals, by)
    if groups is None:
        return to_python(days.mean()) if len(days) else None
    return days.groupby(groups[done].to_numpy()).mean().astype("Float64").rename_axis(groups.name)
