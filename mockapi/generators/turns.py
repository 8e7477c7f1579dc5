"""One turn of the assistant, for both wire formats (Chat Completions and the Responses API).

`take_turn` decides, from a Conversation, the model's catalogue entry, the pipeline's Answer, the output budget
and the request's shaping limits, what the model says, in this order:
- a rule's `tool_calls` are the calls made; a rule's `content` is the text said;
- else the turn planner (tool_calls.plan_turn) calls tools, or answers in text (quoting the tool results
  after one, so that agent loops end);
- text under a `json_object` or `json_schema` output format is JSON (structured.json_content), else Faker text.
Text goes through drafting in the model's tokenizer, so the budget cuts it, stops and logit_bias shape it and
usage counts it. Tool calls are cut by the budget too (their arguments, token by token, as the API truncates
them), and cost the tokens of their names and arguments.

Reasoning models first spend hidden reasoning tokens: a seeded number, by `reasoning_effort`, in steps of 64
(as the real API reports them), counted against the budget. When they use it all the visible answer is empty
and the finish reason is `length`, as the real API answers.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from mockapi.catalogue_schema import ModelEntry
from mockapi.conversation import LEGACY_CALL_ID, Conversation, ToolCall
from mockapi.generators.drafting import Draft, Limits, Source, draft_for
from mockapi.generators.structured import json_content
from mockapi.generators.tool_calls import CALL_ID_LENGTH, CallTurn, plan_turn
from mockapi.seeding import Seeding
from mockapi.tokens import tokenizer_for

FinishReason = Literal["stop", "length", "tool_calls"]

# Hidden reasoning tokens per effort, in steps of REASONING_STEP: (fewest, most) steps.
REASONING_STEP = 64
REASONING_STEPS: dict[str, tuple[int, int]] = {
    "none": (0, 0),
    "minimal": (0, 0),
    "low": (1, 4),
    "medium": (3, 12),
    "high": (8, 32),
    "xhigh": (16, 64),
    "max": (32, 128),
}
# How many sentences a generated text has at each `verbosity` (medium is the default length).
VERBOSITY_SENTENCES: dict[str, tuple[int, int]] = {"low": (1, 2), "medium": (2, 5), "high": (5, 9)}


class TurnSource(Source, Protocol):
    """What a turn reads from the pipeline's Answer: a text source, and a rule's tool calls if it gave them."""

    @property
    def tool_calls(self) -> Sequence[tuple[str, str]] | None:
        """A rule's calls as (function name, arguments as JSON text), or None."""
        ...


@dataclass(frozen=True, slots=True)
class Turn:
    """What the assistant says in one turn: text (`draft`) or tool calls, never both."""

    draft: Draft | None
    tool_calls: tuple[ToolCall, ...]
    finish_reason: FinishReason
    reasoning_tokens: int = 0
    # Tokens of the calls' names and arguments (0 for a text turn).
    call_tokens: int = 0

    @property
    def text(self) -> str | None:
        """The content said, or None when the turn calls tools."""
        return self.draft.text if self.draft is not None else None

    @property
    def visible_tokens(self) -> int:
        return len(self.draft.tokens) if self.draft is not None else self.call_tokens

    @property
    def output_tokens(self) -> int:
        """Completion tokens: visible and reasoning."""
        return self.visible_tokens + self.reasoning_tokens


def take_turn(
    conversation: Conversation,
    model: ModelEntry,
    answer: TurnSource,
    budget: int,
    limits: Limits,
    index: int = 0,
    effort: str | None = None,
    fallback: str | None = None,
) -> Turn:
    """Choice `index`'s turn. `budget` is every completion token the turn may use, reasoning included (the
    request's max_completion_tokens, or what the context window leaves); `limits` gives the stops, logit_bias,
    penalties and length (its max_tokens and tokenizer are the budget's and the model's); `effort` is the
    request's reasoning_effort (the model's default when None); `fallback` is the text said when nothing
    else decides it (a chat request's predicted output), in place of Faker's."""
    reasoning = reasoning_tokens(model, effort, lambda: _rng(answer, index, b"reasoning"))
    if reasoning >= budget:
        empty = Draft("", (), "length", 0, limits.banned, model.tokenizer)
        return Turn(empty, (), "length", budget)
    visible = budget - reasoning
    shaping = limits._replace(max_tokens=visible, tokenizer=model.tokenizer)
    calls = _rule_calls(answer, conversation, index)
    if calls is None and answer.content is None:
        plan = plan_turn(conversation, lambda: _rng(answer, index, b"turn"))
        if isinstance(plan, CallTurn):
            calls = plan.calls
        else:
            text = _text_for(conversation, plan.source, lambda: _rng(answer, index, b"json"))
            text = fallback if text is None else text
            draft = draft_for(answer, index, shaping, text=text)
            return Turn(draft, (), _finish(draft), reasoning)
    if calls is not None:
        return _calls_turn(calls, model, visible, reasoning)
    draft = draft_for(answer, index, shaping)
    return Turn(draft, (), _finish(draft), reasoning)


def reasoning_tokens(model: ModelEntry, effort: str | None, rng: Callable[[], random.Random]) -> int:
    """Hidden tokens a reasoning model spends before it answers (0 for other models). `rng` makes the
    generator when one is needed: seeding one costs more than the rest of the decision."""
    reasoning = model.capabilities.reasoning
    if reasoning is None:
        return 0
    fewest, most = REASONING_STEPS.get(effort or reasoning.default_effort, REASONING_STEPS["medium"])
    return REASONING_STEP * rng().randint(fewest, most)


def sentences_for(verbosity: str | None) -> tuple[int, int]:
    """How many sentences a generated text has at this `verbosity` (None: the default length)."""
    return VERBOSITY_SENTENCES.get(verbosity or "medium", VERBOSITY_SENTENCES["medium"])


def _rng(answer: Source, index: int, purpose: bytes) -> random.Random:
    """A generator of its own for each decision, so that one does not shift another's draws."""
    return random.Random(answer.digest(index) + b"|" + purpose)


def _text_for(conversation: Conversation, quoted: str | None, rng: Callable[[], random.Random]) -> str | None:
    """What a text turn says: JSON under a json output format, the quoted tool results, or None (Faker's)."""
    if conversation.output.type in ("json_object", "json_schema"):
        return json_content(conversation.output, conversation, rng())
    return quoted


def _finish(draft: Draft) -> FinishReason:
    return "length" if draft.finish_reason == "length" else "stop"


def _rule_calls(answer: TurnSource, conversation: Conversation, index: int) -> tuple[ToolCall, ...] | None:
    """A rule's tool calls with ids of their own (none for legacy functions, which answer one call)."""
    given = answer.tool_calls
    if not given:
        return None
    if conversation.legacy_functions:
        name, arguments = given[0]
        return (ToolCall(LEGACY_CALL_ID, name, arguments),)
    rng = _rng(answer, index, b"calls")
    return tuple(ToolCall(Seeding.answer_id("call_", rng, CALL_ID_LENGTH), name, args) for name, args in given)


def _calls_turn(calls: Sequence[ToolCall], model: ModelEntry, visible: int, reasoning: int) -> Turn:
    """The calls that fit in the budget: a call that does not fit has its arguments cut there, and the
    calls after it are not made (finish_reason `length`)."""
    tokenizer = tokenizer_for(model.tokenizer)
    made: list[ToolCall] = []
    used = 0
    for call in calls:
        cost = tokenizer.count(call.name) + tokenizer.count(call.arguments)
        if used + cost <= visible:
            made.append(call)
            used += cost
            continue
        room = max(0, visible - used - tokenizer.count(call.name))
        cut = tokenizer.decode(tokenizer.encode(call.arguments)[:room])
        made.append(ToolCall(call.id, call.name, cut))
        used += tokenizer.count(call.name) + room
        return Turn(None, tuple(made), "length", reasoning, min(used, visible))
    return Turn(None, tuple(made), "tool_calls", reasoning, used)
