"""One request, one path through the code:

auth (edge) -> body validation (parse) -> fault rules -> fixture match -> generator -> JSON or SSE.

Routers validate with `parse`, check models with `require_model`, then hand `run` an Exchange and a
`produce` callback that calls a pure generator; they never render or match rules themselves.
"""

from __future__ import annotations

import asyncio
import inspect
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson
from fastapi import Request
from pydantic import BaseModel, ValidationError
from sse_starlette import EventSourceResponse
from starlette.responses import Response

from mockapi import errors, sse
from mockapi.catalogue import ModelEntry, ModelKind
from mockapi.edge import Caller
from mockapi.fixtures import Respond
from mockapi.matching import Exchange
from mockapi.seeding import Seeding
from mockapi.state import AppState

ModelT = TypeVar("ModelT", bound=BaseModel)

# No keep-alive comments: the real API sends none, and clients should see only data events.
_NO_PING = 24 * 3600


def state_of(request: Request) -> AppState:
    state: AppState = request.app.state.mockapi
    return state


def caller_of(request: Request) -> Caller:
    caller: Caller = request.state.caller
    return caller


# Validation.


async def read_json(request: Request) -> dict[str, Any]:
    """The JSON object body, or the real API's 400 for a body that does not parse."""
    raw = await request.body()
    try:
        body = orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError as exc:
        raise errors.invalid_json() from exc
    if not isinstance(body, dict):
        raise errors.invalid_param(f"{raw[:40]!r} is not of type 'object'", None)
    return body


def parse(model: type[ModelT], body: Mapping[str, Any]) -> ModelT:
    """Validate a body against its request model; a violation is 400 naming the field."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise errors.from_pydantic(exc) from exc


def require_model(request: Request, model_id: str, kinds: Iterable[ModelKind]) -> ModelEntry:
    """The catalogue entry, or 404 for an unknown model (a wrong kind is the router's to word)."""
    entry = state_of(request).catalogue.get(model_id)
    if entry.kind not in set(kinds):
        raise errors.invalid_param(f"The model '{model_id}' is not supported on this endpoint.", "model")
    return entry


# What generators receive and return.


@dataclass(frozen=True)
class Answer:
    """Everything a generator may use: seeded generators per choice, the clock, and a rule's content."""

    seeding: Seeding
    route: str
    seed_body: Any
    respond: Respond | None = None

    def rng(self, index: int = 0) -> random.Random:
        return self.seeding.rng_for(self.route, self.seed_body, index)

    def now(self) -> int:
        return self.seeding.now()

    @property
    def content(self) -> str | None:
        return self.respond.content if self.respond else None


@dataclass(frozen=True)
class JSONReply:
    body: Any
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StreamReply:
    """Chunk payloads in order; each is sent as one `data:` event, then `[DONE]`."""

    chunks: Iterable[Any]
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RawReply:
    content: bytes
    media_type: str
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)


Reply = JSONReply | StreamReply | RawReply
# Generators are pure and synchronous; a producer may be async when it must wait (e.g. disk I/O).
Produce = Callable[[Answer], Reply | Awaitable[Reply]]


# The flow.


async def run(request: Request, exchange: Exchange, produce: Produce, seed_body: Any = None) -> Response:
    state = state_of(request)
    respond = _matching_respond(request, state, exchange)
    if respond is not None:
        await _delay(state, exchange, respond)
        if respond.error is not None:
            raise respond.error.to_error()
        if respond.body is not None:
            return json_response(respond.body, respond.status, respond.headers)
    answer = Answer(state.seeding, exchange.endpoint, exchange.body if seed_body is None else seed_body, respond)
    produced = produce(answer)
    reply = await produced if inspect.isawaitable(produced) else produced
    model_header = {"openai-model": exchange.model} if exchange.model else {}
    if isinstance(reply, StreamReply):
        return EventSourceResponse(
            _paced(reply.chunks, state.settings.stream_delay_ms),
            headers={**model_header, **reply.headers},
            ping=_NO_PING,
            sep="\n",
        )
    if isinstance(reply, RawReply):
        return Response(reply.content, reply.status, {**model_header, **reply.headers}, reply.media_type)
    return json_response(reply.body, reply.status, {**model_header, **reply.headers})


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers, "application/json")


def _matching_respond(request: Request, state: AppState, exchange: Exchange) -> Respond | None:
    session = request.headers.get("x-mockapi-session", "")
    found = state.rules.match(exchange, session)
    if found is None:
        return None
    rule_id, rule = found
    request.state.rule_id = rule_id
    respond = rule.respond
    if respond.sequence is not None:
        # The sequence answers in order, its last element repeating.
        step = min(state.rules.uses(rule_id, session), len(respond.sequence)) - 1
        respond = respond.sequence[step]
    return respond


async def _delay(state: AppState, exchange: Exchange, respond: Respond) -> None:
    if respond.delay_ms or respond.jitter_ms:
        jitter = state.seeding.rng_for("jitter", exchange.body).uniform(0, respond.jitter_ms)
        await asyncio.sleep((respond.delay_ms + jitter) / 1000)


async def _paced(chunks: Iterable[Any], delay_ms: float) -> AsyncIterator[bytes]:
    for index, chunk in enumerate(chunks):
        if delay_ms and index:
            await asyncio.sleep(delay_ms / 1000)
        yield sse.event(chunk)
    yield sse.DONE
