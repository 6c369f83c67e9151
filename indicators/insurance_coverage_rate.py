"""Medical insurance coverage (医保参保率).

brief.md, module 2 (livelihood services): "population, elderly, medical insurance".
Residents insured in either scheme (employees' 职工医保 or residents' 城乡居民医保)
over residents who should be insured, in one year (default: the latest).

>>> import pandas as pd
>>> m = pd.DataFrame({"grid_id": ["G1", "G2", "G1"], "year": [2026, 2026, 2025], "eligible": [100, 300, 100],
...                   "insured_employee": [30, 100, 30], "insured_resident": [68, 182, 60]})
>>> insurance_coverage_rate(m)
0.95
>>> insurance_coverage_rate(m, year=2025)
0.9
"""
from __future__ import annotations

import pandas as pd

from indicators.records import group_column, ratio_of_sums
from indicators.registry import indicator


@indicator("insurance_coverage_rate", formula="sum(insured_employee + insured_resident) / sum(eligible), "
                                              "one year",
           unit="rate", zh="医保参保率", en="Medical insurance coverage", kind="table", rate=True,
           higher_is_better=True, needs=("medical_insurance",),
           source="brief.md module 2: livelihood services — medical insurance")
def insurance_coverage_rate(records: pd.DataFrame, year: int | None = None, by: str | None = None):
    """Coverage in ``year`` (default: the latest year present); ``None`` without records."""
    if len(records) == 0:
        return None
    year = int(records["year"].max()) if year is None else int(year)
    r = records[records["year"] == year]
    insured = r["insured_employee"].fillna(0) + r["insured_resident"].fillna(0)
    return ratio_of_sums(insured, r["eligible"].fillna(0), group_column(r, by))
