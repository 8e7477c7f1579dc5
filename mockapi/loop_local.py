"""One object per event loop, made on first use: what every connection or stream of a loop shares (the
pacer, the end-of-turn flush), where the test suite runs several loops one after another."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class PerLoop(Generic[T]):
    def __init__(self, make: Callable[[asyncio.AbstractEventLoop], T]) -> None:
        self._make = make
        self._made: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T] = weakref.WeakKeyDictionary()

    def __call__(self, loop: asyncio.AbstractEventLoop) -> T:
        found = self._made.get(loop)
        if found is None:
            found = self._made[loop] = self._make(loop)
        return found
