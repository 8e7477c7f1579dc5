"""The board's interface, apart from the package that opens one: its implementations (`sqlite.py`, `redis.py`)
import it, and the package imports them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import NamedTuple


class Slot(NamedTuple):
    """One time slot of a window: its number, and the requests and tokens counted in it."""

    slot: int
    requests: int
    tokens: int


class Board(ABC):
    """State shared by processes. Each operation is atomic: two processes counting at once both count."""

    # Counters: integers by (family, key), changed by atomic increments. A family keeps at most `cap` keys;
    # past it the least recently counted leave (read back as 0).

    @abstractmethod
    def incr(self, family: str, key: str, by: int = 1, cap: int = 100_000) -> int:
        """Add `by` (negative to take back) and answer the new value."""

    @abstractmethod
    def count(self, family: str, key: str) -> int: ...

    @abstractmethod
    def counts(self, family: str) -> dict[str, int]:
        """Every key of a family with its value."""

    @abstractmethod
    def drop(self, family: str, key: str | None = None) -> None:
        """Forget one key of a family, or the whole family."""

    # Windows (rate limits): per key, time slots of (requests, tokens). At most `cap` keys are kept.

    @abstractmethod
    def window(self, key: str, slot: int, requests: int, tokens: int, oldest: int, cap: int = 4_096) -> list[Slot]:
        """Add to slot `slot` (nothing when both are 0), forget every slot before `oldest`, and answer the
        window's slots after the change, oldest first."""

    @abstractmethod
    def clear_windows(self) -> None: ...

    # Maps: small values by field, kept in the order fields were first put (the rules added at run time).

    @abstractmethod
    def map_put(self, name: str, field: str, value: bytes) -> None: ...

    @abstractmethod
    def map_delete(self, name: str, field: str) -> bool: ...

    @abstractmethod
    def map_items(self, name: str) -> list[tuple[str, bytes]]:
        """(field, value) in the order fields were first put."""

    @abstractmethod
    def map_clear(self, name: str) -> int:
        """Empty the map; answers how many fields it held."""

    # Logs (the journal): items with increasing ids; at most `cap` are kept, the oldest leaving first.

    @abstractmethod
    def append(self, log: str, item: bytes, cap: int) -> int:
        """Add an item; answers its id, greater than every id the log gave before (a clear included)."""

    @abstractmethod
    def after(self, log: str, after_id: int = 0) -> list[tuple[int, bytes]]:
        """(id, item) of the items with a greater id, oldest first."""

    @abstractmethod
    def clear_log(self, log: str) -> None:
        """Empty the log; its ids keep counting, so a reader's `after` stays meaningful."""

    @abstractmethod
    def close(self) -> None: ...
