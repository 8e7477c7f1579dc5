"""The 2023 OpenAPI spec (a copy kept in the repository) as JSON-schema validators for response bodies."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SPEC_PATH = Path(__file__).with_name("openapi-2023-04.yaml")


@cache
def spec() -> dict[str, Any]:
    return _nullable_to_union(yaml.load(SPEC_PATH.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))


def _nullable_to_union(node: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` is JSON schema's `type: [T, "null"]`."""
    if isinstance(node, dict):
        out = {key: _nullable_to_union(value) for key, value in node.items() if key != "nullable"}
        if node.get("nullable") is True and isinstance(node.get("type"), str):
            out["type"] = [node["type"], "null"]
        return out
    if isinstance(node, list):
        return [_nullable_to_union(item) for item in node]
    return node


@cache
def validator(path: str, method: str, status: str = "200") -> jsonschema.Draft7Validator:
    """The validator of a route's JSON response; `path` as the spec writes it (no /v1 prefix)."""
    document = spec()
    operation = document["paths"][path][method.lower()]
    schema = operation["responses"][status]["content"]["application/json"]["schema"]
    # Keep the components beside the schema so its local $refs resolve.
    return jsonschema.Draft7Validator({**schema, "components": document["components"]})


def check(path: str, method: str, body: Any, status: str = "200") -> None:
    """Raise with every violation if `body` does not match the spec's response schema."""
    problems = sorted(validator(path, method, status).iter_errors(body), key=lambda e: list(e.path))
    if problems:
        raise AssertionError("\n".join(f"{'/'.join(map(str, p.path)) or '(root)'}: {p.message}" for p in problems[:10]))
