"""mockapi's HTTP protocol: uvicorn's httptools protocol with two changes.

- The answer to a request its parser rejects (a bad request line, a control character in a header...) is in
  OpenAI's error shape, with OpenAI's headers: uvicorn itself writes plain text, before any app code runs.
- Writes made in one turn of the event loop leave in one send (CoalescedWrites).
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from mockapi import errors
from mockapi.edge import OPENAI_VERSION_BYTES
from mockapi.state import AppState


def unparseable_request(request_id: str | None = None) -> bytes:
    """A complete HTTP/1.1 400 in OpenAI's shape; the connection is closed after it."""
    body = orjson.dumps(errors.invalid_http_request().body())
    head = (
        b"HTTP/1.1 400 Bad Request\r\n"
        b"content-type: application/json\r\n"
        b"content-length: " + str(len(body)).encode("ascii") + b"\r\n"
        b"openai-version: " + OPENAI_VERSION_BYTES + b"\r\n"
    )
    if request_id is not None:
        head += b"x-request-id: " + request_id.encode("ascii") + b"\r\n"
    return head + b"connection: close\r\n\r\n" + body


def _app_state(app: Any) -> AppState | None:
    """The AppState of the app uvicorn serves, found through the middlewares uvicorn wraps it in."""
    for _ in range(8):
        state = getattr(getattr(app, "state", None), "mockapi", None)
        if isinstance(state, AppState):
            return state
        app = getattr(app, "app", None)
    return None


class OpenAIShapedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol (its default), with the parser's 400 in OpenAI's shape."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescedWrites(transport, self.loop))  # type: ignore[arg-type]

    def send_400_response(self, msg: str) -> None:
        state = _app_state(self.app)
        self.transport.write(unparseable_request(state.seeding.request_id() if state else None))
        self.transport.close()


class CoalescedWrites:
    """A transport whose writes made in one turn of the event loop leave in one send.

    uvicorn writes a response's head and its body (and each stream event) separately, a send() system call
    each; on loopback a send costs more than building a small answer. Held writes go out at the end of the
    turn, or at once past HELD_BYTES so a large body is never gathered whole."""

    HELD_BYTES = 64 * 1024

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] = []
        self._held_bytes = 0

    def write(self, data: bytes) -> None:
        if not self._held:
            self._loop.call_soon(self.flush)
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
