"""Rules for tool-using code through the pytest plugin and the SDK on the real /v1/chat/completions: the
tool_calls answer, the agent match keys, rule answers to streamed requests, bodies sent as given, and the
load-time refusals; and the README's agent examples run as printed."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from mockapi.fixtures import RuleFileError, load_rule_file
from mockapi.pytest_plugin import Mockapi
from mockapi.tokens import tokenizer_for

WEATHER: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
ASK: Any = [{"role": "user", "content": "Should I take an umbrella in Paris?"}]
CALL_RULE = {
    "match": {"endpoint": "chat.completions", "tools": ["get_weather"], "has_tool_result": False},
    "respond": {"tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}]},
}
ANSWER_RULE = {
    "match": {"endpoint": "chat.completions", "tool_result": {"name": "get_weather", "contains": "rain"}},
    "respond": {"content": "Yes: rain is expected in Paris."},
}


def test_a_tool_calling_test_with_rules(mockapi: Mockapi) -> None:
    mockapi.add_rule(CALL_RULE)
    mockapi.add_rule(ANSWER_RULE)
    client = mockapi.openai_client()
    messages = list(ASK)
    first = client.chat.completions.create(model="gpt-4o", messages=messages, tools=[WEATHER])
    (call,) = first.choices[0].message.tool_calls or []
    assert (call.function.name, call.function.arguments) == ("get_weather", '{"city":"Paris"}')  # type: ignore[union-attr]
    assert call.id.startswith("call_") and first.choices[0].finish_reason == "tool_calls"
    messages += [first.choices[0].message.model_dump(exclude_none=True)]
    messages += [{"role": "tool", "tool_call_id": call.id, "content": '{"forecast": "rain"}'}]
    second = client.chat.completions.create(model="gpt-4o", messages=messages, tools=[WEATHER])
    assert second.choices[0].message.content == "Yes: rain is expected in Paris."
    assert second.usage is not None
    assert second.usage.completion_tokens == tokenizer_for("o200k_base").count("Yes: rain is expected in Paris.")
    assert [entry.rule_id for entry in mockapi.requests] == ["rule-1", "rule-2"]


def test_a_rule_tool_call_streams_as_the_api_streams_calls(mockapi: Mockapi) -> None:
    mockapi.add_rule(CALL_RULE)
    client = mockapi.openai_client()
    with client.chat.completions.stream(model="gpt-4o", messages=ASK, tools=[WEATHER]) as stream:
        final = stream.get_final_completion()
    (call,) = final.choices[0].message.tool_calls or []
    assert call.function.arguments == '{"city":"Paris"}' and final.choices[0].finish_reason == "tool_calls"
    chunks = list(client.chat.completions.create(model="gpt-4o", messages=ASK, tools=[WEATHER], stream=True))
    deltas = [chunk.choices[0].delta.tool_calls for chunk in chunks if chunk.choices[0].delta.tool_calls]
    assert deltas[0][0].id == call.id and deltas[0][0].function is not None and deltas[0][0].function.name
    assert all(delta[0].id is None and delta[0].function.name is None for delta in deltas[1:])  # type: ignore[union-attr]


def test_turn_and_tool_choice_keys_pick_the_rule(mockapi: Mockapi) -> None:
    mockapi.add_rule(match={"turn": 0, "tool_choice": "required"}, respond={"content": "forced, first turn"})
    mockapi.add_rule(match={"turn": 1}, respond={"content": "second turn"})
    client = mockapi.openai_client()
    first = client.chat.completions.create(model="gpt-4o", messages=ASK, tools=[WEATHER], tool_choice="required")
    assert first.choices[0].message.content == "forced, first turn"
    later = [*ASK, {"role": "assistant", "content": "Maybe."}, {"role": "user", "content": "Sure?"}]
    assert client.chat.completions.create(model="gpt-4o", messages=later).choices[0].message.content == "second turn"
    weather = [{"role": "user", "content": "What is the weather in Paris?"}]
    generated = client.chat.completions.create(model="gpt-4o", messages=weather, tools=[WEATHER])
    assert generated.choices[0].message.tool_calls  # no rule: the model calls the tool the message names


def test_a_content_rule_streams_through_the_normal_chunking(mockapi: Mockapi) -> None:
    mockapi.add_rule(match={"contains": "umbrella"}, respond={"content": "Take one, it will rain."})
    chunks = list(mockapi.openai_client().chat.completions.create(model="gpt-4o", messages=ASK, stream=True))
    pieces = [chunk.choices[0].delta.content for chunk in chunks]
    assert "".join(piece or "" for piece in pieces) == "Take one, it will rain." and len(pieces) > 4


def test_a_body_rule_streams_the_events_it_gives(mockapi: Mockapi) -> None:
    event = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o",
             "choices": [{"index": 0, "delta": {"content": "from the rule"}, "finish_reason": None}]}  # fmt: skip
    end = {**event, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    mockapi.add_rule(match={"body": {"stream": True}}, respond={"body": [event, end, "[DONE]"]})
    chunks = list(mockapi.openai_client().chat.completions.create(model="gpt-4o", messages=ASK, stream=True))
    assert [chunk.choices[0].delta.content for chunk in chunks] == ["from the rule", None]
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_an_object_body_to_a_streamed_request_is_one_event(mockapi: Mockapi) -> None:
    chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o",
             "choices": [{"index": 0, "delta": {"content": "one"}, "finish_reason": "stop"}]}  # fmt: skip
    mockapi.add_rule(match={"contains": "umbrella"}, respond={"body": chunk})
    with httpx.Client(base_url=mockapi.base_url, headers={"Authorization": "Bearer sk-x"}) as http:
        response = http.post("/chat/completions", json={"model": "gpt-4o", "messages": ASK, "stream": True})
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.text == f"data: {json.dumps(chunk, separators=(',', ':'))}\n\ndata: [DONE]\n\n"


def test_a_text_body_with_a_content_type_is_sent_as_given(mockapi: Mockapi) -> None:
    sse = 'data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[]}\n\ndata: [DONE]\n\n'
    mockapi.add_rule(
        match={"body": {"stream": True}}, respond={"body": sse, "headers": {"content-type": "text/event-stream"}}
    )
    mockapi.add_rule(match={"contains": "csv"}, respond={"body": "a,b\n1,2\n", "headers": {"Content-Type": "text/csv"}})
    with httpx.Client(base_url=mockapi.base_url, headers={"Authorization": "Bearer sk-x"}) as http:
        streamed = http.post("/chat/completions", json={"model": "gpt-4o", "messages": ASK, "stream": True})
        plain = http.post(
            "/chat/completions", json={"model": "gpt-4o", "messages": [{"role": "user", "content": "csv"}]}
        )
    assert (streamed.headers["content-type"], streamed.text) == ("text/event-stream", sse)
    assert (plain.headers["content-type"], plain.content) == ("text/csv", b"a,b\n1,2\n")


SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string"}, "confidence": {"type": "number"}},
    "required": ["answer", "confidence"],
    "additionalProperties": False,
}
UNDER_SCHEMA = {"body": {"response_format": {"type": "json_schema", "json_schema": {"name": "a", "schema": SCHEMA}}}}


def test_a_content_rule_under_its_json_schema_must_validate(mockapi: Mockapi, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="'confidence' is a required property"):
        mockapi.add_rule(match=UNDER_SCHEMA, respond={"content": '{"answer": "yes"}'})
    rules = tmp_path / "rules.yaml"
    rules.write_text(json.dumps([{"id": "bad", "match": UNDER_SCHEMA, "respond": {"content": "{}"}}]))
    with pytest.raises(RuleFileError, match=r"rule 0 \(bad\): field 'respond.content': content is not valid"):
        load_rule_file(rules)
    mockapi.add_rule(match=UNDER_SCHEMA, respond={"content": '{"answer": "yes", "confidence": 0.9}'})
    client = mockapi.openai_client()
    fmt: Any = {"type": "json_schema", "json_schema": {"name": "a", "schema": SCHEMA}}
    answer = client.chat.completions.create(model="gpt-4o", messages=ASK, response_format=fmt)
    assert json.loads(answer.choices[0].message.content or "") == {"answer": "yes", "confidence": 0.9}


def test_a_streamed_match_refuses_a_body_that_cannot_stream(mockapi: Mockapi) -> None:
    with pytest.raises(ValidationError, match="must be a list of events"):
        mockapi.add_rule(match={"body": {"stream": True}}, respond={"body": {"id": "x"}})


def test_a_reasoning_model_answers_a_rule_after_its_reasoning(mockapi: Mockapi) -> None:
    mockapi.add_rule(match={"contains": "umbrella"}, respond={"content": "Yes."})
    result = mockapi.openai_client().chat.completions.create(model="o4-mini", messages=ASK, reasoning_effort="low")
    assert result.choices[0].message.content == "Yes." and result.usage is not None
    reasoning = result.usage.completion_tokens_details.reasoning_tokens  # type: ignore[union-attr]
    assert reasoning and result.usage.completion_tokens == reasoning + 2


README = Path(__file__).parents[2] / "README.md"


def readme_example(heading: str) -> str:
    section = README.read_text().split(heading, 1)[1]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert found is not None, f"the README lost its example under {heading!r}"
    return found.group(1)


@pytest.mark.parametrize("heading", ["### A tool-calling test with a rule", "### An agent loop with the pytest plugin"])
def test_the_readme_agent_examples_run_as_printed(pytester: pytest.Pytester, heading: str) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_example=readme_example(heading))
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:asyncio", "-p", "no:randomly", "-W", "error"
    )
    result.assert_outcomes(passed=1)
