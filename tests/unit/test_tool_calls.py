"""Deciding the turn: which tool, which arguments, and text after a tool result so agent loops end."""

from __future__ import annotations

import random
import re
from typing import Any

import jsonschema
import orjson

from mockapi.conversation import Conversation, from_chat, from_responses
from mockapi.generators.tool_calls import CallTurn, TextTurn, plan_turn, subject_score

WEATHER = {
    "name": "get_weather",
    "description": "Get the current weather in a given location",
    "parameters": {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "The city, e.g. San Francisco"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "days": {"type": "integer", "minimum": 1, "maximum": 10},
        },
        "required": ["city", "unit", "days"],
        "additionalProperties": False,
    },
    "strict": True,
}
TIME = {
    "name": "getLocalTime",
    "description": "Look up the local time zone clock for a place",
    "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]},
}
STOCKS = {
    "name": "stock_price",
    "description": "Quote a ticker on the exchange",
    "parameters": {
        "type": "object",
        "properties": {
            "ticker": {"type": "string", "pattern": "^[A-Z]{1,5}$"},
            "exchange": {"enum": ["NYSE", "NASDAQ"]},
        },
        "required": ["ticker"],
    },
}


def chat(text: str, *specs: dict[str, Any], **fields: Any) -> Conversation:
    tools = [{"type": "function", "function": spec} for spec in specs]
    return from_chat({"messages": [{"role": "user", "content": text}], "tools": tools, **fields})


def plan(conversation: Conversation, seed: int = 7) -> CallTurn | TextTurn:
    return plan_turn(conversation, lambda: random.Random(seed))


def calls_of(turn: CallTurn | TextTurn) -> list[tuple[str, dict[str, Any]]]:
    assert isinstance(turn, CallTurn), turn
    return [(call.name, orjson.loads(call.arguments)) for call in turn.calls]


def test_auto_calls_the_tool_the_message_names_with_arguments_from_it() -> None:
    turn = plan(chat("What's the weather in Boston for the next 3 days, in fahrenheit?", WEATHER, TIME, STOCKS))
    assert calls_of(turn) == [("get_weather", {"city": "Boston", "unit": "fahrenheit", "days": 3})]
    assert isinstance(turn, CallTurn)
    (call,) = turn.calls
    assert re.fullmatch(r"call_[A-Za-z0-9]{24}", call.id)
    assert call.arguments == '{"city":"Boston","unit":"fahrenheit","days":3}'  # compact, as the API writes it


def test_auto_answers_in_text_when_no_tool_is_named() -> None:
    assert plan(chat("Tell me a joke about cats", WEATHER, TIME, STOCKS)) == TextTurn(None)
    # One description word alone is not a subject.
    assert plan(chat("Which location is the nicest?", WEATHER)) == TextTurn(None)


def test_names_match_split_on_underscores_and_camel_case() -> None:
    assert subject_score(chat("", WEATHER).tools[0], "weather?") == 2
    assert calls_of(plan(chat("what is the local time in Tokyo", WEATHER, TIME))) == [
        ("getLocalTime", {"location": "Tokyo"})
    ]
    assert calls_of(plan(chat("please run stock_price", WEATHER, STOCKS)))[0][0] == "stock_price"


def test_parallel_calls_each_matching_tool_once_best_first() -> None:
    turn = plan(chat("The weather in Oslo and the local time there?", TIME, WEATHER))
    names = [name for name, _ in calls_of(turn)]
    assert names == ["getLocalTime", "get_weather"] or names == ["get_weather", "getLocalTime"]
    assert sorted(names) == ["getLocalTime", "get_weather"] and len(set(names)) == 2
    assert isinstance(turn, CallTurn) and len({call.id for call in turn.calls}) == 2
    single = plan(chat("The weather in Oslo and the local time there?", TIME, WEATHER, parallel_tool_calls=False))
    assert len(calls_of(single)) == 1


def test_best_match_wins_and_ties_keep_the_order_offered() -> None:
    twin = {**WEATHER, "name": "weather_report", "description": "A weather report"}
    turn = plan(chat("weather in Rome", twin, WEATHER, parallel_tool_calls=False))
    assert calls_of(turn)[0][0] == "weather_report"
    turn = plan(chat("weather report for Rome", WEATHER, twin, parallel_tool_calls=False))
    assert calls_of(turn)[0][0] == "weather_report"


def test_required_calls_the_best_match_else_the_first_tool() -> None:
    assert [n for n, _ in calls_of(plan(chat("quote the AAPL ticker", WEATHER, STOCKS, tool_choice="required")))] == [
        "stock_price"
    ]
    assert [n for n, _ in calls_of(plan(chat("hello there", STOCKS, WEATHER, tool_choice="required")))] == [
        "stock_price"
    ]


def test_named_function_is_always_called_and_none_never() -> None:
    named = {"type": "function", "function": {"name": "stock_price"}}
    assert calls_of(plan(chat("weather in Paris", WEATHER, STOCKS, tool_choice=named)))[0][0] == "stock_price"
    assert plan(chat("weather in Paris", WEATHER, STOCKS, tool_choice="none")) == TextTurn(None)
    missing = {"type": "function", "function": {"name": "unknown"}}
    assert plan(chat("weather in Paris", WEATHER, tool_choice=missing)) == TextTurn(None)


def test_arguments_validate_against_the_schemas_for_many_seeds() -> None:
    for seed in range(40):
        for tool in (WEATHER, TIME, STOCKS):
            turn = plan(chat("Do it", tool, tool_choice="required"), seed)
            for _, arguments in calls_of(turn):
                jsonschema.validate(arguments, tool["parameters"])


def test_same_conversation_and_seed_same_plan() -> None:
    conversation = chat("weather and time in Lima", WEATHER, TIME)
    assert plan(conversation, 3) == plan(conversation, 3)
    assert plan(conversation, 3) != plan(conversation, 4)  # other ids (and seeded values)


def agent_turn(messages: list[dict[str, Any]], **fields: Any) -> CallTurn | TextTurn:
    tools = [{"type": "function", "function": WEATHER}]
    return plan(from_chat({"messages": messages, "tools": tools, **fields}))


def test_agent_loop_ends_in_text_that_quotes_the_result() -> None:
    messages: list[dict[str, Any]] = [{"role": "user", "content": "Weather in Boston?"}]
    first = agent_turn(messages)
    assert isinstance(first, CallTurn)
    (call,) = first.calls
    messages.append(
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}
            ],
        }
    )
    messages.append({"role": "tool", "tool_call_id": call.id, "content": '{"temp": 22, "sky": "sunny"}'})
    second = agent_turn(messages)
    assert second == TextTurn('According to get_weather: {"temp": 22, "sky": "sunny"}')
    # The next user message starts a new task: the tool is called again.
    messages += [
        {"role": "assistant", "content": "It is sunny."},
        {"role": "user", "content": "And the weather in Oslo?"},
    ]
    assert calls_of(agent_turn(messages))[0][1]["city"] == "Oslo"


def test_forced_tools_answer_once_per_user_message() -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "Weather in Boston?"},
        {"role": "assistant", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": "Rain"},
    ]
    assert agent_turn(messages, tool_choice="required") == TextTurn("According to get_weather: Rain")
    named = {"type": "function", "function": {"name": "get_weather"}}
    assert agent_turn(messages, tool_choice=named) == TextTurn("According to get_weather: Rain")
    both = [{"type": "function", "function": WEATHER}, {"type": "function", "function": TIME}]
    body = {"messages": [{**messages[0], "content": "Weather and local time in Boston?"}, *messages[1:]], "tools": both}
    again = plan(from_chat({**body, "tool_choice": "required"}))
    assert [name for name, _ in calls_of(again)] == ["getLocalTime"]  # the tool that has not answered yet


def test_parallel_results_are_all_quoted_in_order() -> None:
    body = {
        "input": [
            {"role": "user", "content": "Weather and local time in Oslo?"},
            {"type": "function_call", "call_id": "c1", "name": "get_weather", "arguments": "{}"},
            {"type": "function_call", "call_id": "c2", "name": "getLocalTime", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "Snow"},
            {"type": "function_call_output", "call_id": "c2", "output": ""},
        ],
        "tools": [{"type": "function", **WEATHER}, {"type": "function", **TIME}],
    }
    assert plan(from_responses(body)) == TextTurn("According to get_weather: Snow\ngetLocalTime returned nothing.")


def test_chat_and_responses_plan_the_same_turn() -> None:
    text = "weather in Lisbon in celsius"
    from_both = [
        chat(text, WEATHER, TIME),
        from_responses({"input": text, "tools": [{"type": "function", **WEATHER}, {"type": "function", **TIME}]}),
    ]
    assert plan(from_both[0]) == plan(from_both[1])


def test_legacy_functions_make_one_call_without_an_id() -> None:
    body = {"messages": [{"role": "user", "content": "weather and time in Oslo"}], "functions": [WEATHER, TIME]}
    turn = plan(from_chat(body))
    assert isinstance(turn, CallTurn) and len(turn.calls) == 1 and turn.calls[0].id == ""


def test_a_tool_without_parameters_gets_an_empty_object() -> None:
    ping = {"name": "ping_server", "description": "Ping the server"}
    assert calls_of(plan(chat("ping the server", ping))) == [("ping_server", {})]


def test_allowed_tools_narrow_the_choice() -> None:
    only_time = [{"type": "function", "function": {"name": "getLocalTime"}}]
    allowed: dict[str, Any] = {"type": "allowed_tools", "allowed_tools": {"mode": "auto", "tools": only_time}}
    assert plan(chat("weather in Rome", WEATHER, TIME, tool_choice=allowed)) == TextTurn(None)
    required = {"type": "allowed_tools", "allowed_tools": {**allowed["allowed_tools"], "mode": "required"}}
    assert calls_of(plan(chat("weather in Rome", WEATHER, TIME, tool_choice=required)))[0][0] == "getLocalTime"
