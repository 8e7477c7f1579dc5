"""Deciding the turn: answer in text, or call tools, and with which arguments.

The rules, deterministic for a conversation and a seeded generator:
- `none` (or a hosted tool forced, which the function model leaves to the router): never a call.
- `auto`: a tool is called when the last user message names its subject: a word of its name (split on _
  and camelCase; generic verbs such as get or list do not count) scores 2, a significant word of its
  description 1, the name itself 10; a tool scoring 2 or more matches, the best first, ties in the order
  offered. With parallel_tool_calls (the default) every matching tool is called once; else the best one.
- `required`: the matching tools as above, else the first tool offered. A named function: that one.
- After a tool result the answer is text that quotes every result since the assistant's last turn
  ("According to get_weather: ..."), so an agent loop ends where naive mocks loop forever. Under `auto`
  that is always so. Under `required` or a named function a tool is called again only if it has not
  answered since the last user message. The real API, forced, calls again after every result (which is why
  the Agents SDK resets tool_choice after a call by default); a mock that did so would never end a loop a
  test cannot reset, so each forced tool answers once per user message and then the model speaks.
Arguments are JSON valid against the tool's parameters (schema_values.py), filled from the last user
message where a value fits (a place for `city`, a number within bounds, a mentioned enum value).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

import orjson

from mockapi.conversation import Conversation, FunctionTool, ToolCall, ToolResult
from mockapi.generators.hints import STOP_WORDS, Hints, significant, stem, words
from mockapi.generators.schema_values import value_for
from mockapi.seeding import Seeding

CALL_ID_LENGTH = 24
NAME_WORD_SCORE = 2
DESCRIPTION_WORD_SCORE = 1
FULL_NAME_SCORE = 10
MATCH_THRESHOLD = 2
# Strict schemas with every property required, objects closed: what an empty parameter list means.
NO_PARAMETERS = {"type": "object", "properties": {}, "additionalProperties": False}


@dataclass(frozen=True, slots=True)
class TextTurn:
    """Answer in text; `source` is the text to say (quoting tool results), None to generate as usual."""

    source: str | None = None


@dataclass(frozen=True, slots=True)
class CallTurn:
    calls: tuple[ToolCall, ...]


TurnPlan = TextTurn | CallTurn


def plan_turn(conversation: Conversation, seeded: Callable[[], random.Random]) -> TurnPlan:
    """Text or calls for this turn; `seeded` makes the calls' generator, seeded only when there are calls."""
    offered = conversation.offered()
    choice = conversation.tool_choice
    if not offered or choice.mode in ("none", "builtin"):
        return _text(conversation)
    if choice.mode == "function":
        named = next((tool for tool in offered if tool.name == choice.name), None)
        candidates = [named] if named is not None else []
    elif choice.mode == "required":
        candidates = matching_tools(conversation) or [offered[0]]
    else:
        if conversation.last_is_tool_result():
            return _text(conversation)
        candidates = matching_tools(conversation)
    answered = answered_tools(conversation)
    candidates = [tool for tool in candidates if tool.name not in answered]
    if not candidates:
        return _text(conversation)
    if not conversation.parallel_tool_calls:
        candidates = candidates[:1]
    hints = Hints.from_text(conversation.last_user_text())
    calls = []
    rng = seeded()
    for tool in candidates:
        call_id = "" if conversation.legacy_functions else Seeding.answer_id("call_", rng, CALL_ID_LENGTH)
        calls.append(ToolCall(call_id, tool.name, arguments_for(tool, hints, random.Random(rng.getrandbits(64)))))
    return CallTurn(tuple(calls))


def subject_score(tool: FunctionTool, text: str) -> int:
    """How strongly `text` names the tool's subject (0 below the threshold)."""
    said = set(significant(text))
    name_words = {stem(w) for w in words(tool.name) if w not in STOP_WORDS and len(w) > 1}
    description_words = set(significant(tool.description)) - name_words
    score = NAME_WORD_SCORE * len(name_words & said) + DESCRIPTION_WORD_SCORE * len(description_words & said)
    if re.search(rf"(?<![\w-]){re.escape(tool.name)}(?![\w-])", text, re.IGNORECASE):
        score += FULL_NAME_SCORE
    return score if score >= MATCH_THRESHOLD else 0


def matching_tools(conversation: Conversation) -> list[FunctionTool]:
    """The offered tools the last user message names, best first (ties keep their order)."""
    text = conversation.last_user_text()
    scored = [(subject_score(tool, text), index, tool) for index, tool in enumerate(conversation.offered())]
    return [tool for score, _, tool in sorted(scored, key=lambda entry: (-entry[0], entry[1])) if score > 0]


def answered_tools(conversation: Conversation) -> set[str]:
    """Names of the tools whose results came after the last user message."""
    names = set()
    for message in conversation.since_last_user():
        if message.tool_result is not None:
            name = _result_name(conversation, message.tool_result)
            if name is not None:
                names.add(name)
    return names


def arguments_for(tool: FunctionTool, hints: Hints, rng: random.Random) -> str:
    """The call's arguments as compact JSON text, valid against the tool's parameters."""
    schema = tool.parameters if tool.parameters else NO_PARAMETERS
    return orjson.dumps(value_for(dict(schema), rng, hints)).decode()


def quote_results(conversation: Conversation) -> str | None:
    """A text that quotes every tool result since the assistant's last turn, verbatim; None without one."""
    results = conversation.results_since_last_assistant()
    if not results:
        return None
    lines = []
    for result in results:
        name = _result_name(conversation, result) or "the tool"
        lines.append(f"According to {name}: {result.output}" if result.output.strip() else f"{name} returned nothing.")
    return "\n".join(lines)


def _result_name(conversation: Conversation, result: ToolResult) -> str | None:
    if result.name:
        return result.name
    call = conversation.call(result.call_id)
    return call.name if call is not None else None


def _text(conversation: Conversation) -> TextTurn:
    return TextTurn(quote_results(conversation))
