"""The real API's refusals of tools and structured outputs, as OpenAIErrors (a 400 each).

Wording, `param` and `code` as the API sends them (checked against errors its users have quoted):
- a strict schema it cannot enforce: "Invalid schema for response_format 'NAME': In context=(...), ..."
  with param `response_format` and code null on Chat Completions, `text.format.schema` and
  `invalid_json_schema` on the Responses API; for a function tool "Invalid schema for function 'NAME': ..."
  with param `tools[i].function.parameters` (Chat; `functions[i].parameters` for legacy functions) or
  `tools[i].parameters` (Responses) and code `invalid_function_parameters`.
- a name outside ^[a-zA-Z0-9_-]{1,64}$: the API's string checks ("Invalid 'tools[0].function.name': ...").
- json_object without the word "json": each API's own sentence, on `messages` or `text.format`.
"""

from __future__ import annotations

from typing import Literal

from mockapi.errors import OpenAIError, invalid_param

Api = Literal["chat", "responses"]
NAME_PATTERN = "^[a-zA-Z0-9_-]+$"
NAME_LIMIT = 64


def invalid_response_format_schema(name: str, reason: str, api: Api) -> OpenAIError:
    if api == "chat":
        return invalid_param(f"Invalid schema for response_format '{name}': {reason}", "response_format")
    return invalid_param(
        f"Invalid schema for response_format '{name}': {reason}", "text.format.schema", "invalid_json_schema"
    )


def invalid_function_schema(name: str, reason: str, param: str) -> OpenAIError:
    return invalid_param(f"Invalid schema for function '{name}': {reason}", param, "invalid_function_parameters")


def name_does_not_match(param: str) -> OpenAIError:
    return invalid_param(
        f"Invalid '{param}': string does not match pattern. Expected a string that matches the pattern "
        f"'{NAME_PATTERN}'.",
        param,
        "invalid_value",
    )


def name_too_long(param: str, length: int) -> OpenAIError:
    return invalid_param(
        f"Invalid '{param}': string too long. Expected a string with maximum length {NAME_LIMIT}, but got a "
        f"string with length {length} instead.",
        param,
        "string_above_max_length",
    )


def name_empty(param: str) -> OpenAIError:
    return invalid_param(
        f"Invalid '{param}': empty string. Expected a string with minimum length 1, but got an empty string instead.",
        param,
        "empty_string",
    )


def json_word_missing(api: Api) -> OpenAIError:
    if api == "chat":
        return invalid_param(
            "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
            "messages",
        )
    return invalid_param(
        "Response input messages must contain the word 'json' in some form to use 'text.format' of type 'json_object'.",
        "text.format",
    )
