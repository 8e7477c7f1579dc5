"""Stream faults and pacing through the official SDK: disconnects, time to first token, tokens per second.

Pacing is checked loosely: the waits the server is told to make are lower bounds of the observed gaps; no
test asserts an upper bound on time.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import openai
import pytest

from mockapi.app import create_app
from mockapi.fixtures import Rule
from mockapi.pytest_plugin import Mockapi, ServerThread
from mockapi.settings import Settings
from tests.fake_endpoints import PREFIX

MODEL = "gpt-3.5-turbo"
WORDS = "one two three four five six"


def stream(mockapi: Mockapi, text: str, **options: Any) -> Any:
    client = mockapi.openai_client(base_url=mockapi.url + PREFIX, **options)
    return client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": text}], stream=True)


def arrival_times(mockapi: Mockapi, text: str) -> tuple[float, list[float], str]:
    started = time.monotonic()
    events = stream(mockapi, text)
    times, content = [], ""
    for chunk in events:
        times.append(time.monotonic())
        content += chunk.choices[0].delta.content or ""
    return started, times, content


def test_disconnect_after_chunks_makes_iteration_raise(mockapi: Mockapi) -> None:
    mockapi.add_rule(match={"contains": "cut"}, respond={"content": WORDS, "disconnect_after_chunks": 3})
    received = []
    with pytest.raises((openai.APIConnectionError, httpx.TransportError)):
        for chunk in stream(mockapi, "cut me"):
            received.append(chunk.choices[0].delta.content)
    assert received == [None, "one", " two"]  # the role delta carries no content
    entry = mockapi.requests.last_request
    assert (entry.status, entry.fault, entry.rule_id) == (200, "disconnect", entry.rule_id)


def test_disconnect_is_visible_on_the_wire(mockapi: Mockapi) -> None:
    mockapi.add_rule(respond={"content": WORDS, "disconnect_after_chunks": 2})
    body = {"model": MODEL, "messages": [{"role": "user", "content": "x"}], "stream": True}
    headers = {"Authorization": f"Bearer {mockapi.api_key}"}
    seen = b""
    with (
        pytest.raises(httpx.RemoteProtocolError),
        httpx.stream("POST", mockapi.url + PREFIX + "/chat/completions", json=body, headers=headers) as response,
    ):
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        for data in response.iter_bytes():
            seen += data
    assert seen.count(b"data: ") == 2 and b"[DONE]" not in seen


def test_disconnect_without_the_rule_completes(mockapi: Mockapi) -> None:
    mockapi.add_rule(match={"contains": "cut"}, respond={"disconnect_after_chunks": 1})
    chunks = list(stream(mockapi, "whole"))
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_ttft_and_tokens_per_second_pace_the_chunks(mockapi: Mockapi) -> None:
    mockapi.add_rule(match={"contains": "slow"}, respond={"content": WORDS, "ttft_ms": 300, "tokens_per_second": 20})
    started, times, content = arrival_times(mockapi, "slow")
    assert content == WORDS and len(times) == 8
    assert times[0] - started >= 0.3  # the first token waits ttft_ms
    assert times[-1] - started >= 0.3 + 7 / 20  # then 1/20 s per further chunk
    assert times[-1] - times[0] >= 0.2  # the chunks arrive spread out, not in one burst


def test_tokens_per_second_also_paces_an_unstreamed_answer(mockapi: Mockapi) -> None:
    mockapi.add_rule(respond={"content": WORDS, "tokens_per_second": 20})
    client = mockapi.openai_client(base_url=mockapi.url + PREFIX)
    started = time.monotonic()
    completion = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x"}])
    assert completion.choices[0].message.content == WORDS
    assert time.monotonic() - started >= 6 / 20
    assert mockapi.requests.last_request.fault == "delay"


def test_delay_ms_holds_the_answer(mockapi: Mockapi) -> None:
    mockapi.add_rule(match={"endpoint": "models"}, respond={"delay_ms": 200, "jitter_ms": 50})
    client = mockapi.openai_client()
    started = time.monotonic()
    assert client.models.retrieve("ada").id == "ada"
    assert time.monotonic() - started >= 0.2
    assert mockapi.requests.last_request.duration_ms >= 200


def test_disconnect_cuts_an_unstreamed_answer_too(mockapi: Mockapi) -> None:
    mockapi.add_rule(match={"endpoint": "models"}, respond={"disconnect_after_chunks": 0})
    with pytest.raises(openai.APIConnectionError):
        mockapi.openai_client().models.list()
    headers = {"Authorization": f"Bearer {mockapi.api_key}"}
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(mockapi.base_url + "/models", headers=headers)


def test_the_real_chat_endpoint_plugs_into_the_same_rules(mockapi: Mockapi) -> None:
    mockapi.add_rule(match={"endpoint": "chat.completions", "contains": "cut"}, respond={"disconnect_after_chunks": 2})
    mockapi.add_rule(
        match={"endpoint": "chat.completions", "contains": "count"},
        respond={"sequence": [{"content": "one"}, {"content": "two"}], "ttft_ms": 100},
    )
    client = mockapi.openai_client()
    messages = [{"role": "user", "content": "cut"}]
    with pytest.raises(openai.APIConnectionError):
        list(client.chat.completions.create(model=MODEL, messages=messages, stream=True))
    answers = [
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "count"}]) for _ in range(3)
    ]
    assert [a.choices[0].message.content for a in answers] == ["one", "two", "two"]
    assert [(e.path, e.fault) for e in mockapi.requests] == [("/v1/chat/completions", "disconnect")] + [
        ("/v1/chat/completions", "delay")
    ] * 3


def test_a_delay_ends_when_the_client_hangs_up() -> None:
    # A server of its own: the delayed request must not end up in another test's journal.
    server = ServerThread(create_app(Settings(log_level="warning"))).start()
    try:
        state = server.state
        state.rules.add(Rule.model_validate({"match": {"endpoint": "models"}, "respond": {"delay_ms": 3_000}}))
        headers = {"Authorization": "Bearer sk-hang-up-key-000000"}
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(server.url + "/v1/models", headers=headers, timeout=0.3)
        # An entry is journaled once the request's handling is over: at once when the delay is cancelled.
        deadline = time.monotonic() + 1.5
        while len(state.journal) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(state.journal) == 1
    finally:
        server.stop()
