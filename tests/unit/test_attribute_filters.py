"""Attribute filters of vector store search: comparisons by type, compounds, validation naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from mockapi import errors
from mockapi.attribute_filters import matches, parse_filter

FILE = {"author": "Ada", "year": 2021, "draft": False, "date": "2023-05-01"}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"type": "eq", "key": "author", "value": "Ada"}, True),
        ({"type": "ne", "key": "author", "value": "Ada"}, False),
        ({"type": "gt", "key": "year", "value": 2020}, True),
        ({"type": "lte", "key": "year", "value": 2020.5}, False),
        ({"type": "gte", "key": "date", "value": "2023-01-01"}, True),
        ({"type": "eq", "key": "draft", "value": False}, True),
        ({"type": "eq", "key": "year", "value": "2021"}, False),
        ({"type": "gt", "key": "draft", "value": 0}, False),
        ({"type": "in", "key": "author", "value": ["Bob", "Ada"]}, True),
        ({"type": "nin", "key": "year", "value": [2020, 2022]}, True),
        ({"type": "eq", "key": "missing", "value": 1}, False),
        ({"type": "ne", "key": "missing", "value": 1}, False),
        (
            {
                "type": "and",
                "filters": [
                    {"type": "eq", "key": "author", "value": "Ada"},
                    {"type": "lt", "key": "year", "value": 2000},
                ],
            },
            False,
        ),
        (
            {
                "type": "or",
                "filters": [
                    {"type": "eq", "key": "author", "value": "Bob"},
                    {"type": "lt", "key": "year", "value": 2030},
                ],
            },
            True,
        ),
    ],
)
def test_comparisons_and_compounds(condition: dict[str, Any], expected: bool) -> None:
    assert matches(parse_filter(condition), FILE) is expected


@pytest.mark.parametrize(
    ("condition", "param"),
    [
        ("eq", "filters"),
        ({"key": "a", "value": 1}, "filters.type"),
        ({"type": "like", "key": "a", "value": 1}, "filters.type"),
        ({"type": "eq", "key": "a", "value": 1, "extra": 2}, "filters.extra"),
        ({"type": "eq", "key": "a", "value": {"x": 1}}, "filters.value"),
        ({"type": "in", "key": "a", "value": "x"}, "filters.value"),
        ({"type": "eq", "key": "a", "value": [1]}, "filters.value"),
        ({"type": "or", "filters": []}, "filters.filters"),
        (
            {"type": "and", "filters": [{"type": "or", "filters": [{"type": "eq", "value": 1}]}]},
            "filters.filters[0].filters[0].key",
        ),
    ],
)
def test_bad_filters_are_refused_naming_the_field(condition: Any, param: str) -> None:
    with pytest.raises(errors.OpenAIError) as refused:
        parse_filter(condition)
    assert (refused.value.status, refused.value.param) == (400, param)


def test_filters_nest_to_a_bounded_depth() -> None:
    nested: dict[str, Any] = {"type": "eq", "key": "author", "value": "Ada"}
    for _ in range(31):
        nested = {"type": "and", "filters": [nested]}
    assert matches(parse_filter(nested), FILE)
    with pytest.raises(errors.OpenAIError) as refused:
        parse_filter({"type": "or", "filters": [nested]})
    assert refused.value.status == 400 and "nested too deeply" in refused.value.message
