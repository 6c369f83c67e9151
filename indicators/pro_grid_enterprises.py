"""Professional grids' enterprise cap (专业网格企业数上限).

brief.md: "20 professional grids, each covering at most 80 enterprises".

>>> import pandas as pd
>>> ent = pd.DataFrame({"pro_grid_id": ["P1"] * 81 + ["P2"] * 3 + [None]})
>>> pro_grid_enterprises(ent, pro_grids=["P1", "P2", "P3"])
             enterprises  cap  within_cap
pro_grid_id
P1                    81   80       False
P2                     3   80        True
P3                     0   80        True
"""
from __future__ import annotations

import pandas as pd

from indicators.registry import indicator

#: brief.md: "each covering at most 80 enterprises".
CAP = 80


@indicator("pro_grid_enterprises", formula="count(enterprises) per pro_grid_id ≤ 80", unit="enterprises",
           zh="专业网格企业数", en="Enterprises per professional grid", kind="table",
           needs=("enterprises", "pro_grids"),
           source="brief.md: professional grids 'each covering at most 80 enterprises'")
def pro_grid_enterprises(enterprises: pd.DataFrame, pro_grids=None, cap: int = CAP) -> pd.DataFrame:
    """Enterprises per professional grid and whether it keeps the cap.

    ``enterprises`` carries ``pro_grid_id`` (written by ``townbrain assign``);
    ``pro_grids``: the ids to list (a frame with ``pro_grid_id`` or a list), so a
    grid without enterprises shows 0. Enterprises outside every professional grid
    are counted in ``.attrs["unassigned"]``.
    """
    ids = enterprises["pro_grid_id"]
    counts = ids.dropna().astype(str).value_counts()
    if pro_grids is not None:
        names = pro_grids["pro_grid_id"] if isinstance(pro_grids, pd.DataFrame) else pd.Series(list(pro_grids))
        counts = counts.reindex(sorted(set(names.astype(str)) | set(counts.index)), fill_value=0)
    counts = counts.sort_index()
    out = pd.DataFrame({"enterprises": counts.astype(int), "cap": int(cap)})
    out.index.name = "pro_grid_id"
    out["within_cap"] = out["enterprises"] <= cap
    out.attrs["unassigned"] = int(ids.isna().sum())
    return out
