"""Graceful shutdown: SIGTERM lets in-flight requests finish (streams included), then the server exits 0."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterable
from typing import Any

import httpx
import orjson

from tests.hardening.routes import sse_payloads
from tests.support import API_KEY, ServerProcess

HEADERS = {"Authorization": f"Bearer {API_KEY}"}
STREAM = {"model": "gpt-4", "stream": True, "messages": [{"role": "user", "content": "Say something"}]}


def _read_stream_after_sigterm(process: ServerProcess) -> tuple[str, list[str]]:
    """Open a stream, send SIGTERM once its first event has arrived, read the rest."""
    assert process.process is not None
    with (
        httpx.Client(base_url=process.url, headers=HEADERS, timeout=30) as client,
        client.stream("POST", "/v1/chat/completions", json=STREAM) as response,
    ):
        lines = response.iter_lines()
        first = next(line for line in lines if line)
        process.process.send_signal(signal.SIGTERM)
        return first, [line for line in lines if line]


def _deltas(lines: Iterable[str]) -> list[Any]:
    return [orjson.loads(line[6:])["choices"] for line in lines if line != "data: [DONE]"]


def test_sigterm_finishes_an_in_flight_stream_then_exits_0(start_server: Callable[..., ServerProcess]) -> None:
    # 50 ms between chunks: the stream is still going for a second or more after SIGTERM.
    process = start_server("--stream-delay-ms", "50")
    expected = httpx.post(process.url + "/v1/chat/completions", json=STREAM, headers=HEADERS, timeout=30)
    first, rest = _read_stream_after_sigterm(process)
    assert rest[-1] == "data: [DONE]"
    # Every piece the same stream sends when left alone, in order: nothing was cut.
    assert _deltas([first, *rest]) == _deltas(line for line in expected.text.split("\n") if line)
    assert len(sse_payloads(expected)) > 3
    assert process.process is not None and process.process.wait(timeout=30) == 0


def test_after_sigterm_new_connections_are_refused(start_server: Callable[..., ServerProcess]) -> None:
    process = start_server("--stream-delay-ms", "50")
    _read_stream_after_sigterm(process)
    assert process.process is not None and process.process.wait(timeout=30) == 0
    try:
        httpx.get(process.url + "/health", timeout=5)
    except httpx.ConnectError:
        return
    raise AssertionError("the server still accepted connections after SIGTERM")
