"""A four-case town for the runnable examples in the indicator docstrings.

=====  ==========  ==========  ==========  =========  ====  =======  ===========
case   registered  deadline    closed      source     grid  level    enforcement
=====  ==========  ==========  ==========  =========  ====  =======  ===========
A      01-02       01-05       01-04       inspector  G1    grid     no
B      01-03       01-04       (open)      citizen    G2             no
C      01-10       01-11       01-12       inspector  G1    village  yes
D      (rejected)                          citizen    G1             no
=====  ==========  ==========  ==========  =========  ====  =======  ===========

All in January 2018, Asia/Shanghai; use ``PERIOD`` = [2018-01-01, 2018-02-01).

>>> tiny_cases()["case_id"].tolist()
['A', 'B', 'C', 'D']
"""
from __future__ import annotations

import pandas as pd

#: The period of the examples: January 2018.
PERIOD = {"start": "2018-01-01", "end": "2018-02-01"}


def tiny_cases() -> pd.DataFrame:
    """The four example cases (see the module docstring)."""
    def t(s):
        return pd.Timestamp(f"2018-{s}", tz="Asia/Shanghai") if isinstance(s, str) else pd.NaT
    rows = [
        ("A", "01-02 09:00", "01-05 09:00", "01-04 09:00", "inspector", "G1", "D1", "grid", False, 0, False),
        ("B", "01-03 09:00", "01-04 09:00", None, "citizen", "G2", "D1", None, False, 1, True),
        ("C", "01-10 09:00", "01-11 09:00", "01-12 09:00", "inspector", "G1", "D1", "village", True, 1, False),
        ("D", None, None, None, "citizen", "G1", "D1", None, False, 0, False),
    ]
    df = pd.DataFrame(rows, columns=["case_id", "registered_at", "deadline", "closed_at", "source", "grid_id",
                                     "district_id", "resolved_level", "enforcement", "rework_count", "extended"])
    for c in ("registered_at", "deadline", "closed_at"):
        df[c] = pd.Series([t(v) for v in df[c].astype(object)], dtype="datetime64[us, Asia/Shanghai]")
    df["reported_at"] = df["registered_at"].fillna(pd.Timestamp("2018-01-05", tz="Asia/Shanghai"))
    return df
