"""Shared arithmetic of the indicators over the modules' record layers (key projects,
tasks, cameras, approvals, opinion items, parking, schools, medical insurance).

Each such indicator is a ``kind="table"`` entry of :mod:`indicators.registry`: a
frame in, a number out (or a Series with ``by=``, one value per group). A rate with
a zero denominator is ``None`` (contract.md: "null, not 0 and not an error").

>>> import pandas as pd
>>> f = pd.DataFrame({"ok": [True, False, True], "g": ["A", "A", "B"]})
>>> share(f["ok"], pd.Series(True, index=f.index))
0.6666666666666666
>>> share(f["ok"], f["ok"] & False) is None
True
>>> share(f["ok"], pd.Series(True, index=f.index), by=f["g"]).to_dict()
{'A': 0.5, 'B': 1.0}
"""
from __future__ import annotations

import pandas as pd

from indicators.registry import to_python


def _ratio(num, den):
    return None if not den else float(num) / float(den)


def share(num: pd.Series, den: pd.Series, by: pd.Series | None = None):
    """count(num & den) / count(den), overall or per value of ``by``."""
    num = num.fillna(False).astype(bool) & den.fillna(False).astype(bool)
    den = den.fillna(False).astype(bool)
    return ratio_of_sums(num.astype(int), den.astype(int), by)


def ratio_of_sums(num: pd.Series, den: pd.Series, by: pd.Series | None = None):
    """sum(num) / sum(den), overall or per value of ``by`` (``None`` / <NA> on 0)."""
    if by is None:
        return _ratio(to_python(num.sum()), to_python(den.sum()))
    n = num.groupby(by.to_numpy()).sum()
    d = den.groupby(by.to_numpy()).sum()
    out = (n / d.where(d != 0)).astype("Float64")
    out.index.name = by.name
    return out


def in_period(times: pd.Series, start=None, end=None) -> pd.Series:
    """``start <= t < end`` (either bound may be open); missing times are outside."""
    mask = times.notna()
    if start is not None:
        mask &= times >= pd.Timestamp(start)
    if end is not None:
        mask &= times < pd.Timestamp(end)
    return mask


#: ``by=`` names as the case indicators take them, and the column each means.
BY_COLUMNS = {"grid": "grid_id", "district": "district_id", "pro_grid": "pro_grid_id"}


def group_column(frame: pd.DataFrame, by: str | None) -> pd.Series | None:
    """The column to group by (``grid`` → ``grid_id`` …, or any column name), or a clear error."""
    if by is None:
        return None
    by = BY_COLUMNS.get(by, by)
    if by not in frame:
        raise KeyError(f"cannot group by {by!r}: the frame has no such column (run `townbrain assign`)")
    return frame[by]
