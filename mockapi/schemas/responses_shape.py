"""Small checks of a JSON value's shape, raising the Responses API's own refusals (errors_responses.py).

Each names the parameter as the API does (`text.format.schema`, `input[0].content[1].text`); `at(param, key)`
and `index(param, i)` build those names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mockapi.errors import current as errors_current
from mockapi.errors import responses as refuse


def at(param: str, key: str) -> str:
    return f"{param}.{key}" if param else key


def index(param: str, position: int) -> str:
    return f"{param}[{position}]"


def keys(value: Mapping[str, Any], param: str, allowed: Iterable[str], required: Iterable[str] = ()) -> None:
    """No key beyond `allowed`, every key of `required` present (and not null)."""
    known = set(allowed)
    for key in value:
        if key not in known:
            raise refuse.unknown_parameter(at(param, key))
    require(value, param, required)


def require(value: Mapping[str, Any], param: str, required: Iterable[str]) -> None:
    """Every key of `required` present (and not null)."""
    for key in required:
        if value.get(key) is None:
            raise refuse.missing_parameter(at(param, key))


def obj(value: Any, param: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise refuse.invalid_type(param, "an object", value)
    return value


def array(value: Any, param: str, expected: str = "an array", most: int | None = None) -> Sequence[Any]:
    if not isinstance(value, list):
        raise refuse.invalid_type(param, expected, value)
    if most is not None and len(value) > most:
        raise refuse.array_too_long(param, most, len(value))
    return value


def string(value: Any, param: str, most: int | None = None) -> str:
    if not isinstance(value, str):
        raise refuse.invalid_type(param, "a string", value)
    if most is not None and len(value) > most:
        raise errors_current.string_too_long(param, most, len(value))
    return value


def boolean(value: Any, param: str) -> bool:
    if not isinstance(value, bool):
        raise refuse.invalid_type(param, "a boolean", value)
    return value


def integer(value: Any, param: str, least: int | None = None, most: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise refuse.invalid_type(param, "an integer", value)
    if least is not None and value < least:
        raise refuse.below_minimum(param, least, value)
    if most is not None and value > most:
        raise refuse.above_maximum(param, most, value)
    return value


def number(value: Any, param: str, least: float | None = None, most: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise refuse.invalid_type(param, "a decimal", value)
    if least is not None and value < least:
        raise refuse.below_minimum(param, least, float(value))
    if most is not None and value > most:
        raise refuse.above_maximum(param, most, float(value))
    return float(value)


def choice(value: Any, param: str, supported: Sequence[str]) -> str:
    if not isinstance(value, str):
        raise refuse.invalid_type(param, "a string", value)
    if value not in supported:
        raise refuse.invalid_value(param, value, supported)
    return value


def string_map(value: Any, param: str, most_pairs: int = 16, key_chars: int = 64, value_chars: int = 512) -> None:
    """`metadata`: at most 16 string pairs, keys up to 64 characters, values up to 512."""
    pairs = obj(value, param)
    if len(pairs) > most_pairs:
        raise errors_current.too_many_properties(param, most_pairs, len(pairs))
    for key, item in pairs.items():
        if len(key) > key_chars:
            raise errors_current.string_too_long(at(param, key), key_chars, len(key))
        string(item, at(param, key), value_chars)
