"""Values for JSON Schemas: valid against jsonschema for every schema of the supported subset."""

from __future__ import annotations

import random
import re
from typing import Any

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockapi.generators import regex_values
from mockapi.generators.hints import Hints
from mockapi.generators.schema_check import valid
from mockapi.generators.schema_values import value_for

FORMATS = jsonschema.Draft202012Validator.FORMAT_CHECKER
PATTERNS = [
    r"^[A-Z]{3}-\d{4}$", r"^[a-z]+(_[a-z]+)*$", r"^\+?[0-9]{7,12}$", r"^(red|green|blue)$", r"^[^@\s]+@example\.org$",
    r"^#[0-9a-fA-F]{6}$", r"^v\d+\.\d+\.\d+$", r"[aeiou]{2}", r"^\w{2,5}$", r"^(ab)+c?$",
]  # fmt: skip


def check(value: Any, schema: Any) -> None:
    jsonschema.validate(value, schema, cls=jsonschema.Draft202012Validator, format_checker=FORMATS)


# Schemas of the subset, generated.

names = st.text(alphabet="abcdefghij_", min_size=1, max_size=8)


def numbers() -> st.SearchStrategy[dict[str, Any]]:
    def build(kind: str, low: int | None, span: int, exclusive: bool, factor: int | None) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": kind}
        if low is not None:
            schema["exclusiveMinimum" if exclusive else "minimum"] = low
            schema["maximum"] = low + span + (1 if exclusive else 0) + (factor or 0)
        if factor is not None:
            schema["multipleOf"] = factor if kind == "integer" else factor / 4
        return schema

    return st.builds(
        build,
        st.sampled_from(["integer", "number"]),
        st.none() | st.integers(-1000, 1000),
        st.integers(0, 50),
        st.booleans(),
        st.none() | st.integers(1, 7),
    )


def strings() -> st.SearchStrategy[dict[str, Any]]:
    plain = st.builds(
        lambda low, extra: {"type": "string", "minLength": low, "maxLength": low + extra},
        st.integers(0, 12),
        st.integers(0, 20),
    )
    formats = st.sampled_from(["date", "date-time", "time", "email", "uri", "uuid", "ipv4", "hostname"]).map(
        lambda f: {"type": "string", "format": f}
    )
    patterns = st.sampled_from(PATTERNS).map(lambda p: {"type": "string", "pattern": p})
    enums = st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=5, unique=True).map(
        lambda values: {"type": "string", "enum": values}
    )
    return plain | formats | patterns | enums | st.just({"const": "fixed"})


def leaves() -> st.SearchStrategy[dict[str, Any]]:
    return (
        numbers()
        | strings()
        | st.just({"type": "boolean"})
        | st.just({"type": "null"})
        | st.sampled_from([{"type": ["string", "null"]}, {"type": ["integer", "null"], "minimum": 3}])
    )


def many_values(schema: dict[str, Any]) -> bool:
    """Whether a schema has values enough for a few unique items (else uniqueItems is unsatisfiable)."""
    if schema.get("type") == "integer":
        return not {"maximum", "multipleOf"} & schema.keys()
    return (
        schema.get("type") == "string"
        and schema.keys() <= {"type", "minLength", "maxLength"}
        and schema.get("maxLength", 9) >= 4
    )


def containers(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    def an_object(properties: dict[str, Any], strict: bool, required: list[bool]) -> dict[str, Any]:
        keys = list(properties)
        wanted = keys if strict else [k for k, keep in zip(keys, required, strict=False) if keep]
        schema: dict[str, Any] = {"type": "object", "properties": properties, "required": wanted}
        if strict:
            schema["additionalProperties"] = False
        return schema

    objects = st.builds(
        an_object, st.dictionaries(names, children, max_size=5), st.booleans(), st.lists(st.booleans(), max_size=5)
    )
    arrays = st.builds(
        lambda items, low, extra, unique: {
            "type": "array",
            "items": items,
            "minItems": low,
            "maxItems": low + extra,
            **({"uniqueItems": True} if unique and many_values(items) else {}),
        },
        children,
        st.integers(0, 3),
        st.integers(0, 3),
        st.booleans(),
    )
    tuples = st.lists(children, min_size=1, max_size=3).map(
        lambda prefix: {"type": "array", "prefixItems": prefix, "items": False, "minItems": len(prefix)}
    )
    any_of = st.lists(children, min_size=1, max_size=3).map(lambda branches: {"anyOf": branches})
    one_of = st.just({"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]})
    all_of = st.lists(children, min_size=1, max_size=1).map(lambda branches: {"allOf": branches})
    return objects | arrays | tuples | any_of | one_of | all_of


schemas = st.recursive(leaves(), containers, max_leaves=12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema=schemas, seed=st.integers(0, 2**32))
def test_every_generated_schema_gets_a_valid_value(schema: dict[str, Any], seed: int) -> None:
    value = value_for(schema, random.Random(seed))
    check(value, schema)
    assert valid(value, schema)


@settings(max_examples=150, deadline=None)
@given(schema=schemas, seed=st.integers(0, 2**32))
def test_values_wrapped_in_defs_and_refs_stay_valid(schema: dict[str, Any], seed: int) -> None:
    wrapped = {
        "$defs": {"Inner": schema},
        "type": "object",
        "properties": {"inner": {"$ref": "#/$defs/Inner"}, "again": {"$ref": "#/definitions/Old"}},
        "definitions": {"Old": {"type": "integer", "minimum": 5, "maximum": 5}},
        "required": ["inner", "again"],
        "additionalProperties": False,
    }
    value = value_for(wrapped, random.Random(seed))
    check(value, wrapped)
    assert value["again"] == 5


@settings(max_examples=200, deadline=None)
@given(pattern=st.sampled_from(PATTERNS), seed=st.integers(0, 2**32))
def test_patterns_generate_matching_strings(pattern: str, seed: int) -> None:
    assert re.search(pattern, regex_values.generate(pattern, random.Random(seed)))


def test_same_seed_same_value_and_other_seeds_vary() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
        "required": ["a", "b"],
    }
    assert value_for(schema, random.Random(5)) == value_for(schema, random.Random(5))
    assert len({str(value_for(schema, random.Random(seed))) for seed in range(20)}) > 5


def test_recursive_schema_ends_within_the_depth_bound() -> None:
    tree = {
        "type": "object",
        "properties": {"label": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#"}}},
        "required": ["label", "children"],
        "additionalProperties": False,
    }
    next_node = {"anyOf": [{"$ref": "#/$defs/node"}, {"type": "null"}]}
    linked = {
        "$defs": {"node": {"type": "object", "properties": {"next": next_node}, "required": ["next"]}},
        "$ref": "#/$defs/node",
    }
    for seed in range(30):
        for schema in (tree, linked):
            value = value_for(schema, random.Random(seed))
            check(value, schema)
            assert len(str(value)) < 20_000


def test_hints_fill_places_numbers_and_enums() -> None:
    schema = {
        "type": "object",
        "properties": {
            "location": {"type": "string"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "days": {"type": "integer", "minimum": 1, "maximum": 14},
            "limit": {"type": "integer", "minimum": 1, "maximum": 10},
        },
        "required": ["location", "unit", "days", "limit"],
        "additionalProperties": False,
    }
    hints = Hints.from_text("Forecast for San Francisco in fahrenheit, 20 results max, for the next 3 days please")
    for seed in range(10):
        value = value_for(schema, random.Random(seed), hints)
        assert value["location"] == "San Francisco"
        assert value["unit"] == "fahrenheit"
        assert value["days"] == 3  # the number next to "days"; 20 is out of limit's bounds
        assert 1 <= value["limit"] <= 10 and value["limit"] != 20


def test_an_opening_imperative_is_not_part_of_the_name() -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
    for text, name in [
        ("Describe Ada, a person who writes programs.", "Ada"),
        ("Extract Grace Hopper's age", "Grace Hopper's"),
    ]:
        assert value_for(schema, random.Random(1), Hints.from_text(text)) == {"name": name}
    assert Hints.from_text("Book a table in Paris").places == ("Paris",)


def test_a_journey_fills_its_origin_and_destination() -> None:
    props = {"origin": {"type": "string"}, "destination": {"type": "string"}, "to_city": {"type": "string"}}
    schema = {"type": "object", "properties": props, "required": list(props)}
    value = value_for(schema, random.Random(1), Hints.from_text("Book a flight to Rome from Oslo, please"))
    assert value == {"origin": "Oslo", "destination": "Rome", "to_city": "Rome"}


def test_a_hint_that_does_not_fit_is_not_used() -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string", "maxLength": 4}}, "required": ["city"]}
    value = value_for(schema, random.Random(1), Hints.from_text("Weather in Amsterdam"))
    check(value, schema)
    assert value["city"] != "Amsterdam"


def test_explicit_values_by_name_come_first_when_valid() -> None:
    schema = {
        "type": "object",
        "properties": {"q": {"type": "string"}, "n": {"type": "integer"}},
        "required": ["q", "n"],
    }
    value = value_for(schema, random.Random(1), Hints(values={"q": "refund policy", "n": "not a number"}))
    assert value["q"] == "refund policy" and isinstance(value["n"], int)


def test_formats_and_emails_from_the_text() -> None:
    schema = {
        "type": "object",
        "properties": {"email": {"type": "string", "format": "email"}, "when": {"type": "string", "format": "date"}},
        "required": ["email", "when"],
    }
    hints = Hints.from_text("Invite ada@example.org on 2025-03-14")
    value = value_for(schema, random.Random(2), hints)
    assert value == {"email": "ada@example.org", "when": "2025-03-14"}
    assert hints.numbers == ()  # a date's parts are not numbers to fill
    check(value_for(schema, random.Random(2)), schema)


def test_unsupported_pattern_falls_back_without_raising() -> None:
    schema = {"type": "string", "pattern": r"^(?=.*\d)[a-z\d]{6}$"}
    value = value_for(schema, random.Random(3))
    assert isinstance(value, str)


def test_nullable_and_type_lists() -> None:
    seen = {type(value_for({"type": ["string", "null"]}, random.Random(seed))) for seed in range(60)}
    assert seen == {str, type(None)}
    assert value_for({"type": "integer", "nullable": True, "minimum": 2, "maximum": 2}, random.Random(0)) in (2, None)


def test_one_of_matches_exactly_one_branch() -> None:
    schema = {"oneOf": [{"type": "number"}, {"type": "integer"}]}  # an integer matches both: a float only
    for seed in range(20):
        value = value_for(schema, random.Random(seed))
        check(value, schema)
        assert isinstance(value, float)
