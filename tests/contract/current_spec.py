"""The current OpenAPI spec (OpenAPI 3.1, a copy kept in the repository) as JSON-schema validators for response
bodies and streamed events of the routes added since 2023."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SPEC_PATH = Path(__file__).with_name("openapi-current.yaml")


@cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load(SPEC_PATH.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return dict(_nullable_to_null(loaded))


def _nullable_to_null(node: Any) -> Any:
    """OpenAPI 3.0's `nullable: true`, which parts of the current spec still use (a chunk's finish_reason),
    as JSON Schema says it: null among the types (and the enum), or beside a schema without a type."""
    if isinstance(node, list):
        return [_nullable_to_null(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _nullable_to_null(value) for key, value in node.items() if key != "nullable"}
    # OpenAPI 3.0's boolean exclusiveMinimum/Maximum (the hyperparameters' ranges still use it): the bound is
    # `minimum`, exclusive; JSON Schema says that with the number itself.
    for flag, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(out.get(flag), bool) and out.pop(flag) and bound in out:
            out[flag] = out.pop(bound)
    if node.get("nullable") is not True:
        return out
    if isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
        if isinstance(out.get("enum"), list):
            out["enum"] = [*out["enum"], None]
        return out
    return {"anyOf": [out, {"type": "null"}]}


def _validator_for(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    # Keep the components beside the schema so its local $refs (#/components/schemas/...) resolve.
    return jsonschema.Draft202012Validator({**schema, "components": spec()["components"]})


@cache
def response_validator(path: str, method: str, status: str = "200") -> jsonschema.Draft202012Validator:
    """The validator of a route's JSON response; `path` as the spec writes it (no /v1 prefix)."""
    operation = spec()["paths"][path][method.lower()]
    schema = operation["responses"][status]["content"]["application/json"]["schema"]
    return _validator_for(schema)


@cache
def component_validator(name: str) -> jsonschema.Draft202012Validator:
    """The validator of one component schema (e.g. a streamed event: `ResponseTextDeltaEvent`)."""
    return _validator_for({"$ref": f"#/components/schemas/{name}"})


def _raise(validator: jsonschema.Draft202012Validator, body: Any) -> None:
    problems = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    if problems:
        raise AssertionError("\n".join(f"{'/'.join(map(str, p.path)) or '(root)'}: {p.message}" for p in problems[:10]))


def check(path: str, method: str, body: Any, status: str = "200") -> None:
    """Raise with every violation if `body` does not match the current spec's response schema."""
    _raise(response_validator(path, method, status), body)


def check_component(name: str, body: Any) -> None:
    """Raise with every violation if `body` does not match the named component schema."""
    _raise(component_validator(name), body)
