"""One request, one path through the code:

auth (edge) -> input validation (the route) -> rate limits -> rule match -> faults -> generator ->
rendering -> wire (the edge adds OpenAI's headers and journals the served exchange). With an upstream
(recording.py), record mode forwards before the rules, record-on-miss forwards what they miss, and replay
refuses it.

Routers check models with `require_model` (or `model_entry`: the caller's fine-tuned models, then the
catalogue's), then hand `run` an Exchange and a `produce` callback that calls a
pure generator and answers a Reply (data); `run` does the rest. Routers never render or match rules.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from starlette.requests import Request

from mockapi import errors, faults, rendering, tokens
from mockapi.context import Caller, RequestContext, context_of
from mockapi.conversation import Conversation
from mockapi.fine_tuned_models import is_fine_tuned_name
from mockapi.generators.drafting import DraftMemo
from mockapi.matching import Exchange
from mockapi.ratelimit import Admission, Limits
from mockapi.routing import declared_of
from mockapi.seeding import Seeding, canonical
from mockapi.wire import Rendered

if TYPE_CHECKING:
    from mockapi.catalogue import ModelEntry, ModelKind
    from mockapi.fixtures import Respond
    from mockapi.state import AppState


def state_of(request: Request) -> AppState:
    return context_of(request).state


def caller_of(request: Request) -> Caller:
    """Who is asking, as the edge authenticated them."""
    caller = context_of(request).served.caller
    assert caller is not None, "the edge authenticates every /v1 request but the public ones"
    return caller


def model_entry(request: Request, model_id: str) -> ModelEntry:
    """The model a request names: one of the caller's own (fine-tuned) models, else the catalogue's; else
    the real API's 404 `model_not_found`."""
    state = state_of(request)
    owned = state.fine_tuned.find(caller_of(request).owner, model_id) if is_fine_tuned_name(model_id) else None
    return owned if owned is not None else state.catalogue.get(model_id)


def require_model(request: Request, model_id: str, kinds: Iterable[ModelKind]) -> ModelEntry:
    """The model's entry, or 404 for an unknown model (a wrong kind is the router's to word)."""
    entry = model_entry(request, model_id)
    if entry.kind not in set(kinds):
        raise errors.invalid_param(f"The model '{model_id}' is not supported on this endpoint.", "model")
    return entry


def exchange_of(
    request: Request,
    body: Mapping[str, Any] | None = None,
    model: str | None = None,
    text: str | None = None,
    system: str | None = None,
    conversation: Conversation | None = None,
) -> Exchange:
    """What rules may match on: the endpoint its route declares, the request's own method, path and
    headers, its body (the JSON read, unless given), main text and, for a conversation (chat, Responses),
    what the agent keys read: the tools offered, tool_choice, the tool results and the turn."""
    scope = request.scope
    endpoint = declared_of(request).endpoint
    assert endpoint is not None, f"the route of {scope['path']} declares no endpoint"
    if body is None:
        body = context_of(request).served.body or {}
    headers = request.headers
    return Exchange(endpoint, scope["method"], scope["path"], body, headers, model, text, system, conversation)


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

    @property
    def tool_calls(self) -> tuple[tuple[str, str], ...] | None:
        """A rule's `tool_calls` as (function name, arguments as JSON text)."""
        return self.respond.calls if self.respond else None


NO_HEADERS: Mapping[str, str] = MappingProxyType({})


class JSONReply(NamedTuple):
    body: Any
    status: int = 200
    headers: Mapping[str, str] = NO_HEADERS


class StreamReply(NamedTuple):
    """Chunk payloads in order (or as they come: an async iterable); each is sent as one `data:` event, then
    `[DONE]`. `total_tokens` tells, once every chunk is sent, what the stream used (prompt and completion),
    for the token limits. The typed event streams of today's endpoints end without `[DONE]` (`done=False`),
    some with each event named by its payload's `type` (`named=True`)."""

    chunks: Iterable[Any] | AsyncIterable[Any]
    headers: Mapping[str, str] = NO_HEADERS
    total_tokens: Callable[[], int] | None = None
    done: bool = True
    named: bool = False


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
REPLIES = (JSONReply, StreamReply, RawReply, StreamedReply)
# Generators are pure and synchronous; a producer may be async when it must wait (e.g. disk I/O).
Produce = Callable[[Answer], Reply | Awaitable[Reply]]


# The flow.


async def run(request: Request, exchange: Exchange, produce: Produce, seed_body: Any = None) -> Rendered:
    context = context_of(request)
    state, served = context.state, context.served
    served.body = exchange.body
    caller = served.caller
    assert caller is not None, "a public route's answer is not made by the pipeline"
    recording = state.recording
    if recording is not None and recording.mode == "record":  # the upstream answers everything
        return await recording.forward(request, exchange)
    who = f"default-{exchange.model or 'model'} in organization {caller.organization or 'org-mockapi'}"
    estimate = estimate_tokens(exchange, exact=state.settings.tpm is not None)
    admission = state.limiter.admit(served, caller, estimate, who)

    session = exchange.headers.get("x-mockapi-session", "")
    served.matched_on = (exchange.endpoint, exchange.model, exchange.text, exchange.system)
    hit = state.rules.match(exchange, session)
    respond: Respond | None = None
    draw = ""
    if hit is not None:
        served.rule_id = rule_id = hit.rule_id
        rule = hit.rule
        if rule.rpm is not None or rule.tpm is not None:
            state.limiter.admit_for_rule(served, admission, rule_id, Limits(rule.rpm, rule.tpm))
        respond = rule.respond.step(hit.use)
        draw = f"{rule_id}|{session}|{hit.use}"  # the faults' seeded decisions

    if hit is None and recording is not None:
        missed = await recording.on_miss(request, exchange)
        if missed is not None:
            return missed

    seed = exchange.body if seed_body is None else seed_body
    answer = Answer(state.seeding, exchange.endpoint, seed, respond, state.drafts)
    if respond is None:
        return await _answer(context, exchange, answer, produce)
    served.fault = respond.fault_name
    at = faults.Injection(state.seeding.rng_for("faults", draw), request.receive, respond.headers)
    try:
        return await faults.inject(respond.applied_faults, lambda: _answer(context, exchange, answer, produce), at)
    finally:
        if at.fired is not None:
            served.fault = at.fired


async def _answer(context: RequestContext, exchange: Exchange, answer: Answer, produce: Produce) -> Rendered:
    """What the rule says (its fixed body), else the generator's reply, rendered; the reply's real token
    count replaces the estimate the request was admitted with."""
    respond = answer.respond
    if respond is not None and respond.body is not None:
        return rendering.rule_body(respond.body, respond.status, respond.headers, exchange.body.get("stream") is True)
    produced = produce(answer)
    reply = produced if isinstance(produced, REPLIES) else await produced
    headers = {"openai-model": exchange.model} if exchange.model else {}
    if reply.headers:
        headers.update(reply.headers)
    if respond is not None:
        headers.update(respond.headers)
    admission = context.served.admission
    assert admission is not None
    if isinstance(reply, JSONReply):
        rendered = rendering.json(reply.body, reply.status, headers)
        rendered.generated = True
        usage = reply.body.get("usage") if isinstance(reply.body, dict) else None
        if isinstance(usage, dict):
            total = usage.get("total_tokens")
            rendered.tokens = usage.get("completion_tokens", usage.get("output_tokens"))
            if isinstance(total, int):
                admission.settle(total)
        return rendered
    if isinstance(reply, StreamReply):
        pace = context.state.settings.stream_delay_ms / 1000
        settle = _settling(admission, reply.total_tokens)
        rendered = rendering.events(reply.chunks, headers, pace, settle, done=reply.done, named=reply.named)
        rendered.generated = True
        return rendered
    if isinstance(reply, RawReply):
        return rendering.raw(reply.content, reply.media_type, reply.status, headers)
    return rendering.download(reply.chunks, reply.length, reply.media_type, reply.status, headers)


def events_instead(reply: StreamReply) -> Rendered:
    """A stream answered in place of the error a rule's fault raised (a Responses stream that fails)."""
    return rendering.events(reply.chunks, reply.headers, done=reply.done, named=reply.named)


def _settling(admission: Admission, total: Callable[[], int] | None) -> Callable[[], None] | None:
    """Once a stream is sent whole: its real token count, in place of the estimate."""
    if total is None:
        return None
    return lambda: admission.settle(total())


def estimate_tokens(exchange: Exchange, exact: bool) -> int:
    """Tokens a request will use before its answer is known: prompt plus `max_tokens`, as the real limiter
    reserves (`max_completion_tokens` where given). Counted with the tokenizer only when a token limit is
    enforced (else a cheap estimate)."""
    max_tokens = exchange.body.get("max_completion_tokens", exchange.body.get("max_tokens"))
    total = max_tokens if isinstance(max_tokens, int) else 0
    for text in (exchange.text, exchange.system):
        if text:
            total += tokens.count(text) if exact else len(text) // 4 + 1
    return total
