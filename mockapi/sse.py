"""Event streams with sse-starlette: `data: {json}` events ending with `data: [DONE]`, as OpenAI sends them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

from sse_starlette import EventSourceResponse, ServerSentEvent
from sse_starlette.sse import AppStatus

# OpenAI ends each event with a blank line of plain "\n"; sse-starlette's default separator is "\r\n".
SEPARATOR = "\n"
# OpenAI sends its events and nothing else: no keep-alive comments.
NO_PING = 0
# On SIGTERM sse-starlette would cut every open stream at once; mockapi lets streams finish, like any other
# request, within uvicorn's graceful-shutdown timeout.
AppStatus.disable_automatic_graceful_drain()  # type: ignore[no-untyped-call]

DONE = ServerSentEvent(data="[DONE]", sep=SEPARATOR)


def event(data: bytes) -> ServerSentEvent:
    """One event around an already serialised payload."""
    return ServerSentEvent(data=data.decode(), sep=SEPARATOR)


def stream_response(events: AsyncIterator[ServerSentEvent], headers: Mapping[str, str]) -> EventSourceResponse:
    return EventSourceResponse(events, headers=headers, sep=SEPARATOR, ping=NO_PING)
