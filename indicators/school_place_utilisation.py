"""School places in use (学位使用率).

brief.md, module 2 (livelihood services): "schools"; early warning: "5,537 school
applications in one month, far above the places available". Pupils enrolled over
approved places, summed over the schools.

>>> import pandas as pd
>>> school_place_utilisation(pd.DataFrame({"places": [300, 1000], "enrolled": [270, 1010]}))
0.9846153846153847
"""
from __future__ import annotations

import pandas as pd

from indicators.records import group_column, ratio_of_sums
from indicators.registry import indicator


@indicator("school_place_utilisation", formula="sum(enrolled) / sum(places)", unit="rate", zh="学位使用率",
           en="School places in use", kind="table", rate=True, needs=("schools",),
           source="brief.md module 2: schools; early warning on school applications")
def school_place_utilisation(schools: pd.DataFrame, by: str | None = None):
    """Enrolled pupils over approved places (per level with ``by="level"``)."""
    return ratio_of_sums(schools["enrolled"].fillna(0), schools["places"].fillna(0), group_column(schools, by))
