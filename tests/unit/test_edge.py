"""The edge, in process: the request context it builds, OpenAI's headers, auth, body limits from the routes'
declarations, failures in OpenAI's shape, and the journal entry of the served exchange."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from starlette.requests import Request

from mockapi import rendering
from mockapi.app import create_app
from mockapi.context import RequestContext, context_of
from mockapi.registry import RouteTable, resource_routes
from mockapi.routing import DirectRoute
from mockapi.settings import Settings
from mockapi.wire import Rendered

AUTH = {"authorization": "Bearer sk-edge-test-0000"}


def _app(settings: Settings | None = None) -> FastAPI:
    app = create_app(settings or Settings())
    seen: list[RequestContext] = []

    async def context(request: Request) -> Rendered:
        seen.append(context_of(request))
        return rendering.json({"caller": list(context_of(request.scope).served.caller or ())})

    async def boom(request: Request) -> Rendered:
        raise RuntimeError("secret detail")

    app.router.routes[:0] = [DirectRoute("/v1/context", context), DirectRoute("/v1/boom", boom)]
    app.state.seen = seen
    return app


async def _client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=AUTH) as client:
        yield client


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async for made in _client(_app()):
        yield made


async def test_the_context_is_one_typed_object_with_the_caller() -> None:
    app = _app()
    async for client in _client(app):
        response = await client.get("/v1/context", headers={"openai-organization": "org-1", "openai-project": "p"})
    assert response.json() == {"caller": ["sk-edge-test-0000", "org-1", "p"]}
    (context,) = app.state.seen
    assert context.state is app.state.mockapi and context.served.path == "/v1/context"


async def test_every_answer_carries_openais_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/models", headers={"openai-organization": "org-9", "openai-project": "proj_9"})
    assert response.headers["x-request-id"].startswith("req_") and response.headers["openai-version"] == "2020-10-01"
    assert response.headers["openai-organization"] == "org-9" and "openai-processing-ms" in response.headers
    assert response.headers["openai-project"] == "proj_9"
    assert response.headers["x-ratelimit-limit-requests"] == "3500"
    missing = await client.get("/v1/nowhere")
    assert missing.status_code == 404 and missing.headers["openai-version"] == "2020-10-01"
    assert missing.json()["error"]["message"] == "Invalid URL (GET /v1/nowhere)"


async def test_a_v1_request_needs_a_key_but_a_public_link_does_not(client: httpx.AsyncClient) -> None:
    refused = await client.get("/v1/models", headers={"authorization": ""})
    assert refused.status_code == 401 and "didn't provide an API key" in refused.json()["error"]["message"]
    link = await client.get("/v1/images/files/img-none.png", headers={"authorization": ""})
    assert link.status_code == 404 and "does not exist or its link has expired" in link.json()["error"]["message"]


def test_public_paths_and_body_limits_come_from_the_declarations() -> None:
    settings = Settings(max_body_bytes=2048, max_file_bytes=10_000)
    table = RouteTable(resource_routes(), settings)
    assert table.public_prefixes == ("/v1/images/files/",)
    assert table.body_rule("POST", "/v1/chat/completions").limit == 2048
    assert table.body_rule("POST", "/v1/files").limit == 10_000 + 1024 * 1024  # the file plus its multipart
    assert table.body_rule("GET", "/v1/files").limit == 2048
    audio = table.body_rule("POST", "/v1/audio/transcriptions")
    assert audio.limit == 2048 and "Maximum content size limit" in audio.too_large(4096).message


async def test_a_declared_body_over_the_limit_is_refused_before_it_is_read() -> None:
    async for client in _client(_app(Settings(max_body_bytes=1024))):
        chat = await client.post("/v1/chat/completions", content=b"x" * 2000)
        audio = await client.post("/v1/audio/translations", content=b"x" * 2000)
    assert chat.status_code == 413 and chat.json()["error"]["message"].endswith("maximum size is 1024 bytes.")
    assert audio.status_code == 413 and "(2000 bytes read)" in audio.json()["error"]["message"]


async def test_an_unexpected_failure_is_a_500_without_detail(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/boom")
    assert response.status_code == 500 and "secret" not in response.text
    assert response.json()["error"]["type"] == "server_error" and "x-request-id" in response.headers


async def test_the_journal_keeps_the_served_exchange() -> None:
    app = _app()
    state = app.state.mockapi
    async for client in _client(app):
        await client.post("/v1/embeddings", json={"model": "text-embedding-ada-002", "input": "hi"})
        await client.post("/v1/embeddings", json={"model": "text-embedding-ada-002"}, params={"q": "1"})
    ok, refused = state.journal.entries()
    assert (ok.method, ok.path, ok.status, ok.body["input"]) == ("POST", "/v1/embeddings", 200, "hi")
    assert (refused.status, refused.query, refused.body) == (400, "q=1", {"model": "text-embedding-ada-002"})
    assert ok.headers["authorization"] == "Bearer sk-edge-*****0000" and ok.duration_ms > 0


async def test_the_control_api_is_not_journaled_nor_authenticated(client: httpx.AsyncClient) -> None:
    assert (await client.get("/__mockapi/requests", headers={"authorization": ""})).json()["data"] == []
