"""Rules for agent tests: the tool_calls answer, the agent match keys, and the load-time checks of an answer
against what the rule's own match says of the request (its json_schema, whether it streams)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from mockapi import errors, rendering
from mockapi.conversation import from_chat, from_responses
from mockapi.fixtures import Rule
from mockapi.matching import Exchange

WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}}
SEARCH = {"type": "function", "function": {"name": "search", "parameters": {"type": "object", "properties": {}}}}
CALL = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}


def refusal(rule: object) -> tuple[str | None, str]:
    with pytest.raises(ValidationError) as caught:
        Rule.model_validate(rule)
    error = errors.from_pydantic(caught.value)
    return error.param, error.message


def exchange(body: dict[str, Any], endpoint: str = "chat.completions") -> Exchange:
    conversation = from_chat(body) if endpoint == "chat.completions" else from_responses(body)
    return Exchange(endpoint, "POST", "/v1/chat/completions", body, {}, conversation=conversation)


def matches(match: dict[str, Any], body: dict[str, Any], endpoint: str = "chat.completions") -> bool:
    return Rule.model_validate({"match": match}).match.matches_exchange(exchange(body, endpoint))


ASKED = {"messages": [{"role": "user", "content": "weather?"}], "tools": [WEATHER, SEARCH]}
ANSWERED = {
    "messages": [
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": None, "tool_calls": [CALL]},
        {"role": "tool", "tool_call_id": "call_1", "content": '{"temp": 22}'},
    ],
    "tools": [WEATHER],
    "tool_choice": "required",
}


def test_the_tool_calls_answer_takes_an_object_or_json_text() -> None:
    rule = Rule.model_validate(
        {
            "match": {"endpoint": "chat.completions"},
            "respond": {
                "tool_calls": [
                    {"name": "get_weather", "arguments": {"city": "Oslo"}},
                    {"name": "f", "arguments": '{"a": 1}'},
                ]
            },
        }
    )
    assert rule.respond.calls == (("get_weather", '{"city":"Oslo"}'), ("f", '{"a": 1}'))
    assert Rule.model_validate({"respond": {"tool_calls": [{"name": "f"}]}}).respond.calls == (("f", "{}"),)


@pytest.mark.parametrize(
    ("respond", "param", "complaint"),
    [
        ({"tool_calls": [{"name": "f", "arguments": "{not json"}]}, "respond.tool_calls.0.arguments", "must be JSON"),
        ({"tool_calls": [{"name": "f", "arguments": "[1]"}]}, "respond.tool_calls.0.arguments", "JSON object"),
        ({"tool_calls": [{"name": "bad name"}]}, "respond.tool_calls.0.name", "should match pattern"),
        ({"tool_calls": []}, "respond.tool_calls", "too short"),
        ({"tool_calls": [{"name": "f"}], "content": "x"}, "respond", "give one of content, tool_calls"),
    ],
)
def test_a_bad_tool_calls_answer_is_refused_naming_the_field(
    respond: dict[str, Any], param: str, complaint: str
) -> None:
    found_param, message = refusal({"respond": respond})
    assert found_param == param and complaint in message, (found_param, message)


def test_tool_calls_fit_conversation_endpoints_only() -> None:
    param, message = refusal({"match": {"endpoint": "embeddings"}, "respond": {"tool_calls": [{"name": "f"}]}})
    assert param == "respond.tool_calls" and "cannot apply to endpoint 'embeddings'" in message


def test_the_tools_offered_and_tool_choice_match() -> None:
    assert matches({"tools": ["get_weather"]}, ASKED) and matches({"tools": ["search", "get_weather"]}, ASKED)
    assert not matches({"tools": ["get_weather", "calendar"]}, ASKED)
    assert matches({"tool_choice": "auto"}, ASKED) and not matches({"tool_choice": "required"}, ASKED)
    assert matches({"tool_choice": "required"}, ANSWERED)
    forced = {**ASKED, "tool_choice": {"type": "function", "function": {"name": "search"}}}
    assert matches({"tool_choice": "search"}, forced)
    assert matches({"tool_choice": "none"}, {"messages": [{"role": "user", "content": "hi"}]})


def test_tool_results_and_the_turn_match() -> None:
    assert matches({"has_tool_result": False, "turn": 0}, ASKED)
    assert matches({"has_tool_result": True, "turn": 1}, ANSWERED) and not matches({"turn": 0}, ANSWERED)
    assert matches({"tool_result": {"name": "get_weather", "contains": "temp"}}, ANSWERED)
    assert not matches({"tool_result": {"name": "search"}}, ANSWERED)
    assert not matches({"tool_result": {"contains": "rain"}}, ANSWERED)
    assert not matches({"tool_result": {}}, ASKED)


def test_the_responses_api_fills_the_same_keys() -> None:
    body = {
        "input": [
            {"role": "user", "content": "weather?"},
            {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "call_1", "output": "sunny"},
        ],
        "tools": [{"type": "function", "name": "get_weather", "parameters": {"type": "object"}}],
    }
    assert matches(
        {"tools": ["get_weather"], "has_tool_result": True, "turn": 1, "tool_result": {"text": "sunny"}},
        body,
        "responses",
    )


def test_agent_keys_never_match_a_request_without_a_conversation() -> None:
    rule = Rule.model_validate({"match": {"has_tool_result": False}})
    assert not rule.match.matches_exchange(Exchange("embeddings", "POST", "/v1/embeddings", {}))
    assert Rule.model_validate({"match": {}}).match.matches_exchange(
        Exchange("embeddings", "POST", "/v1/embeddings", {})
    )


SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string"}, "score": {"type": "integer"}},
    "required": ["answer", "score"],
    "additionalProperties": False,
}
UNDER_SCHEMA = {"body": {"response_format": {"type": "json_schema", "json_schema": {"name": "a", "schema": SCHEMA}}}}


def test_content_under_the_rule_schema_must_validate() -> None:
    Rule.model_validate({"match": UNDER_SCHEMA, "respond": {"content": '{"answer": "yes", "score": 3}'}})
    param, message = refusal({"match": UNDER_SCHEMA, "respond": {"content": '{"answer": "yes"}'}})
    assert param == "respond.content" and "'score' is a required property" in message
    assert "response_format.json_schema.schema" in message
    param, message = refusal({"match": UNDER_SCHEMA, "respond": {"sequence": [{"content": "{}"}, {"content": "no"}]}})
    assert param == "respond.sequence.0.content"
    param, message = refusal({"match": UNDER_SCHEMA, "respond": {"content": "not json"}})
    assert "is not JSON" in message
    responses = {"body": {"text": {"format": {"type": "json_schema", "name": "a", "schema": SCHEMA}}}}
    assert "text.format.schema" in refusal({"match": responses, "respond": {"content": "{}"}})[1]
    # Without the schema in the rule there is nothing to check against.
    Rule.model_validate({"respond": {"content": "anything"}})


def test_a_streamed_match_needs_a_body_that_can_stream() -> None:
    param, message = refusal({"match": {"body": {"stream": True}}, "respond": {"body": {"id": "x"}}})
    assert param == "respond.body" and "list of events" in message
    Rule.model_validate({"match": {"body": {"stream": True}}, "respond": {"body": [{"id": "x"}]}})
    sse = {"body": "data: {}\n\n", "headers": {"content-type": "text/event-stream"}}
    Rule.model_validate({"match": {"body": {"stream": True}}, "respond": sse})
    Rule.model_validate({"match": {"body": {"stream": True}}, "respond": {"body": {"error": {}}, "status": 500}})


def test_a_rule_body_streams_to_a_streamed_request() -> None:
    streamed = rendering.rule_body([{"a": 1}, "[DONE]"], 200, {}, streamed=True)
    assert streamed.status == 200 and (b"content-type", rendering.EVENT_STREAM) in streamed.headers
    whole = rendering.rule_body({"a": 1}, 200, {}, streamed=False)
    assert whole.body == orjson.dumps({"a": 1})
    text = rendering.rule_body("id,name\n1,x\n", 200, {"Content-Type": "text/csv"}, streamed=False)
    assert text.body == b"id,name\n1,x\n" and (b"content-type", b"text/csv") in text.headers
    error = rendering.rule_body({"error": {}}, 500, {}, streamed=True)
    assert error.status == 500 and error.body == b'{"error":{}}'
