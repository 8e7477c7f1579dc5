"""Request models of the endpoints added since 2023 (vector stores), whose failures are refused in today's
words (errors_current): `Missing required parameter: 'file_id'.`, `Unknown parameter: 'colour'.`,
`Invalid type for 'name': expected a string, but got an integer instead.`, `Invalid 'max_num_results':
integer above maximum value. ...`, with `param` the path as today's API writes it (`files[0].file_id`).

A model built on `CurrentModel` refuses so wherever it is validated (a route's body, or `validated` for a
part read on its own), so the route needs nothing more than its declaration.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from mockapi import errors
from mockapi.errors import OpenAIError
from mockapi.errors import current as errors_current
from mockapi.model_base import Schema

ModelT = TypeVar("ModelT", bound=BaseModel)
Location = Sequence[str | int]

_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "a boolean",
    "bool_parsing": "a boolean",
    "list_type": "an array",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
}
# Where a value fits one of several types, pydantic names the member it tried: not a field.
_MEMBERS = ("str", "int", "float", "bool", "list[", "dict[", "literal[", "function-")


def param_of(loc: Location) -> str:
    """`files[0].file_id` from ("files", 0, "file_id"), union members left out."""
    param = ""
    for part in loc:
        if isinstance(part, int) or (isinstance(part, str) and part.isdigit()):
            param += f"[{part}]"
        elif isinstance(part, str) and not part.startswith(_MEMBERS):
            param += f".{part}" if param else part
    return param


def refusal(exc: ValidationError, at: Location = ()) -> OpenAIError:
    """The first failure, in today's words; `at` is where the validated value sits in the body."""
    failures = exc.errors(include_url=False)
    unknown = [f for f in failures if f["type"] == "extra_forbidden"]
    failure = unknown[0] if unknown else failures[0]
    return _refusal(failure, param_of((*at, *failure["loc"]))) or errors.from_pydantic(exc, [str(p) for p in at])


def _refusal(failure: Mapping[str, Any], param: str) -> OpenAIError | None:
    kind, value, context = failure["type"], failure.get("input"), failure.get("ctx") or {}
    if kind == "missing":
        return errors_current.missing_parameter(param)
    if kind == "extra_forbidden":
        return errors_current.unknown_parameter(param)
    if kind in _EXPECTED:
        return errors_current.invalid_type(param, _EXPECTED[kind], value)
    if kind == "literal_error":
        return errors_current.invalid_value(value, re.findall(r"'([^']*)'", str(context.get("expected", ""))), param)
    if kind in ("greater_than_equal", "less_than_equal"):
        return _out_of_range(kind == "greater_than_equal", param, context, value)
    if kind in ("too_short", "too_long"):
        return _array_length(kind == "too_short", param, context, value)
    if kind == "string_too_long":
        return errors_current.string_too_long(param, int(context["max_length"]), len(str(value)))
    cause = context.get("error")
    return cause if isinstance(cause, OpenAIError) else None


def _out_of_range(below: bool, param: str, context: Mapping[str, Any], value: Any) -> OpenAIError:
    bound = context["ge"] if below else context["le"]
    if isinstance(bound, int) and isinstance(value, int) and not isinstance(value, bool):
        if below:
            return errors_current.integer_below_minimum(param, bound, value)
        return errors_current.integer_above_maximum(param, bound, value)
    side, sign = ("below minimum", ">=") if below else ("above maximum", "<=")
    return errors.invalid_param(
        f"Invalid '{param}': decimal {side} value. Expected a value {sign} {bound:g}, but got {value} instead.",
        param,
        f"decimal_{'below_min' if below else 'above_max'}_value",
    )


def _array_length(short: bool, param: str, context: Mapping[str, Any], value: Any) -> OpenAIError:
    length = len(value) if isinstance(value, Sequence) else 0
    if short and not length:
        return errors.invalid_param(
            f"Invalid '{param}': empty array. Expected an array with minimum length {context['min_length']}, but "
            "got an empty array instead.",
            param,
            "empty_array",
        )
    if short:
        return errors.invalid_param(
            f"Invalid '{param}': array too short. Expected an array with minimum length {context['min_length']}, "
            f"but got an array with length {length} instead.",
            param,
            "array_below_min_length",
        )
    return errors.invalid_param(
        f"Invalid '{param}': array too long. Expected an array with maximum length {context['max_length']}, but "
        f"got an array with length {length} instead.",
        param,
        "array_above_max_length",
    )


class CurrentModel(Schema):
    """A request model refused in today's words (see the module docstring)."""

    @classmethod
    def model_validate(cls, obj: Any, **options: Any) -> Any:
        try:
            return super().model_validate(obj, **options)
        except ValidationError as exc:
            raise refusal(exc) from exc


def validated(model: type[ModelT], value: Any, at: Location) -> ModelT:
    """`value` validated against `model` as the field at `at` (its path in the body), failures named there."""
    try:
        return model.__pydantic_validator__.validate_python(value)  # type: ignore[no-any-return]
    except ValidationError as exc:
        raise refusal(exc, at) from exc
