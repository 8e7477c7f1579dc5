"""A value valid against a JSON Schema, for the subset tool parameters and structured outputs use.

`value_for(schema, rng, hints)` walks the schema: type (a list of types too), properties and required
(optional ones sometimes), additionalProperties, enum, const, anyOf/oneOf/allOf (allOf merged, oneOf
checked to match one branch only), $ref to #/$defs, #/definitions or any local pointer (recursion ends at
MAX_DEPTH, where the smallest value is taken: null, no optional keys, the fewest items), items,
prefixItems, min/maxItems, uniqueItems, min/maxLength, pattern, format, the numeric bounds and multipleOf,
nullable and default. Values are plausible and short; where the conversation offers one that fits (hints.py),
it is used. A pattern that cannot be generated (lookarounds, JavaScript-only syntax) falls back to a plain
word, which may not match: the schema cannot be honoured there, and nothing is raised.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mockapi.generators import regex_values
from mockapi.generators.hints import Hints, words
from mockapi.generators.schema_check import is_multiple, resolve, valid

MAX_DEPTH = 6
_HARD_DEPTH = MAX_DEPTH + 24  # past this even required recursion stops (with null)
_ATTEMPTS = 8

_WORDS = (
    "amber", "harbor", "maple", "signal", "orbit", "meadow", "copper", "lantern", "summit", "river", "cedar",
    "pixel", "falcon", "canyon", "ember", "atlas", "willow", "quartz", "beacon", "glacier", "thistle", "nova",
)  # fmt: skip
_FIRST = ("Ada", "Grace", "Alan", "Maya", "Omar", "Lena", "Ravi", "Sofia", "Kenji", "Nora", "Tomas", "Aisha")
_LAST = ("Lovelace", "Hopper", "Turing", "Chen", "Haddad", "Novak", "Iyer", "Rossi", "Sato", "Berg", "Okafor")
_CITIES = ("Lisbon", "Osaka", "Toronto", "Nairobi", "Oslo", "Lima", "Dublin", "Seoul", "Austin", "Porto")
_SENTENCES = (
    "All systems are running normally.", "The request was handled as expected.", "A short summary of the result.",
    "Everything looks good so far.", "The details are listed below.", "This is a brief description.",
)  # fmt: skip


def value_for(schema: Any, rng: random.Random, hints: Hints | None = None) -> Any:
    """A value valid against `schema` (a dict, or a boolean schema), deterministic for a given rng. A
    schema whose keywords the walk does not steer by (not, if/then/else) gets a few draws to be met."""
    generator = _Generator(schema, rng, hints or Hints())
    value = generator.value(schema, 0, None)
    for _ in range(_ATTEMPTS):
        if valid(value, schema):
            break
        generator.used_numbers.clear()
        value = generator.value(schema, 0, None)
    return value


def _merge(schemas: Sequence[Any]) -> dict[str, Any]:
    """allOf as one schema: properties and required joined, bounds tightened, types intersected."""
    merged: dict[str, Any] = {}
    for schema in schemas:
        if not isinstance(schema, Mapping):
            continue
        for key, value in schema.items():
            if key not in merged:
                merged[key] = dict(value) if key == "properties" else value
            elif key == "properties":
                merged[key].update(value)
            elif key == "required":
                merged[key] = [*merged[key], *(v for v in value if v not in merged[key])]
            elif key in ("minimum", "minLength", "minItems", "exclusiveMinimum", "minProperties"):
                merged[key] = max(merged[key], value)
            elif key in ("maximum", "maxLength", "maxItems", "exclusiveMaximum", "maxProperties"):
                merged[key] = min(merged[key], value)
            elif key == "type":
                ours = {merged[key]} if isinstance(merged[key], str) else set(merged[key])
                theirs = {value} if isinstance(value, str) else set(value)
                both = ours & theirs or ({"integer"} if {"integer", "number"} <= ours | theirs else ours)
                merged[key] = sorted(both)
            elif key == "enum":
                merged[key] = [v for v in merged[key] if v in value] or merged[key]
            elif key == "additionalProperties":
                merged[key] = False if value is False or merged[key] is False else value
            elif key == "allOf":
                merged[key] = [*merged[key], *value]
            else:
                merged[key] = value
    return merged


def _inferred_type(schema: Mapping[str, Any]) -> str:
    if any(k in schema for k in ("properties", "required", "additionalProperties", "patternProperties")):
        return "object"
    if any(k in schema for k in ("items", "prefixItems", "minItems", "maxItems")):
        return "array"
    if any(k in schema for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")):
        return "integer" if isinstance(schema.get("multipleOf", 1), int) else "number"
    return "string"


class _Generator:
    def __init__(self, root: Any, rng: random.Random, hints: Hints) -> None:
        self.root = root
        self.rng = rng
        self.hints = hints
        self.used_numbers: set[int] = set()

    def value(self, schema: Any, depth: int, name: str | None) -> Any:
        if schema is True or schema is None or schema == {}:
            return self._string({}, name)
        if not isinstance(schema, Mapping) or depth > _HARD_DEPTH:
            return None
        schema, depth = self._resolved(schema, depth)
        while "allOf" in schema and depth <= _HARD_DEPTH:
            branches = [self._resolved(b, depth)[0] if isinstance(b, Mapping) else b for b in schema["allOf"]]
            schema = _merge([{k: v for k, v in schema.items() if k != "allOf"}, *branches])
            depth += 1
        if name is not None and name in self.hints.values and valid(self.hints.values[name], schema, self.root):
            return self.hints.values[name]
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return self._enum(schema)
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return self._branch(schema, key, depth, name)
        kinds = schema.get("type", _inferred_type(schema))
        kinds = [kinds] if isinstance(kinds, str) else list(kinds)
        if schema.get("nullable") is True:
            kinds.append("null")
        if "default" in schema and valid(schema["default"], schema, self.root) and self.rng.random() < 0.5:
            return schema["default"]
        return self._typed(schema, self._pick_type(kinds, depth), depth, name)

    def _resolved(self, schema: Mapping[str, Any], depth: int) -> tuple[Mapping[str, Any], int]:
        """The schema with its $ref chain followed (its own keywords kept over the target's)."""
        while "$ref" in schema and depth <= _HARD_DEPTH:
            target = resolve(self.root, schema["$ref"])
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **siblings} if isinstance(target, Mapping) else siblings
            depth += 1
        return schema, depth

    def _pick_type(self, kinds: list[str], depth: int) -> str:
        if not kinds:
            return "string"
        solid = [k for k in kinds if k != "null"]
        if not solid or (depth >= MAX_DEPTH and "null" in kinds):
            return "null"
        # A nullable field is usually filled; null now and then.
        if "null" in kinds and self.rng.random() < 0.15:
            return "null"
        return solid[0] if len(solid) == 1 else self.rng.choice(solid)

    def _typed(self, schema: Mapping[str, Any], kind: str, depth: int, name: str | None) -> Any:
        if kind == "null":
            return None
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind in ("integer", "number"):
            return self._number(schema, kind == "integer", name)
        if kind == "array":
            return self._array(schema, depth, name)
        if kind == "object":
            return self._object(schema, depth)
        return self._string(schema, name)

    def _enum(self, schema: Mapping[str, Any]) -> Any:
        rest = {k: v for k, v in schema.items() if k != "enum"}
        options = [option for option in schema["enum"] if valid(option, rest, self.root)] or list(schema["enum"])
        mentioned = self.hints.enum_choice(options)
        return mentioned[0] if mentioned else self.rng.choice(options) if options else None

    def _branch(self, schema: Mapping[str, Any], key: str, depth: int, name: str | None) -> Any:
        rest = {k: v for k, v in schema.items() if k != key}
        branches = [{**rest, **b} if isinstance(b, Mapping) else b for b in schema[key]]
        if not branches:
            return None
        order = list(range(len(branches)))
        self.rng.shuffle(order)
        if depth >= MAX_DEPTH:  # the smallest first: a null branch ends a recursion
            order.sort(key=lambda i: not (isinstance(branches[i], Mapping) and branches[i].get("type") == "null"))
        value = None
        for index in order * 2:
            value = self.value(branches[index], depth + 1, name)
            others = [b for i, b in enumerate(branches) if i != index]
            alone = key == "anyOf" or not any(valid(value, other, self.root) for other in others)
            if alone and valid(value, schema, self.root):
                return value
        return value

    def _number(self, schema: Mapping[str, Any], integer: bool, name: str | None) -> int | float:
        if name is not None:
            for position, number in self.hints.numbers_for(name):
                wanted = int(number) if integer and float(number).is_integer() else number
                fits = not integer or isinstance(wanted, int)
                if position not in self.used_numbers and fits and valid(wanted, schema, self.root):
                    self.used_numbers.add(position)
                    return wanted
        low, high = _bounds(schema, integer)
        factor = schema.get("multipleOf")
        if factor:
            return self._multiple(low, high, factor, integer)
        if integer:
            return self.rng.randint(int(low), int(high)) if low <= high else int(low)
        value = round(self.rng.uniform(low, high), 2)
        return value if low <= value <= high else (low + high) / 2

    def _multiple(self, low: float, high: float, factor: float, integer: bool) -> int | float:
        first, last = math.ceil(low / factor), math.floor(high / factor)
        candidates = (
            list(range(first, last + 1)) if last - first < 64 else [self.rng.randint(first, last) for _ in range(32)]
        )
        self.rng.shuffle(candidates)
        for k in candidates:
            value: int | float = k * factor
            if integer or (isinstance(factor, int) and not isinstance(factor, bool)):
                value = int(value) if float(value).is_integer() else value
            if low <= value <= high and is_multiple(value, factor) and (not integer or float(value).is_integer()):
                return value
        return 0

    def _array(self, schema: Mapping[str, Any], depth: int, name: str | None) -> list[Any]:
        items = schema.get("items")
        prefix = list(schema.get("prefixItems", items if isinstance(items, list) else ()))
        rest = schema.get("additionalItems", True) if isinstance(items, list) else items
        least = schema.get("minItems", 0)
        most = schema.get("maxItems", max(least, len(prefix)) + 3)
        if rest is False:
            most = min(most, len(prefix))
        # At the depth bound the fewest items; otherwise one to three more than the least.
        count = least if depth >= MAX_DEPTH else self.rng.randint(least, max(least, min(most, max(least, 1) + 2)))
        item_name = name.removesuffix("s") if name else None
        made: list[Any] = []
        for index in range(count):
            sub = prefix[index] if index < len(prefix) else rest
            value = self.value(sub, depth + 1, item_name)
            if schema.get("uniqueItems") is True:
                for _ in range(_ATTEMPTS):
                    if not any(valid(value, {"const": other}) for other in made):
                        break
                    value = self.value(sub, depth + 1, None)
                else:
                    if len(made) >= least:
                        break
            made.append(value)
        return made

    def _object(self, schema: Mapping[str, Any], depth: int) -> dict[str, Any]:
        properties: Mapping[str, Any] = schema.get("properties", {})
        required = [p for p in schema.get("required", ()) if isinstance(p, str)]
        most = schema.get("maxProperties", math.inf)
        least = schema.get("minProperties", 0)
        made: dict[str, Any] = {}
        for prop, sub in properties.items():
            wanted = prop in required
            if not wanted and len(made) + sum(1 for r in required if r not in made) < most:
                wanted = depth < MAX_DEPTH and (self.rng.random() < 0.6 or len(made) < least)
            if wanted:
                made[prop] = self.value(sub, depth + 1, prop)
        extra = schema.get("additionalProperties", True)
        for prop in required:  # required but not declared: whatever additionalProperties allows
            if prop not in made:
                made[prop] = self.value(extra if isinstance(extra, Mapping) else {}, depth + 1, prop)
        index = 0
        while len(made) < least and extra is not False and index < least + 8:
            index += 1
            made.setdefault(f"{self.rng.choice(_WORDS)}_{index}", self.value(extra, depth + 1, None))
        return made

    def _string(self, schema: Mapping[str, Any], name: str | None) -> str:
        least, most = schema.get("minLength", 0), schema.get("maxLength")
        if name is not None:
            for candidate in self.hints.strings(name, schema):
                if valid(candidate, schema, self.root):
                    return candidate
        kind = schema.get("format")
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            for extra in (3, 0, 1, 6, 12, 24, 48):
                try:
                    text = regex_values.generate(pattern, self.rng, extra)
                except regex_values.Unsupported:
                    break
                if valid(text, schema, self.root):
                    return text
        text = _formatted(kind, self.rng) if kind in _FORMATS else self._plain(name)
        if most is not None and len(text) > most:
            text = text[:most]
        while len(text) < least:
            text += ("-" if text else "") + self.rng.choice(_WORDS)
        return text[:most] if most is not None else text

    def _plain(self, name: str | None) -> str:
        named = set(words(name or ""))
        if named & {"city", "town", "location", "place", "destination", "origin"}:
            return self.rng.choice(_CITIES)
        if named & {"first"}:
            return self.rng.choice(_FIRST)
        if named & {"last", "surname"}:
            return self.rng.choice(_LAST)
        if named & {"name", "author", "person", "user", "owner"}:
            return f"{self.rng.choice(_FIRST)} {self.rng.choice(_LAST)}"
        if named & {
            "description",
            "summary",
            "text",
            "message",
            "content",
            "reason",
            "explanation",
            "comment",
            "answer",
        }:
            return self.rng.choice(_SENTENCES)
        if named & {"street", "address"}:
            return f"{self.rng.randint(1, 250)} {self.rng.choice(_WORDS).capitalize()} Street"
        if named & {"zip", "postal", "postcode"}:
            return f"{self.rng.randint(10000, 99999)}"
        if named & {"phone", "telephone", "mobile"}:
            return f"+1 555 01{self.rng.randint(0, 99):02d}"
        if named & {"id", "identifier", "key", "code"}:
            return f"{self.rng.choice(_WORDS)}-{self.rng.randint(100, 999)}"
        return " ".join(self.rng.choice(_WORDS) for _ in range(self.rng.randint(1, 2)))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _bounds(schema: Mapping[str, Any], integer: bool) -> tuple[float, float]:
    """The closed range a number may take (exclusive bounds moved inwards), plausible when open."""
    low: Any = schema.get("minimum")
    high: Any = schema.get("maximum")
    low_x, high_x = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    low_open = low_x is True and low is not None
    high_open = high_x is True and high is not None
    if _is_number(low_x) and (low is None or low_x >= low):
        low, low_open = low_x, True
    if _is_number(high_x) and (high is None or high_x <= high):
        high, high_open = high_x, True
    if low is None and high is None:
        return (1, 100) if integer else (0.0, 100.0)
    if low is None:
        low, low_open = high - 100, False
    if high is None:
        high, high_open = low + 100, False
    if integer:
        return (math.floor(low) + 1 if low_open else math.ceil(low)), (
            math.ceil(high) - 1 if high_open else math.floor(high)
        )
    step = min(0.01, (high - low) / 4) if high > low else 0
    return (low + step if low_open else low), (high - step if high_open else high)


def _formatted(kind: str, rng: random.Random) -> str:
    return _FORMATS[kind](rng)


def _date(rng: random.Random) -> str:
    return f"{rng.randint(2020, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def _time(rng: random.Random) -> str:
    return f"{rng.randint(0, 23):02d}:{rng.choice((0, 15, 30, 45)):02d}:00Z"


_FORMATS: dict[str, Callable[[random.Random], str]] = {
    "date": _date,
    "date-time": lambda rng: f"{_date(rng)}T{_time(rng)}",
    "time": _time,
    "email": lambda rng: f"{rng.choice(_FIRST).lower()}.{rng.choice(_LAST).lower()}@example.com",
    "uri": lambda rng: f"https://example.com/{rng.choice(_WORDS)}",
    "uuid": lambda rng: str(uuid.UUID(int=rng.getrandbits(128), version=4)),
    "hostname": lambda rng: f"{rng.choice(_WORDS)}.example.com",
    "ipv4": lambda rng: f"192.0.2.{rng.randint(1, 254)}",
    "ipv6": lambda rng: f"2001:db8::{rng.randint(1, 0xFFFF):x}",
    "duration": lambda rng: f"P{rng.randint(1, 30)}D",
}
