"""Applications per place of the coming intake (招生报名与学位比).

brief.md, "What the platforms do with the data": "5,537 school applications in one
month, far above the places available — and the bureau added places in time". Above
1, a school (or level) has more applicants than places: a warning to act on.

>>> import pandas as pd
>>> s = pd.DataFrame({"level": ["primary", "primary", "kindergarten"], "applications": [300, 150, 90],
...                   "intake_places": [200, 200, 100]})
>>> school_application_ratio(s)
1.08
>>> school_application_ratio(s, by="level").to_dict()
{'kindergarten': 0.9, 'primary': 1.125}
"""
from __future__ import annotations

import pandas as pd

from indicators.records import group_column, ratio_of_sums
from indicators.registry import indicator


@indicator("school_application_ratio", formula="sum(applications) / sum(intake_places)", unit="ratio",
           zh="招生报名与学位比", en="Applications per place", kind="table", rate=True, higher_is_better=False,
           needs=("schools",),
           source="brief.md: '5,537 school applications in one month, far above the places available'")
def school_application_ratio(schools: pd.DataFrame, by: str | None = None):
    """Applications over intake places (per school with ``by="school_id"``, per level …)."""
    return ratio_of_sums(schools["applications"].fillna(0), schools["intake_places"].fillna(0),
                         group_column(schools, by))
