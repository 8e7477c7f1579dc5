"""Structured answers: compact JSON text, valid against the schema, filled from the conversation."""

from __future__ import annotations

import enum
import random
from typing import Any

import jsonschema
import orjson
from openai.lib._parsing._completions import type_to_response_format_param
from pydantic import BaseModel, Field

from mockapi.conversation import OutputFormat, from_chat, from_responses
from mockapi.generators.structured import json_content
from mockapi.schemas.strict_schema import refusal

STEP = {
    "type": "object",
    "properties": {"explanation": {"type": "string"}, "output": {"type": "string"}},
    "required": ["explanation", "output"],
    "additionalProperties": False,
}
MATH = {
    "type": "object",
    "properties": {"steps": {"type": "array", "items": STEP}, "final_answer": {"type": "string"}},
    "required": ["steps", "final_answer"],
    "additionalProperties": False,
}
EVENT = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "city": {"type": "string"},
        "attendees": {"type": "integer", "minimum": 1, "maximum": 500},
        "kind": {"type": "string", "enum": ["meetup", "conference", "workshop"]},
    },
    "required": ["name", "city", "attendees", "kind"],
    "additionalProperties": False,
}


def chat(text: str, response_format: dict[str, Any]) -> Any:
    return from_chat({"messages": [{"role": "user", "content": text}], "response_format": response_format})


def schema_format(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": "out", "schema": schema, "strict": True}}


def test_json_schema_content_is_compact_and_valid() -> None:
    conversation = chat("solve 8x + 31 = 2", schema_format(MATH))
    for seed in range(20):
        text = json_content(conversation.output, conversation, random.Random(seed))
        value = orjson.loads(text)
        jsonschema.validate(value, MATH)
        assert text == orjson.dumps(value).decode()  # compact: no spaces between tokens
        assert "\n" not in text and '": ' not in text and '", "' not in text


def test_json_schema_content_draws_from_the_message() -> None:
    conversation = chat("A workshop in Berlin for 40 people, please.", schema_format(EVENT))
    value = orjson.loads(json_content(conversation.output, conversation, random.Random(1)))
    assert value["city"] == "Berlin" and value["attendees"] == 40 and value["kind"] == "workshop"


def test_same_seed_same_content() -> None:
    conversation = chat("solve 8x + 31 = 2", schema_format(MATH))
    first = json_content(conversation.output, conversation, random.Random(9))
    assert first == json_content(conversation.output, conversation, random.Random(9))


def test_json_object_uses_the_keys_an_example_shows() -> None:
    text = 'Reply in JSON like {"name": "...", "age": 0, "city": "..."} about the user Grace in Paris'
    conversation = chat(text, {"type": "json_object"})
    value = orjson.loads(json_content(conversation.output, conversation, random.Random(2)))
    assert list(value) == ["name", "age", "city"]
    assert isinstance(value["age"], int) and value["city"] == "Paris"


def test_json_object_answers_a_schema_the_conversation_shows() -> None:
    """instructor's JSON mode: the response model's schema in the system message, json_object asked."""
    system = f"Return an instance matching this json_schema:\n\n{orjson.dumps(Person.model_json_schema()).decode()}"
    body = {
        "messages": [{"role": "system", "content": system}, {"role": "user", "content": "Grace, 36, likes blue"}],
        "response_format": {"type": "json_object"},
    }
    conversation = from_chat(body)
    for seed in range(5):
        person = Person.model_validate_json(json_content(conversation.output, conversation, random.Random(seed)))
        assert (person.name, person.age, person.colour) == ("Grace", 36, Colour.BLUE)
    for shown in ['{"a": 5}', '{"a": {"properties": {"c": 5}}}', '{"a": {"type": "nothing"}}']:
        broken = chat(f'Use {{"type": "object", "properties": {shown}}} in JSON {{"b": 1}}', {"type": "json_object"})
        value = orjson.loads(json_content(broken.output, broken, random.Random(1)))
        assert {"type", "properties", "b"} <= set(value)  # no schema: the keys it shows


def test_json_object_without_keys_is_a_small_object_about_the_topic() -> None:
    conversation = chat("Give me a JSON summary of the quarterly sales numbers", {"type": "json_object"})
    value = orjson.loads(json_content(conversation.output, conversation, random.Random(3)))
    assert set(value) == {"topic", "answer"} and "quarterly" in value["topic"]


def test_after_a_tool_result_json_object_carries_the_result() -> None:
    body = {
        "input": [
            {"role": "user", "content": "Weather as JSON"},
            {"type": "function_call", "call_id": "c1", "name": "get_weather", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": '{"temp": 21}'},
        ],
        "text": {"format": {"type": "json_object"}},
    }
    conversation = from_responses(body)
    value = orjson.loads(json_content(OutputFormat("json_object"), conversation, random.Random(4)))
    assert value == {"result": {"temp": 21}, "source": "get_weather"}


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Address(BaseModel):
    street: str
    zip: str | None = Field(description="postal code")


class Person(BaseModel):
    name: str = Field(description="full name")
    age: int = Field(ge=0, le=130)
    colour: Colour = Field(description="favourite colour")
    addresses: list[Address]
    home: Address = Field(description="home address")
    score: float | None


def test_the_sdk_parse_helpers_strict_schema_is_accepted_and_answered() -> None:
    """What client.chat.completions.parse(response_format=Person) sends, answered as Person parses it."""
    response_format = type_to_response_format_param(Person)
    body = {"messages": [{"role": "user", "content": "Grace, 36, likes blue"}], "response_format": response_format}
    conversation = from_chat(dict(body))
    assert refusal(conversation, "chat") is None
    for seed in range(10):
        person = Person.model_validate_json(json_content(conversation.output, conversation, random.Random(seed)))
        assert (person.name, person.age, person.colour) == ("Grace", 36, Colour.BLUE)
