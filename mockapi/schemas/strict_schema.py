"""What strict mode refuses, in the real API's words: `refusal(conversation, api)` is the routers' check.

Strict structured outputs (`json_schema` with strict: true) and strict function tools take a subset of JSON
Schema. Refused, as the API words it:
- a root that is not an object ("schema must be a JSON Schema of 'type: "object"', got 'type: "array"'."),
  or a root anyOf/oneOf/enum/not ("... not have 'oneOf'/'anyOf'/'allOf'/'enum'/'not' at the top level.");
- an object without additionalProperties: false, or whose `required` misses one of its properties or names
  one it does not have ("In context=('properties', 'address'), 'required' is required ... Missing 'zip'.");
- a node without a type (unless it is an anyOf, a $ref, an enum or a const), a $ref with keywords beside
  it ("$ref cannot have keywords {'description'}"), and the keywords the docs list as not supported:
  allOf, oneOf, not, if/then/else, dependentRequired, dependentSchemas ("'allOf' is not permitted.");
- more than 10 levels of nesting (objects and arrays), more than 5000 properties in all, more than 1000
  enum values in all, and an enum of more than 250 strings longer than 15000 characters together. The first
  two messages are the API's; the enum ones follow their form (no quoted instance was found).
The limits are checked before the nodes, the nodes depth first in the schema's own order.
Non-strict function tools are checked for an object root only, as the API does for every function.
Responses function tools that leave `strict` out are strict when their schema can be made so (objects
closed, every property required), as that API documents; `strict_parameters` gives the schema then used.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mockapi.conversation import Conversation, FunctionTool
from mockapi.errors import OpenAIError
from mockapi.errors import tools as errors_tools
from mockapi.errors.tools import NAME_LIMIT, Api
from mockapi.generators.schema_check import resolve

MAX_NESTING = 10
MAX_PROPERTIES = 5000
MAX_ENUM_VALUES = 1000
LARGE_ENUM = 250
MAX_LARGE_ENUM_CHARACTERS = 15_000
NOT_PERMITTED = ("allOf", "oneOf", "not", "if", "then", "else", "dependentRequired", "dependentSchemas")
TOP_LEVEL = ("oneOf", "anyOf", "enum", "not")
_UNTYPED_OK = ("anyOf", "$ref", "enum", "const")
_NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


def refusal(conversation: Conversation, api: Api) -> OpenAIError | None:
    """The 400 the real API answers for these tools and this output format, or None."""
    return (
        _tool_names(conversation, api)
        or _format_name(conversation, api)
        or _tool_schemas(conversation, api)
        or _format_schema(conversation, api)
        or _json_word(conversation, api)
    )


def strict_problem(schema: Any) -> str | None:
    """Why strict mode refuses `schema` (the reason part of the API's message), or None."""
    if not isinstance(schema, Mapping):
        return f"schema must be a JSON Schema of 'type: \"object\"', got 'type: \"{type(schema).__name__}\"'."
    return _limits(schema) or _root(schema) or next(_node_problems(schema, (), schema), None)


def effective_strict(tool: FunctionTool, api: Api) -> bool:
    """Whether the tool's calls follow its schema strictly."""
    if tool.strict is not None:
        return tool.strict
    return api == "responses" and strict_parameters(tool) is not None


def strict_parameters(tool: FunctionTool) -> Mapping[str, Any] | None:
    """The parameters a Responses tool without `strict` is held to: its schema closed and every property
    required, when strict mode accepts that; None when it cannot be made strict."""
    if not tool.parameters:
        return None
    closed = _closed(tool.parameters)
    return closed if strict_problem(closed) is None else None


def mentions_json(conversation: Conversation) -> bool:
    return any("json" in message.text.lower() for message in conversation.messages)


# The parts of `refusal`.


def _name_error(name: str, param: str) -> OpenAIError | None:
    if not name:
        return errors_tools.name_empty(param)
    if len(name) > NAME_LIMIT:
        return errors_tools.name_too_long(param, len(name))
    if not set(name) <= _NAME_CHARACTERS:
        return errors_tools.name_does_not_match(param)
    return None


def _tool_param(tool: FunctionTool, conversation: Conversation, api: Api, field: str) -> str:
    if api == "responses":
        return f"tools[{tool.position}].{field}"
    if conversation.legacy_functions:
        return f"functions[{tool.position}].{field}"
    return f"tools[{tool.position}].function.{field}"


def _tool_names(conversation: Conversation, api: Api) -> OpenAIError | None:
    for tool in conversation.tools:
        error = _name_error(tool.name, _tool_param(tool, conversation, api, "name"))
        if error is not None:
            return error
    return None


def _format_name(conversation: Conversation, api: Api) -> OpenAIError | None:
    output = conversation.output
    if output.type != "json_schema":
        return None
    param = "response_format.json_schema.name" if api == "chat" else "text.format.name"
    return _name_error(output.name or "", param)


def _tool_schemas(conversation: Conversation, api: Api) -> OpenAIError | None:
    for tool in conversation.tools:
        if not tool.parameters:
            continue
        problem = strict_problem(tool.parameters) if tool.strict is True else _object_root(tool.parameters)
        if problem is not None:
            param = _tool_param(tool, conversation, api, "parameters")
            return errors_tools.invalid_function_schema(tool.name, problem, param)
    return None


def _format_schema(conversation: Conversation, api: Api) -> OpenAIError | None:
    output = conversation.output
    if output.type != "json_schema" or not output.strict or output.schema is None:
        return None
    problem = strict_problem(output.schema)
    return None if problem is None else errors_tools.invalid_response_format_schema(output.name or "", problem, api)


def _json_word(conversation: Conversation, api: Api) -> OpenAIError | None:
    if conversation.output.type != "json_object" or mentions_json(conversation):
        return None
    return errors_tools.json_word_missing(api)


# Strict mode's rules.


def _context(path: tuple[str, ...]) -> str:
    return f"In context={path!r}, "


def _type_name(schema: Mapping[str, Any]) -> str:
    kind = schema.get("type")
    return kind if isinstance(kind, str) else "None" if kind is None else str(kind)


def _root(schema: Mapping[str, Any]) -> str | None:
    if "allOf" in schema:
        return f"{_context(())}'allOf' is not permitted."
    found = next((key for key in TOP_LEVEL if key in schema), None)
    if found is not None:
        return (
            "schema must have type 'object' and not have 'oneOf'/'anyOf'/'allOf'/'enum'/'not' at the top level. "
            f"Found '{found}'."
        )
    return _object_root(schema)


def _object_root(schema: Mapping[str, Any]) -> str | None:
    if schema.get("type") != "object":
        return f"schema must be a JSON Schema of 'type: \"object\"', got 'type: \"{_type_name(schema)}\"'."
    return None


def _children(schema: Mapping[str, Any], path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Sub-schemas with their paths, in the order the schema gives them."""
    for key in ("$defs", "definitions", "properties"):
        if isinstance(schema.get(key), Mapping):
            for name, sub in schema[key].items():
                yield (*path, key, str(name)), sub
    if isinstance(schema.get("items"), Mapping):
        yield (*path, "items"), schema["items"]
    for key in ("anyOf", "prefixItems"):
        if isinstance(schema.get(key), list):
            for index, sub in enumerate(schema[key]):
                yield (*path, key, str(index)), sub
    if isinstance(schema.get("additionalProperties"), Mapping):
        yield (*path, "additionalProperties"), schema["additionalProperties"]


def _node_problems(schema: Mapping[str, Any], path: tuple[str, ...], root: Mapping[str, Any]) -> Iterator[str]:
    if "$ref" in schema and len(schema) > 1:
        extra = "{" + ", ".join(repr(key) for key in sorted(k for k in schema if k != "$ref")) + "}"
        yield f"context={path!r}, $ref cannot have keywords {extra}."
        return
    for key in NOT_PERMITTED:
        if key in schema:
            yield f"{_context(path)}'{key}' is not permitted."
            return
    if "type" not in schema and not any(key in schema for key in _UNTYPED_OK):
        yield f"{_context(path)}schema must have a 'type' key."
        return
    kinds = schema.get("type")
    if kinds == "object" or (isinstance(kinds, list) and "object" in kinds):
        if schema.get("additionalProperties") is not False:
            yield f"{_context(path)}'additionalProperties' is required to be supplied and to be false."
            return
        properties = list(schema.get("properties") or {})
        given = schema.get("required")
        required = list(given) if isinstance(given, list) else []
        missing = [name for name in properties if name not in required]
        unknown = [name for name in required if name not in properties]
        wording = "'required' is required to be supplied and to be an array including every key in properties."
        if missing:
            yield f"{_context(path)}{wording} Missing '{missing[0]}'."
            return
        if unknown:
            yield f"{_context(path)}{wording} Extra required key '{unknown[0]}' supplied."
            return
    for child_path, child in _children(schema, path):
        if isinstance(child, Mapping):
            yield from _node_problems(child, child_path, root)


def _limits(schema: Mapping[str, Any]) -> str | None:
    depth = _nesting(schema, schema, frozenset())
    if depth > MAX_NESTING:
        return f"{depth} levels of nesting exceeds limit of {MAX_NESTING}."
    properties, enum_values, large_enum = _sizes(schema)
    if properties > MAX_PROPERTIES:
        return f"{properties} parameters exceeds limit of {MAX_PROPERTIES}."
    if enum_values > MAX_ENUM_VALUES:
        return f"{enum_values} enum values exceeds limit of {MAX_ENUM_VALUES}."
    if large_enum > MAX_LARGE_ENUM_CHARACTERS:
        return f"{large_enum} characters of enum values exceeds limit of {MAX_LARGE_ENUM_CHARACTERS}."
    return None


def _nesting(schema: Any, root: Mapping[str, Any], seen: frozenset[str]) -> int:
    """Levels of objects and arrays on the deepest path ($refs followed once per path)."""
    if not isinstance(schema, Mapping):
        return 0
    ref = schema.get("$ref")
    if isinstance(ref, str):
        if ref in seen:
            return 0
        return _nesting(resolve(root, ref), root, seen | {ref})
    kinds = schema.get("type")
    kinds = [kinds] if isinstance(kinds, str) else list(kinds or ())
    level = 1 if {"object", "array"} & set(kinds) else 0
    deepest = 0
    for key in ("properties",):
        for sub in (schema.get(key) or {}).values():
            deepest = max(deepest, _nesting(sub, root, seen))
    for key in ("items", "additionalProperties"):
        deepest = max(deepest, _nesting(schema.get(key), root, seen))
    for key in ("anyOf", "prefixItems"):
        for sub in schema.get(key) or ():
            deepest = max(deepest, _nesting(sub, root, seen))
    return level + deepest


def _sizes(schema: Any) -> tuple[int, int, int]:
    """Properties in all, enum values in all, and the characters of the largest enum of over 250 strings."""
    if not isinstance(schema, Mapping):
        return 0, 0, 0
    properties = len(schema.get("properties") or {})
    given = schema.get("enum")
    options: list[Any] = given if isinstance(given, list) else []
    enum_values = len(options)
    large = sum(len(o) for o in options if isinstance(o, str)) if len(options) > LARGE_ENUM else 0
    for _, child in _children(schema, ()):
        more = _sizes(child)
        properties, enum_values, large = properties + more[0], enum_values + more[1], max(large, more[2])
    return properties, enum_values, large


def _closed(schema: Any) -> Any:
    """The schema with every object closed and every property required (how Responses makes it strict)."""
    if isinstance(schema, list):
        return [_closed(item) for item in schema]
    if not isinstance(schema, Mapping):
        return schema
    closed = {key: _closed(value) for key, value in schema.items()}
    if closed.get("type") == "object":
        closed.setdefault("additionalProperties", False)
        closed["required"] = list(closed.get("properties") or {})
    return closed
