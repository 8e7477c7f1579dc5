"""Streams abandoned by their clients stop their generators: nothing is left running on the server."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from mockapi.settings import Settings
from tests.hardening.figures import report
from tests.hardening.inprocess import InProcessServer, in_process_server
from tests.support import API_KEY

pytestmark = pytest.mark.slow

ABANDONED = 500
AT_ONCE = 50
# One chunk a second: a stream left running would outlive the wait below many times over.
SLOW = Settings(stream_delay_ms=1000)
# uvicorn runs each request as a task of this coroutine, until the app returns.
REQUEST_TASK = "RequestResponseCycle.run_asgi"
STREAM = {"model": "gpt-4", "stream": True, "messages": [{"role": "user", "content": "Tell me a long story"}]}


async def _open_and_abandon(client: httpx.AsyncClient) -> str:
    """Read the first event of a stream, then hang up."""
    async with client.stream("POST", "/v1/chat/completions", json=STREAM) as response:
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                return line
    raise AssertionError("the stream ended before its first event")


def _settle(server: InProcessServer, wait: float = 10.0) -> list[str]:
    """The server's tasks once no request is being served any more, or as they are when `wait` runs out."""
    deadline = time.monotonic() + wait
    while REQUEST_TASK in (tasks := server.tasks()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return tasks


async def test_abandoned_streams_leave_no_task_running() -> None:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    limits = httpx.Limits(max_connections=AT_ONCE)
    with in_process_server(SLOW) as server:
        async with httpx.AsyncClient(base_url=server.url, headers=headers, limits=limits, timeout=30) as client:
            # One stream first, so that whatever a first stream starts once per server (lazy loads, caches)
            # is in the baseline.
            await _open_and_abandon(client)
            baseline = _settle(server)
            firsts = []
            for _ in range(ABANDONED // AT_ONCE):
                firsts += await asyncio.gather(*(_open_and_abandon(client) for _ in range(AT_ONCE)))
            during = len(server.tasks())
        after = await asyncio.to_thread(_settle, server)
    assert len(firsts) == ABANDONED and all('"chat.completion.chunk"' in line for line in firsts)
    report(f"abandoned streams: {ABANDONED}; server tasks before {len(baseline)}, after {during}, settled {len(after)}")
    assert after == baseline
