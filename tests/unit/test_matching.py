"""Rule patterns on their own: text patterns, each key of a match, header matching and JSON body subsets."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from starlette.datastructures import Headers

from mockapi.matching import MAX_JSON_DEPTH, Exchange, Match, TextPattern, contains_subset


def _exchange(**fields: Any) -> Exchange:
    values: dict[str, Any] = {"endpoint": "chat.completions", "method": "POST", "path": "/v1/chat/completions"}
    values["body"] = {"model": "gpt-4", "messages": [{"role": "user", "content": "Say hello to Ada"}]}
    values.update(model="gpt-4", text="Say hello to Ada", system="You are terse.")
    values.update(fields)
    return Exchange(**values)


def _matches(match: dict[str, Any], **exchange: Any) -> bool:
    return Match.model_validate(match).matches_exchange(_exchange(**exchange))


# Text patterns.


@pytest.mark.parametrize(
    ("pattern", "matching", "not_matching"),
    [
        ({"text": "Say hello to Ada"}, "Say hello to Ada", "Say hello to Ada!"),
        ({"contains": "hello"}, "oh hello there", "Hello"),  # case counts
        ({"regex": r"^Say \w+ to"}, "Say hi to Bob", "I Say hi to Bob"),
        ({"regex": "hello"}, "well hello", "HELLO"),  # a search, not a full match
        ({"contains": "hello", "regex": "Ada$"}, "hello Ada", "hello Bob"),  # every key given must hold
    ],
)
def test_each_text_pattern(pattern: dict[str, str], matching: str, not_matching: str) -> None:
    compiled = TextPattern.model_validate(pattern)
    assert compiled.matches(matching) and not compiled.matches(not_matching)


def test_an_empty_pattern_matches_anything_and_a_given_one_no_missing_text() -> None:
    assert TextPattern().is_empty() and TextPattern().matches(None) and TextPattern().matches("")
    assert not TextPattern(contains="").matches(None) and TextPattern(contains="").matches("")
    assert not TextPattern(regex=".*").matches(None)


def test_a_regex_that_does_not_compile_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="invalid regular expression"):
        TextPattern(regex="(unclosed")


# Each key of a match.


def test_an_empty_match_matches_every_request() -> None:
    assert _matches({}) and _matches({}, text=None, system=None, body={}, model=None)


@pytest.mark.parametrize(
    ("match", "other"),
    [
        ({"endpoint": "chat.completions"}, {"endpoint": "completions"}),
        ({"path": "/v1/chat/completions"}, {"path": "/v1/chat/completions/"}),
        ({"method": "post"}, {"method": "GET"}),  # the rule's method is upper-cased
        ({"model": "gpt-4"}, {"model": "gpt-4-0613"}),
        ({"contains": "Ada"}, {"text": "Say hello to Bob"}),
        ({"system": {"contains": "terse"}}, {"system": "You are verbose."}),
        ({"system": {"text": "You are terse."}}, {"system": None}),
    ],
)
def test_each_key_matches_its_part_of_the_request(match: dict[str, Any], other: dict[str, Any]) -> None:
    assert _matches(match) and not _matches(match, **other)


def test_every_key_given_must_hold() -> None:
    match = {"endpoint": "chat.completions", "model": "gpt-4", "contains": "Ada", "system": {"regex": "terse"}}
    assert _matches(match)
    assert not _matches(match, model="gpt-3.5-turbo")
    assert not _matches(match, system="You are kind.")


def test_an_unknown_endpoint_or_method_or_key_is_refused() -> None:
    for match in ({"endpoint": "chat"}, {"method": "FETCH"}, {"model_name": "gpt-4"}):
        with pytest.raises(ValidationError):
            Match.model_validate(match)


# Headers.


def test_header_names_match_in_any_case_and_values_exactly() -> None:
    headers = Headers({"X-Tenant": "acme", "OpenAI-Organization": "org-1"})  # what the server hands over
    assert _matches({"headers": {"x-tenant": "acme"}}, headers=headers)
    assert _matches({"headers": {"X-TENANT": "acme", "openai-organization": "org-1"}}, headers=headers)
    assert not _matches({"headers": {"X-Tenant": "ACME"}}, headers=headers)
    assert not _matches({"headers": {"X-Tenant": "acme", "X-Missing": "x"}}, headers=headers)
    assert not _matches({"headers": {"X-Tenant": "acme"}})  # no such header at all


def test_header_values_from_yaml_scalars_are_text() -> None:
    match = Match.model_validate({"headers": {"x-retries": 0, "x-debug": True, "x-ratio": 0.5}})
    assert match.headers == {"x-retries": "0", "x-debug": "true", "x-ratio": "0.5"}
    assert match.matches_exchange(_exchange(headers=Headers({"x-retries": "0", "x-debug": "true", "x-ratio": "0.5"})))


@pytest.mark.parametrize("headers", [{"bad name": "x"}, {"x-a": "line\r\nInjected: 1"}, {"x-a": "nul\x00"}])
def test_header_names_and_values_that_could_not_be_sent_are_refused(headers: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="is not a valid header"):
        Match.model_validate({"headers": headers})


# Body subsets.


def test_a_body_subset_matches_the_keys_it_names_at_any_depth() -> None:
    body = {"model": "gpt-4", "temperature": 0, "messages": [{"role": "user", "content": "Say hello to Ada"}]}
    assert _matches({"body": {"temperature": 0}}, body=body)
    assert _matches({"body": {"messages": [{"role": "user"}]}}, body=body)
    assert not _matches({"body": {"messages": [{"role": "system"}]}}, body=body)
    assert not _matches({"body": {"top_p": 1}}, body=body)


@pytest.mark.parametrize(
    ("actual", "expected", "holds"),
    [
        ({"a": 1, "b": 2}, {}, True),  # the empty subset
        ({"a": {"b": {"c": 1, "d": 2}}}, {"a": {"b": {"c": 1}}}, True),
        ({"a": None}, {"a": None}, True),  # null must be present, not merely absent
        ({}, {"a": None}, False),
        ([1, 2], [1, 2], True),
        ([1, 2, 3], [1, 2], False),  # lists match element-wise, whole
        ([2, 1], [1, 2], False),  # and in order
        ([{"a": 1, "b": 2}], [{"a": 1}], True),  # their elements as subsets
        ({"a": [1]}, {"a": {"0": 1}}, False),
        ({"a": {"0": 1}}, {"a": [1]}, False),
        (1, 1.0, True),  # JSON numbers: 1 and 1.0 are one number
        (1.5, 1, False),
        ("1", 1, False),
        (True, 1, False),  # true is no number, though Python's bool is an int
        (1, True, False),
        (False, 0, False),
        (0, False, False),
        (True, True, True),
        (None, False, False),
        ("", None, False),
        ("Ada", "Ada", True),
    ],
)
def test_contains_subset_edge_cases(actual: Any, expected: Any, holds: bool) -> None:
    assert contains_subset(actual, expected) is holds


def test_a_body_pattern_nested_too_deep_is_refused() -> None:
    deep: dict[str, Any] = {}
    inner = deep
    for _ in range(MAX_JSON_DEPTH):
        inner["a"] = {}
        inner = inner["a"]
    with pytest.raises(ValidationError, match=f"nested deeper than {MAX_JSON_DEPTH} levels"):
        Match.model_validate({"body": deep})
    within: dict[str, Any] = {}
    inner = within
    for _ in range(MAX_JSON_DEPTH - 1):
        inner["a"] = {}
        inner = inner["a"]
    assert Match.model_validate({"body": within}).body == within
