"""The content of a structured answer: JSON text for `json_object` and `json_schema` output formats.

A json_schema answer is a value valid against the schema (schema_values.py), filled from the
conversation where a value fits: the last user message and the tool results since the assistant's last
turn. A json_object answer is valid against a JSON Schema the conversation shows (instructor's JSON mode
puts the response model's schema in the system message), else a small object: the keys the conversation
spells out as JSON (`"name": ...` in an example), else an answer and its topic. Both are compact, as the
API writes structured output. The text is the answer's source: the drafting machinery cuts it at
max_tokens and counts it like any content.
"""

from __future__ import annotations

import json
import random
import re
from typing import Any

import orjson

from mockapi.conversation import Conversation, OutputFormat
from mockapi.generators.hints import Hints, significant, words
from mockapi.generators.schema_values import value_for

# `"key":` in an example object the conversation shows ("Reply in JSON like {"name": ..., "age": ...}").
_EXAMPLE_KEY = re.compile(r"[\"']([A-Za-z_][A-Za-z0-9_]{0,39})[\"']\s*:")
_NUMERIC_TEXT = "age count number total price amount score year quantity rating size id"
_NUMERIC_WORDS = frozenset(_NUMERIC_TEXT.split())
_MOST_KEYS = 12
# How much of the conversation, and how many `{`, are read for a schema it shows.
_SCHEMA_TEXT_LIMIT = 100_000
_MOST_OBJECTS = 64
_DECODER = json.JSONDecoder()


def json_content(output: OutputFormat, conversation: Conversation, rng: random.Random) -> str:
    hints = Hints.from_text(_source_text(conversation))
    if output.type == "json_schema" and output.schema is not None:
        value = value_for(dict(output.schema), rng, hints)
    else:
        value = _small_object(conversation, hints, rng)
    return orjson.dumps(value).decode()


def _source_text(conversation: Conversation) -> str:
    results = [result.output for result in conversation.results_since_last_assistant()]
    return "\n".join([conversation.last_user_text(), *results])


def _small_object(conversation: Conversation, hints: Hints, rng: random.Random) -> dict[str, Any]:
    said = "\n".join(m.text for m in conversation.messages if m.role != "tool")
    shown = shown_schema(f"{conversation.instructions}\n{said}")
    if shown is not None:
        valid: dict[str, Any] = value_for(shown, rng, hints)
        return valid
    keys = list(dict.fromkeys(_EXAMPLE_KEY.findall(f"{conversation.instructions}\n{said}")))[:_MOST_KEYS]
    if keys:
        kinds = {key: "integer" if _NUMERIC_WORDS.intersection(words(key)) else "string" for key in keys}
        schema = {"type": "object", "properties": {k: {"type": t} for k, t in kinds.items()}, "required": keys}
        made: dict[str, Any] = value_for(schema, rng, hints)
        return made
    results = conversation.results_since_last_assistant()
    if results:
        return {"result": _parsed(results[-1].output), "source": results[-1].name or "tool"}
    topic = " ".join(significant(conversation.last_user_text())[:4])
    answer = value_for({"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}, rng)
    return {"topic": topic, "answer": answer["answer"]}


def shown_schema(text: str) -> dict[str, Any] | None:
    """The first JSON Schema of an object written out in the text (`{"properties": {...}, "type": "object"}`)."""
    text = text[:_SCHEMA_TEXT_LIMIT]
    start = text.find("{")
    for _ in range(_MOST_OBJECTS):
        if start < 0:
            return None
        try:
            value, end = _DECODER.raw_decode(text, start)
        except ValueError:
            start = text.find("{", start + 1)
            continue
        if _is_object_schema(value):
            return dict(value)
        start = text.find("{", end)
    return None


def _is_object_schema(value: Any) -> bool:
    if not isinstance(value, dict) or not isinstance(value.get("properties"), dict):
        return False
    if value.get("type", "object") != "object":
        return False
    if not _subschemas_are_schemas(value):
        return False
    # Loaded when a prompt shows a schema: a start skips jsonschema.
    import jsonschema
    from referencing.exceptions import Unresolvable

    cls = jsonschema.validators.validator_for(value, default=jsonschema.Draft202012Validator)
    try:
        cls.check_schema(value)
    # The meta-schema's references read a member that is no schema (a number deeper down) as one.
    except (jsonschema.SchemaError, Unresolvable, ValueError, TypeError, AttributeError, RecursionError):
        return False
    return True


_SCHEMA_MAPS = ("properties", "$defs", "definitions", "patternProperties")
_SCHEMA_LISTS = ("anyOf", "allOf", "oneOf", "prefixItems")
_SCHEMA_MEMBERS = ("items", "additionalProperties", "not", "contains", "if", "then", "else")


def _subschemas_are_schemas(schema: Any, depth: int = 0) -> bool:
    """Every subschema an object, a bool at the leaves (what the value generator reads), 32 levels at most."""
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict) or depth > 32:
        return False
    inner: list[Any] = [schema[key] for key in _SCHEMA_MEMBERS if key in schema]
    for key in _SCHEMA_MAPS:
        members = schema.get(key, {})
        if not isinstance(members, dict):
            return False
        inner += members.values()
    for key in _SCHEMA_LISTS:
        members = schema.get(key, [])
        if not isinstance(members, list):
            return False
        inner += members
    return all(_subschemas_are_schemas(member, depth + 1) for member in inner)


def _parsed(text: str) -> Any:
    """A tool result as JSON when it is JSON, else its text."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text
