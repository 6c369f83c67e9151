"""“One grid, two officers” (一格两员) on the professional grids.

brief.md: professional grids are "staffed 'one grid, two officers' (2
law-enforcement officers plus auxiliaries)".

>>> import pandas as pd
>>> staff = pd.DataFrame({"staff_id": ["O1", "O2", "A1", "O3"],
...                       "role": ["officer", "officer", "auxiliary", "officer"],
...                       "pro_grid_id": ["P1", "P1", "P1", "P2"]})
>>> pro_grid_staffing(staff, pro_grids=["P1", "P2"])
             officers  auxiliaries  complies
pro_grid_id
P1                  2            1      True
P2                  1            0     False
"""
from __future__ import annotations

import pandas as pd

from indicators.registry import indicator

#: brief.md: "one grid, two officers".
OFFICERS = 2


@indicator("pro_grid_staffing", formula="count(staff: role = officer) per pro_grid_id ≥ 2",
           unit="officers", zh="一格两员", en="One grid, two officers", kind="table",
           needs=("staff", "pro_grids"),
           source="brief.md: 'one grid, two officers' (2 law-enforcement officers plus auxiliaries)")
def pro_grid_staffing(staff: pd.DataFrame, pro_grids=None, officers: int = OFFICERS,
                      require_auxiliary: bool = False) -> pd.DataFrame:
    """Officers and auxiliaries per professional grid; ``complies`` when it has at least
    ``officers`` law-enforcement officers (and an auxiliary, if ``require_auxiliary``)."""
    s = staff[staff["pro_grid_id"].notna()]
    role = s["role"].astype(str)
    pid = s["pro_grid_id"].astype(str)
    out = pd.DataFrame({"officers": pid[role == "officer"].value_counts(),
                        "auxiliaries": pid[role == "auxiliary"].value_counts()})
    names = set(pid)
    if pro_grids is not None:
        ids = pro_grids["pro_grid_id"] if isinstance(pro_grids, pd.DataFrame) else pd.Series(list(pro_grids))
        names |= set(ids.astype(str))
    out = out.reindex(sorted(names)).fillna(0).astype(int)
    out.index.name = "pro_grid_id"
    out["complies"] = out["officers"] >= officers
    if require_auxiliary:
        out["complies"] &= out["auxiliaries"] >= 1
    return out
