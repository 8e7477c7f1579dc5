"""One Responses turn from the conversation model: the hidden reasoning, then a text, or function calls.

The decision is the shared one (generators/tool_calls.py: call a tool, or answer in text quoting the tool
results), the text the shared drafting (a rule's content, Faker sentences, or structured.json_content for a
JSON format), counted and cut with the model's own tokenizer:
- a reasoning model (an effort other than `none`) first spends a seeded, effort-dependent number of hidden
  reasoning tokens; they count as output and against `max_output_tokens` (all of it: then no visible text);
- the text is cut at what remains of the budget, and the turn is `truncated` (status incomplete).
A function call costs the tokens of its name and arguments.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from mockapi.conversation import Conversation, ToolCall
from mockapi.generators.drafting import Limits, Source, draft_for
from mockapi.generators.structured import json_content
from mockapi.generators.tool_calls import CallTurn, plan_turn
from mockapi.tokens import Tokenizer

# Hidden reasoning tokens per effort: the range a turn's count is drawn from.
REASONING_TOKENS = {
    "minimal": (0, 48),
    "low": (64, 384),
    "medium": (192, 1024),
    "high": (512, 3072),
    "xhigh": (1024, 6144),
}


@dataclass(frozen=True, slots=True)
class Turn:
    text: str | None  # None: the turn calls functions instead
    text_tokens: int
    calls: tuple[ToolCall, ...]
    call_tokens: int
    reasoning_tokens: int
    truncated: bool  # cut by max_output_tokens

    @property
    def output_tokens(self) -> int:
        return self.text_tokens + self.call_tokens + self.reasoning_tokens


def reasoning_tokens(effort: str | None, rng: random.Random) -> int:
    if effort is None or effort == "none":
        return 0
    least, most = REASONING_TOKENS.get(effort, REASONING_TOKENS["medium"])
    return rng.randint(least, most)


def plan(
    conversation: Conversation,
    answer: Source,
    tokenizer: Tokenizer,
    budget: int,
    effort: str | None,
    source: str | None = None,
) -> Turn:
    """The turn for `conversation`, within `budget` output tokens; `source` says the text (a hosted tool's
    answer) instead of the usual decision."""
    hidden = reasoning_tokens(effort, answer.rng(1))
    if hidden >= budget:
        return Turn("", 0, (), 0, budget, True)
    room = budget - hidden
    decided = None if source is not None or answer.content is not None else plan_turn(conversation, answer.rng(0))
    if isinstance(decided, CallTurn):
        cost = sum(tokenizer.count(call.name) + tokenizer.count(call.arguments) for call in decided.calls)
        return Turn(None, 0, decided.calls, cost, hidden, cost > room)
    if source is None and decided is not None:
        source = decided.source
    if source is None and answer.content is None and conversation.output.type != "text":
        source = json_content(conversation.output, conversation, answer.rng(2))
    text = source if source is not None else draft_for(answer, 0, Limits()).text
    ids = tokenizer.encode(text)
    if len(ids) > room:
        return Turn(tokenizer.decode(ids[:room]), room, (), 0, hidden, True)
    return Turn(text, len(ids), (), 0, hidden, False)
