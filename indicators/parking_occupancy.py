"""Parking occupancy (停车泊位占用率).

brief.md, module 8 (transport): "smart parking (智慧停车)". Spaces taken over spaces,
summed over the car parks at their last sensor report.

>>> import pandas as pd
>>> parking_occupancy(pd.DataFrame({"spaces": [100, 50, 0], "occupied": [80, 10, 0]}))
0.6
"""
from __future__ import annotations

import pandas as pd

from indicators.records import group_column, ratio_of_sums
from indicators.registry import indicator


@indicator("parking_occupancy", formula="sum(occupied) / sum(spaces)", unit="rate", zh="停车泊位占用率",
           en="Parking occupancy", kind="table", rate=True, needs=("parking",),
           source="brief.md module 8: smart parking (智慧停车)")
def parking_occupancy(parking: pd.DataFrame, by: str | None = None):
    """Occupied spaces over spaces of every car park (or per grid with ``by``)."""
    return ratio_of_sums(parking["occupied"].fillna(0), parking["spaces"].fillna(0), group_column(parking, by))
