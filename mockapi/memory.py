"""Keeping the server's memory flat: heap pages freed by Python go back to the system.

glibc keeps freed memory inside its heap for reuse; after a burst of load the process would otherwise keep
its largest size for good. malloc_trim hands whole free pages back (where the C library offers it).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
from collections.abc import Callable
from functools import lru_cache
from typing import Any

# glibc's mallopt parameters, and the values a long-running server wants: with them set, glibc no longer
# raises its thresholds after the first large block is freed (it would then keep up to twice the largest
# block ever freed, several megabytes once the tokenizer has loaded, before returning any heap top).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
TRIM_THRESHOLD_BYTES = 1024 * 1024  # free heap top beyond this goes back to the system at once
# Larger blocks get pages of their own, unmapped when freed; smaller ones come from the heap. Above the
# 256 KiB buffer asyncio reads every socket into, which would otherwise cost a map and an unmap per read.
MMAP_THRESHOLD_BYTES = 512 * 1024


@lru_cache(maxsize=1)
def _libc() -> ctypes.CDLL | None:
    with contextlib.suppress(OSError):
        return ctypes.CDLL("libc.so.6")
    return None


def _malloc_trim() -> Callable[[int], int] | None:
    libc = _libc()
    trim: Callable[[int], int] | None = getattr(libc, "malloc_trim", None)
    return trim


def fix_allocator_thresholds() -> None:
    """Fixed trim and mmap thresholds for glibc's allocator (where the C library offers them)."""
    libc = _libc()
    mallopt = getattr(libc, "mallopt", None)
    if mallopt is not None:
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
        mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)


def trim() -> None:
    malloc_trim = _malloc_trim()
    if malloc_trim is not None:
        malloc_trim(0)


def release_free_memory() -> None:
    """Collect garbage, then return the freed pages to the system."""
    gc.collect()
    trim()


def _trim_after_full_collection(phase: str, info: dict[str, Any]) -> None:
    if phase == "stop" and info["generation"] == 2:
        trim()


def trim_after_full_collections() -> None:
    """From now on, each full collection (rare: after many thousand allocations) also returns the pages it
    freed; the trim itself takes well under a millisecond."""
    if _trim_after_full_collection not in gc.callbacks:
        gc.callbacks.append(_trim_after_full_collection)
