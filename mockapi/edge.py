"""The transport edge, as a pure ASGI middleware: auth, caller identity, OpenAI's response headers
(x-ratelimit-* included), and the request journal (recorded once the response is done).

Pure ASGI (not BaseHTTPMiddleware) so streams pass through unbuffered and the hot path stays short.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockapi import errors
from mockapi.journal import body_json
from mockapi.ratelimit import Limits
from mockapi.state import AppState

OPENAI_VERSION = "2020-10-01"
OPENAI_VERSION_BYTES = OPENAI_VERSION.encode()
API_PREFIX = "/v1"
# Served like pre-signed links: no key needed.
PUBLIC_PREFIXES = ("/v1/images/files/",)
# Room for the multipart boundaries, part headers and the purpose field around an uploaded file.
MULTIPART_ALLOWANCE = 1024 * 1024


@dataclass(frozen=True)
class Caller:
    """Who is asking: state such as the file store is scoped to `owner`."""

    api_key: str
    organization: str | None

    @property
    def owner(self) -> str:
        # Disjoint prefixes: an organization header cannot name a key's scope, nor the reverse.
        return f"org:{self.organization}" if self.organization else f"key:{self.api_key}"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def authenticate(scope: Scope, state: AppState) -> Caller:
    """The caller of a /v1 request, or the real API's 401."""
    authorization = _header(scope, b"authorization") or ""
    scheme, _, key = authorization.partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise errors.missing_api_key()
    allowed = state.settings.api_keys
    if allowed and key not in allowed:
        raise errors.invalid_api_key(key)
    return Caller(api_key=key, organization=_header(scope, b"openai-organization"))


class Edge:
    def __init__(self, app: ASGIApp, state: AppState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seeding = self.state.seeding
        started = seeding.monotonic()
        request_id = seeding.request_id()
        organization = _header(scope, b"openai-organization")
        notes: dict[str, Any] = scope.setdefault("state", {})
        status: list[int] = []

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
                # Appended as raw pairs: the app never sets these names, so no lookup is needed.
                headers = list(message.get("headers", ()))
                headers += (
                    (b"x-request-id", request_id.encode()),
                    (b"openai-version", OPENAI_VERSION_BYTES),
                    (b"openai-processing-ms", b"%d" % int((seeding.monotonic() - started) * 1000)),
                )
                if organization:
                    headers.append((b"openai-organization", organization.encode("latin-1")))
                caller = notes.get("caller")
                if caller is not None:
                    self._add_rate_limit_headers(headers, notes.get("ratelimit") or (caller.api_key, None))
                message["headers"] = headers
            await send(message)

        # Before auth: an oversized header block is refused whatever it carries.
        header_limit = self.state.settings.max_header_bytes
        if sum(len(name) + len(value) for name, value in scope["headers"]) > header_limit:
            await errors.headers_too_large(header_limit).response()(scope, receive, send_with_headers)
            return
        path: str = scope["path"]
        if not path.startswith(API_PREFIX):
            await self._forward(scope, receive, send_with_headers)
            return
        try:
            if scope["method"] != "OPTIONS" and not path.startswith(PUBLIC_PREFIXES):
                try:
                    notes["caller"] = authenticate(scope, self.state)
                except errors.OpenAIError as exc:
                    await exc.response()(scope, receive, send_with_headers)
                    return
            await self._forward(scope, receive, send_with_headers)
        finally:
            self._journal(scope, notes, status[0] if status else None, seeding.monotonic() - started)

    async def _forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = body_limit(self.state, scope)
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await errors.body_too_large(limit).response()(scope, receive, send)
            return
        await self.app(scope, _limited(receive, limit), send)

    def _add_rate_limit_headers(self, headers: list[tuple[bytes, bytes]], bucket: tuple[str, Limits | None]) -> None:
        key, limits = bucket
        values = self.state.limiter.headers(key, limits or self.state.limits, self.state.seeding.monotonic())
        if any(name.startswith(b"x-ratelimit-") for name, _ in headers):  # a rule set some itself
            present = {name for name, _ in headers}
            values = [(name, value) for name, value in values if name not in present]
        headers.extend(values)

    def _journal(self, scope: Scope, notes: dict[str, Any], status: int | None, seconds: float) -> None:
        """One journal entry per /v1 request, with what the pipeline left on the scope's state."""
        if scope["method"] == "OPTIONS":
            return
        journal = self.state.journal
        if journal.size == 0:
            return
        journal.record(
            time=self.state.seeding.now(),
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b"").decode("latin-1"),
            raw_headers=scope["headers"],
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


def _limited(receive: Receive, limit: int) -> Receive:
    """Counts body bytes as they arrive, so a chunked body over the limit stops while being read."""
    received = 0

    async def limited_receive() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise errors.body_too_large(limit)
        return message

    return limited_receive


class CorsForBrowsers:
    """Starlette's CORS middleware for requests that carry an Origin header (browsers, which need it);
    SDKs and curl send none, and skip its per-response work."""

    def __init__(self, app: ASGIApp, allow_origins: Sequence[str], expose_headers: Sequence[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app, allow_origins=allow_origins, allow_methods=["*"], allow_headers=["*"], expose_headers=expose_headers
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and any(name == b"origin" for name, _ in scope["headers"]):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
