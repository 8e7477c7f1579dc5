"""mockapi's HTTP protocol: uvicorn's httptools protocol with three changes.

- The answer to a request its parser rejects (a bad request line, a control character in a header...) is in
  OpenAI's error shape, with OpenAI's headers: uvicorn itself writes plain text, before any app code runs.
- Each request's scope carries a `mockapi.reset` extension: a TCP reset of its connection (SO_LINGER 0, then
  close), which the `reset` fault uses; plain ASGI has no way to say it.
- Writes made in one turn of the event loop may leave in one send (CoalescedWrites), when `mockapi serve`
  applies that tuning (tuning.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from mockapi import errors, rendering
from mockapi.loop_local import PerLoop
from mockapi.state import AppState
from mockapi.wire import RESET_EXTENSION

# SO_LINGER on, with a zero timeout: close() drops the connection with an RST instead of a FIN.
_LINGER_ZERO = struct.pack("ii", 1, 0)


def _app_state(app: Any) -> AppState | None:
    """The AppState of the app uvicorn serves, found through the middlewares uvicorn wraps it in."""
    for _ in range(8):
        state = getattr(getattr(app, "state", None), "mockapi", None)
        if isinstance(state, AppState):
            return state
        app = getattr(app, "app", None)
    return None


class OpenAIShapedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol (its default), with the parser's 400 in OpenAI's shape and the reset
    extension."""

    # Set by the serve-time tuning (tuning.py).
    coalesce_writes = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._raw_transport = transport
        # One dict per connection, shared by its requests' scopes: nothing is built per request.
        self._extensions = {RESET_EXTENSION: self.reset_connection}
        held = CoalescedWrites(transport, self.loop) if self.coalesce_writes else transport
        super().connection_made(held)  # type: ignore[arg-type]

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.scope["extensions"] = self._extensions  # type: ignore[typeddict-item]

    def reset_connection(self) -> None:
        """Drop the connection at once with a TCP reset; whatever is held unsent is dropped with it."""
        transport = self._raw_transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):  # not a TCP socket: a plain close
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_ZERO)
        transport.abort()

    def send_400_response(self, msg: str) -> None:
        state = _app_state(self.app)
        request_id = state.seeding.request_id() if state else None
        self.transport.write(rendering.http_error(errors.invalid_http_request(), request_id))
        self.transport.close()


class CoalescedWrites:
    """A transport whose writes made in one turn of the event loop leave in one send.

    uvicorn writes a response's head and its body (and each stream event) separately, a send() system call
    each; on loopback a send costs more than building a small answer. Held writes go out at the end of the
    turn, or at once past HELD_BYTES so a large body is never gathered whole."""

    HELD_BYTES = 64 * 1024

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._turn = _turn_end(loop)
        self._held: list[bytes] = []
        self._held_bytes = 0

    def write(self, data: bytes) -> None:
        if not self._held:
            self._turn.hold(self)
        self._held.append(data)
        self._held_bytes += len(data)
        if self._held_bytes >= self.HELD_BYTES:
            self.flush()

    def flush(self) -> None:
        if self._held:
            data = b"".join(self._held)
            self._held.clear()
            self._held_bytes = 0
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class _TurnEnd:
    """The connections that hold writes, flushed together by one callback at the end of the loop's turn:
    thousands of streams each writing an event in the same turn would otherwise schedule a callback each."""

    __slots__ = ("_held", "_loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._held: list[CoalescedWrites] = []

    def hold(self, writes: CoalescedWrites) -> None:
        if not self._held:
            self._loop.call_soon(self._flush)
        self._held.append(writes)

    def _flush(self) -> None:
        held, self._held = self._held, []
        for writes in held:
            writes.flush()


_turn_end: PerLoop[_TurnEnd] = PerLoop(_TurnEnd)
