"""Filters on a vector store file's attributes, as the search endpoint and the file_search tool take them:
a comparison (`eq`, `ne`, `gt`, `gte`, `lt`, `lte`, `in`, `nin` of one attribute `key` with a `value`) or a
compound (`and` / `or` of filters, nested to any depth).

Comparisons follow the values' types: numbers with numbers, strings with strings (gt/lt compare them as
text, so ISO dates order), booleans with booleans; a value of another type does not match (`nin` aside: it
matches whatever is not in its list), and neither does a file without the attribute, whatever the operator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ConfigDict, Field

from mockapi import errors
from mockapi.schemas.current_models import CurrentModel, Location, param_of, validated

ComparisonType = Literal["eq", "ne", "gt", "gte", "lt", "lte", "in", "nin"]
CompoundType = Literal["and", "or"]
Scalar = str | int | float | bool
# Compounds nest at most this deep (a deeper filter is refused, not recursed into).
MAX_DEPTH = 32


class _Typed(CurrentModel):
    model_config = ConfigDict(extra="allow")

    type: Literal["eq", "ne", "gt", "gte", "lt", "lte", "in", "nin", "and", "or"]


class ComparisonFilter(CurrentModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    type: ComparisonType
    key: str
    value: str | int | float | bool | list[str | int | float]


class CompoundFilter(CurrentModel):
    model_config = ConfigDict(extra="forbid")

    type: CompoundType
    filters: list[Any] = Field(min_length=1)


@dataclass(frozen=True)
class Comparison:
    type: ComparisonType
    key: str
    value: Scalar | tuple[str | int | float, ...]


@dataclass(frozen=True)
class Compound:
    type: CompoundType
    filters: tuple[Filter, ...]


Filter = Comparison | Compound


def parse_filter(value: Any, param: str = "filters") -> Filter:
    """The filter a request gives, or the real API's 400 naming the field (`param` is where it is)."""
    return _parse(value, tuple(param.split(".")))


def _parse(value: Any, at: Location, depth: int = 1) -> Filter:
    if depth > MAX_DEPTH:
        param = param_of(at)
        raise errors.invalid_param(
            f"Invalid '{param}': filters nested too deeply. Expected at most {MAX_DEPTH} levels of compound filters.",
            param,
        )
    kind = validated(_Typed, value, at).type
    if kind in ("and", "or"):
        compound = validated(CompoundFilter, value, at)
        parts = tuple(_parse(item, (*at, "filters", index), depth + 1) for index, item in enumerate(compound.filters))
        return Compound(compound.type, parts)
    comparison = validated(ComparisonFilter, value, at)
    listed = isinstance(comparison.value, list)
    if listed != (comparison.type in ("in", "nin")):
        wanted = "an array" if not listed else "a string, number or boolean"
        param = param_of((*at, "value"))
        raise errors.invalid_param(
            f"Invalid value for '{param}': the '{comparison.type}' comparison takes {wanted}.", param
        )
    compared = tuple(comparison.value) if isinstance(comparison.value, list) else comparison.value
    return Comparison(comparison.type, comparison.key, compared)


def matches(condition: Filter, attributes: Mapping[str, Any] | None) -> bool:
    """Whether a file with these attributes passes the filter."""
    if isinstance(condition, Compound):
        results = (matches(part, attributes) for part in condition.filters)
        return all(results) if condition.type == "and" else any(results)
    if not attributes or condition.key not in attributes:
        return False
    actual = attributes[condition.key]
    if isinstance(condition.value, tuple):
        found = any(_equal(actual, option) for option in condition.value)
        return found if condition.type == "in" else not found
    if condition.type in ("eq", "ne"):
        if not _comparable(actual, condition.value):
            return False
        return _equal(actual, condition.value) == (condition.type == "eq")
    return _ordered(condition.type, actual, condition.value)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "string" if isinstance(value, str) else "other"


def _comparable(actual: Any, expected: Any) -> bool:
    return _kind(actual) == _kind(expected) != "other"


def _equal(actual: Any, expected: Any) -> bool:
    return _comparable(actual, expected) and bool(actual == expected)


def _ordered(kind: str, actual: Any, expected: Any) -> bool:
    if not _comparable(actual, expected) or _kind(actual) == "boolean":
        return False
    if kind == "gt":
        return bool(actual > expected)
    if kind == "gte":
        return bool(actual >= expected)
    if kind == "lt":
        return bool(actual < expected)
    return bool(actual <= expected)
