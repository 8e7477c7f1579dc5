"""LangChain (`langchain-openai`) against a real server: invoke, bound tools and a tool loop, structured output
both ways, streamed usage equal to the non-streamed usage, a reasoning model, the Responses API, and the
completions `OpenAI` LLM (which sends `seed`)."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import langchain_openai
import openai
import pytest
from langchain_core import messages, tools
from pydantic import BaseModel, Field

from tests.support import API_KEY, ServerProcess


@tools.tool
def get_weather(city: str, unit: str = "celsius") -> str:
    """Get the current weather in a city."""
    return json.dumps({"city": city, "sky": "sunny", "unit": unit})


class Person(BaseModel):
    """A person named in the text."""

    name: str
    age: int = Field(ge=0, le=130)
    languages: list[str]


def chat(server: ServerProcess, **extra: Any) -> Any:
    return langchain_openai.ChatOpenAI(base_url=server.base_url, api_key=API_KEY, max_retries=0, **extra)


def test_invoke_answers_what_the_sdk_answers(server: ServerProcess, client: openai.OpenAI) -> None:
    answer = chat(server, model="gpt-4o").invoke("Hello there, who are you?")
    direct = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "Hello there, who are you?"}]
    )
    assert direct.usage is not None and answer.content == direct.choices[0].message.content
    assert answer.response_metadata["finish_reason"] == "stop"
    assert answer.usage_metadata["input_tokens"] == direct.usage.prompt_tokens
    assert answer.usage_metadata["output_tokens"] == direct.usage.completion_tokens > 0


def test_bound_tools_are_called_with_schema_valid_arguments_and_the_loop_ends(server: ServerProcess) -> None:
    llm = chat(server, model="gpt-4o").bind_tools([get_weather])
    history: list[Any] = [messages.HumanMessage("What is the weather in Lisbon?")]
    first = llm.invoke(history)
    (call,) = first.tool_calls
    assert first.invalid_tool_calls == [] and first.response_metadata["finish_reason"] == "tool_calls"
    assert call["name"] == "get_weather" and call["id"].startswith("call_") and call["args"]["city"] == "Lisbon"
    jsonschema.validate(call["args"], get_weather.tool_call_schema.model_json_schema())
    history += [first, get_weather.invoke(call)]  # a ToolMessage answering the call by its id
    final = llm.invoke(history)
    assert final.tool_calls == []
    assert final.content == f"According to get_weather: {get_weather.invoke(call['args'])}"


@pytest.mark.parametrize("method", ["json_schema", "function_calling"])
def test_structured_output_gives_the_validated_object(server: ServerProcess, method: str) -> None:
    structured = chat(server, model="gpt-4o").with_structured_output(Person, method=method, include_raw=True)
    out = structured.invoke("Describe Ada, a person who writes programs.")
    assert out["parsing_error"] is None and isinstance(out["parsed"], Person)
    assert out["parsed"].name == "Ada" and 0 <= out["parsed"].age <= 130
    raw = out["raw"]
    if method == "json_schema":
        assert Person.model_validate_json(raw.content) == out["parsed"]
    else:
        (call,) = raw.tool_calls
        assert call["name"] == "Person" and Person.model_validate(call["args"]) == out["parsed"]


@pytest.mark.parametrize("model", ["gpt-4o-mini", "o4-mini"])
def test_streamed_usage_sums_to_the_non_streamed_usage(server: ServerProcess, model: str) -> None:
    llm = chat(server, model=model, stream_usage=True)
    whole = llm.invoke("Tell me a story about the sea.")
    chunks = list(llm.stream("Tell me a story about the sea."))
    assert len(chunks) > 3
    summed = chunks[0]
    for chunk in chunks[1:]:
        summed = summed + chunk
    assert summed.content == whole.content != ""
    assert summed.usage_metadata == whole.usage_metadata
    assert whole.usage_metadata["total_tokens"] > whole.usage_metadata["input_tokens"] > 0
    if model == "o4-mini":
        assert whole.usage_metadata["output_token_details"]["reasoning"] > 0


def test_a_reasoning_model_takes_max_tokens_as_langchain_sends_it(server: ServerProcess) -> None:
    answer = chat(server, model="o3-mini", max_tokens=2000, reasoning_effort="low").invoke("What is 2 + 2?")
    assert answer.content and answer.response_metadata["finish_reason"] == "stop"
    assert answer.usage_metadata["output_token_details"]["reasoning"] > 0


def test_the_responses_api_answers_and_calls_tools(server: ServerProcess) -> None:
    llm = chat(server, model="gpt-4.1", use_responses_api=True)
    text = llm.invoke("Hello there.")
    assert text.text and text.usage_metadata["output_tokens"] > 0
    called = llm.bind_tools([get_weather]).invoke("What is the weather in Oslo?")
    (call,) = called.tool_calls
    assert call["name"] == "get_weather" and call["args"]["city"] == "Oslo"


def test_the_completions_llm_sends_a_seed_and_gets_its_text(server: ServerProcess, client: openai.OpenAI) -> None:
    def completions(seed: int) -> Any:
        return langchain_openai.OpenAI(
            model="gpt-3.5-turbo-instruct", base_url=server.base_url, api_key=API_KEY, seed=seed, max_retries=0
        )

    text = completions(7).invoke("Once upon a time")
    direct = client.completions.create(
        model="gpt-3.5-turbo-instruct", prompt="Once upon a time", max_tokens=256, temperature=0.7, seed=7
    )
    assert text == direct.choices[0].text != ""
    assert completions(8).invoke("Once upon a time") != text
    assert "".join(completions(7).stream("Once upon a time")) == text


@tools.tool("get_weather")
def city_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"Sunny in {city}"


def test_the_readme_example_with_the_pytest_plugin(mockapi: Any) -> None:
    llm = langchain_openai.ChatOpenAI(model="gpt-4o", base_url=mockapi.base_url, api_key="sk-test")
    (call,) = llm.bind_tools([city_weather]).invoke("What is the weather in Lisbon?").tool_calls
    assert call["name"] == "get_weather" and call["args"] == {"city": "Lisbon"}
    assert len(mockapi.requests.filter(path="/v1/chat/completions")) == 1
