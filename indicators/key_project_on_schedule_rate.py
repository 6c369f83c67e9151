"""Key projects on schedule (重点项目按进度推进率).

brief.md, module 4 (government leadership): "key projects 'on one map' (一图解析)".
A project under way or finished is on schedule when its reported progress has
reached what its schedule asks for by the same date.

>>> import pandas as pd
>>> p = pd.DataFrame({"status": ["in_progress", "in_progress", "completed", "planned"],
...                   "planned_progress": [50.0, 40.0, 100.0, 0.0], "actual_progress": [55.0, 30.0, 100.0, 0.0]})
>>> key_project_on_schedule_rate(p)
0.6666666666666666
"""
from __future__ import annotations

import pandas as pd

from indicators.records import group_column, share
from indicators.registry import indicator

#: Statuses of a project whose progress is measured (a planned one has not begun).
UNDER_WAY = ("in_progress", "suspended", "completed")


@indicator("key_project_on_schedule_rate",
           formula="projects under way or completed with actual_progress ≥ planned_progress / "
                   "projects under way or completed",
           unit="rate", zh="重点项目按期推进率", en="Key projects on schedule", kind="table", rate=True,
           higher_is_better=True, needs=("key_projects",),
           source="brief.md module 4: key projects 'on one map' (一图解析)")
def key_project_on_schedule_rate(projects: pd.DataFrame, by: str | None = None):
    """Share of the key projects under way (or completed, or suspended) whose actual
    progress is at least their planned progress; ``None`` when none is under way."""
    den = projects["status"].isin(UNDER_WAY)
    num = projects["actual_progress"] >= projects["planned_progress"]
    return share(num, den, group_column(projects, by))
