"""What the server keeps for long: a bounded LRU cache, and bytes that take only their own size."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Any


class BoundedCache:
    """An LRU map holding values whose sizes (in any unit: bytes, tokens) add up to at most `budget`, and at
    most `max_items` of them. A value larger than the whole budget is not kept."""

    def __init__(self, budget: int, max_items: int | None = None) -> None:
        self.budget = budget
        self.max_items = max_items
        self.used = 0
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()

    def get(self, key: Hashable) -> Any:
        item = self._items.get(key)
        if item is None:
            return None
        self._items.move_to_end(key)
        return item[0]

    def put(self, key: Hashable, value: Any, size: int) -> None:
        if size > self.budget:
            return
        old = self._items.pop(key, None)
        if old is not None:
            self.used -= old[1]
        self._items[key] = (value, size)
        self.used += size
        while self.used > self.budget or (self.max_items is not None and len(self._items) > self.max_items):
            _, (_, evicted) = self._items.popitem(last=False)
            self.used -= evicted

    def clear(self) -> None:
        self._items.clear()
        self.used = 0

    def __len__(self) -> int:
        return len(self._items)


def kept_bytes(data: bytes) -> bytes:
    """A copy of `data` taking its own size: orjson hands back its whole working buffer (4 KiB and more,
    whatever the output's length), so serialised bytes that are kept (journal entries, cached answers)
    would each hold several times their size."""
    return memoryview(data).tobytes()
