"""Every 2xx body of the Responses and Conversations APIs, and every streamed event, against the current spec."""

from __future__ import annotations

import io
import json
from functools import cache
from typing import Any

import httpx
import pytest

from mockapi.pytest_plugin import Mockapi
from mockapi.vector_stores import VectorStores
from tests.contract import current_spec

WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Get the weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
PERSON = {
    "type": "json_schema",
    "name": "person",
    "strict": True,
    "schema": {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
        "additionalProperties": False,
    },
}
REQUESTS: dict[str, dict[str, Any]] = {
    "text": {"model": "gpt-4o", "input": "Tell me about tides.", "instructions": "Be brief.", "metadata": {"a": "b"}},
    "function call": {"model": "gpt-4o", "input": "What is the weather in Paris?", "tools": [WEATHER_TOOL]},
    "reasoning": {"model": "o3", "input": "Why?", "reasoning": {"effort": "low", "summary": "detailed"}},
    "encrypted reasoning": {
        "model": "gpt-5",
        "input": "Hi",
        "store": False,
        "include": ["reasoning.encrypted_content"],
    },
    "json schema": {"model": "gpt-4o", "input": "Ada is 36.", "text": {"format": PERSON}},
    "incomplete": {"model": "gpt-4o", "input": "A long story please.", "max_output_tokens": 16},
    "logprobs": {"model": "gpt-4o", "input": "Hi", "include": ["message.output_text.logprobs"], "top_logprobs": 2},
    "web search": {
        "model": "gpt-4o",
        "input": "Search the web for news about tides",
        "tools": [{"type": "web_search"}],
        "include": ["web_search_call.action.sources"],
    },
    "file search": {
        "model": "gpt-4o",
        "input": "What do my files say about refunds?",
        "tools": [{"type": "file_search", "vector_store_ids": []}],  # the test's own store
        "include": ["file_search_call.results"],
    },
    "code interpreter": {
        "model": "gpt-4o",
        "input": "Calculate 12 * 7 in python",
        "tools": [{"type": "code_interpreter", "container": {"type": "auto"}}],
        "include": ["code_interpreter_call.outputs"],
    },
}


@cache
def event_components() -> dict[str, str]:
    """The spec's component of each streamed event, by its `type`."""
    components = current_spec.spec()["components"]["schemas"]
    found = {}
    for ref in components["ResponseStreamEvent"]["anyOf"]:
        name = ref["$ref"].rsplit("/", 1)[1]
        found[components[name]["properties"]["type"]["enum"][0]] = name
    return found


def check_event(event: dict[str, Any]) -> None:
    current_spec.check_component(event_components()[event["type"]], event)


@pytest.fixture
def http(mockapi: Mockapi) -> httpx.Client:
    headers = {"Authorization": f"Bearer {mockapi.openai_client().api_key}"}
    return httpx.Client(base_url=mockapi.base_url, headers=headers, timeout=30)


def events_of(http: httpx.Client, method: str, path: str, **options: Any) -> list[dict[str, Any]]:
    with http.stream(method, path, **options) as answer:
        assert answer.status_code == 200
        return [json.loads(line[6:]) for line in answer.iter_lines() if line.startswith("data: ")]


def vector_store(mockapi: Mockapi) -> str:
    """A vector store holding one ingested text file, for the caller's key (made through the server's stores)."""
    owner = f"key:{mockapi.openai_client().api_key}"
    text = b"Refunds are paid within 14 days of a return, to the card used for the purchase."
    stored = mockapi.state.files.add(owner, "refunds.txt", "assistants", 0, io.BytesIO(text), len(text))
    library = VectorStores(mockapi.state, owner)
    store = library.create({"name": "policies"}, [], (800, 400))
    library.attach(store["id"], stored.id, (800, 400), {})
    mockapi.advance(60)
    return str(store["id"])


@pytest.mark.parametrize("kind", list(REQUESTS))
def test_a_response_and_its_events_match_the_spec(http: httpx.Client, mockapi: Mockapi, kind: str) -> None:
    request = REQUESTS[kind]
    if kind == "file search":
        request = {**request, "tools": [{"type": "file_search", "vector_store_ids": [vector_store(mockapi)]}]}
    body = http.post("/responses", json=request)
    assert body.status_code == 200, body.text
    current_spec.check("/responses", "post", body.json())
    events = events_of(http, "POST", "/responses", json={**request, "stream": True})
    for event in events:
        check_event(event)
    assert events[-1]["response"]["output"][-1]["type"] == body.json()["output"][-1]["type"]


def test_stored_responses_match_the_spec(http: httpx.Client, mockapi: Mockapi) -> None:
    made = http.post("/responses", json=REQUESTS["function call"]).json()
    current_spec.check("/responses/{response_id}", "get", http.get(f"/responses/{made['id']}").json())
    items = http.get(f"/responses/{made['id']}/input_items").json()
    current_spec.check("/responses/{response_id}/input_items", "get", items)
    call = made["output"][0]
    output = {"type": "function_call_output", "call_id": call["call_id"], "output": "Sunny"}
    follow = {"model": "gpt-4o", "previous_response_id": made["id"], "input": [output], "tools": [WEATHER_TOOL]}
    second = http.post("/responses", json=follow).json()
    current_spec.check("/responses", "post", second)
    second_items = http.get(f"/responses/{second['id']}/input_items").json()
    current_spec.check("/responses/{response_id}/input_items", "get", second_items)
    for event in events_of(http, "GET", f"/responses/{second['id']}", params={"stream": "true"}):
        check_event(event)
    queued = http.post("/responses", json={**REQUESTS["text"], "background": True}).json()
    current_spec.check("/responses", "post", queued)
    current_spec.check("/responses/{response_id}/cancel", "post", http.post(f"/responses/{queued['id']}/cancel").json())
    finished = http.post("/responses", json={**REQUESTS["text"], "background": True}).json()
    mockapi.advance(600)
    current_spec.check("/responses/{response_id}", "get", http.get(f"/responses/{finished['id']}").json())
    for event in events_of(http, "POST", "/responses", json={**REQUESTS["text"], "background": True, "stream": True}):
        check_event(event)


def test_input_tokens_matches_the_spec(http: httpx.Client) -> None:
    counted = http.post("/responses/input_tokens", json={"model": "gpt-4o", "input": "hi"}).json()
    current_spec.check("/responses/input_tokens", "post", counted)


def test_conversations_match_the_spec(http: httpx.Client) -> None:
    made = http.post("/conversations", json={"metadata": {"k": "v"}, "items": [{"role": "user", "content": "hi"}]})
    current_spec.check("/conversations", "post", made.json())
    conversation_id = made.json()["id"]
    current_spec.check("/conversations/{conversation_id}", "get", http.get(f"/conversations/{conversation_id}").json())
    updated = http.post(f"/conversations/{conversation_id}", json={"metadata": {"k": "w"}}).json()
    current_spec.check("/conversations/{conversation_id}", "post", updated)
    http.post("/responses", json={"model": "gpt-4o", "input": "More?", "conversation": conversation_id})
    added = http.post(f"/conversations/{conversation_id}/items", json={"items": [{"role": "user", "content": "x"}]})
    current_spec.check("/conversations/{conversation_id}/items", "post", added.json())
    listed = http.get(f"/conversations/{conversation_id}/items").json()
    assert len(listed["data"]) == 4
    current_spec.check("/conversations/{conversation_id}/items", "get", listed)
    deleted = http.delete(f"/conversations/{conversation_id}").json()
    current_spec.check("/conversations/{conversation_id}", "delete", deleted)


def test_a_failed_stream_matches_the_spec(http: httpx.Client, mockapi: Mockapi) -> None:
    mockapi.add_rule(match={"endpoint": "responses"}, respond={"error": "server_error"})
    events = events_of(http, "POST", "/responses", json={**REQUESTS["text"], "stream": True})
    assert [event["type"] for event in events][-2:] == ["error", "response.failed"]
    for event in events:
        check_event(event)
