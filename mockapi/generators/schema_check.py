"""Whether a value is valid against a JSON Schema, for the keywords tools and structured outputs use.

The value generator checks its candidates with this (a value drawn from the conversation, a oneOf branch
that must match alone); jsonschema itself is a test dependency only. Keywords follow draft 2020-12, with
the draft 4-7 spellings schemas still carry (boolean exclusiveMinimum, `items` as a list, `definitions`).
Unknown keywords are ignored, as a validator does; an unresolvable $ref or a pattern Python cannot
compile accepts the value (nothing can be checked).
"""

from __future__ import annotations

import datetime
import functools
import ipaddress
import math
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import unquote

_JSON_TYPES: dict[str, Callable[[Any], bool]] = {
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")
TIME = re.compile(r"^\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$", re.IGNORECASE)


@functools.lru_cache(maxsize=256)
def compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except (re.error, OverflowError, RecursionError):
        return None


def _date_time(value: str) -> bool:
    try:
        datetime.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    return "T" in value.upper() and bool(TIME.match(value[value.upper().index("T") + 1 :]))


def _date(value: str) -> bool:
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def _ip(value: str, version: int) -> bool:
    try:
        return ipaddress.ip_address(value).version == version
    except ValueError:
        return False


def _uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return len(value) == 36


FORMATS: dict[str, Callable[[str], bool]] = {
    "date-time": _date_time,
    "date": _date,
    "time": lambda v: bool(TIME.match(v)),
    "email": lambda v: bool(EMAIL.match(v)),
    "uri": lambda v: bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$", v)),
    "uuid": _uuid,
    "hostname": lambda v: bool(HOSTNAME.match(v)),
    "ipv4": lambda v: _ip(v, 4),
    "ipv6": lambda v: _ip(v, 6),
    "duration": lambda v: bool(DURATION.match(v)),
}


def resolve(root: Any, ref: str) -> Any:
    """The schema a local $ref points to ("#", "#/$defs/Name", any JSON pointer), or None."""
    if not ref.startswith("#"):
        return None
    node = root
    for part in ref[1:].split("/")[1:] if ref != "#" else ():
        part = unquote(part).replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def equal(a: Any, b: Any) -> bool:
    """JSON equality: true is not 1, 1 is 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and bool(a == b)


def is_multiple(value: float, factor: float) -> bool:
    """multipleOf as jsonschema decides it (a float quotient must be a whole number)."""
    if isinstance(factor, float) or isinstance(value, float):
        quotient = value / factor
        try:
            return bool(int(quotient) == quotient)
        except (OverflowError, ValueError):
            return False
    return value % factor == 0


def valid(value: Any, schema: Any, root: Any = None, depth: int = 0) -> bool:
    if schema is True or schema is None:
        return True
    if schema is False:
        return False
    if not isinstance(schema, Mapping) or depth > 64:
        return True
    root = schema if root is None else root
    return _Checker(root, depth).check(value, schema)


class _Checker:
    def __init__(self, root: Any, depth: int) -> None:
        self.root = root
        self.depth = depth

    def sub(self, value: Any, schema: Any) -> bool:
        return valid(value, schema, self.root, self.depth + 1)

    def check(self, value: Any, schema: Mapping[str, Any]) -> bool:
        if "$ref" in schema:
            target = resolve(self.root, schema["$ref"])
            if target is not None and not self.sub(value, target):
                return False
        kinds = schema.get("type")
        if kinds is not None:
            names = [kinds] if isinstance(kinds, str) else list(kinds)
            if schema.get("nullable") is True:
                names.append("null")
            if not any(_JSON_TYPES.get(name, lambda _: True)(value) for name in names):
                return False
        if "enum" in schema and not any(equal(value, option) for option in schema["enum"]):
            return False
        if "const" in schema and not equal(value, schema["const"]):
            return False
        return self._combinators(value, schema) and self._by_type(value, schema)

    def _combinators(self, value: Any, schema: Mapping[str, Any]) -> bool:
        if "allOf" in schema and not all(self.sub(value, s) for s in schema["allOf"]):
            return False
        if "anyOf" in schema and not any(self.sub(value, s) for s in schema["anyOf"]):
            return False
        if "oneOf" in schema and sum(1 for s in schema["oneOf"] if self.sub(value, s)) != 1:
            return False
        if "not" in schema and self.sub(value, schema["not"]):
            return False
        if "if" in schema:
            branch = schema.get("then") if self.sub(value, schema["if"]) else schema.get("else")
            if branch is not None and not self.sub(value, branch):
                return False
        return True

    def _by_type(self, value: Any, schema: Mapping[str, Any]) -> bool:
        if isinstance(value, str):
            return self._string(value, schema)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return self._number(value, schema)
        if isinstance(value, list):
            return self._array(value, schema)
        if isinstance(value, dict):
            return self._object(value, schema)
        return True

    def _string(self, value: str, schema: Mapping[str, Any]) -> bool:
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", math.inf):
            return False
        pattern = compiled(schema["pattern"]) if isinstance(schema.get("pattern"), str) else None
        if pattern is not None and not pattern.search(value):
            return False
        check = FORMATS.get(schema.get("format", ""))
        return check is None or check(value)

    def _number(self, value: float, schema: Mapping[str, Any]) -> bool:
        low, high = schema.get("minimum"), schema.get("maximum")
        low_x, high_x = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
        if low is not None and (value < low or (low_x is True and value == low)):
            return False
        if high is not None and (value > high or (high_x is True and value == high)):
            return False
        if not isinstance(low_x, bool) and low_x is not None and value <= low_x:
            return False
        if not isinstance(high_x, bool) and high_x is not None and value >= high_x:
            return False
        factor = schema.get("multipleOf")
        return factor is None or is_multiple(value, factor)

    def _array(self, value: Sequence[Any], schema: Mapping[str, Any]) -> bool:
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", math.inf):
            return False
        items = schema.get("items")
        prefix = schema.get("prefixItems", items if isinstance(items, list) else ())
        rest = schema.get("additionalItems", True) if isinstance(items, list) else items
        for index, item in enumerate(value):
            if not self.sub(item, prefix[index] if index < len(prefix) else rest):
                return False
        if schema.get("uniqueItems") is True:
            for i, a in enumerate(value):
                if any(equal(a, b) for b in value[i + 1 :]):
                    return False
        contains = schema.get("contains")
        return contains is None or any(self.sub(item, contains) for item in value)

    def _object(self, value: Mapping[str, Any], schema: Mapping[str, Any]) -> bool:
        if any(name not in value for name in schema.get("required", ())):
            return False
        if len(value) < schema.get("minProperties", 0) or len(value) > schema.get("maxProperties", math.inf):
            return False
        properties = schema.get("properties", {})
        patterns = [(compiled(p), s) for p, s in schema.get("patternProperties", {}).items()]
        extra = schema.get("additionalProperties", True)
        for name, item in value.items():
            matched = False
            if name in properties:
                matched = True
                if not self.sub(item, properties[name]):
                    return False
            for pattern, sub in patterns:
                if pattern is not None and pattern.search(name):
                    matched = True
                    if not self.sub(item, sub):
                        return False
            if not matched and not self.sub(item, extra):
                return False
        for name, needed in schema.get("dependentRequired", {}).items():
            if name in value and any(other not in value for other in needed):
                return False
        names = schema.get("propertyNames")
        return names is None or all(self.sub(name, names) for name in value)
