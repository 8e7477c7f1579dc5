"""The upstream a request is forwarded to (record, record-on-miss and proxy modes, recording.py), over httpx.

What goes: the request as the client sent it (its bytes, multipart uploads included, captured while the
route read them), with the upstream's key in place of the client's when one is configured, and without
cookies, hop-by-hop headers or mockapi's own. What comes back: the status, the headers clients read
(x-request-id, openai-*, x-ratelimit-*, retry-after) and the body, relayed chunk by chunk as it arrives.
Failing to reach the upstream is an OpenAI-shaped 502 (504 for a timeout) naming it, never a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import urlsplit

import httpx
from starlette.requests import ClientDisconnect
from starlette.types import Message, Receive

from mockapi import errors
from mockapi.context import RawHeaders
from mockapi.routing import API_PREFIX
from mockapi.wire import Cut, Rendered

log = logging.getLogger("mockapi")

# A request body stays in memory up to this size, and is spooled to a temporary file beyond.
SPOOL_BYTES = 1024 * 1024
CHUNK_BYTES = 64 * 1024
# Of an answer, at most this much is kept to record (a larger one is relayed, not recorded).
MAX_KEPT_BYTES = 64 * 1024 * 1024

# Not forwarded: hop-by-hop headers, those httpx sets itself, the client's cookies, mockapi's own headers.
_NOT_FORWARDED = frozenset(
    {
        b"host", b"connection", b"keep-alive", b"proxy-authorization", b"proxy-connection", b"te", b"trailer",
        b"transfer-encoding", b"upgrade", b"content-length", b"accept-encoding", b"cookie", b"expect",
    }
)  # fmt: skip
_MOCKAPI_HEADERS = b"x-mockapi-"
# The answer's headers the client gets: its type, and what SDKs read (ids, versions, limits, waits).
_RELAYED = frozenset({"content-type", "content-disposition", "retry-after", "retry-after-ms", "x-request-id"})
_RELAYED_PREFIXES = ("openai-", "x-ratelimit-")

# What a recorder makes of an answer relayed whole: its status, headers and bytes.
Done = Callable[[int, httpx.Headers, bytes], Awaitable[None]]


class Capture:
    """The request body as the route reads it (a tee of `receive`), in memory or spooled past SPOOL_BYTES,
    so that it can be forwarded as sent."""

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        # Closed by `close` once the request is answered (the edge's `release`).
        self._spool = tempfile.SpooledTemporaryFile(SPOOL_BYTES)  # noqa: SIM115
        self.size = 0
        self.complete = False
        self.forwarded = False

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            chunk = message.get("body", b"")
            if chunk:
                self._spool.write(chunk)
                self.size += len(chunk)
            if not message.get("more_body"):
                self.complete = True
        return message

    async def finish(self) -> None:
        """Reads what the route left unread of the body."""
        while not self.complete:
            if (await self.receive())["type"] == "http.disconnect":
                raise ClientDisconnect

    def head(self, size: int) -> bytes:
        """The first `size` bytes of the body."""
        self._spool.seek(0)
        return self._spool.read(size)

    def content(self) -> bytes | AsyncIterator[bytes]:
        if self.size <= SPOOL_BYTES:
            return self.head(self.size)
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[bytes]:
        self._spool.seek(0)
        while chunk := await asyncio.to_thread(self._spool.read, CHUNK_BYTES):
            yield chunk

    def close(self) -> None:
        self._spool.close()


def display_name(base_url: str) -> str:
    """How messages name the upstream: its scheme, host and port (never credentials or a query)."""
    parts = urlsplit(base_url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or ''}{port}"


class Upstream:
    """An OpenAI-compatible base URL (as the SDKs take it, ending in /v1) and the key to call it with."""

    def __init__(self, base_url: str, key: str | None, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.name = display_name(base_url)
        self.key = key
        self.timeout = timeout
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _http(self) -> httpx.AsyncClient:
        """One connection pool per event loop. The environment's proxy settings are not read: the settings
        module is the only reader of the environment."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client = httpx.AsyncClient(timeout=httpx.Timeout(self.timeout), trust_env=False)
            self._loop = loop
        return self._client

    def url_for(self, path: str, query: bytes) -> str:
        tail = path[len(API_PREFIX) :] if path.startswith(API_PREFIX + "/") else path
        url = self.base_url + tail
        return f"{url}?{query.decode('latin-1')}" if query else url

    def headers_for(self, raw: RawHeaders, size: int) -> list[tuple[bytes, bytes]]:
        headers = [
            (name, value)
            for name, value in raw
            if name not in _NOT_FORWARDED
            and not name.startswith(_MOCKAPI_HEADERS)
            and not (self.key and name == b"authorization")
        ]
        if self.key:
            headers.append((b"authorization", b"Bearer " + self.key.encode("latin-1")))
        if size:
            headers.append((b"content-length", b"%d" % size))
        return headers

    async def open(
        self, method: str, path: str, query: bytes, raw: RawHeaders, capture: Capture | None
    ) -> httpx.Response:
        """The upstream's answer, its head read and its body still to come (`relay` sends it on)."""
        client = self._http()
        size = capture.size if capture is not None else 0
        content = capture.content() if capture is not None and size else None
        url, headers = self.url_for(path, query), self.headers_for(raw, size)
        request = client.build_request(method, url, headers=headers, content=content)
        try:
            return await client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise errors.upstream_timeout(self.name, self.timeout) from exc
        except (httpx.HTTPError, ssl.SSLError, OSError) as exc:
            raise errors.upstream_unreachable(self.name, failure(exc)) from exc

    async def fetch(self, url: str) -> bytes | None:
        """What an answer links to (an image's URL), for recording; None if it cannot be had whole."""
        if not url.startswith(("http://", "https://")):
            return None
        try:
            async with self._http().stream("GET", url) as response:
                if response.status_code != 200:
                    return None
                data = bytearray()
                async for chunk in response.aiter_bytes():
                    data += chunk
                    if len(data) > MAX_KEPT_BYTES:
                        return None
                return bytes(data)
        except httpx.HTTPError:
            return None


def failure(exc: BaseException) -> str:
    """What went wrong reaching the upstream, in a few words."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLError):
            return f"the TLS handshake failed ({cause.reason or cause})"
        if isinstance(cause, ConnectionRefusedError):
            return "the connection was refused"
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, httpx.ConnectError) and "CERTIFICATE" in str(exc).upper():
        return f"the TLS handshake failed ({exc})"
    detail = str(exc)
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def relayed_headers(headers: httpx.Headers) -> list[tuple[bytes, bytes]]:
    """The upstream's answer headers a client reads, unchanged."""
    pairs = []
    for name, value in headers.multi_items():
        lower = name.lower()
        if lower in _RELAYED or lower.startswith(_RELAYED_PREFIXES):
            pairs.append((lower.encode("latin-1"), value.encode("latin-1")))
    return pairs


def relay(response: httpx.Response, upstream: str, done: Done | None = None) -> Rendered:
    """The upstream's answer as it comes, each chunk sent on as it arrives (never a whole stream held);
    `done` gets the whole answer once it is relayed complete and within MAX_KEPT_BYTES."""
    parts = _relayed(response, upstream, done)
    return Rendered.in_parts(response.status_code, relayed_headers(response.headers), parts)


async def _relayed(response: httpx.Response, upstream: str, done: Done | None) -> AsyncIterator[bytes]:
    # When recording, the last chunk is held back until the answer is recorded: a client that has read the whole answer
    # (an SDK closes the stream at `[DONE]`) then finds its rule written, however loaded the server.
    kept: bytearray | None = bytearray() if done is not None else None
    held = b""
    try:
        async for chunk in response.aiter_bytes():
            if not chunk:
                continue
            if kept is not None:
                if len(kept) + len(chunk) > MAX_KEPT_BYTES:
                    log.warning("%s: an answer over %d bytes is relayed, not recorded", upstream, MAX_KEPT_BYTES)
                    kept = None
                else:
                    kept += chunk
            if done is None:
                yield chunk
                continue
            if held:
                yield held
            held = chunk
    except httpx.HTTPError as exc:
        log.warning("%s broke its answer off: %s", upstream, failure(exc))
        if held:
            yield held
        raise Cut from exc  # the head is sent: closing the connection is all that is left
    finally:
        await response.aclose()
    if done is not None and kept is not None:
        try:
            await done(response.status_code, response.headers, bytes(kept))
        except Exception:  # a recording that fails must not fail the answer already relayed
            log.exception("recording the answer of %s failed", upstream)
    if held:
        yield held
