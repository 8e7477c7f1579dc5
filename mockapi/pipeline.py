"""One request, one path through the code:

auth (edge) -> body validation (parse) -> fault rules -> fixture match -> generator -> JSON or SSE.

Routers validate with `parse`, check models with `require_model`, then hand `run` an Exchange and a
`produce` callback that calls a pure generator; they never render or match rules themselves.
"""

from __future__ import annotations

import inspect
import random
import reprlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any, NamedTuple, TypeVar

import orjson
from fastapi import Request
from pydantic import BaseModel, ValidationError
from starlette.responses import Response
from starlette.types import Receive

from mockapi import errors, faults, tokens
from mockapi.catalogue import ModelEntry, ModelKind
from mockapi.edge import Caller
from mockapi.fixtures import Respond
from mockapi.generators.drafting import DraftMemo
from mockapi.matching import Exchange
from mockapi.ratelimit import Limits
from mockapi.seeding import Seeding, canonical
from mockapi.state import AppState

ModelT = TypeVar("ModelT", bound=BaseModel)


def state_of(request: Request) -> AppState:
    state: AppState = request.scope["state"]["app_state"]  # left there by the edge
    return state


def caller_of(request: Request) -> Caller:
    """Who is asking, as the edge authenticated them."""
    caller: Caller = request.scope["state"]["caller"]
    return caller


# Validation.


async def read_body(request: Request) -> bytes:
    """The whole request body (Starlette's Request.body, without its stream machinery)."""
    receive = request.receive
    message = await receive()
    body: bytes = message.get("body", b"")
    if not message.get("more_body"):
        return body
    chunks = [body]
    while message.get("more_body"):
        message = await receive()
        chunks.append(message.get("body", b""))
    return b"".join(chunks)


async def read_json(request: Request) -> dict[str, Any]:
    """The JSON object body, or the real API's 400 for a body that does not parse."""
    raw = await read_body(request)
    try:
        body = orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError as exc:
        raise errors.invalid_json() from exc
    if not isinstance(body, dict):
        # As jsonschema words it: the value itself (cut short: a body may be large).
        raise errors.invalid_param(f"{reprlib.repr(body)} is not of type 'object'", None)
    notes = request.scope.setdefault("state", {})
    notes["journal_body"] = body  # journaled even if validation fails
    notes["journal_raw"] = raw
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


def exchange_of(
    request: Request,
    endpoint: str,
    body: Mapping[str, Any],
    model: str | None = None,
    text: str | None = None,
    system: str | None = None,
) -> Exchange:
    """What rules may match on: the endpoint's name, the request's own method, path and headers, its
    parsed body and main text."""
    scope = request.scope
    return Exchange(endpoint, scope["method"], scope["path"], body, request.headers, model, text, system)


# What generators receive and return.


@dataclass
class Answer:
    """Everything a generator may use: seeded generators per choice, the clock, and a rule's content."""

    seeding: Seeding
    route: str
    seed_body: Any
    respond: Respond | None = None
    drafts: DraftMemo = field(default_factory=DraftMemo)

    @cached_property
    def _seed_bytes(self) -> bytes:
        """The seed body as stable bytes (a router may hand them over ready-made)."""
        return self.seed_body if isinstance(self.seed_body, bytes) else canonical(self.seed_body)

    def rng(self, index: int = 0) -> random.Random:
        return self.seeding.rng_for(self.route, self._seed_bytes, index)

    def digest(self, index: int = 0) -> bytes:
        """What `rng(index)` is seeded with: equal digests, equal generators."""
        return self.seeding.digest(self.route, self._seed_bytes, index)

    def now(self) -> int:
        return self.seeding.now()

    @property
    def content(self) -> str | None:
        return self.respond.content if self.respond else None


NO_HEADERS: Mapping[str, str] = MappingProxyType({})


class JSONReply(NamedTuple):
    body: Any
    status: int = 200
    headers: Mapping[str, str] = NO_HEADERS


class StreamReply(NamedTuple):
    """Chunk payloads in order; each is sent as one `data:` event, then `[DONE]`. `total_tokens` tells,
    once every chunk is sent, what the stream used (prompt and completion), for the token limits."""

    chunks: Iterable[Any]
    headers: Mapping[str, str] = NO_HEADERS
    total_tokens: Callable[[], int] | None = None


class RawReply(NamedTuple):
    content: bytes
    media_type: str
    status: int = 200
    headers: Mapping[str, str] = NO_HEADERS


class StreamedReply(NamedTuple):
    """A body of `length` bytes sent as `chunks` come (a stored file), never held whole."""

    chunks: AsyncIterator[bytes]
    length: int
    media_type: str
    status: int = 200
    headers: Mapping[str, str] = NO_HEADERS


Reply = JSONReply | StreamReply | RawReply | StreamedReply
# Generators are pure and synchronous; a producer may be async when it must wait (e.g. disk I/O).
Produce = Callable[[Answer], Reply | Awaitable[Reply]]


# The flow.


async def run(request: Request, exchange: Exchange, produce: Produce, seed_body: Any = None) -> Response:
    state = state_of(request)
    notes = request.scope["state"]  # read by the edge: journal entry and rate-limit headers
    notes["journal_body"] = exchange.body
    caller: Caller = notes["caller"]
    who = f"default-{exchange.model or 'model'} in organization {caller.organization or 'org-mockapi'}"
    estimate = estimate_tokens(exchange, exact=state.settings.tpm is not None)
    buckets = [(caller.api_key, state.limits)]
    _admit(state, notes, buckets[0], estimate, who)

    respond: Respond | None = None
    session = exchange.headers.get("x-mockapi-session", "")
    hit = state.rules.match(exchange, session)
    if hit is not None:
        notes["rule_id"] = hit.rule_id
        rule = hit.rule
        if rule.rpm is not None or rule.tpm is not None:
            buckets.append((f"{caller.api_key}\0{hit.rule_id}", Limits(rule.rpm, rule.tpm)))
            notes["ratelimit"] = buckets[-1]
            _admit(state, notes, buckets[-1], estimate, who)
        respond = rule.respond.step(hit.use)
        early = await _apply_faults(state, notes, respond, f"{hit.rule_id}|{session}|{hit.use}", request.receive)
        if early is not None:
            return early

    seed = exchange.body if seed_body is None else seed_body
    answer = Answer(state.seeding, exchange.endpoint, seed, respond, state.drafts)
    produced = produce(answer)
    reply = await produced if inspect.isawaitable(produced) else produced
    headers = {"openai-model": exchange.model} if exchange.model else {}
    if reply.headers:
        headers.update(reply.headers)
    if respond is not None:
        headers.update(respond.headers)
    if isinstance(reply, StreamReply):
        chunks = reply.chunks
        if reply.total_tokens is not None:
            total = reply.total_tokens
            chunks = _then(chunks, lambda: _count_tokens(state, buckets, total(), estimate))
        return faults.event_stream(chunks, respond, state.settings.stream_delay_ms, headers)
    if isinstance(reply, RawReply):
        cut = faults.raw_body(reply.content, reply.status, headers, reply.media_type, respond)
        return cut or Response(reply.content, reply.status, headers, reply.media_type)
    if isinstance(reply, StreamedReply):
        return faults.streamed_body(reply.chunks, reply.length, reply.status, headers, reply.media_type, respond)
    _count_usage(state, buckets, reply.body, estimate)
    if respond is not None:
        await faults.generation_time(respond, reply.body, request.receive)
        faulty = faults.json_body(reply.body, reply.status, headers, respond)
        if faulty is not None:
            return faulty
    return json_response(reply.body, reply.status, headers)


class JSONResponse(Response):
    """A serialised JSON answer, its headers built straight as raw pairs (Starlette's general header
    handling costs more than the whole body on small answers)."""

    media_type = "application/json"

    def __init__(self, content: bytes, status_code: int = 200, headers: Mapping[str, str] | None = None) -> None:
        self.status_code = status_code
        self.body = content
        self.background = None
        self.raw_headers = [(b"content-length", b"%d" % len(content)), (b"content-type", b"application/json")]
        if headers:
            self.raw_headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return JSONResponse(orjson.dumps(body), status, headers)


def estimate_tokens(exchange: Exchange, exact: bool) -> int:
    """Tokens a request will use before its answer is known: prompt plus `max_tokens`, as the real limiter
    reserves. Counted with the tokenizer only when a token limit is enforced (else a cheap estimate)."""
    max_tokens = exchange.body.get("max_tokens")
    total = max_tokens if isinstance(max_tokens, int) else 0
    for text in (exchange.text, exchange.system):
        if text:
            total += tokens.count(text) if exact else len(text) // 4 + 1
    return total


def _admit(state: AppState, notes: dict[str, Any], bucket: tuple[str, Limits], estimate: int, who: str) -> None:
    key, limits = bucket
    refusal = state.limiter.admit(key, limits, estimate, state.seeding.monotonic(), who)
    if refusal is not None:
        notes["fault"] = "rate_limit"
        raise refusal


def _count_usage(state: AppState, buckets: list[tuple[str, Limits]], body: Any, estimate: int) -> None:
    """Replace the estimate by the reply's real `usage.total_tokens` when it has one."""
    usage = body.get("usage") if isinstance(body, dict) else None
    total = usage.get("total_tokens") if isinstance(usage, dict) else None
    if isinstance(total, int):
        _count_tokens(state, buckets, total, estimate)


def _count_tokens(state: AppState, buckets: list[tuple[str, Limits]], total: int, estimate: int) -> None:
    if total != estimate:
        now = state.seeding.monotonic()
        for key, _ in buckets:
            state.limiter.add_tokens(key, total - estimate, now)


def _then(items: Iterable[Any], done: Callable[[], None]) -> Iterator[Any]:
    """The items, then `done()` once the last has been taken (not if the consumer stops early)."""
    yield from items
    done()


async def _apply_faults(
    state: AppState, notes: dict[str, Any], respond: Respond, draw: str, receive: Receive
) -> Response | None:
    """Chaos, delays, and the forms answered without the generator (error, empty, body)."""
    rng = state.seeding.rng_for("faults", draw)
    chaos = faults.chaos_error(respond, rng)
    if chaos is not None:
        notes["fault"] = "chaos"
        raise chaos
    notes["fault"] = faults.fault_name(respond)
    await faults.delay(respond, rng, receive)
    if respond.error is not None:
        error = respond.error.to_error()
        error.headers = {**error.headers, **respond.headers}
        raise error
    if respond.empty_response:
        return Response(b"", respond.status, respond.headers, "application/json")
    if respond.body is not None:
        faulty = faults.json_body(respond.body, respond.status, respond.headers, respond)
        return faulty or json_response(respond.body, respond.status, respond.headers)
    return None
