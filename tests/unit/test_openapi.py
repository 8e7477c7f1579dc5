"""/openapi.json describes every route from its declaration: bodies, parameters, answers, component schemas."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from mockapi.app import create_app
from mockapi.routing import DirectRoute
from mockapi.settings import Settings


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    app = create_app(Settings())
    transport = httpx.ASGITransport(app=app)

    async def fetch() -> dict[str, Any]:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/openapi.json")
            assert response.status_code == 200
            return dict(response.json())

    return asyncio.run(fetch())


def _schema(document: dict[str, Any], ref: dict[str, str]) -> dict[str, Any]:
    name = ref["$ref"].removeprefix("#/components/schemas/")
    return dict(document["components"]["schemas"][name])


def test_the_chat_body_is_its_request_model(document: dict[str, Any]) -> None:
    body = document["paths"]["/v1/chat/completions"]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]
    assert ref == {"$ref": "#/components/schemas/CreateChatCompletionRequest"} and body["required"] is True
    request = _schema(document, ref)
    assert "messages" in request["properties"] and set(request["required"]) == {"model", "messages"}
    roles = [_schema(document, member) for member in request["properties"]["messages"]["items"]["oneOf"]]
    named = [member["properties"]["role"] for member in roles]
    assert [role.get("const") for role in named][:6] == ["developer", "system", "user", "assistant", "tool", "function"]


def test_answers_are_their_models_and_streams_their_events(document: dict[str, Any]) -> None:
    answers = document["paths"]["/v1/chat/completions"]["post"]["responses"]
    content = answers["200"]["content"]
    assert content["application/json"]["schema"]["$ref"].endswith("/CreateChatCompletionResponse")
    assert content["text/event-stream"]["schema"]["$ref"].endswith("/CreateChatCompletionStreamResponse")
    error = _schema(document, answers["default"]["content"]["application/json"]["schema"])
    assert error["required"] == ["error"]


def test_multipart_bodies_show_their_files_as_binary(document: dict[str, Any]) -> None:
    body = document["paths"]["/v1/audio/transcriptions"]["post"]["requestBody"]["content"]
    schema = _schema(document, body["multipart/form-data"]["schema"])
    assert schema["properties"]["file"] == {"type": "string", "format": "binary"}
    edit = document["paths"]["/v1/images/edits"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert _schema(document, edit["schema"])["properties"]["image"]["format"] == "binary"


def test_query_and_path_parameters_are_listed(document: dict[str, Any]) -> None:
    listing = document["paths"]["/v1/files"]["get"]
    assert [p["name"] for p in listing["parameters"]] == ["purpose", "limit", "after", "order"]
    assert next(p for p in listing["parameters"] if p["name"] == "limit")["schema"]["maximum"] == 10_000
    download = document["paths"]["/v1/files/{file_id}/content"]["get"]
    assert [p["name"] for p in download["parameters"]] == ["file_id"]
    assert "application/octet-stream" in download["responses"]["200"]["content"]


def test_every_declared_route_is_documented(document: dict[str, Any]) -> None:
    for route in create_app(Settings()).router.routes:
        if not isinstance(route, DirectRoute) or not route.declared.endpoint:
            continue
        for method in route.methods:
            operation = document["paths"][route.path_format][method.lower()]
            assert "default" in operation["responses"], (method, route.path)
            if route.declared.body is not None:
                assert "requestBody" in operation, (method, route.path)
            if route.declared.answers:
                assert "application/json" in operation["responses"]["200"]["content"], (method, route.path)
