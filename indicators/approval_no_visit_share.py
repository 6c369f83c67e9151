"""Applications handled without a visit (不见面办理率).

brief.md, module 6: "395 service items, 313 without a visit, 91 'at most one trip'".
Of the applications submitted in the period, the share for which the applicant
made no trip (online or through a self-service kiosk at home's door: ``visits`` = 0).

>>> import pandas as pd
>>> a = pd.DataFrame({"submitted_at": pd.to_datetime(["2026-03-01"] * 4).tz_localize("Asia/Shanghai"),
...                   "visits": [0, 0, 1, 2]})
>>> approval_no_visit_share(a)
0.5
"""
from __future__ import annotations

import pandas as pd

from indicators.records import group_column, in_period, share
from indicators.registry import indicator


@indicator("approval_no_visit_share", formula="approvals submitted in the period with visits = 0 / "
                                              "approvals submitted in the period (with visits known)",
           unit="rate", zh="不见面办理率", en="Handled without a visit", kind="table", rate=True,
           higher_is_better=True, needs=("approvals",),
           source="brief.md module 6: '395 service items, 313 without a visit'")
def approval_no_visit_share(approvals: pd.DataFrame, start=None, end=None, by: str | None = None):
    """Share of the applications submitted in [start, end) made without a trip."""
    den = in_period(approvals["submitted_at"], start, end) & approvals["visits"].notna()
    return share(approvals["visits"] == 0, den, group_column(approvals, by))
