"""One GDAL user at a time in this process.

pyogrio lets go of the GIL while GDAL opens, reads and writes a dataset, and its
error handler takes the GIL back from inside GDAL to turn a warning or a failure
into Python. Two threads in GDAL at once can therefore deadlock: one, in GDAL
with the GIL released, holds GDAL's driver-manager mutex and waits for the GIL in
the error handler; the other holds the GIL and waits for that mutex (the same
lock-order inversion as rasterio#3611; concurrent dataset opens and closes also
crashed other pyogrio users, apache/sedona-db#1051). The server has such threads:
request threads reading the store, the wall's warm-up, export jobs writing files.

So every pyogrio call in TownBrain runs under :data:`GDAL_LOCK`. It is the
innermost lock: a GeoPackage's file lock (geodata/store_gpkg.py) is taken before
it, never while holding it. GDAL work on one file was serialised already by that
file lock; what this adds is that an export writing its file waits for a store
read in progress, and the other way round.

At exit the lock is taken and kept (:func:`_quiesce`): a daemon thread (the
wall's warm-up, an export job) still inside GDAL when the interpreter shuts down
aborted the process ("terminate called without an active exception"); now such
a thread finishes its GDAL call first and the next one never starts.

>>> with GDAL_LOCK:
...     with GDAL_LOCK:   # re-entrant: a helper under the lock may call another
...         pass
"""
from __future__ import annotations

import atexit
import threading

GDAL_LOCK = threading.RLock()


@atexit.register
def _quiesce() -> None:
    """Wait (at most 30 s) for GDAL work in progress and keep any more from starting."""
    GDAL_LOCK.acquire(timeout=30)
