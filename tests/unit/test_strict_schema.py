"""What strict mode refuses, with the real API's messages, params and codes."""

from __future__ import annotations

from typing import Any

from mockapi.conversation import FunctionTool, from_chat, from_responses
from mockapi.errors import OpenAIError
from mockapi.errors.tools import Api
from mockapi.schemas.strict_schema import effective_strict, refusal, strict_parameters, strict_problem

GOOD: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}},
        "address": {
            "type": "object",
            "properties": {"street": {"type": "string"}, "zip": {"type": ["string", "null"]}},
            "required": ["street", "zip"],
            "additionalProperties": False,
        },
        "choice": {"anyOf": [{"type": "integer"}, {"$ref": "#/$defs/Other"}]},
    },
    "required": ["name", "tags", "address", "choice"],
    "additionalProperties": False,
    "$defs": {
        "Other": {
            "type": "object",
            "properties": {"x": {"type": "number"}},
            "required": ["x"],
            "additionalProperties": False,
        }
    },
}


def chat_format(schema: Any, name: str = "answer", strict: bool = True, text: str = "hi") -> dict[str, Any]:
    return {
        "messages": [{"role": "user", "content": text}],
        "response_format": {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": strict}},
    }


def refused(body: dict[str, Any], api: Api = "chat") -> OpenAIError:
    conversation = from_chat(body) if api == "chat" else from_responses(body)
    error = refusal(conversation, api)
    assert error is not None
    assert error.status == 400 and error.type == "invalid_request_error"
    return error


def with_(schema: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**schema, **changes}


def test_a_strict_schema_of_the_subset_is_accepted() -> None:
    assert strict_problem(GOOD) is None
    assert refusal(from_chat(chat_format(GOOD)), "chat") is None
    assert refusal(from_chat(chat_format(with_(GOOD, additionalProperties=True), strict=False)), "chat") is None


def test_missing_additional_properties_on_chat_and_responses() -> None:
    schema = {k: v for k, v in GOOD.items() if k != "additionalProperties"}
    error = refused(chat_format(schema, "IntentAnalysis"))
    assert error.message == (
        "Invalid schema for response_format 'IntentAnalysis': In context=(), 'additionalProperties' is required "
        "to be supplied and to be false."
    )
    assert (error.param, error.code) == ("response_format", None)
    text = {"format": {"type": "json_schema", "name": "IntentAnalysis", "schema": schema, "strict": True}}
    error = refused({"input": "hi", "text": text}, "responses")
    assert error.message.startswith("Invalid schema for response_format 'IntentAnalysis': In context=(), ")
    assert (error.param, error.code) == ("text.format.schema", "invalid_json_schema")


def test_nested_required_missing_a_property_names_the_context() -> None:
    address = with_(GOOD["properties"]["address"], required=["street"])
    schema = with_(GOOD, properties={**GOOD["properties"], "address": address})
    assert refused(chat_format(schema, "calendar_event_extraction")).message == (
        "Invalid schema for response_format 'calendar_event_extraction': In context=('properties', 'address'), "
        "'required' is required to be supplied and to be an array including every key in properties. Missing 'zip'."
    )
    extra = with_(GOOD, required=[*GOOD["required"], "ghost"])
    assert refused(chat_format(extra)).message.endswith("properties. Extra required key 'ghost' supplied.")


def test_unsupported_keywords_refs_with_siblings_and_untyped_nodes() -> None:
    all_of = with_(GOOD, properties={**GOOD["properties"], "name": {"allOf": [{"type": "string"}]}})
    assert refused(chat_format(all_of, "r")).message == (
        "Invalid schema for response_format 'r': In context=('properties', 'name'), 'allOf' is not permitted."
    )
    described = with_(GOOD, properties={**GOOD["properties"], "choice": {"$ref": "#/$defs/Other", "description": "d"}})
    assert refused(chat_format(described, "r")).message == (
        "Invalid schema for response_format 'r': context=('properties', 'choice'), $ref cannot have keywords "
        "{'description'}."
    )
    untyped = with_(GOOD, properties={**GOOD["properties"], "tags": {"type": "array", "items": {}}})
    assert refused(chat_format(untyped, "r")).message == (
        "Invalid schema for response_format 'r': In context=('properties', 'tags', 'items'), schema must have a "
        "'type' key."
    )
    one_of_deep = with_(GOOD, properties={**GOOD["properties"], "choice": {"oneOf": [{"type": "integer"}]}})
    assert refused(chat_format(one_of_deep, "r")).message.endswith("'oneOf' is not permitted.")
    in_defs = with_(GOOD, **{"$defs": {"Other": {"type": "object", "properties": {}}}})
    assert "In context=('$defs', 'Other'), 'additionalProperties'" in refused(chat_format(in_defs)).message


def test_the_root_must_be_an_object() -> None:
    assert refused(chat_format({"type": "array", "items": {"type": "string"}}, "r")).message == (
        "Invalid schema for response_format 'r': schema must be a JSON Schema of 'type: \"object\"', got "
        "'type: \"array\"'."
    )
    assert refused(chat_format({"anyOf": [GOOD]}, "r")).message == (
        "Invalid schema for response_format 'r': schema must have type 'object' and not have "
        "'oneOf'/'anyOf'/'allOf'/'enum'/'not' at the top level. Found 'anyOf'."
    )


def nested(levels: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(levels):
        schema = {
            "type": "object",
            "properties": {"inner": schema},
            "required": ["inner"],
            "additionalProperties": False,
        }
    return schema


def test_nesting_and_size_limits() -> None:
    assert strict_problem(nested(10)) is None
    assert refused(chat_format(nested(11), "limit_probe")).message == (
        "Invalid schema for response_format 'limit_probe': 11 levels of nesting exceeds limit of 10."
    )
    wide = {f"p{i}": {"type": "string"} for i in range(6000)}
    many = {"type": "object", "properties": wide, "required": list(wide), "additionalProperties": False}
    assert refused(chat_format(many, "limit_probe")).message == (
        "Invalid schema for response_format 'limit_probe': 6000 parameters exceeds limit of 5000."
    )
    enums = {f"p{i}": {"type": "string", "enum": [f"v{j}" for j in range(200)]} for i in range(6)}
    big = {"type": "object", "properties": enums, "required": list(enums), "additionalProperties": False}
    assert strict_problem(big) == "1200 enum values exceeds limit of 1000."
    long_values = {"type": "string", "enum": ["x" * 70 + str(i) for i in range(251)]}
    large = {"type": "object", "properties": {"e": long_values}, "required": ["e"], "additionalProperties": False}
    assert (strict_problem(large) or "").endswith("characters of enum values exceeds limit of 15000.")


def test_recursive_refs_are_accepted_and_do_not_loop() -> None:
    tree = {
        "type": "object",
        "properties": {"label": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#"}}},
        "required": ["label", "children"],
        "additionalProperties": False,
    }
    assert strict_problem(tree) is None


def test_response_format_names() -> None:
    bad = refused(chat_format(GOOD, "my schema"))
    assert bad.message == (
        "Invalid 'response_format.json_schema.name': string does not match pattern. Expected a string that "
        "matches the pattern '^[a-zA-Z0-9_-]+$'."
    )
    assert (bad.param, bad.code) == ("response_format.json_schema.name", "invalid_value")
    long = refused(chat_format(GOOD, "n" * 65))
    assert long.message == (
        "Invalid 'response_format.json_schema.name': string too long. Expected a string with maximum length 64, "
        "but got a string with length 65 instead."
    )
    assert long.code == "string_above_max_length"
    assert refusal(from_chat(chat_format(GOOD, "a-Z_9" + "x" * 59)), "chat") is None
    text = {"format": {"type": "json_schema", "name": "", "schema": GOOD, "strict": True}}
    empty = refused({"input": "hi", "text": text}, "responses")
    assert (empty.param, empty.code) == ("text.format.name", "empty_string")


def tool(parameters: Any, name: str = "search", strict: bool | None = True) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": name, "parameters": parameters}
    if strict is not None:
        spec["strict"] = strict
    return {"type": "function", "function": spec}


def test_strict_function_tools_are_checked_with_their_own_param() -> None:
    loose = {"type": "object", "properties": {"q": {"type": "string"}, "max_results": {"type": "integer"}}}
    body = {"messages": [{"role": "user", "content": "hi"}], "tools": [tool(GOOD, "ok"), tool(loose)]}
    error = refused(body)
    assert error.message == (
        "Invalid schema for function 'search': In context=(), 'additionalProperties' is required to be supplied "
        "and to be false."
    )
    assert (error.param, error.code) == ("tools[1].function.parameters", "invalid_function_parameters")
    closed = {**loose, "additionalProperties": False}
    error = refused({**body, "tools": [tool(closed)]})
    assert error.message.endswith("Missing 'q'.")
    responses = {"input": "hi", "tools": [{"type": "web_search"}, {"type": "function", **tool(closed)["function"]}]}
    assert refused(responses, "responses").param == "tools[1].parameters"


def test_non_strict_tools_need_only_an_object_root() -> None:
    loose = {"type": "object", "properties": {"q": {"type": "string"}}}
    body = {"messages": [{"role": "user", "content": "hi"}], "tools": [tool(loose, strict=False), tool({}, "ping")]}
    assert refusal(from_chat(body), "chat") is None
    error = refused({**body, "tools": [tool({"properties": {}}, "getSchedule", strict=None)]})
    assert error.message == (
        "Invalid schema for function 'getSchedule': schema must be a JSON Schema of 'type: \"object\"', got "
        "'type: \"None\"'."
    )
    legacy = {"messages": body["messages"], "functions": [{"name": "f", "parameters": {"type": "string"}}]}
    assert refused(legacy).param == "functions[0].parameters"


def test_tool_names_are_checked() -> None:
    body = {"messages": [{"role": "user", "content": "hi"}], "tools": [tool(GOOD, "canvas.read_card")]}
    error = refused(body)
    assert error.message == (
        "Invalid 'tools[0].function.name': string does not match pattern. Expected a string that matches the "
        "pattern '^[a-zA-Z0-9_-]+$'."
    )
    responses = {"input": "hi", "tools": [{"type": "function", "name": "x" * 70, "parameters": GOOD}]}
    assert refused(responses, "responses").message.startswith("Invalid 'tools[0].name': string too long.")


def test_json_object_needs_the_word_json() -> None:
    body = {"messages": [{"role": "user", "content": "List three colours"}], "response_format": {"type": "json_object"}}
    error = refused(body)
    assert error.message == (
        "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'."
    )
    assert (error.param, error.code) == ("messages", None)
    system = [{"role": "system", "content": "Answer in JSON."}, *body["messages"]]
    assert refusal(from_chat({**body, "messages": system}), "chat") is None
    responses = {
        "input": "List three colours",
        "instructions": "Reply in JSON",
        "text": {"format": {"type": "json_object"}},
    }
    error = refused(responses, "responses")
    assert error.message == (
        "Response input messages must contain the word 'json' in some form to use 'text.format' of type 'json_object'."
    )
    assert error.param == "text.format"
    assert refusal(from_responses({**responses, "input": "List colours as Json"}), "responses") is None


def test_responses_tools_without_strict_are_strict_when_they_can_be() -> None:
    loose = {"type": "object", "properties": {"q": {"type": "string"}, "n": {"type": "integer"}}, "required": ["q"]}
    tool_loose = FunctionTool("search", parameters=loose)
    assert effective_strict(tool_loose, "responses") and not effective_strict(tool_loose, "chat")
    assert strict_parameters(tool_loose) == {**loose, "required": ["q", "n"], "additionalProperties": False}
    cannot = FunctionTool("search", parameters={"type": "object", "properties": {"q": {"allOf": [{"type": "string"}]}}})
    assert strict_parameters(cannot) is None and not effective_strict(cannot, "responses")
    assert not effective_strict(FunctionTool("f", parameters=loose, strict=False), "responses")
    # Left out, a strict-incompatible schema is no error on Responses.
    assert (
        refusal(
            from_responses({"input": "hi", "tools": [{"type": "function", "name": "search", "parameters": loose}]}),
            "responses",
        )
        is None
    )
