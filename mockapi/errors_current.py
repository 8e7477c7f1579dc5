"""Refusals of parameters as today's API words them (the endpoints added since 2023: batches, a file's
`expires_after`), each a 400 naming the parameter, with the API's code:

    Missing required parameter: 'input_file_id'.                       missing_required_parameter
    Unknown parameter: 'foo'.                                           unknown_parameter
    Invalid type for 'metadata.tags': expected a string, but got an array instead.          invalid_type
    Invalid value: '1h'. Supported values are: '24h'.                   invalid_value
    Invalid 'expires_after.seconds': integer below minimum value. Expected a value >= 3600, but got 60
    instead.                                                            integer_below_min_value
    Invalid 'metadata.note': string too long. Expected a string with maximum length 512, but got a string
    with length 600 instead.                                            string_above_max_length
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mockapi.errors import OpenAIError, invalid_param


def type_phrase(value: Any) -> str:
    """What the API calls the JSON type of a value: 'a string', 'an array', 'null'..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    return "an object"


def quoted_list(values: Sequence[str]) -> str:
    """'a', 'b', and 'c' (the API's list of supported values)."""
    quoted = [f"'{value}'" for value in values]
    if len(quoted) <= 2:
        return " and ".join(quoted)
    return ", ".join(quoted[:-1]) + ", and " + quoted[-1]


def missing_parameter(param: str) -> OpenAIError:
    return invalid_param(f"Missing required parameter: '{param}'.", param, "missing_required_parameter")


def unknown_parameter(param: str) -> OpenAIError:
    return invalid_param(f"Unknown parameter: '{param}'.", param, "unknown_parameter")


def invalid_type(param: str, expected: str, value: Any) -> OpenAIError:
    """`expected` as the API writes it: 'a string', 'an integer', 'an object'."""
    return invalid_param(
        f"Invalid type for '{param}': expected {expected}, but got {type_phrase(value)} instead.", param, "invalid_type"
    )


def invalid_value(value: Any, supported: Sequence[str], param: str) -> OpenAIError:
    return invalid_param(
        f"Invalid value: '{value}'. Supported values are: {quoted_list(supported)}.", param, "invalid_value"
    )


def integer_below_minimum(param: str, minimum: int, value: int) -> OpenAIError:
    return invalid_param(
        f"Invalid '{param}': integer below minimum value. Expected a value >= {minimum}, but got {value} instead.",
        param,
        "integer_below_min_value",
    )


def integer_above_maximum(param: str, maximum: int, value: int) -> OpenAIError:
    return invalid_param(
        f"Invalid '{param}': integer above maximum value. Expected a value <= {maximum}, but got {value} instead.",
        param,
        "integer_above_max_value",
    )


def string_too_long(param: str, maximum: int, length: int) -> OpenAIError:
    return invalid_param(
        f"Invalid '{param}': string too long. Expected a string with maximum length {maximum}, but got a string "
        f"with length {length} instead.",
        param,
        "string_above_max_length",
    )


def too_many_properties(param: str, maximum: int, count: int) -> OpenAIError:
    return invalid_param(
        f"Invalid '{param}': too many properties. Expected an object with at most {maximum} properties, but got "
        f"an object with {count} properties instead.",
        param,
        "object_above_max_properties",
    )


def expect_integer(value: Any, param: str, minimum: int, maximum: int) -> int:
    """An integer within bounds (a form field's digits count as one), or the refusal."""
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid_type(param, "an integer", value)
    if value < minimum:
        raise integer_below_minimum(param, minimum, value)
    if value > maximum:
        raise integer_above_maximum(param, maximum, value)
    return value


def expect_object(value: Any, param: str, allowed: Sequence[str], required: Sequence[str]) -> dict[str, Any]:
    """An object with only `allowed` keys and every `required` one, or the refusal."""
    if not isinstance(value, dict):
        raise invalid_type(param, "an object", value)
    for key in value:
        if key not in allowed:
            raise unknown_parameter(f"{param}.{key}" if param else str(key))
    for key in required:
        if key not in value:
            raise missing_parameter(f"{param}.{key}" if param else key)
    return value


METADATA_PAIRS = 16
METADATA_KEY_LENGTH = 64
METADATA_VALUE_LENGTH = 512


def expect_metadata(value: Any, param: str = "metadata") -> dict[str, str] | None:
    """Up to 16 pairs of strings, keys of at most 64 characters and values of at most 512, or null."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid_type(param, "an object", value)
    if len(value) > METADATA_PAIRS:
        raise too_many_properties(param, METADATA_PAIRS, len(value))
    for key, item in value.items():
        if len(key) > METADATA_KEY_LENGTH:
            raise string_too_long(f"{param}.key", METADATA_KEY_LENGTH, len(key))
        if not isinstance(item, str):
            raise invalid_type(f"{param}.{key}", "a string", item)
        if len(item) > METADATA_VALUE_LENGTH:
            raise string_too_long(f"{param}.{key}", METADATA_VALUE_LENGTH, len(item))
    return dict(value)
