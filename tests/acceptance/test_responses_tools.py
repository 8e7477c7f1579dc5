"""Hosted tools, conversations, fixture rules and faults on the Responses API, through the SDK."""

from __future__ import annotations

import io
import json
import time
from typing import Any

import openai
import pytest

from mockapi.pytest_plugin import Mockapi
from mockapi.vector_stores import VectorStores

FILES = {
    "volcanoes.txt": "Volcanoes form where magma from the mantle rises through the crust. When pressure from "
    "dissolved gases builds up, the magma erupts as lava, ash and volcanic bombs.",
    "bread.txt": "Baking bread starts with flour, water, salt and yeast. Kneading the dough develops gluten, "
    "which traps the carbon dioxide the yeast makes, so the loaf rises.",
    "chess.txt": "Chess openings set up the middlegame. The Sicilian Defence answers 1.e4 with c5; the Queen's "
    "Gambit offers a pawn to gain central control.",
}
WEATHER_TOOL: Any = {
    "type": "function",
    "name": "get_weather",
    "description": "Get the current weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def vector_store_of_three(mockapi: Mockapi, client: openai.OpenAI) -> tuple[str, dict[str, str]]:
    """Three text files about different subjects, stored for the client's key, in one vector store,
    ingested (through the server's own stores: the file and vector store routes are another resource's)."""
    owner, now = f"key:{client.api_key}", int(mockapi.state.seeding.clock.time())
    files = mockapi.state.files
    ids = {name: files.add(owner, name, "assistants", now, io.BytesIO(text.encode()), len(text)).id
           for name, text in FILES.items()}  # fmt: skip
    library = VectorStores(mockapi.state, owner)
    store = library.create({"name": "topics"}, [], (800, 400))
    for file_id in ids.values():
        library.attach(store["id"], file_id, (800, 400), {})
    mockapi.advance(60)
    return store["id"], ids


def file_search(
    client: openai.OpenAI, store_id: str, question: str, model: str = "gpt-4o", *, results: bool = True
) -> Any:
    """A response to `question` with file_search over the store (its results included unless `results` is
    False)."""
    included: Any = {"include": ["file_search_call.results"]} if results else {}
    tools: Any = [{"type": "file_search", "vector_store_ids": [store_id]}]
    return client.responses.create(model=model, input=question, tools=tools, **included)


def test_file_search_cites_the_file_about_the_question(mockapi: Mockapi) -> None:
    client = mockapi.openai_client()
    store_id, ids = vector_store_of_three(mockapi, client)
    response = file_search(client, store_id, "How does magma erupt from a volcano?")
    call, message = response.output
    assert call.type == "file_search_call" and call.status == "completed"
    assert call.queries and "magma" in call.queries[0]
    assert call.results is not None and call.results[0].file_id == ids["volcanoes.txt"]
    assert call.results[0].filename == "volcanoes.txt"
    assert response.output_text.startswith('According to volcanoes.txt: "Volcanoes form where magma')
    citation = message.content[0].annotations[0]
    assert citation.type == "file_citation" and citation.file_id == ids["volcanoes.txt"]
    without = file_search(client, store_id, "How does magma erupt from a volcano?", results=False)
    assert without.output[0].results is None  # only when included
    again = client.responses.retrieve(without.id, include=["file_search_call.results"])
    assert again.output[0].results is not None and again.output[0].results[0].file_id == ids["volcanoes.txt"]


def test_file_search_over_files_uploaded_through_the_sdk(mockapi: Mockapi) -> None:
    client = mockapi.openai_client()
    ids = {
        name: client.files.create(file=(name, text.encode()), purpose="assistants").id for name, text in FILES.items()
    }
    store = client.vector_stores.create(name="topics", file_ids=list(ids.values()))
    assert store.status == "in_progress"
    mockapi.advance(60)
    assert client.vector_stores.retrieve(store.id).file_counts.completed == 3
    assert next(iter(client.vector_stores.search(store.id, query="sourdough loaf"))).file_id == ids["bread.txt"]
    response = file_search(client, store.id, "Which chess opening answers 1.e4 with c5?", "gpt-4.1-mini", results=False)
    call, message = response.output
    assert call.type == "file_search_call" and call.status == "completed"
    citation = message.content[0].annotations[0]
    assert citation.type == "file_citation" and citation.file_id == ids["chess.txt"]
    assert citation.filename == "chess.txt" and "chess.txt" in response.output_text


def test_an_upload_deleted_from_the_files_store_is_no_longer_searched(mockapi: Mockapi) -> None:
    client = mockapi.openai_client()
    store_id, ids = vector_store_of_three(mockapi, client)
    assert client.files.delete(ids["volcanoes.txt"]).deleted is True
    response = file_search(client, store_id, "How does magma erupt from a volcano?")
    call, message = response.output
    assert call.results is not None and len(call.results) == 2
    assert ids["volcanoes.txt"] not in {result.file_id for result in call.results}
    assert ids["volcanoes.txt"] not in {a.file_id for a in message.content[0].annotations if a.type == "file_citation"}
    assert "Volcanoes form" not in response.output_text
    assert {f.id for f in client.vector_stores.files.list(store_id)} == {ids["bread.txt"], ids["chess.txt"]}
    assert client.vector_stores.retrieve(store_id).file_counts.total == 2
    searched = client.vector_stores.search(store_id, query="volcano magma lava")
    assert ids["volcanoes.txt"] not in {result.file_id for result in searched}


def test_web_search_answers_with_a_cited_source(mockapi: Mockapi) -> None:
    client = mockapi.openai_client()
    response = client.responses.create(
        model="gpt-4.1", input="Search the web for news about tidal energy", tools=[{"type": "web_search"}]
    )
    call, message = response.output
    assert call.type == "web_search_call" and call.action.type == "search"
    assert "tidal energy" in response.output_text
    (citation,) = message.content[0].annotations
    assert citation.type == "url_citation" and citation.url.startswith("https://www.example.com/")
    assert response.output_text[citation.start_index : citation.end_index].startswith("Recent coverage")


def test_code_interpreter_computes_the_expression(mockapi: Mockapi) -> None:
    client = mockapi.openai_client()
    response = client.responses.create(
        model="gpt-4o",
        input="Use python to calculate (17 + 4) * 23",
        tools=[{"type": "code_interpreter", "container": {"type": "auto"}}],
        include=["code_interpreter_call.outputs"],
    )
    call = response.output[0]
    assert call.type == "code_interpreter_call" and call.container_id.startswith("cntr_")
    assert call.outputs is not None and call.outputs[0].logs == "483\n"
    assert response.output_text == "The result of (17 + 4) * 23 is 483."


def test_a_model_without_hosted_tools_refuses_them(mockapi: Mockapi) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        mockapi.openai_client().responses.create(model="gpt-3.5-turbo", input="hi", tools=[{"type": "web_search"}])
    assert caught.value.body == {
        "message": "Hosted tool 'web_search' is not supported with gpt-3.5-turbo.",
        "type": "invalid_request_error",
        "param": "tools[0].type",
        "code": None,
    }


def test_a_conversation_carries_the_thread(mockapi: Mockapi) -> None:
    client = mockapi.openai_client()
    conversation = client.conversations.create(items=[{"role": "user", "content": "My name is Ada."}])
    first = client.responses.create(model="gpt-4o", input="What is my name?", conversation=conversation.id)
    assert first.conversation is not None and first.conversation.id == conversation.id
    listed = client.conversations.items.list(conversation.id, order="asc")
    assert [(item.type, item.role) for item in listed.data] == [  # type: ignore[union-attr]
        ("message", "user"),
        ("message", "user"),
        ("message", "assistant"),
    ]
    assert listed.data[2].id == first.output[0].id
    second = client.responses.create(model="gpt-4o", input="And again?", conversation=conversation.id)
    assert first.usage is not None and second.usage is not None
    assert second.usage.input_tokens > first.usage.input_tokens + first.usage.output_tokens
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model="gpt-4o", input="x", conversation="conv_unknown")


def test_a_rule_answers_the_responses_endpoint_by_instructions(mockapi: Mockapi) -> None:
    mockapi.add_rule(
        match={"endpoint": "responses", "system": {"contains": "pirate"}, "contains": "hello"},
        respond={"content": "Ahoy, matey!"},
    )
    client = mockapi.openai_client()
    said = client.responses.create(model="gpt-4o", input="hello there", instructions="Talk like a pirate.")
    assert said.output_text == "Ahoy, matey!"
    assert said.usage is not None and said.usage.output_tokens > 0
    other = client.responses.create(model="gpt-4o", input="hello there")
    assert other.output_text != "Ahoy, matey!"


def test_rules_drive_a_tool_loop_by_tool_calls_and_tool_results(mockapi: Mockapi) -> None:
    mockapi.add_rule(
        match={"endpoint": "responses", "tools": ["get_weather"], "has_tool_result": False},
        respond={"tool_calls": [{"name": "get_weather", "arguments": {"city": "Reykjavik"}}]},
    )
    mockapi.add_rule(
        match={"endpoint": "responses", "tool_result": {"name": "get_weather", "contains": "snow"}},
        respond={"content": "Bring a coat: it is snowing."},
    )
    client = mockapi.openai_client()
    first = client.responses.create(model="gpt-4o", input="Anything to plan for?", tools=[WEATHER_TOOL])
    (call,) = first.output
    assert call.type == "function_call" and json.loads(call.arguments) == {"city": "Reykjavik"}
    result: Any = [{"type": "function_call_output", "call_id": call.call_id, "output": "snow, -2C"}]
    second = client.responses.create(model="gpt-4o", previous_response_id=first.id, input=result, tools=[WEATHER_TOOL])
    assert second.output_text == "Bring a coat: it is snowing."


def test_a_rule_error_on_a_stream_arrives_as_error_events(mockapi: Mockapi) -> None:
    mockapi.add_rule(match={"endpoint": "responses"}, respond={"error": "server_error"})
    client = mockapi.openai_client()
    with pytest.raises(openai.InternalServerError):
        client.responses.create(model="gpt-4o", input="hi")
    events = list(client.responses.create(model="gpt-4o", input="hi", stream=True))
    assert [event.type for event in events] == ["response.created", "response.in_progress", "error", "response.failed"]
    assert events[2].code is None and events[2].message.startswith("The server had an error")
    assert events[3].response.status == "failed" and events[3].response.error is not None
    assert events[3].response.error.code == "server_error"


def test_disconnect_after_chunks_cuts_the_event_stream(mockapi: Mockapi) -> None:
    mockapi.add_rule(match={"endpoint": "responses"}, respond={"disconnect_after_chunks": 3})
    seen = []
    with pytest.raises(openai.APIConnectionError):
        for event in mockapi.openai_client().responses.create(model="gpt-4o", input="hi", stream=True):
            seen.append(event.type)
    assert seen == ["response.created", "response.in_progress", "response.output_item.added"]


def test_pacing_applies_to_the_event_stream(mockapi: Mockapi) -> None:
    mockapi.add_rule(match={"endpoint": "responses"}, respond={"ttft_ms": 300, "tokens_per_second": 100})
    started = time.monotonic()
    events = list(mockapi.openai_client().responses.create(model="gpt-4o", input="hi", stream=True))
    elapsed = time.monotonic() - started
    assert elapsed >= 0.3 + (len(events) - 1) * 0.01 * 0.9
    assert events[-1].type == "response.completed"
