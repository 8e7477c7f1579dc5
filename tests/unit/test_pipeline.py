"""The pipeline, in process: the endpoint a route declares, rules and their faults, the limiter's admission
and settlement, and what it all leaves in the served exchange (journal and headers)."""

from __future__ import annotations

import gc
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from mockapi import endpoints, registry
from mockapi.app import create_app
from mockapi.fixtures import Rule
from mockapi.registry import RegistryError
from mockapi.routing import DirectRoute, Resource
from mockapi.settings import Settings
from mockapi.state import AppState

AUTH = {"authorization": "Bearer sk-pipeline-0000"}
CHAT = {"model": "gpt-3.5-turbo", "messages": [{"role": "user", "content": "Hello there"}], "max_tokens": 5}
EMBED = {"model": "text-embedding-ada-002", "input": "hi"}


async def _client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=AUTH) as client:
        yield client


def _state(app: FastAPI) -> AppState:
    state: AppState = app.state.mockapi
    return state


def _add(app: FastAPI, **rule: Any) -> None:
    _state(app).rules.add(Rule.model_validate(rule))


async def test_rules_match_the_endpoint_the_route_declares() -> None:
    app = create_app(Settings())
    _add(app, id="embedding-rule", match={"endpoint": "embeddings"}, respond={"embedding": [0.5, 0.25]})
    async for client in _client(app):
        ruled = (await client.post("/v1/embeddings", json=EMBED)).json()
        chat = await client.post("/v1/chat/completions", json=CHAT)
    assert ruled["data"][0]["embedding"] == [0.5, 0.25] and chat.status_code == 200
    embedded, chatted = _state(app).journal.entries()
    assert (embedded.rule_id, chatted.rule_id) == ("embedding-rule", None)


async def test_a_rules_fault_is_journaled_by_name() -> None:
    app = create_app(Settings())
    _add(app, id="broken", match={"endpoint": "models"}, respond={"error": "server_error", "headers": {"x-r": "1"}})
    async for client in _client(app):
        response = await client.get("/v1/models")
    assert response.status_code == 500 and response.headers["x-r"] == "1"
    entry = _state(app).journal.entries()[-1]
    assert (entry.status, entry.rule_id, entry.fault) == (500, "broken", "error")


async def test_a_rules_body_answers_instead_of_the_generator() -> None:
    app = create_app(Settings())
    _add(app, match={"endpoint": "chat.completions"}, respond={"body": {"fixed": 1}, "status": 202})
    async for client in _client(app):
        response = await client.post("/v1/chat/completions", json=CHAT)
    assert (response.status_code, response.json()) == (202, {"fixed": 1}) and "openai-model" not in response.headers


async def test_a_rules_headers_go_on_the_generated_answer() -> None:
    app = create_app(Settings())
    _add(app, match={"endpoint": "chat.completions"}, respond={"headers": {"x-ruled": "yes"}})
    async for client in _client(app):
        response = await client.post("/v1/chat/completions", json=CHAT)
    assert response.headers["x-ruled"] == "yes" and response.headers["openai-model"] == "gpt-3.5-turbo"


async def test_the_limiter_refuses_over_the_limit_and_the_journal_says_rate_limit() -> None:
    app = create_app(Settings(rpm=1))
    async for client in _client(app):
        first = await client.post("/v1/embeddings", json=EMBED)
        second = await client.post("/v1/embeddings", json=EMBED)
    assert first.headers["x-ratelimit-remaining-requests"] == "0" and first.headers["x-ratelimit-limit-requests"] == "1"
    assert second.status_code == 429 and second.json()["error"]["code"] == "rate_limit_exceeded"
    assert second.headers["x-ratelimit-remaining-requests"] == "0" and int(second.headers["retry-after"]) >= 1
    assert "default-text-embedding-ada-002 in organization org-mockapi" in second.json()["error"]["message"]
    assert [e.fault for e in _state(app).journal.entries()] == [None, "rate_limit"]


async def test_a_rules_own_limits_count_beside_the_servers() -> None:
    app = create_app(Settings())
    _add(app, id="tight", rpm=1, match={"endpoint": "models"})
    async for client in _client(app):
        first = await client.get("/v1/models")
        second = await client.get("/v1/models")
        other = await client.post("/v1/embeddings", json=EMBED)
    assert first.headers["x-ratelimit-limit-requests"] == "1"  # the rule's window
    assert second.status_code == 429 and second.headers["x-ratelimit-limit-requests"] == "1"  # refused in it
    assert other.status_code == 200
    assert other.headers["x-ratelimit-limit-requests"] == "3500"


async def test_the_real_token_count_replaces_the_estimate() -> None:
    app = create_app(Settings(tpm=10_000))
    async for client in _client(app):
        whole = await client.post("/v1/chat/completions", json=CHAT)
        after_whole = int(whole.headers["x-ratelimit-remaining-tokens"])
        streamed = await client.post("/v1/chat/completions", json={**CHAT, "stream": True})
        later = await client.get("/v1/models")
    assert after_whole == 10_000 - whole.json()["usage"]["total_tokens"]
    assert streamed.text.endswith("data: [DONE]\n\n")
    # The stream's headers left before its tokens were known; the next answer shows them settled.
    assert int(later.headers["x-ratelimit-remaining-tokens"]) == after_whole - whole.json()["usage"]["total_tokens"]


def _route(name: str | None) -> DirectRoute:
    resource = Resource("test")

    @resource.get("/test", endpoint=name)
    async def handler(request: Any) -> Any:
        raise AssertionError("not called")

    return resource.routes[0]


def test_a_route_naming_an_unlisted_endpoint_stops_the_app() -> None:
    with pytest.raises(RegistryError, match=re.escape("/v1/test names 'chat.completion'")):
        registry.check([*registry.resource_routes(), _route("chat.completion")])


def test_an_endpoint_without_a_route_stops_the_app() -> None:
    served = [route for route in registry.resource_routes() if route.declared.endpoint != "edits"]
    with pytest.raises(RegistryError, match="no route serves: edits"):
        registry.check(served)


def test_every_listed_endpoint_is_served_busiest_first() -> None:
    named = [route.declared.endpoint for route in registry.resource_routes() if route.declared.endpoint]
    assert list(dict.fromkeys(named)) == list(endpoints.NAMES)


async def _asgi(app: FastAPI, method: str, path: str, body: bytes = b"") -> int:
    """One request straight through the app's ASGI interface (no client library in between)."""
    headers = [(b"authorization", AUTH["authorization"].encode()), (b"content-type", b"application/json")]
    scope = {"type": "http", "method": method, "path": path, "query_string": b"", "headers": headers}
    scope.update({"http_version": "1.1", "scheme": "http", "root_path": "", "server": ("t", 80)})
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return int(sent[0]["status"])


async def test_a_request_leaves_no_reference_cycle_behind() -> None:
    # Objects in cycles wait for the garbage collector, whose runs (and the heap trim after full ones) cost
    # the hot routes a tenth of their throughput.
    app = create_app(Settings())
    chat = json.dumps(CHAT).encode()
    for _ in range(3):
        assert await _asgi(app, "POST", "/v1/chat/completions", chat) == 200
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        assert await _asgi(app, "POST", "/v1/chat/completions", chat) == 200
        assert await _asgi(app, "GET", "/v1/models") == 200
        gc.collect()
        ours = [type(o).__qualname__ for o in gc.garbage if type(o).__module__.startswith("mockapi")]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert ours == []
