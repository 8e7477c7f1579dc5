"""Pydantic validation failures, phrased as the real API (jsonschema) phrases them.

Pure wording: the one failure to report, its message and its `param`. errors.py turns it into the 400.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

_LOCATIONS = ("body", "query", "path", "header")

_TYPE_NAMES = {"str", "int", "float", "bool", "list", "dict", "function-after", "function-before"}

_TYPE_WORDS = {
    "string_type": "string",
    "int_type": "integer",
    "int_parsing": "integer",
    "int_from_float": "integer",
    "float_type": "number",
    "float_parsing": "number",
    "bool_type": "boolean",
    "bool_parsing": "boolean",
    "list_type": "array",
    "dict_type": "object",
    "model_type": "object",
    "model_attributes_type": "object",
}


class Failure(NamedTuple):
    """The failure reported: its message and dotted `param`, and the exception a validator raised for it
    (errors.py answers an OpenAIError raised there as it is)."""

    message: str
    param: str | None
    cause: object = None


def _is_union_member(part: int | str) -> bool:
    """Union members show up in a location (e.g. "str", "list[int]"); they are not fields."""
    return isinstance(part, str) and part[:1].islower() and ("[" in part or part in _TYPE_NAMES)


def _fields(loc: Sequence[int | str]) -> list[str]:
    """The location as field names and indices: without the request part FastAPI puts first (a field named
    `body` deeper down stays), the "[key]" that marks a failing dict key, or union members."""
    if loc and loc[0] in _LOCATIONS:
        loc = loc[1:]
    return [str(part) for part in loc if part != "[key]" and not _is_union_member(part)]


def _param_name(loc: Sequence[int | str]) -> str | None:
    return ".".join(_fields(loc)) or None


def _describe(error: Mapping[str, Any], param: str | None) -> str:
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    name = param or "body"
    if kind == "missing":
        return f"'{name}' is a required property"
    if kind == "extra_forbidden":
        return f"Unrecognized request argument supplied: {name}"
    if kind in ("greater_than_equal", "greater_than"):
        return f"{value!r} is less than the minimum of {ctx.get('ge', ctx.get('gt'))} - '{name}'"
    if kind in ("less_than_equal", "less_than"):
        return f"{value!r} is greater than the maximum of {ctx.get('le', ctx.get('lt'))} - '{name}'"
    if kind in _TYPE_WORDS:
        return f"{value!r} is not of type '{_TYPE_WORDS[kind]}' - '{name}'"
    if kind in ("literal_error", "enum"):
        return f"{value!r} is not one of [{ctx.get('expected', '')}] - '{name}'"
    if kind in ("too_short", "string_too_short"):
        return f"{value!r} is too short - '{name}'"
    if kind in ("too_long", "string_too_long"):
        return f"{value!r} is too long - '{name}'"
    if kind == "value_error":
        return str(ctx.get("error", error.get("msg", "Invalid value")))
    return f"{error.get('msg', 'Invalid value')} - '{name}'"


def _unexpected_properties(extras: Sequence[Mapping[str, Any]]) -> Failure:
    """Unknown keys of a nested object, all of that object's at once, as jsonschema words it."""
    parent = tuple(extras[0]["loc"][:-1])
    names = sorted(str(e["loc"][-1]) for e in extras if tuple(e["loc"][:-1]) == parent)
    verb = "was" if len(names) == 1 else "were"
    where = _param_name(parent)
    listed = ", ".join(repr(name) for name in names)
    return Failure(f"Additional properties are not allowed ({listed} {verb} unexpected) - '{where}'", where)


def _union_choice(first: Mapping[str, Any], errors: Sequence[Mapping[str, Any]]) -> Failure | None:
    """When `first` failed a union, the most specific member's failure, as jsonschema's best_match picks
    it: the deepest, then one whose value had the member's type (a too-long list over "not a string").
    Two equally good members: the value fits none of them."""
    loc = list(first["loc"])
    at = next((i for i, part in enumerate(loc) if _is_union_member(part)), None)
    if at is None:
        return None
    prefix = loc[:at]
    members = [e for e in errors if list(e["loc"][:at]) == prefix and _is_union_member(e["loc"][at])]

    def relevance(error: Mapping[str, Any]) -> tuple[int, bool]:
        depth = len(_fields(error["loc"][at + 1 :]))
        return -depth, error["type"] in _TYPE_WORDS

    ranked = sorted(members, key=relevance)
    param = _param_name(prefix)
    whole = next((e for e in members if len(e["loc"]) == at + 1), None)
    if len(ranked) > 1 and relevance(ranked[0]) == relevance(ranked[1]) and whole is not None:
        return Failure(f"{whole['input']!r} is not valid under any of the given schemas - '{param}'", param)
    return _failure(ranked[0])


def _failure(error: Mapping[str, Any]) -> Failure:
    param = _param_name(error.get("loc", ()))
    cause = (error.get("ctx") or {}).get("error") if error["type"] == "value_error" else None
    return Failure(_describe(error, param), param, cause)


def reported_failure(errors: Sequence[Mapping[str, Any]]) -> Failure:
    """The one failure the real API would name, of all that pydantic found."""
    if not errors:
        return Failure("Invalid request", None)
    # An unknown top-level argument is refused before the schema is checked; then unknown nested keys.
    extras = [e for e in errors if e["type"] == "extra_forbidden"]
    top = [e for e in extras if len(_fields(e["loc"])) == 1]
    if top:
        return _failure(top[0])
    if extras:
        return _unexpected_properties(extras)
    return _union_choice(errors[0], errors) or _failure(errors[0])
