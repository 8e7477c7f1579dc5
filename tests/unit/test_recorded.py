"""What a forwarded exchange records as: the match that distinguishes the request, and the answer read in
the forms its endpoint takes (from JSON bodies, SSE streams, text and bytes)."""

from __future__ import annotations

import base64
import struct
from typing import Any

import orjson
import pytest

from mockapi.endpoints import ENDPOINTS
from mockapi.matching import Exchange
from mockapi.recorded import answer_of, assembled, events_of, match_of, worth_recording

JSON = {"content-type": "application/json"}
SSE = {"content-type": "text/event-stream; charset=utf-8"}


def _exchange(endpoint: str = "chat.completions", body: dict[str, Any] | None = None, **fields: Any) -> Exchange:
    defaults: dict[str, Any] = {"method": "POST", "path": "/v1/x", "model": "gpt-4o", "text": "Hi there"}
    defaults.update(fields)
    return Exchange(endpoint, defaults.pop("method"), defaults.pop("path"), body or {}, {}, **defaults)


def _answer(exchange: Exchange, body: Any, headers: dict[str, str] = JSON, status: int = 200) -> dict[str, Any]:
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    recorded = answer_of(exchange, ENDPOINTS[exchange.endpoint], status, headers, data)
    assert recorded is not None
    return recorded.respond


def _sse(*events: Any) -> bytes:
    return b"".join(b"data: " + orjson.dumps(event) + b"\n\n" for event in events) + b"data: [DONE]\n\n"


def test_match_holds_endpoint_model_text_and_the_keys_that_distinguish() -> None:
    body = {
        "model": "gpt-4o",
        "messages": [{"role": "system", "content": "Be brief"}, {"role": "user", "content": "Hi there"}],
        "temperature": 0.2,
        "stream": True,
        "stream_options": {"include_usage": True},
        "user": "u-1",
    }
    exchange = _exchange(body=body, system="Be brief")
    assert match_of(exchange, ENDPOINTS["chat.completions"]) == {
        "endpoint": "chat.completions",
        "model": "gpt-4o",
        "text": "Hi there",
        "system": {"text": "Be brief"},
        "body": {"temperature": 0.2},  # messages are pinned by the texts; streaming and the user do not count
    }


def test_a_conversation_keeps_its_messages_in_the_match() -> None:
    messages = [
        {"role": "user", "content": "Hello"},
        {"role": "assistant", "content": "Hi!"},
        {"role": "user", "content": "Hi there"},
    ]
    match = match_of(_exchange(body={"model": "gpt-4o", "messages": messages}), ENDPOINTS["chat.completions"])
    assert match["body"] == {"messages": messages}


def test_a_prompt_equal_to_the_text_is_left_to_the_text() -> None:
    exchange = _exchange("completions", {"model": "m", "prompt": "Hi there", "logprobs": 2, "echo": True})
    assert match_of(exchange, ENDPOINTS["completions"])["body"] == {"logprobs": 2, "echo": True}


def test_a_stored_objects_route_is_matched_by_method_and_path() -> None:
    exchange = _exchange("files", {"purpose": "batch"}, method="POST", path="/v1/files", model=None, text="a.jsonl")
    assert match_of(exchange, ENDPOINTS["files"]) == {
        "endpoint": "files",
        "method": "POST",
        "path": "/v1/files",
        "text": "a.jsonl",
        "body": {"purpose": "batch"},
    }
    assert _answer(exchange, {"id": "file-1", "object": "file"}) == {}  # mockapi's store answers
    listing = _exchange("files", method="GET", path="/v1/files", model=None, text=None)
    assert not worth_recording(listing, ENDPOINTS["files"], 200)
    assert worth_recording(listing, ENDPOINTS["files"], 404) and worth_recording(exchange, ENDPOINTS["files"], 200)
    assert not worth_recording(_exchange(), ENDPOINTS["chat.completions"], 401)  # it answers the key


def test_chat_text_and_tool_calls_are_read_as_forms() -> None:
    exchange = _exchange()
    message = {"role": "assistant", "content": "Hello!"}
    assert _answer(exchange, {"choices": [{"index": 0, "message": message}]}) == {"content": "Hello!"}
    calls = [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}},
        {"id": "call_2", "type": "function", "function": {"name": "shout", "arguments": "not json"}},
    ]
    body = {"choices": [{"index": 0, "message": {"role": "assistant", "content": None, "tool_calls": calls}}]}
    expected = [{"name": "get_weather", "arguments": '{"city": "Paris"}'}, {"name": "shout", "arguments": "not json"}]
    assert _answer(exchange, body) == {"tool_calls": expected}


def test_a_stream_is_read_back_from_its_chunks() -> None:
    def chunk(delta: dict[str, Any], index: int = 0) -> dict[str, Any]:
        return {"object": "chat.completion.chunk", "choices": [{"index": index, "delta": delta, "finish_reason": None}]}

    first = {"index": 0, "id": "call_a", "type": "function", "function": {"name": "get_weather", "arguments": ""}}
    second = {"index": 1, "id": "call_b", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}
    stream = _sse(
        chunk({"role": "assistant", "content": None}),
        chunk({"tool_calls": [first]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city": '}}]}),
        chunk({"tool_calls": [second]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"Oslo"}'}}]}),
        chunk({"content": "ignored: another choice"}, index=1),
        {"object": "chat.completion.chunk", "choices": [], "usage": {"total_tokens": 9}},
    )
    calls = [{"name": "get_weather", "arguments": '{"city": "Oslo"}'}, {"name": "get_time", "arguments": "{}"}]
    assert _answer(_exchange(), stream, SSE) == {"tool_calls": calls}
    text = _sse(chunk({"role": "assistant"}), chunk({"content": "Hel"}), chunk({"content": "lo"}), chunk({}))
    assert _answer(_exchange(), text, SSE) == {"content": "Hello"}


def test_sse_events_parse_across_line_endings_and_skip_what_is_not_json() -> None:
    data = b'data: {"a": 1}\r\n\r\n: a comment\n\ndata: nope\n\nevent: x\ndata: {"b":\ndata: 2}\n\ndata: [DONE]\n\n'
    assert events_of(data) == [{"a": 1}, {"b": 2}]
    assert assembled([{"type": "response.completed", "response": {"output_text": "Hi"}}]) == {"output_text": "Hi"}
    assert assembled([{"something": "else"}]) is None


def test_a_legacy_completion_keeps_its_text_without_the_echoed_prompt() -> None:
    exchange = _exchange("completions", {"prompt": "Hi there", "echo": True, "logprobs": 1})
    body = {"choices": [{"index": 0, "text": "Hi there, friend", "logprobs": {"tokens": ["Hi"]}}]}
    assert _answer(exchange, body) == {"content": ", friend"}
    stream = _sse({"choices": [{"index": 0, "text": " once"}]}, {"choices": [{"index": 0, "text": " upon"}]})
    assert _answer(_exchange("completions"), stream, SSE) == {"content": " once upon"}


def test_an_embedding_is_read_in_either_encoding() -> None:
    exchange = _exchange("embeddings")
    floats = [0.25, -0.5, 0.125]
    assert _answer(exchange, {"data": [{"embedding": floats}]}) == {"embedding": floats}
    packed = base64.b64encode(struct.pack("<3f", *floats)).decode()
    assert _answer(exchange, {"data": [{"embedding": packed}]}) == {"embedding": floats}
    several = {"object": "list", "data": [{"embedding": floats}, {"embedding": floats}]}
    assert _answer(exchange, several) == {"body": several}  # one vector answers every input: the body is kept


def test_images_are_read_as_files_and_transcripts_in_every_format() -> None:
    png = b"\x89PNG\r\n\x1a\nrest"
    recorded = answer_of(
        _exchange("images.generations"),
        ENDPOINTS["images.generations"],
        200,
        JSON,
        orjson.dumps({"data": [{"b64_json": base64.b64encode(png).decode()}, {"url": "http://up/i.png"}]}),
    )
    assert recorded is not None and recorded.respond == {"files": []}
    assert [(blob.data, blob.url, blob.extension) for blob in recorded.blobs] == [
        (png, None, ".png"),
        (None, "http://up/i.png", ".png"),
    ]
    transcribe = _exchange("audio.transcriptions")
    assert _answer(transcribe, {"text": "Good day."}) == {"transcript": "Good day."}
    text = {"content-type": "text/plain; charset=utf-8"}
    assert _answer(transcribe, b"Good day.\n", text) == {"transcript": "Good day."}
    srt = b"1\n00:00:00,000 --> 00:00:01,500\nGood day.\n\n2\n00:00:01,500 --> 00:00:02,000\nTo you.\n\n"
    assert _answer(transcribe, srt, text) == {"transcript": "Good day. To you."}
    vtt = b"WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nGood day.\n\n"
    assert _answer(transcribe, vtt, text) == {"transcript": "Good day."}


def test_errors_become_error_rules_with_their_retry_headers() -> None:
    error = {"error": {"message": "Slow down", "type": "requests", "param": None, "code": "rate_limit_exceeded"}}
    headers = {**JSON, "retry-after": "2", "x-request-id": "req_1"}
    assert _answer(_exchange(), error, headers, 429) == {
        "error": {
            "status": 429,
            "type": "requests",
            "message": "Slow down",
            "code": "rate_limit_exceeded",
            "headers": {"retry-after": "2"},
        }
    }
    html = _answer(_exchange(), b"<html>Bad gateway</html>", {"content-type": "text/html"}, 502)
    assert html == {"error": {"status": 502, "type": "server_error", "message": "<html>Bad gateway</html>"}}


@pytest.mark.parametrize(
    ("endpoint", "body"),
    [
        ("chat.completions", {"unexpected": "shape"}),
        ("embeddings", {"data": "not a list"}),
        ("images.generations", {"data": [{"revised_prompt": "no image"}]}),
    ],
)
def test_an_answer_no_form_reads_is_kept_as_its_body(endpoint: str, body: dict[str, Any]) -> None:
    assert _answer(_exchange(endpoint), body) == {"body": body}


def test_a_stream_no_form_reads_is_not_recorded() -> None:
    exchange = _exchange()
    assert answer_of(exchange, ENDPOINTS["chat.completions"], 200, SSE, _sse({"no": "choices"})) is None
    assert answer_of(exchange, ENDPOINTS["chat.completions"], 200, JSON, b"{not json") is None
    assert answer_of(exchange, ENDPOINTS["embeddings"], 200, {"content-type": "audio/mpeg"}, b"ID3") is None
