"""Today's chat completions and completions, every 2xx body and every streamed chunk, against the current spec
(CreateChatCompletionResponse, CreateChatCompletionStreamResponse, CreateCompletionResponse). The 2023 models
answer the 2023 shape, which test_responses_match_spec.py holds to the 2023 spec."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.contract import current_spec

USER = [{"role": "user", "content": "What is the weather in Paris and the time in Oslo?"}]
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        },
        "strict": True,
    },
}
LEGACY = {key: value for key, value in WEATHER["function"].items() if key != "strict"}  # type: ignore[attr-defined]
TIME = {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}}}
SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "days": {"type": "array", "items": {"enum": ["mon", "tue"]}}},
    "required": ["city", "days"],
    "additionalProperties": False,
}
STRICT_FORMAT = {"name": "w", "schema": SCHEMA, "strict": True}
CHAT_CASES: list[dict[str, Any]] = [
    {"model": "gpt-4o"},
    {"model": "gpt-4o-mini", "n": 2, "logprobs": True, "top_logprobs": 3, "max_tokens": 6, "seed": 7},
    {"model": "gpt-4o", "tools": [WEATHER, TIME]},
    {"model": "gpt-4.1", "tools": [WEATHER], "tool_choice": {"type": "function", "function": {"name": "get_weather"}}},
    {"model": "gpt-4o", "functions": [LEGACY], "function_call": {"name": "get_weather"}},
    {"model": "gpt-4o", "response_format": {"type": "json_schema", "json_schema": STRICT_FORMAT}},
    {"model": "gpt-4o", "response_format": {"type": "json_object"}, "messages": [{"role": "user", "content": "JSON?"}]},
    {"model": "o3", "reasoning_effort": "low", "max_completion_tokens": 400},
    {"model": "gpt-5-mini", "verbosity": "low", "service_tier": "flex", "metadata": {"k": "v"}, "store": True},
    {"model": "gpt-4o", "prediction": {"type": "content", "content": "The weather in Paris is mild."}},
    {"model": "gpt-4o-search-preview", "web_search_options": {"search_context_size": "low"}},
    {"model": "gpt-4o-audio-preview", "modalities": ["text", "audio"], "audio": {"voice": "ash", "format": "pcm16"}},
]  # fmt: skip


def _body(case: dict[str, Any]) -> dict[str, Any]:
    return {"messages": USER, **case}


def _events(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    frames = [frame for frame in response.text.split("\n\n") if frame]
    assert frames[-1] == "data: [DONE]"
    return [json.loads(frame.removeprefix("data: ")) for frame in frames[:-1]]


@pytest.mark.parametrize("case", CHAT_CASES, ids=lambda case: "-".join(sorted(case)))
def test_a_chat_body_matches_the_current_spec(http: httpx.Client, case: dict[str, Any]) -> None:
    response = http.post("/v1/chat/completions", json=_body(case))
    assert response.status_code == 200, response.text
    body = response.json()
    current_spec.check("/chat/completions", "post", body)
    assert body["usage"]["completion_tokens_details"]["reasoning_tokens"] >= 0
    assert all(choice["message"]["refusal"] is None for choice in body["choices"])


@pytest.mark.parametrize("case", CHAT_CASES, ids=lambda case: "-".join(sorted(case)))
def test_every_chat_chunk_matches_the_current_spec(http: httpx.Client, case: dict[str, Any]) -> None:
    body = {**_body(case), "stream": True, "stream_options": {"include_usage": True}}
    chunks = _events(http.post("/v1/chat/completions", json=body))
    for chunk in chunks:
        current_spec.check_component("CreateChatCompletionStreamResponse", chunk)
    assert all(chunk["usage"] is None for chunk in chunks[:-1])
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0


COMPLETION_CASES: list[dict[str, Any]] = [
    {"model": "gpt-3.5-turbo-instruct", "prompt": "Say hi", "logprobs": 0, "max_tokens": 5},
    {"model": "davinci-002", "prompt": ["a", "b"], "n": 2, "seed": 3, "logprobs": 2},
    {"model": "babbage-002", "prompt": "x", "echo": True, "max_tokens": 3},
]


@pytest.mark.parametrize("case", COMPLETION_CASES, ids=lambda case: case["model"])
def test_a_completion_of_today_matches_the_current_spec(http: httpx.Client, case: dict[str, Any]) -> None:
    response = http.post("/v1/completions", json=case)
    assert response.status_code == 200, response.text
    current_spec.check("/completions", "post", response.json())
    chunks = _events(
        http.post("/v1/completions", json={**case, "stream": True, "stream_options": {"include_usage": True}})
    )
    for chunk in chunks:
        _check_completion_chunk(chunk)
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"] == response.json()["usage"]


def _check_completion_chunk(chunk: dict[str, Any]) -> None:
    """A completion chunk against CreateCompletionResponse, but for one thing: the real API streams a null
    finish_reason until a choice ends, which the spec's shared shape leaves out (as with echo's null logprob)."""
    validator = current_spec.component_validator("CreateCompletionResponse")
    problems = [
        problem.message
        for problem in validator.iter_errors(chunk)
        if not (list(problem.absolute_path)[-1:] == ["finish_reason"] and problem.instance is None)
    ]
    assert problems == [], problems


def test_the_stream_checker_refuses_a_chunk_the_spec_forbids() -> None:
    with pytest.raises(AssertionError, match="finish_reason"):
        current_spec.check_component(
            "CreateChatCompletionStreamResponse",
            {"id": "x", "object": "chat.completion.chunk", "created": 1, "model": "m",
             "choices": [{"index": 0, "delta": {}, "finish_reason": "tired"}]},
        )  # fmt: skip
