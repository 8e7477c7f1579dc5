"""Each fault kind, applied to a rendered answer in process; the ones the transport decides (reset, trickle,
stall) also against a real server."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import orjson
import pytest
from pydantic import ValidationError
from starlette.requests import ClientDisconnect

from mockapi import errors, faults, rendering
from mockapi.faults import (
    Chaos,
    Delay,
    Disconnect,
    EmptyResponse,
    ErrorSpec,
    InjectedError,
    Injection,
    MalformedJSON,
    Pace,
    Reset,
    Stall,
    Trickle,
)
from mockapi.fixtures import Respond, Rule
from mockapi.wire import RESET_EXTENSION, Rendered
from tests.support import API_KEY, ServerProcess

Message = dict[str, Any]
CHUNKS = [{"n": n} for n in range(5)]


async def never() -> Message:
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


async def hang_up_after(seconds: float) -> Message:
    await asyncio.sleep(seconds)
    return {"type": "http.disconnect"}


def at(receive: Any = never, headers: dict[str, str] | None = None, seed: int = 0) -> Injection:
    return Injection(random.Random(seed), receive, headers or {})


async def sent(rendered: Rendered, receive: Any = never, scope: dict[str, Any] | None = None) -> list[Message]:
    messages: list[Message] = []

    async def send(message: Message) -> None:
        messages.append(message)

    await rendered(scope or {"type": "http"}, receive, send)
    return messages


def body_of(messages: list[Message]) -> bytes:
    return b"".join(m.get("body", b"") for m in messages[1:])


def completed(messages: list[Message]) -> bool:
    return messages[-1]["type"] == "http.response.body" and not messages[-1].get("more_body", False)


def generated_json(body: Any, tokens: int | None = None) -> faults.Answer:
    async def answer() -> Rendered:
        rendered = rendering.json(body)
        rendered.generated, rendered.tokens = True, tokens
        return rendered

    return answer


def generated_events() -> faults.Answer:
    async def answer() -> Rendered:
        rendered = rendering.events(CHUNKS)
        rendered.generated = True
        return rendered

    return answer


async def not_called() -> Rendered:
    raise AssertionError("the answer was made, though the fault answers instead")


async def test_delay_waits_its_time_then_answers() -> None:
    started = time.monotonic()
    rendered = await faults.inject([Delay(delay_ms=60)], generated_json({"ok": True}), at())
    assert time.monotonic() - started >= 0.06
    assert body_of(await sent(rendered)) == b'{"ok":true}'


async def test_jitter_is_drawn_from_the_seeded_generator() -> None:
    fault = Delay(jitter_ms=30)
    first, second = random.Random(7), random.Random(7)
    await fault.apply(generated_json({}), Injection(first, never, {}))
    second.uniform(0, 30)  # the one draw the delay made
    assert first.random() == second.random()


async def test_a_delay_ends_when_the_client_hangs_up() -> None:
    started = time.monotonic()
    with pytest.raises(ClientDisconnect):
        await faults.inject([Delay(delay_ms=5_000)], not_called, at(lambda: hang_up_after(0.05)))
    assert time.monotonic() - started < 1


async def test_pace_makes_a_whole_body_wait_as_long_as_its_stream() -> None:
    rendered = await faults.inject([Pace(ttft_ms=100, tokens_per_second=20)], generated_json({}, tokens=10), at())
    assert rendered.wait == pytest.approx(0.1 + 10 / 20)


async def test_pace_spaces_a_streams_events() -> None:
    rendered = await faults.inject([Pace(ttft_ms=80, tokens_per_second=50)], generated_events(), at())
    assert (rendered.first_wait, rendered.part_wait) == (0.08, 0.02)
    started = time.monotonic()
    messages = await sent(rendered)
    assert time.monotonic() - started >= 0.08 + 4 * 0.02
    assert body_of(messages).count(b"data: ") == 6


async def test_pace_leaves_a_rules_fixed_body_alone() -> None:
    async def fixed() -> Rendered:
        return rendering.json({"fixed": True})

    rendered = await faults.inject([Pace(ttft_ms=500)], fixed, at())
    assert rendered.wait == 0


async def test_an_injected_error_answers_instead_with_the_rules_headers() -> None:
    fault = InjectedError(error=ErrorSpec.model_validate("overloaded"))
    with pytest.raises(errors.OpenAIError) as caught:
        await faults.inject([fault], not_called, at(headers={"x-rule": "1"}))
    assert (caught.value.status, caught.value.headers) == (503, {"x-rule": "1"})


async def test_chaos_fails_its_seeded_share_and_says_so() -> None:
    fault = Chaos(rate=0.5)
    outcomes = []
    for seed in range(40):
        injection = at(seed=seed)
        try:
            await fault.apply(generated_json({}), injection)
            outcomes.append(injection.fired)
        except errors.OpenAIError as exc:
            assert exc.status == 500 and injection.fired == "chaos"
            outcomes.append(injection.fired)
    assert 5 < outcomes.count("chaos") < 35
    assert outcomes == [_chaos_outcome(seed) for seed in range(40)]  # the same seeds, the same failures


def _chaos_outcome(seed: int) -> str | None:
    return "chaos" if random.Random(seed).random() < 0.5 else None


async def test_empty_response_has_its_status_and_no_body() -> None:
    rendered = await faults.inject([EmptyResponse(status=502)], not_called, at(headers={"x-a": "b"}))
    messages = await sent(rendered)
    assert messages[0]["status"] == 502 and (b"x-a", b"b") in messages[0]["headers"] and body_of(messages) == b""


async def test_malformed_json_halves_a_body() -> None:
    body = {"id": "chatcmpl-1", "choices": [{"text": "hello there"}]}
    messages = await sent(await faults.inject([MalformedJSON()], generated_json(body), at()))
    data = orjson.dumps(body)
    assert body_of(messages) == data[: len(data) // 2] and completed(messages)
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(body_of(messages))


async def test_malformed_json_breaks_a_streams_first_event_only() -> None:
    messages = await sent(await faults.inject([MalformedJSON()], generated_events(), at()))
    events = body_of(messages).split(b"\n\n")
    assert events[0] == b'data: {"n'  # the first half of {"n":0}
    assert events[1:] == [b'data: {"n":1}', b'data: {"n":2}', b'data: {"n":3}', b'data: {"n":4}', b"data: [DONE]", b""]


async def test_disconnect_cuts_a_stream_after_its_chunks_without_done() -> None:
    messages = await sent(await faults.inject([Disconnect(after_chunks=2)], generated_events(), at()))
    assert body_of(messages) == b'data: {"n":0}\n\ndata: {"n":1}\n\n' and not completed(messages)


async def test_disconnect_cuts_a_body_at_half() -> None:
    messages = await sent(await faults.inject([Disconnect()], generated_json({"a": "x" * 20}), at()))
    data = orjson.dumps({"a": "x" * 20})
    assert body_of(messages) == data[: len(data) // 2] and not completed(messages)


async def test_reset_asks_the_transport_and_makes_nothing() -> None:
    resets: list[bool] = []
    rendered = await faults.inject([Reset()], not_called, at())
    scope = {"type": "http", "extensions": {RESET_EXTENSION: lambda: resets.append(True)}}
    assert await sent(rendered, lambda: hang_up_after(0), scope) == [] and resets == [True]


async def test_reset_without_the_transports_extension_is_a_plain_close() -> None:
    messages = await sent(await faults.inject([Reset()], not_called, at()))
    assert [m["type"] for m in messages] == ["http.response.start"]


async def test_trickle_sends_the_whole_body_in_small_pieces_at_its_rate() -> None:
    body = {"text": "y" * 180}
    started = time.monotonic()
    messages = await sent(await faults.inject([Trickle(bytes_per_second=1000)], generated_json(body), at()))
    assert time.monotonic() - started >= 0.15
    assert body_of(messages) == orjson.dumps(body) and completed(messages)
    assert dict(messages[0]["headers"])[b"content-length"] == str(len(orjson.dumps(body))).encode()
    assert {len(m["body"]) for m in messages[1:-1]} <= {50, len(orjson.dumps(body)) % 50}  # 1000 B/s, 50 ms steps


async def test_a_stream_cancelled_from_outside_is_cancelled_not_a_hang_up() -> None:
    """The server stopping cancels the request's task: that stays a cancellation, and the listener goes."""
    rendered = await faults.inject([Stall(after_chunks=1)], generated_events(), at())
    before = len(asyncio.all_tasks())
    sending = asyncio.ensure_future(sent(rendered))
    await asyncio.sleep(0.05)
    sending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sending
    await asyncio.sleep(0)
    assert len(asyncio.all_tasks()) == before


async def test_a_client_gone_as_its_stream_ends_leaves_the_task_uncancelled() -> None:
    """The hang-up seen in the turn the answer completes (as uvicorn's receive reports one once the answer is
    done) does not cancel the request's task after the answer is sent."""
    done = asyncio.Event()
    messages: list[Message] = []

    async def receive() -> Message:
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        messages.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            done.set()
            await asyncio.sleep(0)  # the listener ends before this send returns

    await rendering.events(CHUNKS)({"type": "http"}, receive, send)
    assert completed(messages)
    for _ in range(5):
        await asyncio.sleep(0)
    task = asyncio.current_task()
    assert task is not None and task.cancelling() == 0


async def test_stall_holds_after_its_chunks_until_the_client_hangs_up() -> None:
    rendered = await faults.inject([Stall(after_chunks=2)], generated_events(), at())
    started = time.monotonic()
    with pytest.raises(ClientDisconnect):
        await sent(rendered, lambda: hang_up_after(0.2))
    assert 0.2 <= time.monotonic() - started < 2


def test_the_flat_keys_become_fault_values_in_the_order_they_act() -> None:
    respond = Respond.model_validate(
        {"chaos": {"rate": 0.1}, "delay_ms": 5, "ttft_ms": 1, "malformed_json": True, "disconnect_after_chunks": 1}
    )
    assert [type(f) for f in respond.applied_faults] == [Chaos, Delay, Pace, MalformedJSON, Disconnect]
    assert respond.fault_name == "malformed_json"


def test_a_faults_list_takes_any_kind_after_the_flat_keys() -> None:
    respond = Respond.model_validate(
        {"delay_ms": 5, "faults": [{"kind": "stall", "after_chunks": 3}, {"kind": "reset"}]}
    )
    assert [f.kind for f in respond.applied_faults] == ["delay", "stall", "reset"]
    assert respond.fault_name == "reset"
    stepped = Respond.model_validate({"faults": [{"kind": "trickle", "bytes_per_second": 10}], "sequence": [{}, {}]})
    assert [f.kind for f in stepped.step(2).applied_faults] == ["trickle"]  # a sequence's steps inherit them


def test_an_unknown_fault_kind_is_refused_naming_the_kinds() -> None:
    with pytest.raises(ValidationError) as caught:
        Rule.model_validate({"respond": {"faults": [{"kind": "explode"}]}})
    error = errors.from_pydantic(caught.value)
    assert error.param == "respond.faults.0" and "'reset'" in error.message and "'explode'" in error.message


# Against a real server: what the client sees.


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with ServerProcess() as process:
        yield process


def _rule(server: ServerProcess, contains: str, respond: dict[str, Any]) -> None:
    rule = {"match": {"endpoint": "chat.completions", "contains": contains}, "respond": respond}
    assert httpx.post(server.url + "/__mockapi/rules", json=rule).status_code == 201


def _chat(text: str, stream: bool = False) -> dict[str, Any]:
    return {"model": "gpt-3.5-turbo", "messages": [{"role": "user", "content": text}], "stream": stream}


def _journal(server: ServerProcess, text: str) -> list[dict[str, Any]]:
    entries = httpx.get(server.url + "/__mockapi/requests").json()["data"]
    return [e for e in entries if e["body"].get("messages", [{}])[0].get("content") == text]


def test_reset_gives_the_client_a_connection_reset(server: ServerProcess) -> None:
    _rule(server, "reset me", {"faults": [{"kind": "reset"}]})
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with pytest.raises(httpx.ReadError) as caught:
        httpx.post(server.base_url + "/chat/completions", json=_chat("reset me"), headers=headers)
    assert any(isinstance(cause, ConnectionResetError) for cause in _chain(caught.value))  # ECONNRESET
    client = openai.OpenAI(base_url=server.base_url, api_key=API_KEY, max_retries=0)
    with pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(**_chat("reset me"))
    assert [e["fault"] for e in _journal(server, "reset me")] == ["reset", "reset"]


def _chain(error: BaseException) -> Iterator[BaseException]:
    found: BaseException | None = error
    while found is not None:
        yield found
        found = found.__cause__ or found.__context__


def test_trickle_delivers_the_whole_body_slowly(server: ServerProcess) -> None:
    _rule(
        server, "trickle me", {"content": "A short answer.", "faults": [{"kind": "trickle", "bytes_per_second": 800}]}
    )
    headers = {"Authorization": f"Bearer {API_KEY}"}
    started = time.monotonic()
    pieces = []
    with httpx.stream("POST", server.base_url + "/chat/completions", json=_chat("trickle me"), headers=headers) as r:
        pieces = list(r.iter_raw())
    elapsed = time.monotonic() - started
    body = b"".join(pieces)
    assert orjson.loads(body)["choices"][0]["message"]["content"] == "A short answer."
    assert elapsed >= 0.8 * len(body) / 800 and len(pieces) > 3
    assert _journal(server, "trickle me")[-1]["fault"] == "trickle"


def test_stall_holds_a_stream_until_the_clients_timeout(server: ServerProcess) -> None:
    _rule(server, "stall me", {"content": "one two three four", "faults": [{"kind": "stall", "after_chunks": 2}]})
    client = openai.OpenAI(
        base_url=server.base_url, api_key=API_KEY, max_retries=0, timeout=openai.Timeout(5, read=0.5)
    )
    received = []
    started = time.monotonic()
    with pytest.raises(openai.APIConnectionError):
        for chunk in client.chat.completions.create(**_chat("stall me", stream=True)):
            received.append(chunk.choices[0].delta.content)
    assert received == [None, "one"]  # the role delta, then the first words: the two chunks before the stall
    assert 0.5 <= time.monotonic() - started < 5
    deadline = time.monotonic() + 5
    while not _journal(server, "stall me") and time.monotonic() < deadline:  # recorded once the client is gone
        time.sleep(0.05)
    assert _journal(server, "stall me")[-1]["fault"] == "stall"
