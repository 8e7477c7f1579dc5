"""What travels with one request: a typed context under one scope key, and the served exchange it records.

The edge builds the context; the pipeline fills in the served exchange (body, matched rule, fault, rate-limit
admission); the edge reads it back for the response headers and hands it to the journal once answered.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from starlette.requests import HTTPConnection
from starlette.types import Scope

if TYPE_CHECKING:
    from mockapi.ratelimit import Admission
    from mockapi.state import AppState

SCOPE_KEY = "mockapi.context"
RawHeaders = Sequence[tuple[bytes, bytes]]
# What rules matched a request on: its endpoint, model, main text and system text.
MatchedOn = tuple[str, str | None, str | None, str | None]


class Caller(NamedTuple):
    """Who is asking: state such as the file store is scoped to `owner` (the organization, else the key; within
    it the project the OpenAI-Project header names)."""

    api_key: str
    organization: str | None
    project: str | None = None

    @property
    def owner(self) -> str:
        # Disjoint prefixes: an organization header cannot name a key's scope, nor the reverse.
        scope = f"org:{self.organization}" if self.organization else f"key:{self.api_key}"
        # After a line break, which no header value holds: no organization's name can end like a project.
        return f"{scope}\nproject:{self.project}" if self.project else scope


@dataclass(slots=True)
class Served:
    """One request as it was served: what the journal keeps and the rate-limit headers read."""

    method: str
    path: str
    query: bytes
    raw_headers: RawHeaders
    header_bytes: int
    started: float  # monotonic seconds
    caller: Caller | None = None
    # The body as parsed (rules' view of it once the pipeline has it) and, for a JSON body, its bytes.
    body: Mapping[str, Any] | None = None
    raw_body: bytes | None = None
    rule_id: str | None = None
    fault: str | None = None
    admission: Admission | None = None
    # Answered by the upstream, as it answered (recording.py), or refused in replay: the closest rule and
    # what differed.
    relayed: bool = False
    near_miss: str | None = None
    # What rules matched on: endpoint, model, main text, system text (the inspector proposes a rule from it).
    matched_on: MatchedOn | None = None
    # The answer's first bytes and, for one sent in parts, each part's offset (ms) and size (journal.py).
    response: bytearray | None = None
    parts: array[float] | None = None  # flat: offset, size, offset, size...
    status: int | None = None
    seconds: float = 0.0
    time: float = 0.0  # wall-clock seconds when the answer was done

    @property
    def duration_ms(self) -> float:
        return round(self.seconds * 1000, 3)


@dataclass(slots=True)
class RequestContext:
    """The app state and the served exchange of the request in hand."""

    state: AppState
    served: Served


def context_of(source: HTTPConnection | Scope) -> RequestContext:
    """The context the edge left on the request's scope."""
    # A Request is a Mapping too: told apart by the concrete type, which costs no abc check.
    scope = source if isinstance(source, dict) else source.scope  # type: ignore[union-attr]
    context: RequestContext = scope[SCOPE_KEY]
    return context
