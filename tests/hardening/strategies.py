"""Hypothesis strategies for request bodies, built from the request models' JSON schemas.

`from_model(Model, overrides)` draws bodies that follow the model's schema (its types, enums, ranges,
required keys), with sizes kept small; `overrides` replaces the strategy of named properties (model ids
from the catalogue, small `n`...). `mutated(valid)` turns a drawn body into a likely-invalid one: a key
dropped, an unknown key added, a value of the wrong type, out of range, huge or deeply nested.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st
from pydantic import BaseModel

Strategy = st.SearchStrategy[Any]

# Sizes stay small: the fuzz is about shapes and edges, not volume (the soak test does volume).
MAX_TEXT = 24
MAX_ITEMS = 3
MAX_INT = 64

TEXT = st.text(max_size=MAX_TEXT)
# Any JSON value, small: what a confused client could send in place of the right one.
JSON_SCALARS: Strategy = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT
JSON_VALUES: Strategy = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=MAX_ITEMS) | st.dictionaries(TEXT, inner, max_size=MAX_ITEMS),
    max_leaves=6,
)


def from_model(model: type[BaseModel], overrides: Mapping[str, Strategy] | None = None) -> Strategy:
    """Bodies that follow `model`'s JSON schema; `overrides` by top-level property name."""
    schema = model.model_json_schema()
    return from_schema(schema, schema.get("$defs", {}), dict(overrides or {}))


def from_schema(schema: Mapping[str, Any], defs: Mapping[str, Any], overrides: Mapping[str, Strategy]) -> Strategy:
    if "$ref" in schema:
        return from_schema(defs[schema["$ref"].rsplit("/", 1)[-1]], defs, {})
    if "anyOf" in schema:
        return st.one_of([from_schema(option, defs, overrides) for option in schema["anyOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "const" in schema:
        return st.just(schema["const"])
    kind = schema.get("type")
    if kind == "object":
        return _object(schema, defs, overrides)
    if kind == "array":
        items = from_schema(schema.get("items", {}), defs, {})
        low = schema.get("minItems", 0)
        return st.lists(items, min_size=low, max_size=min(schema.get("maxItems", MAX_ITEMS), low + MAX_ITEMS))
    if kind == "string":
        return _string(schema)
    if kind == "integer":
        low = schema.get("minimum", -MAX_INT)
        return st.integers(low, min(schema.get("maximum", low + MAX_INT), low + MAX_INT))
    if kind == "number":
        return st.floats(schema.get("minimum", -MAX_INT), schema.get("maximum", MAX_INT), allow_nan=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    return JSON_VALUES


def _string(schema: Mapping[str, Any]) -> Strategy:
    low = schema.get("minLength", 0)
    high = min(schema.get("maxLength", MAX_TEXT), low + MAX_TEXT)
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True).filter(lambda s: low <= len(s) <= high)
    return st.text(min_size=low, max_size=high)


def _object(schema: Mapping[str, Any], defs: Mapping[str, Any], overrides: Mapping[str, Strategy]) -> Strategy:
    properties = schema.get("properties", {})
    required = set(schema.get("required", ()))
    fields = {
        name: overrides[name] if name in overrides else from_schema(sub, defs, {}) for name, sub in properties.items()
    }
    return st.fixed_dictionaries(
        {name: fields[name] for name in properties if name in required},
        optional={name: fields[name] for name in properties if name not in required},
    )


# Mutations: each takes a valid body and the draw function, and returns a body that is likely invalid.


def _drop_key(body: dict[str, Any], draw: st.DrawFn) -> dict[str, Any]:
    if not body:
        return {"unexpected": None}
    key = draw(st.sampled_from(sorted(body)))
    return {k: v for k, v in body.items() if k != key}


def _unknown_key(body: dict[str, Any], draw: st.DrawFn) -> dict[str, Any]:
    return {**body, draw(TEXT.filter(lambda k: k not in body)): draw(JSON_VALUES)}


def _wrong_value(body: dict[str, Any], draw: st.DrawFn) -> dict[str, Any]:
    key = draw(st.sampled_from(sorted(body))) if body else "model"
    return {**body, key: draw(JSON_VALUES | _EDGE_VALUES)}


def _huge_value(body: dict[str, Any], draw: st.DrawFn) -> dict[str, Any]:
    key = draw(st.sampled_from(sorted(body))) if body else "model"
    return {**body, key: draw(_HUGE_VALUES)}


_EDGE_VALUES: Strategy = st.sampled_from(
    [
        -1,
        0,
        2**31,
        2**63,
        -(2**63) - 1,
        10**30,
        1e308,
        -1e308,
        5e-324,
        math.pi,
        "",
        " ",
        "\x00",
        "\u202e",
        "null",
        "<|endoftext|>",
        [],
        {},
        [[]],
        [None],
        [-1],
        [100_000_000],
        [[0], []],
    ]
)


def _nested(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


_HUGE_VALUES: Strategy = st.sampled_from(
    [
        "x" * 50_000,
        "word " * 10_000,
        ["a"] * 3000,
        [1] * 3000,
        [[1]] * 3000,
        {f"k{i}": i for i in range(3000)},
        # Nested deeper than any request model goes (orjson itself stops at 1024 levels).
        _nested(500),
    ]
)
MUTATIONS = (_drop_key, _unknown_key, _wrong_value, _wrong_value, _huge_value)


@st.composite
def mutated(draw: st.DrawFn, valid: Strategy) -> Any:
    """A body from `valid`, damaged by one or two mutations."""
    body = draw(valid)
    for _ in range(draw(st.integers(1, 2))):
        body = draw(st.sampled_from(MUTATIONS))(body, draw)
    return body


def weighted(*choices: tuple[int, Strategy]) -> Strategy:
    """One of the strategies, chosen in proportion to its weight (one_of would merge repeated ones)."""
    slots = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.integers(0, len(slots) - 1).flatmap(lambda i: slots[i])


def requests(valid: Strategy) -> Strategy:
    """Valid bodies, mutated ones, and any JSON value at all, in a mix that finds edges quickly."""
    return weighted((3, valid), (2, mutated(valid)), (1, JSON_VALUES))
