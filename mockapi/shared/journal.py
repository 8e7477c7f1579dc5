"""The journal of processes that share their state: entries in the board's log, numbered across processes,
so the control API and the inspector of any process list every process's requests.

The live feed polls the log (one reader per process, only while someone listens): an entry reaches the
listeners of every process, the recording one included, within POLL_SECONDS."""

from __future__ import annotations

import asyncio
import contextlib
from array import array
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from mockapi.journal import Entry, Journal
from mockapi.shared import Board

if TYPE_CHECKING:
    from mockapi.context import Served

LOG = "journal"
POLL_SECONDS = 0.2
# The fields kept as bytes (the header block, the body, the answer), written as latin-1 text: one character
# per byte, and back.
_BYTE_FIELDS = frozenset({5, 6, 14})


def pack(entry: Entry) -> bytes:
    return orjson.dumps([_plain(value) for value in entry])


def _plain(value: Any) -> Any:
    """A field as JSON holds it: bytes as latin-1 text, the parts' array as a list."""
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value.tolist() if isinstance(value, array) else value


def unpack(entry_id: int, data: bytes) -> Entry:
    fields: list[Any] = orjson.loads(data)
    for i in _BYTE_FIELDS:
        fields[i] = fields[i].encode("latin-1")
    fields[0] = entry_id
    fields[13] = tuple(fields[13]) if fields[13] is not None else None
    fields[15] = array("d", fields[15])
    return Entry(*fields)


class SharedJournal(Journal):
    def __init__(self, size: int, board: Board) -> None:
        super().__init__(size)
        self._board = board
        self._poller: asyncio.Task[None] | None = None

    def record(self, served: Served) -> None:
        if self.size == 0:
            return
        self._board.append(LOG, pack(self.entry_of(served, 0)), self.size)

    def _read(self, since_id: int | None) -> list[Entry]:
        return [unpack(entry_id, data) for entry_id, data in self._board.after(LOG, since_id or 0)]

    def entries(self, path: str | None = None, session: str | None = None, since_id: int | None = None) -> list[Entry]:
        return [
            entry
            for entry in self._read(since_id)
            if (path is None or entry.path == path) and (session is None or entry.session == session)
        ]

    def stored_bytes(self) -> int:
        return sum(entry.stored_bytes for entry in self._read(None))

    def clear(self) -> None:
        self._board.clear_log(LOG)

    def __len__(self) -> int:
        return len(self._board.after(LOG))

    def listen(self, listener: Callable[[Entry], None]) -> None:
        super().listen(listener)
        if self._poller is None or self._poller.done():
            last = max((entry_id for entry_id, _ in self._board.after(LOG)), default=0)
            self._poller = asyncio.get_running_loop().create_task(self._poll(last))

    def unlisten(self, listener: Callable[[Entry], None]) -> None:
        super().unlisten(listener)
        if not self.listeners and self._poller is not None:
            self._poller.cancel()
            self._poller = None

    async def _poll(self, last: int) -> None:
        while self.listeners:
            await asyncio.sleep(POLL_SECONDS)
            with contextlib.suppress(Exception):  # a board briefly away: the next poll catches up
                for entry in self._read(last):
                    last = entry.id
                    for listen in list(self.listeners):
                        listen(entry)
