"""POST /v1/responses and the stored responses, through the official SDK against a real server."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest
from pydantic import BaseModel

from mockapi.pytest_plugin import Mockapi
from mockapi.tokens import tokenizer_for

O200K = tokenizer_for("o200k_base")
WEATHER_TOOL: Any = {
    "type": "function",
    "name": "get_weather",
    "description": "Get the current weather for a city",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    "strict": True,
}


def prompt_tokens(*messages: tuple[str, str]) -> int:
    """Today's published accounting, written out: 3 to prime the reply, 3 per message plus its role and text."""
    return 3 + sum(3 + O200K.count(role) + O200K.count(text) for role, text in messages)


def test_a_string_input_with_instructions_answers_text_with_exact_usage(mockapi: Mockapi) -> None:
    client = mockapi.openai_client()
    response = client.responses.create(model="gpt-4o", input="Tell me about tides.", instructions="Be brief.")
    assert response.id.startswith("resp_") and response.object == "response"
    assert response.status == "completed" and response.error is None
    (message,) = response.output
    assert message.type == "message" and message.id.startswith("msg_") and message.role == "assistant"
    assert response.output_text == message.content[0].text and response.output_text
    usage = response.usage
    assert usage is not None
    assert usage.input_tokens == prompt_tokens(("developer", "Be brief."), ("user", "Tell me about tides."))
    assert usage.output_tokens == O200K.count(response.output_text)
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens
    assert usage.output_tokens_details.reasoning_tokens == 0
    assert response.instructions == "Be brief." and response.model == "gpt-4o"


def test_the_same_request_gives_the_same_text(mockapi: Mockapi) -> None:
    client = mockapi.openai_client()
    first = client.responses.create(model="gpt-4o-mini", input="Describe a lighthouse.")
    again = client.responses.create(model="gpt-4o-mini", input="Describe a lighthouse.")
    assert first.output_text == again.output_text and first.id != again.id


def test_item_input_with_roles_and_parts(mockapi: Mockapi) -> None:
    client = mockapi.openai_client()
    items: Any = [
        {"role": "developer", "content": "Answer in one line."},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Name a planet."}]},
        {"role": "assistant", "content": "Mars."},
        {"role": "user", "content": [{"type": "input_text", "text": "Another one?"}]},
    ]
    response = client.responses.create(model="gpt-4.1", input=items)
    assert response.status == "completed" and response.output_text
    expected = prompt_tokens(
        ("developer", "Answer in one line."),
        ("user", "Name a planet."),
        ("assistant", "Mars."),
        ("user", "Another one?"),
    )
    assert response.usage is not None and response.usage.input_tokens == expected


def test_the_sdk_stream_helpers_add_up_to_the_answer(mockapi: Mockapi) -> None:
    client = mockapi.openai_client()
    whole = client.responses.create(model="gpt-4o", input="Tell me a story about a fox.")
    deltas: list[str] = []
    numbers: list[int] = []
    with client.responses.stream(model="gpt-4o", input="Tell me a story about a fox.") as stream:
        for event in stream:
            numbers.append(event.sequence_number)
            if event.type == "response.output_text.delta":
                deltas.append(event.delta)
        final = stream.get_final_response()
    assert numbers == list(range(len(numbers)))
    assert "".join(deltas) == whole.output_text == final.output_text
    assert final.usage == whole.usage and final.status == "completed"


def test_the_stream_names_each_event_on_an_event_line(mockapi: Mockapi) -> None:
    body = {"model": "gpt-4o", "input": "hi", "stream": True}
    headers = {"Authorization": f"Bearer {mockapi.openai_client().api_key}"}
    with httpx.stream("POST", mockapi.base_url + "/responses", json=body, headers=headers) as answer:
        text = answer.read().decode()
    assert answer.headers["content-type"].startswith("text/event-stream")
    blocks = [block for block in text.split("\n\n") if block.strip()]
    for block in blocks:
        event_line, data_line = block.split("\n")
        assert event_line.removeprefix("event: ") == json.loads(data_line.removeprefix("data: "))["type"]
    assert blocks[0].startswith("event: response.created") and blocks[-1].startswith("event: response.completed")
    assert "[DONE]" not in text


class Person(BaseModel):
    name: str
    age: int


def test_parse_gives_the_pydantic_model(mockapi: Mockapi) -> None:
    client = mockapi.openai_client()
    parsed = client.responses.parse(model="gpt-4o", input="Ada is 36 years old.", text_format=Person)
    person = parsed.output_parsed
    assert isinstance(person, Person)
    assert person.name == "Ada" and person.age == 36


def test_a_function_tool_round_trip_continued_with_previous_response_id(mockapi: Mockapi) -> None:
    client = mockapi.openai_client()
    first = client.responses.create(model="gpt-4o", input="What is the weather in Lisbon?", tools=[WEATHER_TOOL])
    (call,) = first.output
    assert call.type == "function_call" and call.id.startswith("fc_") and call.call_id.startswith("call_")
    assert json.loads(call.arguments) == {"city": "Lisbon"} and call.name == "get_weather"
    assert first.output_text == ""
    result: Any = [{"type": "function_call_output", "call_id": call.call_id, "output": "Sunny, 22C"}]
    second = client.responses.create(model="gpt-4o", previous_response_id=first.id, input=result, tools=[WEATHER_TOOL])
    assert second.output_text == "According to get_weather: Sunny, 22C"
    assert second.previous_response_id == first.id
    # The earlier input and output count as input tokens.
    assert first.usage is not None and second.usage is not None
    assert second.usage.input_tokens > first.usage.input_tokens + first.usage.output_tokens - 3


def test_a_function_output_must_answer_a_call(mockapi: Mockapi) -> None:
    client = mockapi.openai_client()
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(
            model="gpt-4o", input=[{"type": "function_call_output", "call_id": "call_nope", "output": "x"}]
        )
    assert caught.value.body == {
        "message": "No tool call found for function call output with call_id call_nope.",
        "type": "invalid_request_error",
        "param": "input",
        "code": None,
    }


def test_retrieve_delete_and_the_real_404(mockapi: Mockapi) -> None:
    client = mockapi.openai_client()
    made = client.responses.create(model="gpt-4o", input="hello", metadata={"run": "1"})
    found = client.responses.retrieve(made.id)
    assert found.model_dump() == made.model_dump()
    assert found.metadata == {"run": "1"}
    client.responses.delete(made.id)
    with pytest.raises(openai.NotFoundError) as caught:
        client.responses.retrieve(made.id)
    assert caught.value.body == {
        "message": f"Response with id '{made.id}' not found.",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }


def test_another_owners_response_is_unknown(mockapi: Mockapi) -> None:
    mine = mockapi.openai_client().responses.create(model="gpt-4o", input="hello")
    theirs = mockapi.openai_client(api_key="sk-someone-else-000000000000")
    with pytest.raises(openai.NotFoundError):
        theirs.responses.retrieve(mine.id)
    with pytest.raises(openai.BadRequestError) as caught:
        theirs.responses.create(model="gpt-4o", input="more", previous_response_id=mine.id)
    assert caught.value.code == "previous_response_not_found"
    assert caught.value.param == "previous_response_id"
    assert caught.value.body["message"] == f"Previous response with id '{mine.id}' not found."  # type: ignore[index]


def test_store_false_keeps_nothing(mockapi: Mockapi) -> None:
    client = mockapi.openai_client()
    made = client.responses.create(model="gpt-4o", input="hello", store=False)
    assert made.store is False
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(made.id)
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model="gpt-4o", input="again", previous_response_id=made.id)
    assert caught.value.code == "previous_response_not_found"


def test_input_items_page_by_cursor(mockapi: Mockapi) -> None:
    client = mockapi.openai_client()
    items: Any = [{"role": "user", "content": f"message {n}"} for n in range(5)]
    made = client.responses.create(model="gpt-4o", input=items)
    first = client.responses.input_items.list(made.id, limit=2)
    assert [item.content[0].text for item in first.data] == ["message 4", "message 3"]  # newest first
    assert first.has_more is True and first.first_id == first.data[0].id
    rest = client.responses.input_items.list(made.id, limit=10, after=first.last_id)
    assert [item.content[0].text for item in rest.data] == ["message 2", "message 1", "message 0"]
    assert rest.has_more is False
    every = [item.id for item in client.responses.input_items.list(made.id, order="asc")]
    assert len(set(every)) == 5 and all(item_id.startswith("msg_") for item_id in every)


def test_a_background_response_completes_on_the_clock(mockapi: Mockapi) -> None:
    client = mockapi.openai_client()
    queued = client.responses.create(model="gpt-4o", input="Write about rivers.", background=True)
    assert queued.status == "queued" and queued.background is True and queued.output == []
    mockapi.advance(1.5)
    assert client.responses.retrieve(queued.id).status == "in_progress"
    mockapi.advance(600)
    done = client.responses.retrieve(queued.id)
    assert done.status == "completed" and done.output_text
    assert done.output_text == client.responses.create(model="gpt-4o", input="Write about rivers.").output_text


def test_a_background_response_is_cancelled_while_it_runs(mockapi: Mockapi) -> None:
    client = mockapi.openai_client()
    queued = client.responses.create(model="gpt-4o", input="Write about rivers.", background=True)
    cancelled = client.responses.cancel(queued.id)
    assert cancelled.status == "cancelled"
    mockapi.advance(600)
    assert client.responses.retrieve(queued.id).status == "cancelled"
    with pytest.raises(openai.BadRequestError):
        client.responses.cancel(client.responses.create(model="gpt-4o", input="hi").id)


def test_max_output_tokens_gives_incomplete(mockapi: Mockapi) -> None:
    client = mockapi.openai_client()
    response = client.responses.create(model="gpt-4o", input="Tell me a long story.", max_output_tokens=16)
    assert response.status == "incomplete"
    assert response.incomplete_details is not None and response.incomplete_details.reason == "max_output_tokens"
    assert response.usage is not None and response.usage.output_tokens == 16
    assert O200K.count(response.output_text) <= 16 and response.output[0].status == "incomplete"


def test_a_reasoning_model_spends_reasoning_tokens_and_summarises(mockapi: Mockapi) -> None:
    client = mockapi.openai_client()
    response = client.responses.create(
        model="o4-mini", input="Why is the sky blue?", reasoning={"effort": "low", "summary": "auto"}
    )
    reasoning, message = response.output
    assert reasoning.type == "reasoning" and reasoning.id.startswith("rs_")
    assert reasoning.summary and "sky blue" in reasoning.summary[0].text
    assert response.usage is not None
    hidden = response.usage.output_tokens_details.reasoning_tokens
    assert hidden > 0 and hidden % 64 == 0
    assert response.usage.output_tokens == hidden + O200K.count(message.content[0].text)
    assert response.reasoning is not None and response.reasoning.effort == "low"


def test_a_stored_response_replays_its_events_after_a_sequence_number(mockapi: Mockapi) -> None:
    client = mockapi.openai_client()
    with client.responses.stream(model="gpt-4o", input="Say something.") as stream:
        streamed = [event.type for event in stream]
        final = stream.get_final_response()
    headers = {"Authorization": f"Bearer {client.api_key}"}
    url = f"{mockapi.base_url}/responses/{final.id}"
    with httpx.stream("GET", url, params={"stream": "true", "starting_after": 3}, headers=headers) as answer:
        replayed = [json.loads(line[6:]) for line in answer.iter_lines() if line.startswith("data: ")]
    assert [event["sequence_number"] for event in replayed] == list(range(4, len(streamed)))
    assert [event["type"] for event in replayed] == streamed[4:]
    assert replayed[-1]["response"]["output"][0]["content"][0]["text"] == final.output_text


def test_input_tokens_counts_exactly(mockapi: Mockapi) -> None:
    client = mockapi.openai_client()
    counted = client.responses.input_tokens.count(
        model="gpt-4o", input="Tell me about tides.", instructions="Be brief."
    )
    assert counted.object == "response.input_tokens"
    assert counted.input_tokens == prompt_tokens(("developer", "Be brief."), ("user", "Tell me about tides."))
    made = client.responses.create(model="gpt-4o", input="Tell me about tides.", instructions="Be brief.")
    assert made.usage is not None and made.usage.input_tokens == counted.input_tokens


def test_truncation_auto_drops_the_oldest_context_to_fit_the_window(mockapi: Mockapi) -> None:
    client = mockapi.openai_client()
    first = client.responses.create(model="gpt-3.5-turbo", input="tide " * 3000, max_output_tokens=16)
    follow = {"model": "gpt-3.5-turbo", "input": "moon " * 1500, "previous_response_id": first.id}
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(**follow)
    assert (caught.value.code, caught.value.param) == ("context_length_exceeded", "input")
    fitted = client.responses.create(**follow, truncation="auto", max_output_tokens=16)
    assert fitted.usage is not None and fitted.usage.input_tokens < 4096 - 16
    assert fitted.truncation == "auto"
