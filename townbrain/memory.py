"""A long-running server's memory: hand freed memory back to the system.

The server re-reads the town every minute (callbacks/module_data.py): some hundred
MB of frames are built and the previous ones freed. Freed is not returned: glibc's
malloc raises its mmap threshold after the first large free (up to 32 MB), so later
large arrays come from the heap, whose free pages stay resident, one heap per
thread (eight waitress threads); Arrow's mimalloc pool keeps freed pages for reuse.
bench/soak measured the server's RSS climbing 75-100 MB a minute that way with the
number of live frames flat.

:func:`tune_allocator` (once, at start) fixes glibc's mmap threshold, so large
arrays are mapped and unmapped whole; :func:`release_free_memory` (after each
re-read) trims glibc's heaps and Arrow's pool. Both are no-ops where the C library
is not glibc.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

#: mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: Arrays from 256 KiB up are mapped on their own and go back to the system when freed.
MMAP_THRESHOLD = 256 * 1024


def _libc():
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        lib.mallopt  # noqa: B018 - glibc only
        lib.malloc_trim  # noqa: B018
        return lib
    except (OSError, AttributeError):
        return None


def tune_allocator() -> bool:
    """Fix glibc's mmap threshold (and so switch off its dynamic raising) and trim
    heaps above 1 MiB of free space; True when applied."""
    lib = _libc()
    if lib is None:
        return False
    ok = lib.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
    ok &= lib.mallopt(_M_TRIM_THRESHOLD, 1024 * 1024) == 1
    return bool(ok)


def release_free_memory() -> None:
    """Give freed memory back to the system: glibc's heaps (every arena) and Arrow's
    memory pool. Cheap (milliseconds); call it after dropping large data."""
    lib = _libc()
    if lib is not None:
        lib.malloc_trim(0)
    try:
        import pyarrow as pa
        pa.default_memory_pool().release_unused()
    except Exception as exc:  # noqa: BLE001 - never fail a request over housekeeping
        log.debug("arrow pool not released: %s", exc)
