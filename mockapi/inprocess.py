"""One request to the app, in this process: what a batch's requests are answered by.

The request enters the whole ASGI app as a request from a socket would (the edge, the route, the pipeline:
auth, validation, rate limits, rules and faults), and the answer is collected: status, headers and body,
and whether it was complete (a reset, a cut or a stall leaves it incomplete).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message

RawHeaders = list[tuple[bytes, bytes]]
# How long the app has to notice the caller hung up before it is cancelled.
HANG_UP_SECONDS = 5


@dataclass
class Answered:
    status: int | None = None
    headers: RawHeaders = field(default_factory=list)
    chunks: list[bytes] = field(default_factory=list)
    complete: bool = False

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)

    def header(self, name: bytes) -> str | None:
        return next((value.decode("latin-1") for key, value in self.headers if key.lower() == name), None)


async def call(
    app: ASGIApp, method: str, path: str, headers: Sequence[tuple[bytes, bytes]], body: bytes, timeout: float
) -> Answered:
    """The app's answer to one request, waited for at most `timeout` seconds (then the caller hangs up, as a
    client whose read timed out would, and what came so far is the answer, incomplete)."""
    answered = Answered()
    finished = asyncio.Event()
    hung_up = asyncio.Event()
    body_sent = False

    async def receive() -> Message:
        nonlocal body_sent
        if not body_sent:
            body_sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await hung_up.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answered.status = message["status"]
            answered.headers = list(message.get("headers", ()))
        elif message["type"] == "http.response.body":
            answered.chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                answered.complete = True
                finished.set()

    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [*headers, (b"content-length", b"%d" % len(body))],
        "client": ("127.0.0.1", 0),
        "server": ("127.0.0.1", 0),
        "extensions": {},
        "state": {},
    }
    running = asyncio.ensure_future(app(scope, receive, send))
    waiting = asyncio.ensure_future(finished.wait())
    try:
        await asyncio.wait((running, waiting), timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        hung_up.set()  # the app's waits (a stall, a delay) end when the client is gone
        # Whatever the app raised once its answer had begun (the edge answers anything raised before), the
        # answer is what came: complete only if its last part did.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(running, HANG_UP_SECONDS)
    finally:  # also when the caller is cancelled (the server stopping): nothing of the request outlives it
        waiting.cancel()
        if not running.done():
            running.cancel()
    return answered
