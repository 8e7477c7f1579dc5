"""Writes made in one turn of the event loop leave the server in one send."""

from __future__ import annotations

import asyncio
from typing import Any

from mockapi.transport import CoalescedWrites


class RecordingTransport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> Any:
        return ("127.0.0.1", 8000) if name == "sockname" else None


async def test_writes_of_one_turn_leave_together_at_its_end() -> None:
    inner = RecordingTransport()
    transport = CoalescedWrites(inner, asyncio.get_running_loop())  # type: ignore[arg-type]
    transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
    transport.write(b'{"ok": true}')
    assert inner.writes == []
    await asyncio.sleep(0)
    assert inner.writes == [b'HTTP/1.1 200 OK\r\n\r\n{"ok": true}']
    transport.write(b"next")
    await asyncio.sleep(0)
    assert inner.writes[1:] == [b"next"]


async def test_a_large_body_is_never_gathered_whole() -> None:
    inner = RecordingTransport()
    transport = CoalescedWrites(inner, asyncio.get_running_loop())  # type: ignore[arg-type]
    piece = b"x" * (CoalescedWrites.HELD_BYTES // 4)
    for _ in range(9):
        transport.write(piece)
    # Sent as soon as a few pieces are held, not at the end of the turn.
    assert [len(w) for w in inner.writes] == [CoalescedWrites.HELD_BYTES, CoalescedWrites.HELD_BYTES]
    await asyncio.sleep(0)
    assert sum(len(w) for w in inner.writes) == 9 * len(piece)


async def test_close_sends_what_is_held_first_and_the_rest_is_the_transports() -> None:
    inner = RecordingTransport()
    transport = CoalescedWrites(inner, asyncio.get_running_loop())  # type: ignore[arg-type]
    transport.write(b"last words")
    transport.close()
    assert inner.writes == [b"last words"] and inner.closed
    assert transport.get_extra_info("sockname") == ("127.0.0.1", 8000)
    await asyncio.sleep(0)  # the scheduled flush finds nothing left to send
    assert inner.writes == [b"last words"]
