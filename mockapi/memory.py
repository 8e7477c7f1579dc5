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


@lru_cache(maxsize=1)
def _malloc_trim() -> Callable[[int], int] | None:
    with contextlib.suppress(OSError, AttributeError):
        trim: Callable[[int], int] = ctypes.CDLL("libc.so.6").malloc_trim
        return trim
    return None


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
