"""TownBrain: the command line (``townbrain``) and the notebook library.

>>> import townbrain as tb
>>> sorted(tb.__all__)
['Town', 'connect']

``tb.connect()`` opens a store (see :mod:`townbrain.notebook`). The library is loaded
on first use, so the command line does not pay for geopandas at start.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["connect", "Town"]

if TYPE_CHECKING:  # pragma: no cover
    from townbrain.notebook import Town, connect


def __getattr__(name: str):
    if name in __all__:
        from townbrain import notebook
        return getattr(notebook, name)
    raise AttributeError(f"module 'townbrain' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
