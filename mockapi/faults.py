"""Timing and faults of a matched rule, applied at the edge of the answer (WireMock's faults-as-data).

Decisions that vary from request to request (chaos, jitter) use a generator seeded by the rule, the session
and the use number, so a run repeats exactly.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import random
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

import orjson
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.requests import ClientDisconnect
from starlette.responses import StreamingResponse
from starlette.types import Receive, Send

from mockapi import errors, sse
from mockapi.fixtures import Respond

SSE_HEADERS = {"cache-control": "no-cache, must-revalidate", "x-accel-buffering": "no"}

# A response cut on purpose makes uvicorn log "ASGI callable returned without completing response." at
# error level; that is the fault working, not a bug, so it is filtered for the request that asked for it.
_CUT_ON_PURPOSE = contextvars.ContextVar("mockapi_cut_on_purpose", default=False)


class _IntendedCutFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (_CUT_ON_PURPOSE.get() and "without completing response" in str(record.msg))


_filter = _IntendedCutFilter()
if _filter not in logging.getLogger("uvicorn.error").filters:
    logging.getLogger("uvicorn.error").addFilter(_filter)


def chaos_error(respond: Respond, rng: random.Random) -> errors.OpenAIError | None:
    """The chaos error for this request, if the seeded draw falls within the rule's rate."""
    if respond.chaos is not None and rng.random() < respond.chaos.rate:
        return respond.chaos.error.to_error()
    return None


async def wait(seconds: float, receive: Receive) -> None:
    """Sleep, unless the client hangs up first: then ClientDisconnect, so no task outlives its client."""
    if seconds <= 0:
        return
    sleeping = asyncio.ensure_future(asyncio.sleep(seconds))
    listening = asyncio.ensure_future(_hang_up(receive))
    try:
        done, _ = await asyncio.wait((sleeping, listening), return_when=asyncio.FIRST_COMPLETED)
    finally:
        sleeping.cancel()
        listening.cancel()
    if sleeping not in done:
        raise ClientDisconnect


async def _hang_up(receive: Receive) -> None:
    """Returns when the client disconnects (the request's body, already read, is all else receive gives)."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def delay(respond: Respond, rng: random.Random, receive: Receive) -> None:
    if respond.delay_ms or respond.jitter_ms:
        await wait((respond.delay_ms + rng.uniform(0, respond.jitter_ms)) / 1000, receive)


async def generation_time(respond: Respond, body: Any, receive: Receive) -> None:
    """A non-streamed answer takes as long as its stream would: ttft + completion tokens at the pace."""
    seconds = (respond.ttft_ms or 0) / 1000
    if respond.tokens_per_second and isinstance(body, Mapping):
        usage = body.get("usage")
        tokens = usage.get("completion_tokens") if isinstance(usage, Mapping) else None
        if isinstance(tokens, int):
            seconds += tokens / respond.tokens_per_second
    await wait(seconds, receive)


def malformed(data: bytes) -> bytes:
    """JSON that does not parse: the first half of the document, cut inside it."""
    return data[: max(1, len(data) // 2)]


class FaultyResponse(StreamingResponse):
    """A streamed body that may end without its final message: the server then closes the connection
    mid-body, as a dropped upstream would, and the client's read fails."""

    def __init__(
        self,
        content: AsyncIterator[bytes],
        complete: bool,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
    ) -> None:
        super().__init__(content, status_code, headers, media_type)
        self.complete = complete
        if not complete:
            _CUT_ON_PURPOSE.set(True)  # in the request's task, where uvicorn will log the cut

    async def stream_response(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        async for chunk in self.body_iterator:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        if self.complete:
            await send({"type": "http.response.body", "body": b"", "more_body": False})


class StreamCut(Exception):
    """Ends a stream told to drop its connection (`disconnect_after_chunks`): the edge leaves the answer
    incomplete there and the connection is closed, as a dropped upstream would."""


async def _events(
    chunks: Iterable[Any], respond: Respond | None, default_delay_ms: float
) -> AsyncIterator[ServerSentEvent]:
    ttft = respond.ttft_ms if respond else None
    pace = 1 / respond.tokens_per_second if respond and respond.tokens_per_second else default_delay_ms / 1000
    cut = respond.disconnect_after_chunks if respond else None
    broken = respond is not None and respond.malformed_json
    for index, chunk in enumerate(chunks):
        if cut is not None and index >= cut:
            raise StreamCut
        wait = (ttft / 1000 if ttft is not None else 0) if index == 0 else pace
        if wait:
            await asyncio.sleep(wait)
        data = orjson.dumps(chunk)
        yield sse.event(malformed(data) if broken and index == 0 else data)
    if cut is not None:
        raise StreamCut
    yield sse.DONE


def event_stream(
    chunks: Iterable[Any], respond: Respond | None, default_delay_ms: float, headers: Mapping[str, str]
) -> EventSourceResponse:
    """SSE: one `data:` event per chunk then `[DONE]`, paced by ttft_ms / tokens_per_second (or the
    server's --stream-delay-ms), cut after `disconnect_after_chunks` events with no `[DONE]`."""
    if respond is not None and respond.disconnect_after_chunks is not None:
        _CUT_ON_PURPOSE.set(True)  # in the request's task, where uvicorn will log the cut
    return sse.stream_response(_events(chunks, respond, default_delay_ms), {**SSE_HEADERS, **headers})


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


def json_body(body: Any, status: int, headers: Mapping[str, str], respond: Respond | None) -> FaultyResponse | None:
    """A JSON answer with a body fault applied (malformed or cut short), or None when it has none."""
    if respond is None or not (respond.malformed_json or respond.disconnect_after_chunks is not None):
        return None
    data = orjson.dumps(body)
    return _body(malformed(data) if respond.malformed_json else data, status, headers, "application/json", respond)


def raw_body(
    data: bytes, status: int, headers: Mapping[str, str], media_type: str, respond: Respond | None
) -> FaultyResponse | None:
    """A non-JSON answer (text, audio...) cut short by `disconnect_after_chunks`, or None without it."""
    if respond is None or respond.disconnect_after_chunks is None:
        return None
    return _body(data, status, headers, media_type, respond)


def streamed_body(
    chunks: AsyncIterator[bytes],
    length: int,
    status: int,
    headers: Mapping[str, str],
    media_type: str,
    respond: Respond | None,
) -> StreamingResponse:
    """`length` bytes sent as they come; with `disconnect_after_chunks`, their first half and then a closed
    connection."""
    headers = {**headers, "content-length": str(length)}
    if respond is None or respond.disconnect_after_chunks is None:
        return StreamingResponse(chunks, status, headers, media_type)
    return FaultyResponse(_first(chunks, length // 2), False, status, headers, media_type)


async def _first(chunks: AsyncIterator[bytes], size: int) -> AsyncIterator[bytes]:
    """The first `size` bytes of `chunks`."""
    try:
        async for chunk in chunks:
            if size <= 0:
                break
            yield chunk[:size]
            size -= len(chunk)
    finally:
        closing = getattr(chunks, "aclose", None)
        if closing is not None:
            await closing()


def _body(data: bytes, status: int, headers: Mapping[str, str], media_type: str, respond: Respond) -> FaultyResponse:
    """The bytes, or with `disconnect_after_chunks` their first half and then a closed connection."""
    cut = respond.disconnect_after_chunks is not None
    return FaultyResponse(_once(data[: len(data) // 2] if cut else data), not cut, status, headers, media_type)


def fault_name(respond: Respond) -> str | None:
    """How the journal names what was injected into this answer."""
    if respond.error is not None:
        return "error"
    if respond.empty_response:
        return "empty_response"
    if respond.malformed_json:
        return "malformed_json"
    if respond.disconnect_after_chunks is not None:
        return "disconnect"
    if respond.delay_ms or respond.jitter_ms or respond.ttft_ms or respond.tokens_per_second:
        return "delay"
    return None
