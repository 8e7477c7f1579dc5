"""The board in an SQLite database in the directory worker processes share (WAL mode: readers never wait
for the writer). Every writer takes the database's lock file first, so a change of one or two statements
(an increment, an append) needs no BEGIN ... COMMIT to be exact across processes: each request's few
changes stay a few statements each."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

from mockapi.records import Database
from mockapi.shared.board import Board, Slot

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS counters (family TEXT NOT NULL, key TEXT NOT NULL, n INTEGER NOT NULL, "
    "touched INTEGER NOT NULL, PRIMARY KEY (family, key)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS counters_by_use ON counters (family, touched)",
    "CREATE TABLE IF NOT EXISTS windows (key TEXT NOT NULL, slot INTEGER NOT NULL, requests INTEGER NOT NULL, "
    "tokens INTEGER NOT NULL, PRIMARY KEY (key, slot)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS windows_by_slot ON windows (slot)",
    "CREATE TABLE IF NOT EXISTS maps (name TEXT NOT NULL, field TEXT NOT NULL, seq INTEGER NOT NULL, "
    "value BLOB NOT NULL, PRIMARY KEY (name, field))",
    # One id sequence for every log (AUTOINCREMENT never gives an id twice, a clear included); the trigger
    # keeps each log to its cap in the statement that appends.
    "CREATE TABLE IF NOT EXISTS logs (id INTEGER PRIMARY KEY AUTOINCREMENT, log TEXT NOT NULL, item BLOB NOT NULL)",
    "CREATE INDEX IF NOT EXISTS logs_by_log ON logs (log, id)",
    "CREATE TABLE IF NOT EXISTS log_caps (log TEXT PRIMARY KEY, cap INTEGER NOT NULL)",
    "CREATE TRIGGER IF NOT EXISTS logs_capped AFTER INSERT ON logs BEGIN DELETE FROM logs WHERE log = NEW.log "
    "AND id <= NEW.id - (SELECT cap FROM log_caps WHERE log = NEW.log); END",
)
# Families and window sets are trimmed to their caps every this many changes (a trim scans an index).
TRIM_EVERY = 256


class SQLiteBoard(Board):
    def __init__(self, path: Path) -> None:
        self._db = Database(path, SCHEMA, durable=False)  # a board lasts one run (state.discard_board)
        self._changes = itertools.count(1)
        self._caps: dict[str, int] = {}  # the caps this process has written

    def _due(self) -> bool:
        return next(self._changes) % TRIM_EVERY == 0

    def incr(self, family: str, key: str, by: int = 1, cap: int = 100_000) -> int:
        with self._db.locked() as db:
            (value,) = db.execute(
                "INSERT INTO counters (family, key, n, touched) VALUES (?, ?, ?, ?) ON CONFLICT (family, key) "
                "DO UPDATE SET n = n + excluded.n, touched = excluded.touched RETURNING n",
                (family, key, by, time.time_ns()),
            ).fetchone()
            if self._due():
                db.execute(
                    "DELETE FROM counters WHERE family = ? AND key IN (SELECT key FROM counters WHERE family = ? "
                    "ORDER BY touched DESC LIMIT -1 OFFSET ?)",
                    (family, family, cap),
                )
        return int(value)

    def count(self, family: str, key: str) -> int:
        rows = self._db.read("SELECT n FROM counters WHERE family = ? AND key = ?", (family, key))
        return int(rows[0][0]) if rows else 0

    def counts(self, family: str) -> dict[str, int]:
        return dict(self._db.read("SELECT key, n FROM counters WHERE family = ?", (family,)))

    def drop(self, family: str, key: str | None = None) -> None:
        with self._db.transaction() as db:
            if key is None:
                db.execute("DELETE FROM counters WHERE family = ?", (family,))
            else:
                db.execute("DELETE FROM counters WHERE family = ? AND key = ?", (family, key))

    def window(self, key: str, slot: int, requests: int, tokens: int, oldest: int, cap: int = 4_096) -> list[Slot]:
        read = "SELECT slot, requests, tokens FROM windows WHERE key = ? AND slot >= ? ORDER BY slot"
        if not requests and not tokens:
            return [Slot(*row) for row in self._db.read(read, (key, oldest))]
        with self._db.locked() as db:
            db.execute(
                "INSERT INTO windows (key, slot, requests, tokens) VALUES (?, ?, ?, ?) ON CONFLICT (key, slot) "
                "DO UPDATE SET requests = requests + excluded.requests, tokens = tokens + excluded.tokens",
                (key, slot, requests, tokens),
            )
            rows = db.execute(read, (key, oldest)).fetchall()
            if self._due():
                # Slots are numbered on one clock for every key: what is older than this window is older
                # than every window. Past the cap, the keys counted longest ago leave.
                db.execute("DELETE FROM windows WHERE slot < ?", (oldest,))
                db.execute(
                    "DELETE FROM windows WHERE key IN (SELECT key FROM windows GROUP BY key "
                    "ORDER BY MAX(slot) DESC LIMIT -1 OFFSET ?)",
                    (cap,),
                )
        return [Slot(*row) for row in rows]

    def clear_windows(self) -> None:
        with self._db.transaction() as db:
            db.execute("DELETE FROM windows")

    def map_put(self, name: str, field: str, value: bytes) -> None:
        with self._db.transaction() as db:
            db.execute(
                "INSERT INTO maps (name, field, seq, value) VALUES (?, ?, "
                "(SELECT COALESCE(MAX(seq), 0) + 1 FROM maps WHERE name = ?), ?) "
                "ON CONFLICT (name, field) DO UPDATE SET value = excluded.value",
                (name, field, name, value),
            )

    def map_delete(self, name: str, field: str) -> bool:
        with self._db.transaction() as db:
            return db.execute("DELETE FROM maps WHERE name = ? AND field = ?", (name, field)).rowcount > 0

    def map_items(self, name: str) -> list[tuple[str, bytes]]:
        return [
            (field, bytes(value))
            for field, value in self._db.read("SELECT field, value FROM maps WHERE name = ? ORDER BY seq", (name,))
        ]

    def map_clear(self, name: str) -> int:
        with self._db.transaction() as db:
            return db.execute("DELETE FROM maps WHERE name = ?", (name,)).rowcount

    def append(self, log: str, item: bytes, cap: int) -> int:
        with self._db.locked() as db:
            if self._caps.get(log) != cap:
                db.execute("INSERT OR REPLACE INTO log_caps (log, cap) VALUES (?, ?)", (log, cap))
                self._caps[log] = cap
            (item_id,) = db.execute("INSERT INTO logs (log, item) VALUES (?, ?) RETURNING id", (log, item)).fetchone()
        return int(item_id)

    def after(self, log: str, after_id: int = 0) -> list[tuple[int, bytes]]:
        rows = self._db.read("SELECT id, item FROM logs WHERE log = ? AND id > ? ORDER BY id", (log, after_id))
        return [(int(item_id), bytes(item)) for item_id, item in rows]

    def clear_log(self, log: str) -> None:
        with self._db.transaction() as db:
            db.execute("DELETE FROM logs WHERE log = ?", (log,))

    def close(self) -> None:
        self._db.close()
