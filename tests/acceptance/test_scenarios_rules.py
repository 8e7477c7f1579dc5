"""Fixture rules through the official SDK: every match key, every respond form, times, priorities, sessions.

Uses the pytest plugin's `mockapi` fixture (as a user would) and the test-only chat/embeddings/audio endpoints
mounted under /v1/mockapi-test (tests/fake_endpoints.py), plus the real /v1/models.
"""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
import openai
import pytest

from mockapi.fixtures import NAMED_ERRORS
from mockapi.pytest_plugin import Mockapi
from tests.fake_endpoints import PREFIX

MODEL = "gpt-3.5-turbo"


def fake_client(mockapi: Mockapi, **options: Any) -> openai.OpenAI:
    return mockapi.openai_client(base_url=mockapi.url + PREFIX, **options)


def ask(client: openai.OpenAI, text: str, system: str | None = None, **options: Any) -> str:
    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": text}]
    completion = client.chat.completions.create(model=options.pop("model", MODEL), messages=messages, **options)
    return completion.choices[0].message.content or ""


ANSWER = "Matched by the rule."

# (match, request that matches, request that does not): each request is (text, system, extra create options).
MATCH_KEYS: list[tuple[dict[str, Any], Any, Any]] = [
    ({"endpoint": "chat.completions"}, ("hi", None, {}), None),
    ({"path": PREFIX + "/chat/completions"}, ("hi", None, {}), None),
    ({"method": "post"}, ("hi", None, {}), None),
    ({"model": "gpt-4"}, ("hi", None, {"model": "gpt-4"}), ("hi", None, {})),
    ({"text": "exact words"}, ("exact words", None, {}), ("exact words!", None, {})),
    ({"contains": "in Paris"}, ("weather in Paris?", None, {}), ("weather in Rome?", None, {})),
    ({"regex": r"weather in \w+\?$"}, ("weather in Oslo?", None, {}), ("weather in Oslo!", None, {})),
    ({"system": {"contains": "pirate"}}, ("hi", "You are a pirate.", {}), ("hi", "You are a poet.", {})),
    ({"system": {"text": "Be brief."}}, ("hi", "Be brief.", {}), ("hi", "Be brief!", {})),
    ({"system": {"regex": "^You"}}, ("hi", "You rock", {}), ("hi", None, {})),
    ({"headers": {"X-Tenant": "acme"}}, ("hi", None, {"extra_headers": {"x-tenant": "acme"}}), ("hi", None, {})),
    ({"body": {"temperature": 0}}, ("hi", None, {"temperature": 0}), ("hi", None, {"temperature": 1})),
    (
        {"body": {"messages": [{"role": "user", "content": "deep"}]}},
        ("deep", None, {}),
        ("deeper", None, {}),
    ),
]


@pytest.mark.parametrize(("match", "hit", "miss"), MATCH_KEYS, ids=[next(iter(m[0])) for m in MATCH_KEYS])
def test_each_match_key(mockapi: Mockapi, match: dict[str, Any], hit: tuple[Any, ...], miss: Any) -> None:
    rule_id = mockapi.add_rule(match=match, respond={"content": ANSWER})
    client = fake_client(mockapi)
    text, system, options = hit
    assert ask(client, text, system, **options) == ANSWER
    assert mockapi.requests.last_request.rule_id == rule_id
    if miss is not None:
        text, system, options = miss
        assert ask(client, text, system, **options) != ANSWER
        assert mockapi.requests.last_request.rule_id is None


def test_endpoint_path_and_method_keys_exclude_other_requests(mockapi: Mockapi) -> None:
    mockapi.add_rule(match={"endpoint": "embeddings"}, respond={"error": "server_error"})
    mockapi.add_rule(match={"path": "/v1/models/ada"}, respond={"error": "server_error"})
    mockapi.add_rule(match={"method": "DELETE"}, respond={"error": "server_error"})
    assert ask(fake_client(mockapi), "hi")
    assert mockapi.openai_client().models.retrieve("babbage").id == "babbage"
    with pytest.raises(openai.InternalServerError):
        mockapi.openai_client().models.retrieve("ada")


def test_all_given_keys_must_hold(mockapi: Mockapi) -> None:
    mockapi.add_rule(match={"model": "gpt-4", "contains": "Paris"}, respond={"content": ANSWER})
    client = fake_client(mockapi)
    assert ask(client, "Paris", model="gpt-4") == ANSWER
    assert ask(client, "Paris") != ANSWER
    assert ask(client, "Rome", model="gpt-4") != ANSWER


def test_content_streams_and_keeps_the_shape(mockapi: Mockapi) -> None:
    mockapi.add_rule(match={"contains": "stream"}, respond={"content": "one two three"})
    client = fake_client(mockapi)
    chunks = list(
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "stream"}], stream=True)
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "one two three"
    assert chunks[-1].choices[0].finish_reason == "stop"
    completion = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "stream"}])
    assert completion.usage is not None and completion.usage.completion_tokens == 3


def test_body_form_returns_the_body_status_and_headers(mockapi: Mockapi) -> None:
    body = {"id": "gpt-custom", "object": "model", "created": 1, "owned_by": "acme"}
    mockapi.add_rule(
        match={"endpoint": "models", "model": "gpt-custom"},
        respond={"body": body, "status": 202, "headers": {"x-custom": "yes"}},
    )
    raw = mockapi.openai_client().models.with_raw_response.retrieve("gpt-custom")
    assert raw.status_code == 202
    assert raw.headers["x-custom"] == "yes"
    assert raw.parse().owned_by == "acme"
    assert raw.http_response.json() == body


def test_error_form_with_every_field(mockapi: Mockapi) -> None:
    error = {"status": 409, "type": "conflict", "message": "Try later.", "param": "messages", "code": "busy"}
    mockapi.add_rule(respond={"error": {**error, "headers": {"x-why": "test"}}})
    with pytest.raises(openai.ConflictError) as caught:
        ask(fake_client(mockapi), "hi")
    assert caught.value.status_code == 409
    assert caught.value.body == {"message": "Try later.", "type": "conflict", "param": "messages", "code": "busy"}
    assert caught.value.response.headers["x-why"] == "test"
    assert mockapi.requests.last_request.fault == "error"


SDK_ERRORS = {
    "rate_limit_exceeded": openai.RateLimitError,
    "insufficient_quota": openai.RateLimitError,
    "server_error": openai.InternalServerError,
    "overloaded": openai.InternalServerError,
    "context_length_exceeded": openai.BadRequestError,
    "invalid_api_key": openai.AuthenticationError,
}


@pytest.mark.parametrize("name", list(NAMED_ERRORS))
def test_named_error_shortcuts(mockapi: Mockapi, name: str) -> None:
    expected = NAMED_ERRORS[name]()
    mockapi.add_rule(match={"endpoint": "models"}, respond={"error": name})
    with pytest.raises(SDK_ERRORS[name]) as caught:
        mockapi.openai_client().models.list()
    assert caught.value.status_code == expected.status
    assert caught.value.body == {
        "message": expected.message,
        "type": expected.type,
        "param": None,
        "code": expected.code,
    }
    for header, value in expected.headers.items():
        assert caught.value.response.headers[header] == value


def test_embedding_form(mockapi: Mockapi) -> None:
    mockapi.add_rule(match={"endpoint": "embeddings", "text": "fixed"}, respond={"embedding": [0.5, -0.25, 1.0]})
    client = fake_client(mockapi)
    fixed = client.embeddings.create(model="text-embedding-ada-002", input="fixed", encoding_format="float")
    assert fixed.data[0].embedding == [0.5, -0.25, 1.0]
    other = client.embeddings.create(model="text-embedding-ada-002", input="other", encoding_format="float")
    assert len(other.data[0].embedding) == 8 and other.data[0].embedding != [0.5, -0.25, 1.0]


def test_transcript_form_matches_the_uploaded_filename(mockapi: Mockapi) -> None:
    mockapi.add_rule(match={"endpoint": "audio.transcriptions", "text": "meeting.mp3"}, respond={"transcript": "Hi."})
    client = fake_client(mockapi)
    audio = ("meeting.mp3", io.BytesIO(b"ID3" + bytes(100)))
    assert client.audio.transcriptions.create(model="whisper-1", file=audio).text == "Hi."
    other = ("other.mp3", io.BytesIO(b"ID3"))
    assert client.audio.transcriptions.create(model="whisper-1", file=other).text == "Generated words."
    body = mockapi.requests[0].body
    assert body["file"]["filename"] == "meeting.mp3" and body["file"]["size"] == 103
    assert len(body["file"]["sha256"]) == 64


def test_sequence_answers_in_order_then_repeats_the_last(mockapi: Mockapi) -> None:
    mockapi.add_rule(
        match={"contains": "count"},
        respond={"sequence": [{"content": "one"}, {"error": "server_error"}, {"content": "three"}]},
    )
    client = fake_client(mockapi)
    assert ask(client, "count") == "one"
    with pytest.raises(openai.InternalServerError):
        ask(client, "count")
    assert [ask(client, "count") for _ in range(3)] == ["three", "three", "three"]


def test_times_answers_n_times_then_falls_through(mockapi: Mockapi) -> None:
    mockapi.add_rule(match={"contains": "once"}, times=1, respond={"content": "first"})
    client = fake_client(mockapi)
    assert ask(client, "once") == "first"
    generated = ask(client, "once")
    assert generated != "first" and len(generated.split()) == 8
    assert [e.rule_id for e in mockapi.requests][1] is None


def test_times_falls_through_to_the_next_rule(mockapi: Mockapi) -> None:
    mockapi.add_rule(id="fallback", respond={"content": "fallback"})
    mockapi.add_rule(id="twice", priority=5, times=2, respond={"content": "special"})
    client = fake_client(mockapi)
    assert [ask(client, "x") for _ in range(3)] == ["special", "special", "fallback"]


def test_priority_beats_load_order(mockapi: Mockapi) -> None:
    mockapi.add_rule(respond={"content": "low"})
    mockapi.add_rule(priority=10, respond={"content": "high"})
    mockapi.add_rule(priority=10, respond={"content": "high but later"})
    assert ask(fake_client(mockapi), "x") == "high"


def test_sessions_keep_separate_counters(mockapi: Mockapi) -> None:
    mockapi.add_rule(times=1, respond={"sequence": [{"content": "a"}, {"content": "b"}]})
    mockapi.add_rule(match={"contains": "seq"}, priority=1, respond={"sequence": [{"content": "1"}, {"content": "2"}]})
    alice = fake_client(mockapi, default_headers={"X-Mockapi-Session": "alice"})
    bob = fake_client(mockapi, default_headers={"X-Mockapi-Session": "bob"})
    assert [ask(alice, "seq"), ask(alice, "seq"), ask(bob, "seq"), ask(alice, "seq")] == ["1", "2", "1", "2"]
    assert ask(alice, "x") == "a"
    assert ask(bob, "x") == "a"
    assert ask(alice, "x") not in ("a", "b")  # alice's `times` budget is spent, bob's was his own
    assert [e.session for e in mockapi.requests.filter(session="bob")] == ["bob", "bob"]


def test_retry_after_zero_is_retried_by_the_sdk(mockapi: Mockapi) -> None:
    mockapi.add_rule(times=1, respond={"error": "rate_limit_exceeded", "headers": {"retry-after": "0"}})
    client = fake_client(mockapi, max_retries=1)
    assert ask(client, "hello")
    statuses = [(e.status, e.fault, e.headers["x-stainless-retry-count"]) for e in mockapi.requests]
    assert statuses == [(429, "error", "0"), (200, None, "1")]


def test_malformed_json_does_not_parse(mockapi: Mockapi) -> None:
    mockapi.add_rule(respond={"malformed_json": True})
    response = httpx.post(
        mockapi.url + PREFIX + "/chat/completions",
        json={"model": MODEL, "messages": [{"role": "user", "content": "x"}]},
        headers={"Authorization": f"Bearer {mockapi.api_key}"},
    )
    assert response.status_code == 200 and response.text.startswith('{"id":"chatcmpl-')
    with pytest.raises(ValueError):
        response.json()
    with pytest.raises(ValueError):
        ask(fake_client(mockapi), "x")


def _stream_events(mockapi: Mockapi) -> list[str]:
    """The `data:` payloads of one streamed chat answer, as sent."""
    response = httpx.post(
        mockapi.url + PREFIX + "/chat/completions",
        json={"model": MODEL, "messages": [{"role": "user", "content": "x"}], "stream": True},
        headers={"Authorization": f"Bearer {mockapi.api_key}"},
    )
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    return [line.removeprefix("data: ") for line in response.text.splitlines() if line.startswith("data: ")]


def test_malformed_json_in_a_stream_breaks_the_first_event(mockapi: Mockapi) -> None:
    mockapi.state.seeding.fixed_time = 1_700_000_000  # the same `created` in both streams (reset restores it)
    whole = _stream_events(mockapi)
    rule = {"respond": {"malformed_json": True}}
    mockapi.add_rule(rule)
    broken = _stream_events(mockapi)
    # The first event is the first half of that chunk's JSON, the rest of the stream as it would be.
    assert len(broken) == len(whole) > 3 and broken[-1] == whole[-1] == "[DONE]"
    assert broken[0] == whole[0][: len(whole[0]) // 2] and broken[1:] == whole[1:]
    with pytest.raises(json.JSONDecodeError):
        json.loads(broken[0])
    stream = fake_client(mockapi).chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "x"}], stream=True
    )
    with pytest.raises(json.JSONDecodeError) as caught:
        next(iter(stream))  # the SDK fails on the first event, parsing it
    assert caught.value.doc == broken[0]


def test_empty_response(mockapi: Mockapi) -> None:
    mockapi.add_rule(match={"endpoint": "models"}, respond={"empty_response": True})
    response = httpx.get(mockapi.base_url + "/models", headers={"Authorization": f"Bearer {mockapi.api_key}"})
    assert (response.status_code, response.content) == (200, b"")
    with pytest.raises(ValueError):
        mockapi.openai_client().models.list()
    assert mockapi.requests.last_request.fault == "empty_response"


def test_chaos_fails_a_seeded_share_that_repeats(mockapi: Mockapi) -> None:
    mockapi.add_rule(match={"endpoint": "models"}, respond={"chaos": {"rate": 0.5, "error": "overloaded"}})
    client = mockapi.openai_client()

    def outcomes() -> list[bool]:
        results = []
        for _ in range(30):
            try:
                client.models.retrieve("ada")
                results.append(True)
            except openai.InternalServerError as exc:
                assert exc.status_code == 503
                results.append(False)
        return results

    first = outcomes()
    assert 5 <= first.count(False) <= 25
    mockapi.reset()
    mockapi.add_rule(match={"endpoint": "models"}, respond={"chaos": {"rate": 0.5, "error": "overloaded"}})
    assert outcomes() == first
    assert {e.fault for e in mockapi.requests if e.status == 503} == {"chaos"}
