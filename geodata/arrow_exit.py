"""Arrow tables to pandas, and a clean exit while a thread is converting one.

``pyarrow.Table.to_pandas`` hands columns to Arrow's CPU thread pool. When the
interpreter exits while a daemon thread (the wall's warm-up, an export job, a
request thread of a test server) is inside such a conversion, the pool's workers
are already gone, the thread waits for their results for ever, and Arrow's
pool, torn down by the C library's exit handlers, waits for that thread: the
process never ends (seen as a test run that passed and then hung, every thread
in a futex wait, the main one in ``arrow::internal::ThreadPool::Shutdown``).

So every conversion goes through :func:`to_pandas`, which counts the conversions
in progress. At exit (:func:`_quiesce`, an ``atexit`` hook, so before the C
library's handlers) those in progress are waited for, at most 30 s, and any
later one never starts: its thread is a daemon that the exit then ends.

>>> import pyarrow as pa
>>> to_pandas(pa.table({"a": [1, 2]}))["a"].tolist()
[1, 2]
"""
from __future__ import annotations

import atexit
import threading

import pandas as pd
import pyarrow as pa

_CONVERTING = threading.Condition()
_state = {"running": 0, "closing": False}


def to_pandas(table: pa.Table, **kwargs) -> pd.DataFrame:
    """``table.to_pandas(**kwargs)``, counted so the exit waits for it."""
    with _CONVERTING:
        while _state["closing"]:      # the interpreter is exiting: this daemon thread ends here
            _CONVERTING.wait()
        _state["running"] += 1
    try:
        return table.to_pandas(**kwargs)
    finally:
        with _CONVERTING:
            _state["running"] -= 1
            _CONVERTING.notify_all()


@atexit.register
def _quiesce() -> None:
    """Wait (at most 30 s) for conversions in progress and keep any more from starting."""
    with _CONVERTING:
        _state["closing"] = True
        _CONVERTING.wait_for(lambda: _state["running"] == 0, timeout=30)
