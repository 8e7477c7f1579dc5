"""The interface of stored API objects: `Records`, one per kind, bounded by `Bounds`, paged like the API's
lists. Apart from its implementations, which all import it: in memory and in SQLite (`mockapi.records`, whose
`RecordStores` chooses one) and in Redis (`mockapi.shared.redis_records`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

Order = Literal["asc", "desc"]
Record = dict[str, Any]


@dataclass(frozen=True)
class Bounds:
    """How many records of one kind, and how many bytes of their JSON, are kept at most."""

    count: int = 10_000
    bytes: int = 256 * 1024 * 1024


@dataclass(frozen=True)
class Page:
    data: list[Record]
    has_more: bool


class UnknownCursor(LookupError):
    """An `after`/`before` id that is not one of the owner's records."""


class Records(ABC):
    """The records of one kind. Ids are unique within a kind, whatever the owner; a record someone else owns
    is as missing as one that never was."""

    def __init__(self, kind: str, bounds: Bounds) -> None:
        self.kind = kind
        self.bounds = bounds

    @abstractmethod
    def put(self, owner: str, record_id: str, record: Record, created_at: int) -> None:
        """Store (or replace, keeping its place in the list) one record."""

    @abstractmethod
    def get(self, owner: str, record_id: str) -> Record | None: ...

    @abstractmethod
    def delete(self, owner: str, record_id: str) -> bool: ...

    @abstractmethod
    def _ordered(self, owner: str | None) -> list[tuple[str, Record]]:
        """(id, record) of the owner's records (everyone's for None), oldest first."""

    @abstractmethod
    def clear(self) -> None: ...

    def update(self, owner: str, record_id: str, change: Callable[[Record], Record | None]) -> Record | None:
        """Read, change and write back one record; `change` answering None leaves it as it was."""
        record = self.get(owner, record_id)
        if record is None:
            return None
        changed = change(record)
        if changed is None:
            return record
        self.put(owner, record_id, changed, int(changed.get("created_at") or record.get("created_at") or 0))
        return changed

    def page(
        self,
        owner: str,
        *,
        limit: int = 20,
        order: Order = "desc",
        after: str | None = None,
        before: str | None = None,
        where: Callable[[Record], bool] | None = None,
    ) -> Page:
        """One page of the owner's records in `order`, after (or before) the record named by a cursor."""
        items = [(rid, rec) for rid, rec in self._ordered(owner) if where is None or where(rec)]
        if order == "desc":
            items.reverse()
        ids = [rid for rid, _ in items]
        start, end = 0, len(items)
        for cursor, is_after in ((after, True), (before, False)):
            if cursor is None:
                continue
            if cursor not in ids:
                if self.get(owner, cursor) is None:
                    raise UnknownCursor(cursor)
                continue  # filtered out of this listing: it bounds nothing
            if is_after:
                start = ids.index(cursor) + 1
            else:
                end = ids.index(cursor)
        window = items[start:end]
        if before is not None and after is None:
            chosen = window[-limit:] if limit else []
            has_more = len(window) > len(chosen)
        else:
            chosen = window[:limit]
            has_more = len(window) > len(chosen)
        return Page([rec for _, rec in chosen], has_more)

    def all(self) -> Iterator[tuple[str, Record]]:
        """Every owner's records, oldest first (with the owner under `_owner`): for the clock's work on jobs."""
        yield from self._ordered(None)
