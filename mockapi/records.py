"""Stored objects of the API (responses, vector stores, fine-tuning jobs, batches...) as JSON records, per
owner, behind one small interface: in memory, or in an SQLite database in the data directory (WAL mode), which
outlives the process and which several worker processes share.

Each kind of object has its own `Records`, bounded in count and in bytes: past either bound the oldest records
of that kind leave first, so nothing grows with traffic. Lists page as the API pages them: by creation, with
`after`/`before` cursors naming an id.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import orjson

Order = Literal["asc", "desc"]
Record = dict[str, Any]
DATABASE_NAME = "mockapi.sqlite3"


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


class MemoryRecords(Records):
    def __init__(self, kind: str, bounds: Bounds) -> None:
        super().__init__(kind, bounds)
        self._lock = threading.Lock()
        # id -> (owner, created_at, JSON bytes), in insertion order; `_bytes` sums the JSON bytes.
        self._items: OrderedDict[str, tuple[str, int, bytes]] = OrderedDict()
        self._bytes = 0

    def put(self, owner: str, record_id: str, record: Record, created_at: int) -> None:
        data = orjson.dumps(record)
        with self._lock:
            old = self._items.get(record_id)
            if old is not None:
                self._bytes -= len(old[2])
            self._items[record_id] = (owner, created_at, data)
            self._bytes += len(data)
            while self._items and (len(self._items) > self.bounds.count or self._bytes > self.bounds.bytes):
                _, (_, _, dropped) = self._items.popitem(last=False)
                self._bytes -= len(dropped)

    def get(self, owner: str, record_id: str) -> Record | None:
        item = self._items.get(record_id)
        if item is None or item[0] != owner:
            return None
        loaded: Record = orjson.loads(item[2])
        return loaded

    def delete(self, owner: str, record_id: str) -> bool:
        with self._lock:
            item = self._items.get(record_id)
            if item is None or item[0] != owner:
                return False
            del self._items[record_id]
            self._bytes -= len(item[2])
            return True

    def _ordered(self, owner: str | None) -> list[tuple[str, Record]]:
        with self._lock:
            items = [(rid, item) for rid, item in self._items.items() if owner is None or item[0] == owner]
        # By created_at, then arrival (the sort is stable).
        items.sort(key=lambda pair: pair[1][1])
        ordered = []
        for rid, (who, _, data) in items:
            record: Record = orjson.loads(data)
            if owner is None:
                record["_owner"] = who
            ordered.append((rid, record))
        return ordered

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


class SQLiteRecords(Records):
    """Records in one table of an SQLite database shared by every kind; WAL mode lets worker processes read
    while one writes, and each write is one transaction."""

    def __init__(self, kind: str, bounds: Bounds, database: Database) -> None:
        super().__init__(kind, bounds)
        self._db = database

    def put(self, owner: str, record_id: str, record: Record, created_at: int) -> None:
        data = orjson.dumps(record)
        with self._db.transaction() as db:
            db.execute(
                "INSERT INTO records (kind, id, owner, created_at, body) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (kind, id) DO UPDATE SET owner = excluded.owner, body = excluded.body",
                (self.kind, record_id, owner, created_at, data),
            )
            count, size = db.execute(
                "SELECT COUNT(*), COALESCE(SUM(LENGTH(body)), 0) FROM records WHERE kind = ?", (self.kind,)
            ).fetchone()
            while count > self.bounds.count or size > self.bounds.bytes:
                oldest = db.execute(
                    "SELECT seq, LENGTH(body) FROM records WHERE kind = ? ORDER BY seq LIMIT 1", (self.kind,)
                ).fetchone()
                if oldest is None:
                    break
                db.execute("DELETE FROM records WHERE seq = ?", (oldest[0],))
                count, size = count - 1, size - oldest[1]

    def get(self, owner: str, record_id: str) -> Record | None:
        row = self._db.read(
            "SELECT body FROM records WHERE kind = ? AND id = ? AND owner = ?", (self.kind, record_id, owner)
        )
        if not row:
            return None
        loaded: Record = orjson.loads(row[0][0])
        return loaded

    def delete(self, owner: str, record_id: str) -> bool:
        with self._db.transaction() as db:
            cursor = db.execute(
                "DELETE FROM records WHERE kind = ? AND id = ? AND owner = ?", (self.kind, record_id, owner)
            )
            return cursor.rowcount > 0

    def _ordered(self, owner: str | None) -> list[tuple[str, Record]]:
        if owner is None:
            rows = self._db.read(
                "SELECT id, body, owner FROM records WHERE kind = ? ORDER BY created_at, seq", (self.kind,)
            )
            return [(rid, {**orjson.loads(body), "_owner": who}) for rid, body, who in rows]
        rows = self._db.read(
            "SELECT id, body, owner FROM records WHERE kind = ? AND owner = ? ORDER BY created_at, seq",
            (self.kind, owner),
        )
        return [(rid, orjson.loads(body)) for rid, body, _ in rows]

    def clear(self) -> None:
        with self._db.transaction() as db:
            db.execute("DELETE FROM records WHERE kind = ?", (self.kind,))


RECORDS_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS records (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, "
    "id TEXT NOT NULL, owner TEXT NOT NULL, created_at INTEGER NOT NULL, body BLOB NOT NULL, UNIQUE (kind, id))",
    "CREATE INDEX IF NOT EXISTS records_by_owner ON records (kind, owner, created_at, seq)",
)


class Database:
    """One SQLite file; a connection per thread (sqlite3 connections are not shared between threads)."""

    def __init__(self, path: Path, schema: tuple[str, ...] = RECORDS_SCHEMA) -> None:
        self.path = path
        self._local = threading.local()
        with self.transaction() as db:
            for statement in schema:
                db.execute(statement)

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            self._local.connection = connection
            self._local.lock = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        return connection

    def transaction(self) -> _Transaction:
        connection = self._connection()
        return _Transaction(connection, self._local.lock)

    @contextmanager
    def locked(self) -> Iterator[sqlite3.Connection]:
        """The connection, as the one writer (every writer takes the lock file first), each statement its own
        transaction: for changes of one or two statements, cheaper than BEGIN ... COMMIT."""
        connection = self._connection()
        fcntl.flock(self._local.lock, fcntl.LOCK_EX)
        try:
            yield connection
        finally:
            fcntl.flock(self._local.lock, fcntl.LOCK_UN)

    def read(self, sql: str, parameters: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        return self._connection().execute(sql, parameters).fetchall()

    def close(self) -> None:
        """Close this thread's connection (the next use opens another)."""
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            os.close(self._local.lock)
            self._local.connection = None


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on failure): one writer at a time, across processes.

    Writers queue on an flock of a lock file beside the database first: a waiting writer wakes the moment
    the lock is free, where SQLite's own busy handler would sleep for milliseconds at a time (which capped
    two workers sharing their state at about 2,800 requests/s in bench/scaling.sh)."""

    def __init__(self, connection: sqlite3.Connection, lock: int) -> None:
        self.connection = connection
        self.lock = lock

    def __enter__(self) -> sqlite3.Connection:
        fcntl.flock(self.lock, fcntl.LOCK_EX)
        try:
            self.connection.execute("BEGIN IMMEDIATE")
        except BaseException:
            fcntl.flock(self.lock, fcntl.LOCK_UN)
            raise
        return self.connection

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        try:
            self.connection.execute("ROLLBACK" if kind is not None else "COMMIT")
        finally:
            fcntl.flock(self.lock, fcntl.LOCK_UN)


class RecordStores:
    """The stores of every kind, made on first use: in memory, or in `directory`'s database."""

    def __init__(self, directory: Path | None, bounds: Bounds | None = None) -> None:
        self.bounds = bounds or Bounds()
        self._database = Database(directory / DATABASE_NAME) if directory is not None else None
        self._stores: dict[str, Records] = {}
        self._lock = threading.Lock()

    def __call__(self, kind: str, bounds: Bounds | None = None) -> Records:
        with self._lock:
            store = self._stores.get(kind)
            if store is None:
                limits = bounds or self.bounds
                store = (
                    SQLiteRecords(kind, limits, self._database)
                    if self._database is not None
                    else MemoryRecords(kind, limits)
                )
                self._stores[kind] = store
            return store

    def clear(self) -> None:
        with self._lock:
            stores = list(self._stores.values())
        for store in stores:
            store.clear()
