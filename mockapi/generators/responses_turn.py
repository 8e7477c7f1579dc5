"""One Responses turn: the shared turn (generators/turns.py, the one Chat Completions takes), or, when a
hosted tool answered, the text that says what it found, drafted and counted the same way.

The budget is `max_output_tokens` (or what the window leaves): hidden reasoning tokens come out of it first,
then the visible text or calls, which are cut where it runs out (the response is then incomplete).
`text.verbosity` sets how long a generated text is.
"""

from __future__ import annotations

import random

from mockapi.catalogue_schema import ModelEntry
from mockapi.conversation import Conversation
from mockapi.generators.drafting import Draft, draft_for, limits_for
from mockapi.generators.turns import Turn, TurnSource, reasoning_tokens, sentences_for, take_turn


def plan(
    conversation: Conversation,
    model: ModelEntry,
    answer: TurnSource,
    budget: int,
    effort: str | None,
    verbosity: str | None,
    source: str | None = None,
) -> Turn:
    """The turn within `budget`; `source` is what a hosted tool's answer says (a rule's content still wins)."""
    limits = limits_for(None, None, None, None, None, model.tokenizer, sentences_for(verbosity))
    if source is None or answer.content is not None or answer.tool_calls:
        return take_turn(conversation, model, answer, budget, limits, effort=effort)
    hidden = reasoning_tokens(model, effort, lambda: random.Random(answer.digest(0) + b"|reasoning"))
    if hidden >= budget:
        return Turn(Draft("", (), "length", 0, limits.banned, model.tokenizer), (), "length", budget)
    draft = draft_for(answer, 0, limits._replace(max_tokens=budget - hidden), text=source)
    return Turn(draft, (), "length" if draft.finish_reason == "length" else "stop", hidden)


def truncated(turn: Turn) -> bool:
    """Whether the budget cut the turn (the response is then incomplete)."""
    return turn.finish_reason == "length"
