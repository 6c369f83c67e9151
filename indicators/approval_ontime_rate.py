"""Approvals completed within their promised limit (按期办结率).

brief.md, module 6 (social administrative management): approvals — "395 service
items … enterprise registration in 1 day". Of the applications completed (办结) in
the period, the share completed by their promised deadline.

>>> import pandas as pd
>>> t = pd.to_datetime(["2026-03-01 09:00"] * 3).tz_localize("Asia/Shanghai")
>>> a = pd.DataFrame({"submitted_at": t, "deadline": t + pd.Timedelta(days=1),
...                   "completed_at": [t[0] + pd.Timedelta(hours=3), t[1] + pd.Timedelta(days=2), pd.NaT]})
>>> approval_ontime_rate(a)
0.5
"""
from __future__ import annotations

import pandas as pd

from indicators.records import group_column, in_period, share
from indicators.registry import indicator


@indicator("approval_ontime_rate", formula="approvals completed in the period by their deadline / "
                                           "approvals completed in the period",
           unit="rate", zh="审批按期办结率", en="Approvals on time", kind="table", rate=True,
           higher_is_better=True, needs=("approvals",),
           source="brief.md module 6: approvals, 'enterprise registration in 1 day'")
def approval_ontime_rate(approvals: pd.DataFrame, start=None, end=None, by: str | None = None):
    """Applications completed in [start, end) with completed_at ≤ deadline, over all
    completed in [start, end)."""
    done = in_period(approvals["completed_at"], start, end)
    return share(approvals["completed_at"] <= approvals["deadline"], done, group_column(approvals, by))
