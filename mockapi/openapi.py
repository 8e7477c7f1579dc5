"""`/openapi.json` from the routes' declarations: each operation's body (JSON or multipart), query
parameters and answers, with the pydantic models as component schemas.

Built once, when the document is first asked for (FastAPI caches it), so start-up pays nothing for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from mockapi.routing import NOTHING_DECLARED, Declared, DirectRoute
from mockapi.schemas.common import ErrorResponse

REF_TEMPLATE = "#/components/schemas/{model}"
ERROR_ANSWER = "An error in OpenAI's shape, with the real API's status code."
# How other answers' bodies are described.
MEDIA_SCHEMAS: dict[str, dict[str, Any]] = {
    "application/octet-stream": {"type": "string", "format": "binary"},
    "image/png": {"type": "string", "format": "binary"},
}
TEXT_SCHEMA = {"type": "string"}

Refs = dict[tuple[type[BaseModel], JsonSchemaMode], Any]


def describe(document: dict[str, Any], routes: Iterable[DirectRoute]) -> dict[str, Any]:
    """FastAPI's document with every declared route's operations filled in, and the schemas they use."""
    declared = [route for route in routes if route.declared is not NOTHING_DECLARED]
    refs, schemas = _schemas(route.declared for route in declared)
    for route in declared:
        for method in route.methods or ():
            operation = document["paths"][route.path_format][method.lower()]
            _fill(operation, route.declared, refs)
    components = document.setdefault("components", {}).setdefault("schemas", {})
    components.update(schemas.get("$defs", {}))
    return document


def _schemas(declarations: Iterable[Declared]) -> tuple[Refs, dict[str, Any]]:
    wanted: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {(ErrorResponse, "serialization"): None}
    for declared in declarations:
        if declared.body is not None:
            wanted[(declared.body, "validation")] = None
        for model in (*declared.answers, *((declared.events,) if declared.events else ())):
            wanted[(model, "serialization")] = None
    refs, schemas = models_json_schema(list(wanted), ref_template=REF_TEMPLATE)
    by_model: Refs = {}
    for (model, mode), ref in refs.items():
        if isinstance(model, type) and issubclass(model, BaseModel):
            by_model[(model, mode)] = ref
    return by_model, dict(schemas)


def _fill(operation: dict[str, Any], declared: Declared, refs: Refs) -> None:
    if declared.body is not None:
        schema = refs[(declared.body, "validation")]
        operation["requestBody"] = {"required": True, "content": {declared.body_media_type: {"schema": schema}}}
    if declared.query is not None:
        operation["parameters"] = [*operation.get("parameters", ()), *_query_parameters(declared.query)]
    answers: dict[str, Any] = {}
    if declared.answers:
        schemas = [refs[(model, "serialization")] for model in declared.answers]
        answers["application/json"] = {"schema": schemas[0] if len(schemas) == 1 else {"oneOf": schemas}}
    if declared.events is not None:
        answers["text/event-stream"] = {
            "schema": refs[(declared.events, "serialization")],
            "description": "With `stream: true` (speech: `stream_format: sse`): one event of this shape each; "
            "the text endpoints' streams end with `data: [DONE]`, today's typed event streams do not.",
        }
    for media_type in declared.media_types:
        answers[media_type] = {"schema": MEDIA_SCHEMAS.get(media_type, TEXT_SCHEMA)}
    responses = operation.setdefault("responses", {})
    if answers:
        responses.pop("200", None)
        responses[str(declared.status)] = {"description": "The answer.", "content": answers}
    responses["default"] = {
        "description": ERROR_ANSWER,
        "content": {"application/json": {"schema": refs[(ErrorResponse, "serialization")]}},
    }


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    properties = model.model_json_schema()["properties"]
    return [
        {"name": name, "in": "query", "required": field.is_required(), "schema": properties[name]}
        for name, field in model.model_fields.items()
    ]
