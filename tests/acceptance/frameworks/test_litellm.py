"""LiteLLM's `openai/` provider against a real server: a tool call, a streamed answer equal to the whole one
(text, usage and tool calls rebuilt by `stream_chunk_builder`). Its async client is left out: on Python 3.11 its
background logging left the interpreter's AST state broken for later imports ("AST constructor recursion depth
mismatch")."""

from __future__ import annotations

import json
import os
from typing import Any

# The cost map ships in the wheel: never fetched at test time.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import litellm
import pytest

from tests.support import API_KEY, ServerProcess

# LiteLLM's own models warn while pydantic builds them; nothing of mockapi's.
pytestmark = [
    pytest.mark.filterwarnings("ignore:.*ReadOnly.*:UserWarning"),
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211"),
]

WEATHER: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1, "maximum": 7}},
            "required": ["city", "days"],
        },
    },
}


def ask(text: str) -> list[Any]:
    return [{"role": "user", "content": text}]


def complete(server: ServerProcess, **request: Any) -> Any:
    return litellm.completion(model="openai/gpt-4o", api_base=server.base_url, api_key=API_KEY, **request)


def test_tools_give_a_tool_call_and_the_result_a_text(server: ServerProcess) -> None:
    question = ask("What will the weather be in Lisbon over the next 3 days?")
    first = complete(server, messages=question, tools=[WEATHER])
    (call,) = first.choices[0].message.tool_calls
    assert first.choices[0].finish_reason == "tool_calls" and first.choices[0].message.content is None
    assert call.function.name == "get_weather" and call.id.startswith("call_")
    assert json.loads(call.function.arguments) == {"city": "Lisbon", "days": 3}
    assert first.usage.prompt_tokens > 0 < first.usage.total_tokens
    result = {"role": "tool", "tool_call_id": call.id, "content": "Sunny, 24C"}
    final = complete(server, messages=[*question, first.choices[0].message.model_dump(), result], tools=[WEATHER])
    assert final.choices[0].finish_reason == "stop"
    assert final.choices[0].message.content == "According to get_weather: Sunny, 24C"


def test_a_stream_rebuilds_the_whole_answer_and_its_usage(server: ServerProcess) -> None:
    whole = complete(server, messages=ask("Tell me a story about a lighthouse."))
    chunks = list(
        complete(
            server,
            messages=ask("Tell me a story about a lighthouse."),
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert len(chunks) > 3
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    built = litellm.stream_chunk_builder(chunks)
    assert text == built.choices[0].message.content == whole.choices[0].message.content != ""
    usage = (built.usage.prompt_tokens, built.usage.completion_tokens, built.usage.total_tokens)
    assert usage == (whole.usage.prompt_tokens, whole.usage.completion_tokens, whole.usage.total_tokens)


def test_a_streamed_tool_call_is_the_whole_one(server: ServerProcess) -> None:
    question = ask("What is the weather in Oslo for 2 days?")
    whole = complete(server, messages=question, tools=[WEATHER]).choices[0].message.tool_calls[0]
    built = litellm.stream_chunk_builder(list(complete(server, messages=question, tools=[WEATHER], stream=True)))
    (call,) = built.choices[0].message.tool_calls
    assert built.choices[0].finish_reason == "tool_calls"
    assert (call.id, call.function.name, call.function.arguments) == (whole.id, "get_weather", whole.function.arguments)
    assert json.loads(call.function.arguments) == {"city": "Oslo", "days": 2}
