"""Stored objects of the API (responses, vector stores, fine-tuning jobs, batches...) as JSON records, per
owner, behind one small interface: in memory, or in an SQLite database in the data directory (WAL mode), which
outlives the process and which several worker processes share, or in Redis (--state-url), which replicas share.

Each kind of object has its own `Records`, bounded in count and in bytes: past either bound the oldest records
of that kind leave first, so nothing grows with traffic. Lists page as the API pages them: by creation, with
`after`/`before` cursors naming an id.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

# The interface, in a module of its own so that the Redis implementation imports it and not this module.
from mockapi.records_base import Bounds, Order, Page, Record, Records, UnknownCursor

__all__ = [
    "DATABASE_NAME",
    "Bounds",
    "Database",
    "MemoryRecords",
    "Order",
    "Page",
    "Record",
    "RecordStores",
    "Records",
    "SQLiteRecords",
    "UnknownCursor",
]
DATABASE_NAME = "mockapi.sqlite3"


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

    def __init__(self, path: Path, schema: tuple[str, ...] = RECORDS_SCHEMA, durable: bool = True) -> None:
        """`durable`: the WAL is synced at its checkpoints, so what was committed outlives the machine's
        crash; off for state that only lasts a run (the workers' board), where it halves a write's cost."""
        self.path = path
        self._synchronous = "NORMAL" if durable else "OFF"
        self._local = threading.local()
        with self.transaction() as db:
            for statement in schema:
                db.execute(statement)

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(f"PRAGMA synchronous={self._synchronous}")
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
    """The stores of every kind, made on first use: in Redis at `state_url` (replicas share them), else in
    `directory`'s database, else in memory."""

    def __init__(self, directory: Path | None, bounds: Bounds | None = None, state_url: str | None = None) -> None:
        self.bounds = bounds or Bounds()
        self._make: Callable[[str, Bounds], Records]
        # The kinds stored by any process sharing the store (a reset clears those this one never opened).
        self._kinds: Callable[[], list[str]] = list
        if state_url is not None:
            # Imported here: a server without --state-url never loads the Redis client.
            from redis import Redis

            from mockapi.shared.redis_records import RedisRecords

            redis = Redis.from_url(state_url)  # one connection pool for every kind
            self._make = lambda kind, limits: RedisRecords(kind, limits, redis)
            self._kinds = lambda: RedisRecords.kinds(redis)
        elif directory is not None:
            database = Database(directory / DATABASE_NAME)
            self._make = lambda kind, limits: SQLiteRecords(kind, limits, database)
            self._kinds = lambda: [kind for (kind,) in database.read("SELECT DISTINCT kind FROM records", ())]
        else:
            self._make = MemoryRecords
        self._stores: dict[str, Records] = {}
        self._lock = threading.Lock()

    def __call__(self, kind: str, bounds: Bounds | None = None) -> Records:
        with self._lock:
            store = self._stores.get(kind)
            if store is None:
                store = self._make(kind, bounds or self.bounds)
                self._stores[kind] = store
            return store

    def clear(self) -> None:
        for kind in {*self._stores, *self._kinds()}:
            self(kind).clear()
