"""Request bodies are parsed and validated into OpenAI-shaped errors, and every failure is answered by the
edge in OpenAI's shape with OpenAI's headers (in-process app)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel, ConfigDict, Field

from mockapi import errors, rendering
from mockapi.app import create_app
from mockapi.routing import DirectRoute, parse, read_json
from mockapi.schemas.chat import CreateChatCompletionRequest
from mockapi.schemas.completions import CreateCompletionRequest
from mockapi.settings import Settings
from mockapi.wire import Rendered

AUTH = {"authorization": "Bearer sk-test"}


class Echo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str
    n: int = Field(1, ge=1, le=128)
    temperature: float = Field(1, ge=0, le=2)
    stop: str | list[str] | None = None


def _app() -> FastAPI:
    """The real app with two test routes of its own kind in front of the resource routes."""
    app = create_app(Settings())
    router = APIRouter(prefix="/v1", route_class=DirectRoute)

    @router.post("/echo")
    async def echo(request: Request) -> Rendered:
        return rendering.json(parse(Echo, await read_json(request)).model_dump())

    @router.get("/boom")
    async def boom(request: Request) -> Rendered:
        raise RuntimeError("secret traceback detail")

    app.router.routes[:0] = router.routes
    return app


async def _post(body: bytes | dict[str, Any]) -> httpx.Response:
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=AUTH) as client:
        if isinstance(body, bytes):
            return await client.post("/v1/echo", content=body, headers={"content-type": "application/json"})
        return await client.post("/v1/echo", json=body)


@pytest.mark.parametrize(
    ("body", "param", "message"),
    [
        ({"n": 1}, "model", "'model' is a required property"),
        ({"model": "m", "n": 0}, "n", "0 is less than the minimum of 1 - 'n'"),
        ({"model": "m", "n": 129}, "n", "129 is greater than the maximum of 128 - 'n'"),
        (
            {"model": "m", "temperature": "hot"},
            "temperature",
            "'hot' is not of type 'number' - 'temperature'",
        ),
        ({"model": "m", "frobnicate": 1}, "frobnicate", "Unrecognized request argument supplied: frobnicate"),
        ({"model": "m", "stop": 5}, "stop", None),
    ],
)
async def test_validation_failures_are_400_naming_the_field(
    body: dict[str, Any], param: str, message: str | None
) -> None:
    response = await _post(body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    if message is not None:
        assert error["message"] == message


@pytest.mark.parametrize(
    ("fields", "param", "message"),
    [
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop", "['a', 'b', 'c', 'd', 'e'] is too long - 'stop'"),
        ({"stop": []}, "stop", "[] is too short - 'stop'"),
        ({"stop": ["a", 5]}, "stop.1", "5 is not of type 'string' - 'stop.1'"),
        ({"stop": 5}, "stop", "5 is not valid under any of the given schemas - 'stop'"),
        ({"prompt": [[]]}, "prompt.0", "[] is too short - 'prompt.0'"),
        ({"prompt": [[1, "a"]]}, "prompt.0.1", "'a' is not of type 'integer' - 'prompt.0.1'"),
        ({"prompt": [1.5]}, "prompt", "[1.5] is not valid under any of the given schemas - 'prompt'"),
    ],
)
def test_a_union_reports_its_most_specific_failing_member(fields: dict[str, Any], param: str, message: str) -> None:
    with pytest.raises(errors.OpenAIError) as caught:
        parse(CreateCompletionRequest, {"model": "m", **fields})
    assert (caught.value.param, caught.value.message) == (param, message)


def test_unknown_nested_keys_are_additional_properties_of_their_object() -> None:
    messages = [{"role": "user", "content": "hi"}, {"role": "user", "content": "x", "foo": 1, "bar": 2}]
    with pytest.raises(errors.OpenAIError) as caught:
        parse(CreateChatCompletionRequest, {"model": "m", "messages": messages})
    assert caught.value.param == "messages.1"
    assert caught.value.message == "Additional properties are not allowed ('bar', 'foo' were unexpected) - 'messages.1'"
    with pytest.raises(errors.OpenAIError) as caught:
        parse(CreateChatCompletionRequest, {"model": "m", "messages": messages, "colour": "red"})
    assert (caught.value.param, caught.value.message) == ("colour", "Unrecognized request argument supplied: colour")


async def test_malformed_json_is_400_saying_it_could_not_parse() -> None:
    response = await _post(b'{"model": "m",')
    assert response.status_code == 400
    assert "could not parse the JSON body" in response.json()["error"]["message"]


async def test_non_object_json_is_400() -> None:
    response = await _post(b"[1, 2]")
    assert response.status_code == 400
    assert response.json()["error"] == {
        "message": "[1, 2] is not of type 'object'",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }


async def test_valid_body_passes() -> None:
    response = await _post({"model": "m", "n": 2, "stop": ["a"]})
    assert response.status_code == 200
    assert response.json() == {"model": "m", "n": 2, "temperature": 1.0, "stop": ["a"]}


async def test_unexpected_exception_is_500_without_traceback(caplog: pytest.LogCaptureFixture) -> None:
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
    headers = {**AUTH, "openai-organization": "org-x", "origin": "http://demo.example"}
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as client:
        response = await client.get("/v1/boom")
    assert response.status_code == 500
    assert response.json() == {
        "error": {
            "message": "The server had an error while processing your request. Sorry about that!",
            "type": "server_error",
            "param": None,
            "code": None,
        }
    }
    assert "secret" not in response.text
    # The same headers as any other answer, CORS included.
    assert response.headers["x-request-id"].startswith("req_")
    assert response.headers["openai-version"] == "2020-10-01"
    assert response.headers["openai-organization"] == "org-x"
    assert "openai-processing-ms" in response.headers
    assert response.headers["access-control-allow-origin"] == "*"
    # The traceback goes to the log.
    assert any(record.exc_info and "secret traceback detail" in str(record.exc_info[1]) for record in caplog.records)


def test_mask_key_keeps_only_the_ends() -> None:
    assert errors.mask_key("sk-abcdefgh12345678wxyz") == "sk-abcde***********wxyz"
    assert errors.mask_key("short") == "sho***"


def test_every_error_the_package_answers_comes_from_the_catalogue() -> None:
    catalogue = Path(errors.__file__).parent
    package = catalogue.parent
    constructed = {
        f"{path.relative_to(package)}:{number}"
        for path in sorted(package.rglob("*.py"))
        if catalogue not in path.parents
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "OpenAIError(" in line
    }
    assert constructed == set(), "build errors with a named constructor of the catalogue, mockapi/errors/"
    assert "OpenAIError(" in Path(errors.__file__).read_text(encoding="utf-8")


def test_rate_limit_refusals_say_when_to_retry() -> None:
    requests = errors.rate_limit_reached("requests", 5, 5, 8.64, "default-ada in organization org-x")
    assert requests.message == (
        "Rate limit reached for default-ada in organization org-x on requests per min. Limit: 5 / min. Please try "
        "again in 8.64s. Contact us through our help center at help.openai.com if you continue to have issues."
    )
    assert (requests.status, requests.type, requests.code) == (429, "requests", "rate_limit_exceeded")
    assert requests.headers == {"retry-after": "9", "retry-after-ms": "8640"}
    tokens = errors.rate_limit_reached("tokens", 60, 50, 0.2, "default-ada in organization org-x")
    assert "on tokens per min. Limit: 60 / min. Current: 50 / min. Contact us" in tokens.message
    assert tokens.type == "tokens" and tokens.headers == {"retry-after": "1", "retry-after-ms": "200"}
