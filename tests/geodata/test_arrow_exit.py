"""A process whose daemon thread is turning an Arrow table into pandas still ends
(geodata/arrow_exit.py). With a bare ``Table.to_pandas`` this program hung at exit
in 10 runs of 15 (the thread waits for Arrow's pool, the pool's teardown for it)."""
from __future__ import annotations

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
PROGRAM = """
import threading, time
import numpy as np, pyarrow as pa
from geodata.arrow_exit import to_pandas
n = 300_000
table = pa.table({**{f"c{i}": pa.array(np.random.rand(n)) for i in range(8)},
                  "s": pa.array([str(i) for i in range(n)])})
def convert_for_ever():   # as the wall's warm-up or an export job may be doing at exit
    while True:
        to_pandas(table)
threading.Thread(target=convert_for_ever, daemon=True).start()
time.sleep(0.3)
print("leaving")
"""


def test_the_process_ends_while_a_daemon_thread_converts_arrow_tables():
    for _ in range(5):
        done = subprocess.run([sys.executable, "-c", PROGRAM], cwd=ROOT, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.strip() == "leaving"
