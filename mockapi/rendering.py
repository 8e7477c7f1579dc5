"""Every answer's bytes: pure functions from values to a `Rendered` answer (wire.py sends it).

JSON bodies, SSE streams (framed by sse-starlette: `data: {json}` events ending `data: [DONE]`, as OpenAI
sends them), raw bytes, streamed downloads, errors in OpenAI's shape, and the complete HTTP 400 the transport
answers when the HTTP parser rejects a request before any app code runs.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Mapping
from http import HTTPStatus
from typing import Any

import orjson
from sse_starlette import ServerSentEvent

from mockapi import errors
from mockapi.wire import RawHeaders, Rendered

JSON = b"application/json"
EVENT_STREAM = b"text/event-stream; charset=utf-8"
OPENAI_VERSION = "2020-10-01"
OPENAI_VERSION_BYTES = OPENAI_VERSION.encode()
# OpenAI ends each event with a blank line of plain "\n"; sse-starlette's default separator is "\r\n".
SEPARATOR = "\n"
# What an event stream says about caching and buffering (a rule's headers may replace the first).
STREAM_HEADERS = {"cache-control": "no-cache, must-revalidate", "x-accel-buffering": "no"}


def raw_headers(headers: Mapping[str, str] | None) -> RawHeaders:
    """Header pairs as sent: lower-case latin-1 names and values."""
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()] if headers else []


def _head(media_type: bytes, headers: Mapping[str, str] | None) -> RawHeaders:
    """The content type, unless the headers given (a rule's) name their own, then those headers."""
    if not headers:
        return [(b"content-type", media_type)]
    pairs = raw_headers(headers)
    for name, _ in pairs:
        if name == b"content-type":
            return pairs
    return [(b"content-type", media_type), *pairs]


def json(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Rendered:
    """A JSON answer (orjson: an `orjson.Fragment` in the body is sent as the bytes it holds)."""
    return Rendered(status, _head(JSON, headers), orjson.dumps(body))


def error(failure: errors.OpenAIError) -> Rendered:
    """An error in OpenAI's shape, with its own headers (retry-after...)."""
    return json(failure.body(), failure.status, failure.headers)


def empty(status: int = 200, headers: Mapping[str, str] | None = None) -> Rendered:
    """A JSON answer without a body: the client has nothing to parse."""
    return Rendered(status, _head(JSON, headers), b"")


def raw(content: bytes, media_type: str, status: int = 200, headers: Mapping[str, str] | None = None) -> Rendered:
    """Bytes as they are (text formats of a transcript, a stored image)."""
    return Rendered(status, _head(media_type.encode("latin-1"), headers), content)


def download(
    chunks: AsyncIterator[bytes],
    length: int,
    media_type: str,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Rendered:
    """A body of `length` bytes sent as `chunks` come (a stored file), never held whole."""
    return Rendered.in_parts(status, _head(media_type.encode("latin-1"), headers), chunks, length)


def _one_line(data: bytes) -> bool:
    """Whether sse-starlette would write `data` as one `data:` line of the same bytes: no line break in it
    (it splits on CR, LF and CRLF), and UTF-8 that decodes. Such a payload (every JSON chunk orjson writes
    of a valid text) is framed here by concatenation, the same bytes for a fraction of the cost: a stream
    frames every event, and thousands of streams frame a hundred thousand a second."""
    if b"\n" in data or b"\r" in data:
        return False
    if data.isascii():
        return True
    try:
        data.decode()
    except UnicodeDecodeError:
        return False
    return True


def event(data: bytes) -> bytes:
    """One SSE event around an already serialised payload."""
    if _one_line(data):
        return b"data: " + data + b"\n\n"
    return ServerSentEvent(data=data.decode(), sep=SEPARATOR).encode()


_EVENT_TYPE = re.compile(rb'^\{"type":"([^"\\]+)"')


def named_event(data: bytes) -> bytes:
    """One SSE event named by its payload's `type` (its first key), as `event: <type>` then `data:`; the
    name is read from the bytes, so a payload cut short by a fault keeps it."""
    found = _EVENT_TYPE.match(data)
    if _one_line(data):
        head = b"event: " + found.group(1) + b"\n" if found else b""
        return head + b"data: " + data + b"\n\n"
    name = found.group(1).decode() if found else None
    return ServerSentEvent(data=data.decode(errors="replace"), event=name, sep=SEPARATOR).encode()


DONE = ServerSentEvent(data="[DONE]", sep=SEPARATOR).encode()


def events(
    chunks: Iterable[Any] | AsyncIterable[Any],
    headers: Mapping[str, str] | None = None,
    pace_seconds: float = 0.0,
    when_done: Callable[[], None] | None = None,
    *,
    done: bool = True,
    named: bool = False,
) -> Rendered:
    """SSE: one `data:` event per chunk (JSON), `pace_seconds` apart, then `data: [DONE]` (unless not
    `done`); `named` events carry their payload's `type` as the event's name. `when_done` is called once
    the last chunk is taken (not if the stream stops early)."""
    merged = {**STREAM_HEADERS, **{name.lower(): value for name, value in (headers or {}).items()}}
    merged["x-accel-buffering"] = "no"
    merged["connection"] = "keep-alive"
    head = raw_headers(merged) if "content-type" in merged else [*raw_headers(merged), (b"content-type", EVENT_STREAM)]
    frame = named_event if named else event
    rendered = Rendered.in_parts(200, head, _payloads(chunks, when_done), frame=frame, tail=DONE if done else None)
    rendered.part_wait = pace_seconds
    return rendered


async def _payloads(
    chunks: Iterable[Any] | AsyncIterable[Any], when_done: Callable[[], None] | None
) -> AsyncIterator[bytes]:
    if isinstance(chunks, AsyncIterable):  # chunks that come as something happens (a job's events)
        async for chunk in chunks:
            yield orjson.dumps(chunk)
    else:
        for chunk in chunks:
            yield orjson.dumps(chunk)
    if when_done is not None:
        when_done()


def rule_body(body: Any, status: int, headers: Mapping[str, str], streamed: bool) -> Rendered:
    """A rule's fixed `body`: text with a content-type header of its own is sent as those bytes (SSE text
    included); a streamed request gets a list as its events, one `data:` event each (a text item as it is,
    others as JSON; a last "[DONE]" is the stream's own end), and an object as one event; an error status,
    or a request that does not stream, gets JSON."""
    if isinstance(body, str) and any(name.lower() == "content-type" for name in headers):
        return Rendered(status, raw_headers(headers), body.encode())
    if not streamed or status >= 400:
        return json(body, status, headers)
    items = list(body) if isinstance(body, list) else [body]
    if items and items[-1] == "[DONE]":
        items.pop()
    return events([orjson.Fragment(item.encode()) if isinstance(item, str) else item for item in items], headers)


def http_error(failure: errors.OpenAIError, request_id: str | None = None) -> bytes:
    """A complete HTTP/1.1 answer in OpenAI's shape, for a request the HTTP parser rejects before any app
    code runs (the connection is closed after it)."""
    body = orjson.dumps(failure.body())
    head = (
        b"HTTP/1.1 %d %s\r\n"
        % (failure.status, HTTPStatus(failure.status).phrase.encode("ascii"))
        + b"content-type: application/json\r\n"
        b"content-length: " + str(len(body)).encode("ascii") + b"\r\n"
        b"openai-version: " + OPENAI_VERSION_BYTES + b"\r\n"
    )
    if request_id is not None:
        head += b"x-request-id: " + request_id.encode("ascii") + b"\r\n"
    return head + b"connection: close\r\n\r\n" + body
