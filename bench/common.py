"""What every benchmark shares: timing and a description of the machine."""
from __future__ import annotations

import gc
import os
import platform
import time


def best_of(fn, repeat: int):
    """(best wall time of ``repeat`` runs, the last result).

    The previous result is released before each run, as a server refreshing its
    data would do, so a run builds its objects in memory the process already has.
    """
    best, out = float("inf"), None
    for _ in range(repeat):
        out = None
        gc.collect()
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def machine() -> str:
    """Architecture, cores and platform of this machine, for the results."""
    return f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}"
