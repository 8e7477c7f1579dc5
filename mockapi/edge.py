"""The transport edge, as a pure ASGI middleware: auth, caller identity, OpenAI's response headers.

Pure ASGI (not BaseHTTPMiddleware) so streams pass through unbuffered and the hot path stays short.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockapi import errors
from mockapi.state import AppState

OPENAI_VERSION = "2020-10-01"
API_PREFIX = "/v1"
# Served like pre-signed links: no key needed.
PUBLIC_PREFIXES = ("/v1/images/files/",)


@dataclass(frozen=True)
class Caller:
    """Who is asking: state such as the file store is scoped to `owner`."""

    api_key: str
    organization: str | None

    @property
    def owner(self) -> str:
        return self.organization or f"key:{self.api_key}"


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

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["x-request-id"] = request_id
                headers["openai-version"] = OPENAI_VERSION
                headers["openai-processing-ms"] = str(int((seeding.monotonic() - started) * 1000))
                if organization:
                    headers["openai-organization"] = organization
            await send(message)

        # Before auth: an oversized header block is refused whatever it carries.
        header_limit = self.state.settings.max_header_bytes
        if sum(len(name) + len(value) for name, value in scope["headers"]) > header_limit:
            await errors.headers_too_large(header_limit).response()(scope, receive, send_with_headers)
            return
        path: str = scope["path"]
        scope.setdefault("state", {})
        if scope["method"] != "OPTIONS" and path.startswith(API_PREFIX) and not path.startswith(PUBLIC_PREFIXES):
            try:
                scope["state"]["caller"] = authenticate(scope, self.state)
            except errors.OpenAIError as exc:
                await exc.response()(scope, receive, send_with_headers)
                return
        limit = self.state.settings.max_body_bytes
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await errors.body_too_large(limit).response()(scope, receive, send_with_headers)
            return
        await self.app(scope, _limited(receive, limit), send_with_headers)


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
