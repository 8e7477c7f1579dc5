"""Faults as values (WireMock's Fault + FaultInjector): what a matched rule does to its answer.

Each kind is a small model with one hook, `apply(answer, at)`: it may answer instead (error, chaos, an empty
body, a reset), wait first (delay), or bend the rendered answer on its way to the wire (pace, malformed JSON,
a cut, a stall, a trickle) through the primitives of wire.Rendered. `inject` applies a rule's faults, the
first wrapping the rest. A rule file writes them as `faults: [{kind: ...}]` or with the flat keys of
`respond` (fixtures.py turns those into the same values when the rule is loaded).

Decisions that vary from request to request (chaos, jitter) draw from a generator seeded by the rule, the
session and the use number (`Injection.rng`), so a run repeats exactly.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

from pydantic import ConfigDict, Field, model_validator
from starlette.types import Receive

from mockapi import errors, rendering
from mockapi.matching import Headers
from mockapi.model_base import Schema
from mockapi.wire import MAX_HOLD_SECONDS, Rendered, wait

# Timing bounds: a rule cannot hold a request (or a stream's chunk) longer than the wire holds anything.
MAX_DELAY_MS = int(MAX_HOLD_SECONDS * 1000)
MIN_TOKENS_PER_SECOND = 0.1
MIN_BYTES_PER_SECOND = 1.0

Milliseconds = Annotated[float, Field(ge=0, le=MAX_DELAY_MS, allow_inf_nan=False)]

# Shortcuts for the real API's common errors (`error: rate_limit_exceeded` in a rule), with example values.
NAMED_ERRORS: dict[str, Callable[[], errors.OpenAIError]] = {
    "rate_limit_exceeded": lambda: errors.rate_limit_reached(
        "requests", 3, 3, 20, "default-gpt-3.5-turbo in organization org-mockapi", help_center=False
    ),
    "insufficient_quota": errors.insufficient_quota,
    "server_error": errors.server_error,
    "overloaded": errors.overloaded,
    "context_length_exceeded": lambda: errors.completion_too_long(4097, 4984, 16),
    # Already masked, as the real message shows a key.
    "invalid_api_key": lambda: errors.invalid_api_key("sk-mock*****************1234"),
}


class ErrorSpec(Schema):
    model_config = ConfigDict(extra="forbid", frozen=True)

    status: int = Field(400, ge=400, le=599)
    type: str = "invalid_request_error"
    message: str = "Injected error"
    param: str | None = None
    code: str | None = None
    headers: Headers = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _expand_shortcut(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value not in NAMED_ERRORS:
                raise ValueError(f"unknown error name {value!r}; known: {', '.join(NAMED_ERRORS)}")
            error = NAMED_ERRORS[value]()
            return {**error.body()["error"], "status": error.status, "headers": error.headers}
        return value

    def to_error(self) -> errors.OpenAIError:
        return errors.rule_error(self.status, self.message, self.type, self.param, self.code, self.headers)


@dataclass(slots=True)
class Injection:
    """What faults act with: the request's seeded draws, its receive channel (waits end when the client
    hangs up), the rule's headers, and the name of a fault that fired by chance (chaos)."""

    rng: random.Random
    receive: Receive
    headers: Mapping[str, str]
    fired: str | None = None


Answer = Callable[[], Awaitable[Rendered]]


class FaultBase(Schema):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # How the journal names an answer this fault shaped (see journal_name).
    name: ClassVar[str]

    async def apply(self, answer: Answer, at: Injection) -> Rendered:
        """The answer with this fault applied; `answer()` makes the rest of it (the next faults, then the
        generator), and a fault that answers instead never calls it."""
        raise NotImplementedError


def bent(rendered: Rendered, bend: Callable[[Rendered], None]) -> Rendered:
    """The answer made, bent on its way to the wire (what the faults after the generator do)."""
    bend(rendered)
    return rendered


class Delay(FaultBase):
    """Holds the request `delay_ms` (plus a seeded share of `jitter_ms`) before anything is made."""

    name = "delay"
    kind: Literal["delay"] = "delay"
    delay_ms: Milliseconds = 0
    jitter_ms: Milliseconds = 0

    async def apply(self, answer: Answer, at: Injection) -> Rendered:
        await wait((self.delay_ms + at.rng.uniform(0, self.jitter_ms)) / 1000, at.receive)
        return await answer()


class Pace(FaultBase):
    """A model's speed: the first event after `ttft_ms`, then `tokens_per_second`; a non-streamed answer
    waits as long as its stream would take."""

    name = "delay"
    kind: Literal["pace"] = "pace"
    ttft_ms: Milliseconds | None = None
    tokens_per_second: Annotated[float, Field(ge=MIN_TOKENS_PER_SECOND, allow_inf_nan=False)] | None = None

    async def apply(self, answer: Answer, at: Injection) -> Rendered:
        return bent(await answer(), lambda rendered: rendered.pace(self.ttft_ms, self.tokens_per_second))


class InjectedError(FaultBase):
    """The error answers instead (the rule's headers added to its own)."""

    name = "error"
    kind: Literal["error"] = "error"
    error: ErrorSpec

    async def apply(self, answer: Answer, at: Injection) -> Rendered:
        error = self.error.to_error()
        error.headers = {**error.headers, **at.headers}
        raise error


class Chaos(FaultBase):
    """A seeded share (`rate`) of the requests fail with `error`; the others pass untouched."""

    name = "chaos"
    kind: Literal["chaos"] = "chaos"
    rate: float = Field(ge=0, le=1)
    error: ErrorSpec = ErrorSpec.model_validate("server_error")

    async def apply(self, answer: Answer, at: Injection) -> Rendered:
        if at.rng.random() < self.rate:
            at.fired = self.name
            raise self.error.to_error()
        return await answer()


class EmptyResponse(FaultBase):
    """A JSON answer with no body at all."""

    name = "empty_response"
    kind: Literal["empty_response"] = "empty_response"
    status: int = Field(200, ge=200, le=599)

    async def apply(self, answer: Answer, at: Injection) -> Rendered:
        return rendering.empty(self.status, at.headers)


class MalformedJSON(FaultBase):
    """JSON that does not parse: the body, or a stream's first event, cut in half."""

    name = "malformed_json"
    kind: Literal["malformed_json"] = "malformed_json"

    async def apply(self, answer: Answer, at: Injection) -> Rendered:
        return bent(await answer(), Rendered.malform)


class Disconnect(FaultBase):
    """The connection closes mid-answer: a stream after `after_chunks` events, any other body at half."""

    name = "disconnect"
    kind: Literal["disconnect"] = "disconnect"
    after_chunks: int = Field(0, ge=0)

    async def apply(self, answer: Answer, at: Injection) -> Rendered:
        return bent(await answer(), lambda rendered: rendered.cut(self.after_chunks))


class Reset(FaultBase):
    """A TCP reset instead of an answer: the client reads ECONNRESET (a plain close on servers without
    mockapi's transport)."""

    name = "reset"
    kind: Literal["reset"] = "reset"

    async def apply(self, answer: Answer, at: Injection) -> Rendered:
        rendered = rendering.empty()
        rendered.reset = True
        return rendered


class Trickle(FaultBase):
    """The answer leaves a few bytes at a time, `bytes_per_second` (for at most the wire's hold)."""

    name = "trickle"
    kind: Literal["trickle"] = "trickle"
    bytes_per_second: float = Field(ge=MIN_BYTES_PER_SECOND, allow_inf_nan=False)

    async def apply(self, answer: Answer, at: Injection) -> Rendered:
        return bent(await answer(), lambda rendered: rendered.trickle_at(self.bytes_per_second))


class Stall(FaultBase):
    """The head and the first `after_chunks` events of a stream, then nothing until the client gives up
    (for at most the wire's hold)."""

    name = "stall"
    kind: Literal["stall"] = "stall"
    after_chunks: int = Field(0, ge=0)

    async def apply(self, answer: Answer, at: Injection) -> Rendered:
        return bent(await answer(), lambda rendered: rendered.stall(self.after_chunks))


Fault = Annotated[
    Delay | Pace | InjectedError | Chaos | EmptyResponse | MalformedJSON | Disconnect | Reset | Trickle | Stall,
    Field(discriminator="kind"),
]

# The journal names an answer by the fault that shaped it most (chaos only when it fires).
JOURNAL_ORDER = ("error", "empty_response", "reset", "malformed_json", "disconnect", "stall", "trickle", "delay")


def journal_name(faults: Sequence[FaultBase]) -> str | None:
    names = {fault.name for fault in faults}
    return next((name for name in JOURNAL_ORDER if name in names), None)


async def inject(faults: Sequence[FaultBase], answer: Answer, at: Injection) -> Rendered:
    """The answer with every fault applied, the first outermost (it acts first, and last on the way out)."""
    if not faults:
        return await answer()
    first, rest = faults[0], faults[1:]
    return await first.apply(lambda: inject(rest, answer, at), at)
