"""Every answer's bytes: the rendering functions, and what the wire sends of what they build."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import orjson

from mockapi import errors, rendering
from mockapi.wire import Rendered

Message = dict[str, Any]


async def sent(rendered: Rendered) -> list[Message]:
    """The ASGI messages the answer sends (the client never hangs up)."""
    messages: list[Message] = []

    async def send(message: Message) -> None:
        messages.append(message)

    async def receive() -> Message:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    await rendered({"type": "http"}, receive, send)
    return messages


def head_of(messages: list[Message]) -> tuple[int, dict[bytes, bytes]]:
    start = messages[0]
    assert start["type"] == "http.response.start"
    return start["status"], dict(start["headers"])


def body_of(messages: list[Message]) -> bytes:
    return b"".join(m.get("body", b"") for m in messages[1:])


async def test_json_is_its_orjson_bytes_with_length_and_type() -> None:
    messages = await sent(rendering.json({"a": [1, "é"]}, 201, {"X-Extra": "1"}))
    status, headers = head_of(messages)
    assert status == 201 and body_of(messages) == orjson.dumps({"a": [1, "é"]})
    assert headers == {b"content-length": b"14", b"content-type": b"application/json", b"x-extra": b"1"}  # é is 2 bytes
    assert len(messages) == 2 and not messages[1].get("more_body")


async def test_a_fragment_is_sent_as_the_bytes_it_holds() -> None:
    messages = await sent(rendering.json(orjson.Fragment(b'{"ready":true}')))
    assert body_of(messages) == b'{"ready":true}'


async def test_an_error_is_openais_shape_with_its_own_headers() -> None:
    failure = errors.OpenAIError(
        429, "Slow down", type="requests", code="rate_limit_exceeded", headers={"retry-after": "2"}
    )
    messages = await sent(rendering.error(failure))
    status, headers = head_of(messages)
    assert status == 429 and headers[b"retry-after"] == b"2"
    error = orjson.loads(body_of(messages))["error"]
    assert error == {"message": "Slow down", "type": "requests", "param": None, "code": "rate_limit_exceeded"}


async def test_empty_is_json_with_no_bytes() -> None:
    status, headers = head_of(await sent(rendering.empty(204)))
    assert status == 204 and headers[b"content-length"] == b"0" and headers[b"content-type"] == b"application/json"


async def test_raw_keeps_a_content_type_given_in_the_headers() -> None:
    messages = await sent(rendering.raw(b"hi", "text/plain; charset=utf-8", headers={"Content-Type": "text/csv"}))
    pairs = messages[0]["headers"]
    assert [value for name, value in pairs if name == b"content-type"] == [b"text/csv"]
    assert body_of(messages) == b"hi"


async def test_events_are_data_lines_ending_with_done() -> None:
    done: list[bool] = []
    messages = await sent(
        rendering.events([{"n": 1}, {"n": 2}], {"openai-model": "m"}, when_done=lambda: done.append(True))
    )
    status, headers = head_of(messages)
    assert status == 200 and headers[b"content-type"] == b"text/event-stream; charset=utf-8"
    assert headers[b"cache-control"] == b"no-cache, must-revalidate" and headers[b"openai-model"] == b"m"
    assert b"content-length" not in headers  # chunked
    assert body_of(messages) == b'data: {"n":1}\n\ndata: {"n":2}\n\ndata: [DONE]\n\n'
    assert messages[-1] == {"type": "http.response.body", "body": b"", "more_body": False}
    assert done == [True]


async def test_typed_event_streams_end_without_done_and_may_name_their_events() -> None:
    chunks = [{"type": "image_generation.partial_image", "n": 1}, {"type": "image_generation.completed"}]
    plain = body_of(await sent(rendering.events(chunks[:1], done=False)))
    assert plain == b'data: {"type":"image_generation.partial_image","n":1}\n\n'
    named = body_of(await sent(rendering.events(chunks, done=False, named=True)))
    assert named == (
        b'event: image_generation.partial_image\ndata: {"type":"image_generation.partial_image","n":1}\n\n'
        b'event: image_generation.completed\ndata: {"type":"image_generation.completed"}\n\n'
    )
    # A payload cut short by a fault keeps its name; one without a type is a plain event.
    assert rendering.named_event(b'{"type":"image_edit.completed","b64') == (
        b'event: image_edit.completed\ndata: {"type":"image_edit.completed","b64\n\n'
    )
    assert rendering.named_event(b"{}") == b"data: {}\n\n"


async def test_events_wait_their_pace_between_chunks() -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    await sent(rendering.events([{}, {}, {}], pace_seconds=0.05))
    assert loop.time() - started >= 0.1  # two waits: none before the first event


async def test_paced_events_keep_their_schedule_when_one_is_late() -> None:
    """A chunk made late (a busy loop) is sent at once and the ones after it stay on the schedule: the
    stream ends when 19 steps of 20 ms are over, not 200 ms later."""

    async def chunks() -> AsyncIterator[dict[str, int]]:
        for index in range(20):
            if index == 1:
                await asyncio.sleep(0.2)
            yield {"n": index}

    loop = asyncio.get_running_loop()
    started = loop.time()
    messages = await sent(rendering.events(chunks(), pace_seconds=0.02))
    took = loop.time() - started
    assert body_of(messages).count(b"data: ") == 21  # the 20 chunks and [DONE]
    assert 0.38 <= took < 0.5, took  # drifting, it would take 0.2 + 19 x 0.02 = 0.58 s


async def test_a_download_declares_its_length_and_sends_chunk_by_chunk() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"abc"
        yield b"def"

    messages = await sent(rendering.download(chunks(), 6, "application/octet-stream"))
    _, headers = head_of(messages)
    assert headers[b"content-length"] == b"6" and headers[b"content-type"] == b"application/octet-stream"
    assert [m["body"] for m in messages[1:]] == [b"abc", b"def", b""]


def test_the_parsers_400_is_a_whole_http_answer_in_openais_shape() -> None:
    raw = rendering.http_error(errors.OpenAIError(400, "Invalid HTTP request received."), "req_1")
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"HTTP/1.1 400 Bad Request"
    assert {b"x-request-id: req_1", b"openai-version: 2020-10-01", b"connection: close"} <= set(lines)
    assert f"content-length: {len(body)}".encode() in lines
    assert orjson.loads(body)["error"]["message"] == "Invalid HTTP request received."
