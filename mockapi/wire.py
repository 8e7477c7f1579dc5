"""An answer on the wire: `Rendered` (what rendering.py builds) is the ASGI app that sends it, and its
methods are the primitives faults use to bend it (WireMock's FaultInjector): cut it short, stall it, trickle
it, pace it, or reset the connection instead.

Every answer is one of three shapes: a whole body (sent with its content-length), parts of a known length
(a stored file, streamed), or framed parts (SSE events, then a tail such as `data: [DONE]`).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, TypeVar

from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope, Send

from mockapi.pacing import pacer

T = TypeVar("T")

RawHeaders = list[tuple[bytes, bytes]]
# The connection-reset extension mockapi's HTTP protocol puts in the scope (see transport.py).
RESET_EXTENSION = "mockapi.reset"
# No answer is held longer than this, stalled, trickled or delayed (rules' timing bounds are the same).
MAX_HOLD_SECONDS = 600
# A trickled body leaves in pieces of this share of a second's worth of bytes.
TRICKLE_STEP_SECONDS = 0.05

# An answer cut on purpose makes uvicorn log "ASGI callable returned without completing response." at
# error level; that is the fault working, not a bug, so it is filtered for the request that asked for it.
_CUT_ON_PURPOSE = contextvars.ContextVar("mockapi_cut_on_purpose", default=False)


class _IntendedCutFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (_CUT_ON_PURPOSE.get() and "without completing response" in str(record.msg))


_filter = _IntendedCutFilter()
if _filter not in logging.getLogger("uvicorn.error").filters:
    logging.getLogger("uvicorn.error").addFilter(_filter)


class Cut(Exception):
    """Raised by a part iterator: the answer ends here, incomplete, and the connection is closed."""


class Rendered:
    """One answer's status, headers (raw pairs, without content-length) and body, and how it is sent.

    What faults change is kept as class defaults, so an answer sent as made sets three attributes only."""

    parts: AsyncIterator[bytes] | None = None
    length: int | None = None  # of a body sent in parts; None: chunked
    frame: Callable[[bytes], bytes] | None = None  # applied to each part as it is sent (SSE events)
    tail: bytes | None = None  # sent after the parts when the answer is complete
    complete = True
    generated = False  # made by a generator (what pacing applies to)
    tokens: int | None = None  # completion tokens of a whole generated body
    wait = 0.0  # seconds before the head
    first_wait = 0.0  # seconds before the first part, and before each later one
    part_wait = 0.0
    trickle: float | None = None  # bytes per second
    reset = False

    def __init__(self, status: int, headers: RawHeaders, body: bytes | None = None) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    @classmethod
    def in_parts(
        cls,
        status: int,
        headers: RawHeaders,
        parts: AsyncIterator[bytes],
        length: int | None = None,
        frame: Callable[[bytes], bytes] | None = None,
        tail: bytes | None = None,
    ) -> Rendered:
        """A body sent as its parts come: `length` bytes in all (else chunked), each part framed by `frame`,
        then `tail` if the answer completes."""
        rendered = cls(status, headers)
        rendered.parts, rendered.length, rendered.frame, rendered.tail = parts, length, frame, tail
        return rendered

    @property
    def events(self) -> bool:
        return self.frame is not None

    # What faults ask of an answer.

    def cut(self, after_chunks: int) -> None:
        """End without the final message: a stream after `after_chunks` events, any other body at half."""
        self.complete = False
        if self.events:
            self.parts = _first_parts(self._parts(), after_chunks)
        elif self.body is not None:
            self.parts, self.body = _once(self.body[: len(self.body) // 2]), None
        elif self.length is not None:
            self.parts = _first_bytes(self._parts(), self.length // 2)

    def stall(self, after_chunks: int) -> None:
        """The head (and the first `after_chunks` parts of a body sent in parts), then nothing until the
        client hangs up."""
        kept = _first_parts(self._parts(), after_chunks if self.body is None else 0)
        if self.body is not None:
            self.length = len(self.body)
        self.parts, self.body = _then_hold(kept), None

    def trickle_at(self, bytes_per_second: float) -> None:
        """Sent a few bytes at a time, `bytes_per_second` (cut if that would outlast the hold)."""
        self.trickle = bytes_per_second

    def malform(self) -> None:
        """JSON that does not parse: the first half of the body, or of a stream's first event."""
        if self.events:
            self.parts = _first_malformed(self._parts())
        elif self.body is not None:
            self.body = malformed(self.body)

    def pace(self, ttft_ms: float | None, tokens_per_second: float | None) -> None:
        """As fast as a model writes: a stream's first event after ttft_ms, the others 1/tokens_per_second
        apart; a whole generated body waits as long as its stream would have taken."""
        if not self.generated:
            return
        if self.events:
            if ttft_ms is not None:
                self.first_wait = ttft_ms / 1000
            if tokens_per_second:
                self.part_wait = 1 / tokens_per_second
        elif self.body is not None:
            self.wait += (ttft_ms or 0) / 1000
            if tokens_per_second and self.tokens is not None:
                self.wait += self.tokens / tokens_per_second

    def _parts(self) -> AsyncIterator[bytes]:
        return self.parts if self.parts is not None else _once(self.body or b"")

    # Sending.

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.wait:
            await wait(self.wait, receive)
        if self.reset:
            await _reset(scope, receive, send, self.status)
            return
        if self.parts is None and self.trickle is None:  # the common case: one body, whole
            body = self.body or b""
            headers = [(b"content-length", b"%d" % len(body)), *self.headers]
            await send({"type": "http.response.start", "status": self.status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        if not await _unless_hang_up(self._send_parts(send), receive):
            _CUT_ON_PURPOSE.set(True)  # in the request's task, where uvicorn will log the cut

    async def _send_parts(self, send: Send) -> bool:
        """The head, then each part as it comes; False if the answer ended incomplete."""
        headers = self.headers
        length = len(self.body) if self.body is not None else self.length
        if length is not None:
            headers = [(b"content-length", b"%d" % length), *headers]
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        parts = self._parts()
        frame, loop = self.frame, asyncio.get_running_loop()
        # Paced parts keep to a schedule from the head (first_wait, then part_wait apart), so a busy loop
        # delays a part but never shifts the ones after it; the loop's pacer wakes the parts due in the same
        # millisecond, of every stream, with one timer (pacing.py).
        due = loop.time() + self.first_wait
        deadline = loop.time() + MAX_HOLD_SECONDS
        until, part_wait, whole = pacer(loop).until, self.part_wait, self.trickle is None
        try:
            async for part in parts:
                # Framed before the wait, so what waits is the event's own bytes: orjson leaves each payload
                # in a 4 KiB buffer, and a stream waits most of its life.
                data = frame(part) if frame else part
                del part
                if (waiting := until(due)) is not None:
                    await waiting
                due += part_wait
                if whole:  # sent here, not through _send_body: one coroutine less for every event
                    await send({"type": "http.response.body", "body": data, "more_body": True})
                else:
                    await self._send_body(send, data, deadline)
            if self.tail is not None:
                await self._send_body(send, self.tail, deadline)
        except Cut:
            return False
        finally:
            await _close(parts)
        if self.complete:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        return self.complete

    async def _send_body(self, send: Send, data: bytes, deadline: float) -> None:
        if self.trickle is None:
            await send({"type": "http.response.body", "body": data, "more_body": True})
            return
        step = max(1, int(self.trickle * TRICKLE_STEP_SECONDS))
        loop = asyncio.get_running_loop()
        for start in range(0, len(data), step):
            if loop.time() > deadline:
                raise Cut  # a trickle too slow to end within the hold is cut there
            piece = data[start : start + step]
            await send({"type": "http.response.body", "body": piece, "more_body": True})
            await asyncio.sleep(len(piece) / self.trickle)


def malformed(data: bytes) -> bytes:
    """JSON that does not parse: the first half of the document, cut inside it."""
    return data[: max(1, len(data) // 2)]


async def wait(seconds: float, receive: Receive) -> None:
    """Sleep, unless the client hangs up first: then ClientDisconnect, so no task outlives its client."""
    if seconds > 0:
        await _unless_hang_up(asyncio.sleep(seconds), receive)


async def _unless_hang_up(work: Coroutine[Any, Any, T], receive: Receive) -> T:
    """The result of `work`, or ClientDisconnect (with `work` cancelled) if the client hangs up first."""
    running = asyncio.ensure_future(work)
    listening = asyncio.ensure_future(_hang_up(receive))
    try:
        await asyncio.wait((running, listening), return_when=asyncio.FIRST_COMPLETED)
    finally:
        listening.cancel()
        if not running.done():
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
    if running.cancelled():
        raise ClientDisconnect
    return running.result()


async def _hang_up(receive: Receive) -> None:
    """Returns when the client disconnects (the request's body, already read, is all else receive gives)."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def _reset(scope: Scope, receive: Receive, send: Send, status: int) -> None:
    """A TCP reset (the client reads ECONNRESET), through the server's extension; without one, the head
    and then a closed connection."""
    reset = scope.get("extensions", {}).get(RESET_EXTENSION)
    if reset is None:
        await send({"type": "http.response.start", "status": status, "headers": []})
        _CUT_ON_PURPOSE.set(True)
        return
    reset()
    await _hang_up(receive)  # the connection is gone once the server has seen it close


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _close(parts: AsyncIterator[bytes]) -> None:
    """Close an iterator left early, so that what it holds (a stored file) is let go at once."""
    closing = getattr(parts, "aclose", None)
    if closing is not None:
        await closing()


async def _first_parts(parts: AsyncIterator[bytes], count: int) -> AsyncIterator[bytes]:
    """The first `count` parts, then Cut."""
    try:
        sent = 0
        async for part in parts:
            if sent >= count:
                break
            yield part
            sent += 1
    finally:
        await _close(parts)
    raise Cut


async def _first_bytes(parts: AsyncIterator[bytes], size: int) -> AsyncIterator[bytes]:
    """The first `size` bytes of the parts, then Cut."""
    try:
        async for part in parts:
            if size <= 0:
                break
            yield part[:size]
            size -= len(part)
    finally:
        await _close(parts)
    raise Cut


async def _first_malformed(parts: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    try:
        first = True
        async for part in parts:
            yield malformed(part) if first else part
            first = False
    finally:
        await _close(parts)


async def _then_hold(parts: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The parts, then nothing until the client hangs up (the sender stops then) or the hold's cap."""
    with contextlib.suppress(Cut):
        async for part in parts:
            yield part
    await asyncio.sleep(MAX_HOLD_SECONDS)
    raise Cut
