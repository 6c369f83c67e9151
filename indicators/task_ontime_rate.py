"""Tasks completed on time (督办任务按期办结率).

brief.md, module 4: "tasks issued as instructions"; as the on-time closure rate of
cases (contract.md, 按期结案率): of the tasks issued in the period whose deadline
has passed at as_of, the share completed by their deadline.

>>> import pandas as pd
>>> t = pd.to_datetime(["2026-01-05", "2026-01-10", "2026-02-01", "2026-03-01"]).tz_localize("Asia/Shanghai")
>>> tasks = pd.DataFrame({"issued_at": t, "deadline": t + pd.Timedelta(days=7),
...                       "completed_at": [t[0] + pd.Timedelta(days=3), t[1] + pd.Timedelta(days=9), pd.NaT, pd.NaT]})
>>> task_ontime_rate(tasks, start=t[0], end=t[3] + pd.Timedelta(days=1), as_of=pd.Timestamp("2026-02-20", tz="Asia/Shanghai"))
0.3333333333333333
"""
from __future__ import annotations

import pandas as pd

from indicators.records import group_column, in_period, share
from indicators.registry import indicator


@indicator("task_ontime_rate", formula="tasks due (issued in the period, deadline < as_of) completed by "
                                       "their deadline / tasks due",
           unit="rate", zh="督办任务按期办结率", en="Tasks done on time", kind="table", rate=True,
           higher_is_better=True, needs=("tasks",),
           source="brief.md module 4: 'tasks issued as instructions'; contract.md 按期结案率")
def task_ontime_rate(tasks: pd.DataFrame, start=None, end=None, as_of=None, by: str | None = None):
    """Tasks issued in [start, end) and due before ``as_of`` (default: now) that were
    completed by their deadline, over those due."""
    as_of = pd.Timestamp.now(tz="UTC") if as_of is None else pd.Timestamp(as_of)
    due = in_period(tasks["issued_at"], start, end) & (tasks["deadline"] < as_of)
    on_time = tasks["completed_at"].notna() & (tasks["completed_at"] <= tasks["deadline"]) \
        & (tasks["completed_at"] <= as_of)
    return share(on_time, due, group_column(tasks, by))
