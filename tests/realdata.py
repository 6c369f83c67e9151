"""Where the real public data of ../shared/data/real lives.

The repository sits beside ``shared/`` in the workplace; a clone elsewhere points
``TOWNBRAIN_REAL_DATA`` at that folder. Tests that need the data fail (never skip)
when it is missing: the path they print says where it was looked for.
"""
from __future__ import annotations

import os
from pathlib import Path

_REPO = Path(__file__).resolve().parents[1]
CANDIDATES = [Path(p) for p in [os.environ.get("TOWNBRAIN_REAL_DATA")] if p] + [
    _REPO.parent / "shared" / "data" / "real",
    Path("/work/shared/data/real"),
]


def real_data_dir() -> Path:
    """The first candidate folder that holds the data (else the first candidate)."""
    for path in CANDIDATES:
        if (path / "sf311" / "cases_sample.csv").exists():
            return path
    return CANDIDATES[0]


REAL = real_data_dir()
#: The GCJ-02 outlines of shared/data/real/README.md, named so that a missing
#: folder fails the tests instead of leaving an empty parameter list.
CHINA_FILES = ("320500.json", "320509.json", "440600.json", "440604.json", "440605.json")
