"""Soak: 20,000 mixed requests against a real server, streams abandoned mid-way among them; the
server's memory after them all is within 20 MB of its memory after the first 2,000.

Texts are new in every request, so every cache (tokenizer, embedding vectors and their JSON, image
links) is pushed to its bound early on, and must stay there. The image cache is set small
(--image-cache-size) so that its bound, not the soak's length, decides its size.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from tests.hardening.figures import report
from tests.support import API_KEY, ServerProcess, silent_wav

pytestmark = pytest.mark.slow

TOTAL = 20_000
WARM_UP = 2_000
CONNECTIONS = 16
MAX_GROWTH_MB = 20

Send = Callable[[httpx.AsyncClient, int], Awaitable[int]]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _words(i: int, n: int = 5) -> str:
    """`n` words no other request uses."""
    return " ".join(f"w{i}x{k}" for k in range(n))


WAV = silent_wav(0.5)


async def _post(client: httpx.AsyncClient, path: str, body: object) -> int:
    return (await client.post(path, json=body)).status_code


async def models(client: httpx.AsyncClient, i: int) -> int:
    return (await client.get("/v1/models")).status_code


async def chat(client: httpx.AsyncClient, i: int) -> int:
    body = {"model": "gpt-3.5-turbo", "max_tokens": 8, "messages": [{"role": "user", "content": _words(i)}]}
    return await _post(client, "/v1/chat/completions", body)


async def completion(client: httpx.AsyncClient, i: int) -> int:
    return await _post(client, "/v1/completions", {"model": "text-davinci-003", "max_tokens": 8, "prompt": _words(i)})


async def embedding(client: httpx.AsyncClient, i: int) -> int:
    # Twelve new words a request: the vector caches reach their 16 MiB bounds within the warm-up.
    return await _post(client, "/v1/embeddings", {"model": "text-embedding-ada-002", "input": _words(i, 12)})


async def edit(client: httpx.AsyncClient, i: int) -> int:
    body = {"model": "text-davinci-edit-001", "input": _words(i, 3), "instruction": "Fix it"}
    return await _post(client, "/v1/edits", body)


async def invalid(client: httpx.AsyncClient, i: int) -> int:
    return await _post(client, "/v1/chat/completions", {"model": "gpt-4", "messages": _words(i), f"k{i}": 1})


async def unknown_model(client: httpx.AsyncClient, i: int) -> int:
    return await _post(client, "/v1/embeddings", {"model": f"model-{i}", "input": "x"})


async def no_key(client: httpx.AsyncClient, i: int) -> int:
    return (await client.get("/v1/models", headers={"Authorization": ""})).status_code


async def abandoned_stream(client: httpx.AsyncClient, i: int) -> int:
    body = {"model": "gpt-4", "stream": True, "messages": [{"role": "user", "content": _words(i)}]}
    async with client.stream("POST", "/v1/chat/completions", json=body) as response:
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                break  # hang up mid-way: the server is still pacing the rest
        return response.status_code


async def image(client: httpx.AsyncClient, i: int) -> int:
    return await _post(client, "/v1/images/generations", {"prompt": _words(i), "size": "256x256"})


async def transcription(client: httpx.AsyncClient, i: int) -> int:
    files = {"file": (f"clip-{i}.wav", WAV)}
    return (await client.post("/v1/audio/transcriptions", files=files, data={"model": "whisper-1"})).status_code


# One round of the mix, 40 requests; rounds repeat until TOTAL.
ROUND: list[Send] = [
    *[models] * 4,
    *[chat] * 6,
    *[completion] * 4,
    *[embedding] * 12,
    *[edit] * 2,
    *[invalid] * 3,
    *[unknown_model] * 2,
    *[no_key] * 2,
    *[abandoned_stream] * 3,
    image,
    transcription,
]


async def _run(url: str, start: int, stop: int, statuses: Counter[int]) -> None:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    numbers = iter(range(start, stop))
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=60) as client:

        async def worker() -> None:
            for i in numbers:
                try:
                    statuses[await ROUND[i % len(ROUND)](client, i)] += 1
                except httpx.TransportError:
                    statuses[0] += 1  # no answer at all: counted as a failure below

        await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))


@pytest.mark.timeout(300)
def test_memory_stays_flat_over_20000_requests(start_server: Callable[..., ServerProcess]) -> None:
    process = start_server("--stream-delay-ms", "20", "--image-cache-size", "32", "--log-level", "error")
    assert process.process is not None
    pid = process.process.pid
    statuses: Counter[int] = Counter()
    asyncio.run(_run(process.url, 0, WARM_UP, statuses))
    rss_warm = _rss_mb(pid)
    asyncio.run(_run(process.url, WARM_UP, TOTAL, statuses))
    rss_end = _rss_mb(pid)
    sent = sum(statuses.values())
    failures = sum(n for status, n in statuses.items() if status >= 500 or status == 0)
    report(
        f"soak: {sent} requests ({', '.join(f'{s}: {n}' for s, n in sorted(statuses.items()))}); "
        f"5xx or unanswered {failures}; RSS after {WARM_UP} {rss_warm:.1f} MB, after {sent} {rss_end:.1f} MB "
        f"(growth {rss_end - rss_warm:+.1f} MB, limit {MAX_GROWTH_MB})"
    )
    assert sent == TOTAL and failures == 0, (statuses, process.output()[-3000:])
    assert set(statuses) <= {200, 400, 401, 404}, statuses
    assert rss_end - rss_warm <= MAX_GROWTH_MB
