"""Cameras online (视频监控在线率).

brief.md, module 5 (social public management): "video coverage ('Sharp Eyes',
雪亮工程)". The share of cameras whose last status report says online.

>>> import pandas as pd
>>> camera_online_rate(pd.DataFrame({"status": ["online", "online", "offline", "online"]}))
0.75
"""
from __future__ import annotations

import pandas as pd

from indicators.records import group_column, share
from indicators.registry import indicator


@indicator("camera_online_rate", formula="cameras with status online / cameras", unit="rate",
           zh="视频监控在线率", en="Cameras online", kind="table", rate=True, higher_is_better=True,
           needs=("cameras",), source="brief.md module 5: video coverage ('Sharp Eyes', 雪亮工程)")
def camera_online_rate(cameras: pd.DataFrame, by: str | None = None):
    """Online cameras over all cameras (overall, or per grid / district with ``by``)."""
    return share(cameras["status"] == "online", pd.Series(True, index=cameras.index), group_column(cameras, by))
