"""The transport edge, as a pure ASGI middleware: size limits, auth and caller identity, OpenAI's response
headers (x-ratelimit-* included), every failure answered in OpenAI's error shape, and the request journal
(recorded once the response is done).

Pure ASGI (not BaseHTTPMiddleware) so streams pass through unbuffered and the hot path stays short.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from starlette.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockapi import audio_files, errors
from mockapi.faults import StreamCut
from mockapi.journal import body_json
from mockapi.state import AppState

OPENAI_VERSION = "2020-10-01"
OPENAI_VERSION_BYTES = OPENAI_VERSION.encode()
API_PREFIX = "/v1"
CONTROL_PREFIX = "/__mockapi"
# Served like pre-signed links: no key needed.
PUBLIC_PREFIXES = ("/v1/images/files/",)
# Room for the multipart boundaries, part headers and the purpose field around an uploaded file.
MULTIPART_ALLOWANCE = 1024 * 1024


RawHeaders = list[tuple[bytes, bytes]]


class Caller(NamedTuple):
    """Who is asking: state such as the file store is scoped to `owner`."""

    api_key: str
    organization: str | None

    @property
    def owner(self) -> str:
        # Disjoint prefixes: an organization header cannot name a key's scope, nor the reverse.
        return f"org:{self.organization}" if self.organization else f"key:{self.api_key}"


# The request headers the edge reads.
_READ = frozenset({b"authorization", b"openai-organization", b"content-length"})


def _scan_headers(raw: Iterable[tuple[bytes, bytes]]) -> tuple[int, dict[bytes, str]]:
    """In one pass: the header block's size (names and values) and the first value of each header read."""
    size = 0
    found: dict[bytes, str] = {}
    for name, value in raw:
        size += len(name) + len(value)
        if name in _READ and name not in found:
            found[name] = value.decode("latin-1")
    return size, found


def authenticate(headers: Mapping[bytes, str], state: AppState) -> Caller:
    """The caller of a /v1 request, or the real API's 401."""
    scheme, _, key = headers.get(b"authorization", "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise errors.missing_api_key()
    allowed = state.settings.api_keys
    if allowed and key not in allowed:
        raise errors.invalid_api_key(key)
    return Caller(api_key=key, organization=headers.get(b"openai-organization"))


class Edge:
    """Every http request passes here once; every failure below it, whatever raised it, is answered here
    in OpenAI's shape (so error answers carry the same headers as any other)."""

    def __init__(self, app: ASGIApp, state: AppState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seeding = self.state.seeding
        started = seeding.monotonic()
        request_id = seeding.request_id().encode()
        header_bytes, headers = _scan_headers(scope["headers"])
        organization = headers.get(b"openai-organization")
        notes: dict[str, Any] = scope.setdefault("state", {})
        notes["app_state"] = self.state  # for the endpoints: cheaper to reach than app.state
        notes["header_bytes"] = header_bytes
        status = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                # Appended as raw pairs: the app never sets these names, so no lookup is needed.
                headers = [
                    *message.get("headers", ()),
                    (b"x-request-id", request_id),
                    (b"openai-version", OPENAI_VERSION_BYTES),
                    (b"openai-processing-ms", b"%d" % ((seeding.monotonic() - started) * 1000)),
                ]
                if organization:
                    headers.append((b"openai-organization", organization.encode("latin-1")))
                caller = notes.get("caller")
                if caller is not None:
                    self._add_rate_limit_headers(headers, notes, caller)
                message["headers"] = headers
            await send(message)

        path: str = scope["path"]
        try:
            await self._answer(scope, receive, send_with_headers, notes, headers)
        except StreamCut:
            return  # answered incomplete on purpose: uvicorn closes the connection
        except ClientDisconnect:
            return  # no one is left to answer
        except Exception as exc:
            if status:  # the answer has begun: the connection is all that is left to close
                raise
            error = errors.from_exception(exc, scope["method"], path)
            await error.response()(scope, receive, send_with_headers)
        finally:
            if path.startswith(API_PREFIX) and scope["method"] != "OPTIONS":
                self._journal(scope, notes, status or None, seeding.monotonic() - started)

    async def _answer(
        self, scope: Scope, receive: Receive, send: Send, notes: dict[str, Any], headers: Mapping[bytes, str]
    ) -> None:
        settings = self.state.settings
        # Before auth: an oversized header block is refused whatever it carries.
        if notes["header_bytes"] > settings.max_header_bytes:
            raise errors.headers_too_large(settings.max_header_bytes)
        path: str = scope["path"]
        if path.startswith(API_PREFIX) and scope["method"] != "OPTIONS" and not path.startswith(PUBLIC_PREFIXES):
            notes["caller"] = authenticate(headers, self.state)
        limit = body_limit(self.state, scope)
        too_large = _too_large_error(path, limit)
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise too_large(int(declared))
        await self.app(scope, _limited(receive, limit, too_large), send)

    def _add_rate_limit_headers(
        self, headers: list[tuple[bytes, bytes]], notes: dict[str, Any], caller: Caller
    ) -> None:
        """The window of the caller's key (or of the key and the matched rule's own limits)."""
        state = self.state
        key, limits = notes.get("ratelimit") or (caller.api_key, state.limits)
        values = state.limiter.headers(key, limits, state.seeding.monotonic())
        if "rule_id" in notes:  # a rule's answer may set some of them itself
            present = {name for name, _ in headers}
            values = [(name, value) for name, value in values if name not in present]
        headers.extend(values)

    def _journal(self, scope: Scope, notes: dict[str, Any], status: int | None, seconds: float) -> None:
        """One journal entry per /v1 request, with what the pipeline left on the scope's state."""
        journal = self.state.journal
        if journal.size == 0:
            return
        journal.record(
            time=self.state.seeding.wall_time(),
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b"").decode("latin-1"),
            raw_headers=scope["headers"],
            header_bytes=notes["header_bytes"],
            body_json=body_json(notes.get("journal_body"), notes.get("journal_raw")),
            status=status,
            duration_ms=round(seconds * 1000, 3),
            rule_id=notes.get("rule_id"),
            fault=notes.get("fault"),
        )


def body_limit(state: AppState, scope: Scope) -> int:
    """File uploads may be as large as the per-file limit allows (plus the multipart framing)."""
    limit = state.settings.max_body_bytes
    if scope["method"] == "POST" and scope["path"] == API_PREFIX + "/files":
        limit = max(limit, state.settings.max_file_bytes + MULTIPART_ALLOWANCE)
    return limit


TooLarge = Callable[[int], errors.OpenAIError]

# Where the real API words the refusal of an oversized body its own way.
_TOO_LARGE_BY_PATH: dict[str, TooLarge] = {
    API_PREFIX + "/audio/transcriptions": audio_files.content_too_large,
    API_PREFIX + "/audio/translations": audio_files.content_too_large,
}


def _too_large_error(path: str, limit: int) -> TooLarge:
    """The refusal of a body of `size` bytes (declared, or read so far) over `limit`."""
    return _TOO_LARGE_BY_PATH.get(path) or (lambda size: errors.body_too_large(limit))


def _limited(receive: Receive, limit: int, too_large: TooLarge) -> Receive:
    """Counts body bytes as they arrive, so a chunked body over the limit stops while being read."""
    received = 0

    async def limited_receive() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise too_large(received)
        return message

    return limited_receive


class CorsForBrowsers:
    """Starlette's CORS middleware for requests that carry an Origin header (browsers, which need it);
    SDKs and curl send none, and skip its per-response work. The control API gets none: a web page must not
    be able to read the journal or rewrite the rules."""

    def __init__(self, app: ASGIApp, allow_origins: Sequence[str], expose_headers: Sequence[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app, allow_origins=allow_origins, allow_methods=["*"], allow_headers=["*"], expose_headers=expose_headers
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(CONTROL_PREFIX) and _from_browser(scope):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def _from_browser(scope: Scope) -> bool:
    return b"origin" in dict(scope["headers"])  # built in C: cheaper than a loop in Python
