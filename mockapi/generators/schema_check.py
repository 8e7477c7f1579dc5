"""Whether a value is valid against a JSON Schema, by jsonschema (the validator the contract tests use too).

The value generator checks its candidates with this (a value drawn from the conversation, a oneOf branch
that must match alone). A subschema is checked in the context of its root document, so its local $refs
(#/$defs/..., #/definitions/...) resolve; the dialect is the root's `$schema`, else draft 2020-12. A schema
jsonschema cannot use (an unresolvable $ref, a pattern Python cannot compile) accepts the value: nothing can
be checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote


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


def is_multiple(value: float, factor: float) -> bool:
    """multipleOf as jsonschema decides it (a float quotient must be a whole number)."""
    if isinstance(factor, float) or isinstance(value, float):
        quotient = value / factor
        try:
            return bool(int(quotient) == quotient)
        except (OverflowError, ValueError):
            return False
    return value % factor == 0


def valid(value: Any, schema: Any, root: Any = None) -> bool:
    """Whether `value` is valid against `schema`, a subschema of `root` (itself when None)."""
    if schema is True or schema is None:
        return True
    if schema is False:
        return False
    # Loaded with the first structured output to check: a start without one skips jsonschema.
    import jsonschema
    from jsonschema.exceptions import SchemaError
    from referencing.exceptions import Unresolvable

    document = schema if root is None else root
    cls = jsonschema.validators.validator_for(document, default=jsonschema.Draft202012Validator)
    validator = cls(document, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    if document is not schema:
        validator = validator.evolve(schema=schema)
    try:
        return bool(validator.is_valid(value))
    except (SchemaError, Unresolvable, ValueError, TypeError, RecursionError):
        return True
