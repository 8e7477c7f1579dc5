"""The transport edge, as a pure ASGI middleware: the request's context (context.py), size limits (from the
routes' declarations), auth and caller identity (OpenAI's, and Azure's on its paths), OpenAI's response headers
(x-ratelimit-* from the limiter), every failure answered in OpenAI's error shape (through rendering.py; Azure's
gateway errors in its own), and the request journal (recorded once the response is done, from the served
exchange).

Pure ASGI (not BaseHTTPMiddleware) so streams pass through unbuffered and the hot path stays short.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from starlette.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockapi import azure, errors, rendering
from mockapi.context import SCOPE_KEY, Caller, RequestContext, Served
from mockapi.errors import azure as errors_azure
from mockapi.journal import keep_response
from mockapi.rendering import OPENAI_VERSION_BYTES
from mockapi.routing import API_PREFIX, API_PREFIXES, AZURE_PREFIX, CONTROL_PREFIX

if TYPE_CHECKING:
    from mockapi.registry import BodyRule, RouteTable
    from mockapi.state import AppState

__all__ = ["CorsForBrowsers", "Edge", "authenticate", "authenticate_on_azure"]

# The request headers the edge reads.
_READ = frozenset({b"authorization", b"api-key", b"openai-organization", b"openai-project", b"content-length"})


def _scan_headers(raw: Iterable[tuple[bytes, bytes]]) -> tuple[int, dict[bytes, str]]:
    """In one pass: the header block's size (names and values) and the first value of each header read."""
    size = 0
    found: dict[bytes, str] = {}
    for name, value in raw:
        size += len(name) + len(value)
        if name in _READ and name not in found:
            found[name] = value.decode("latin-1")
    return size, found


def _bearer(headers: Mapping[bytes, str]) -> str:
    scheme, _, key = headers.get(b"authorization", "").partition(" ")
    return key.strip() if scheme.lower() == "bearer" else ""


def _caller(key: str, headers: Mapping[bytes, str]) -> Caller:
    return Caller(key, headers.get(b"openai-organization"), headers.get(b"openai-project"))


def authenticate(headers: Mapping[bytes, str], state: AppState) -> Caller:
    """The caller of a /v1 request, or the real API's 401."""
    key = _bearer(headers)
    if not key:
        raise errors.missing_api_key()
    allowed = state.settings.api_keys
    if allowed and key not in allowed:
        raise errors.invalid_api_key(key)
    return _caller(key, headers)


def authenticate_on_azure(headers: Mapping[bytes, str], state: AppState) -> Caller:
    """The caller of a request on Azure's paths: its `api-key` header, else a bearer token (Azure takes Entra
    ID's tokens, and its v1 API the key as one); or Azure's 401."""
    key = headers.get(b"api-key", "").strip()
    refused = errors_azure.azure_access_denied
    if not key:
        key, refused = _bearer(headers), errors_azure.azure_invalid_token
    if not key:
        raise errors_azure.azure_access_denied()
    allowed = state.settings.api_keys
    if allowed and key not in allowed:
        raise refused()
    return _caller(key, headers)


class Edge:
    """Every http request passes here once; every failure below it, whatever raised it, is answered here
    in OpenAI's shape (so error answers carry the same headers as any other)."""

    def __init__(self, app: ASGIApp, state: AppState, routes: RouteTable) -> None:
        self.app = app
        self.state = state
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = self.state
        state.sync()
        seeding = state.seeding
        started = seeding.monotonic()
        request_id = seeding.request_id().encode()
        header_bytes, headers = _scan_headers(scope["headers"])
        organization = headers.get(b"openai-organization")
        project = headers.get(b"openai-project")
        path: str = scope["path"]
        method: str = scope["method"]
        served = Served(method, path, scope.get("query_string", b""), scope["headers"], header_bytes, started)
        scope[SCOPE_KEY] = RequestContext(state, served)
        journaled = not (path.startswith(API_PREFIXES) and method != "OPTIONS" and state.journal.size)

        def journal() -> None:
            nonlocal journaled
            if not journaled:
                journaled = True
                served.seconds = seeding.monotonic() - started
                served.time = seeding.wall_time()
                state.journal.record(served)

        async def send_with_headers(message: Message) -> None:
            if message["type"] != "http.response.start":  # a body: first, as every event of a stream is one
                if not journaled:
                    keep_response(served, message, seeding.monotonic() - started)
                if not message.get("more_body"):
                    # Journaled before the answer's last bytes leave: a client that has its answer finds it there.
                    journal()
            elif served.relayed:  # an answer relayed from the upstream keeps its own ids, versions and limits
                served.status = message["status"]
            else:
                served.status = message["status"]
                # Appended as raw pairs: the app never sets these names, so no lookup is needed.
                headers = [
                    *message.get("headers", ()),
                    (b"x-request-id", request_id),
                    (b"openai-version", OPENAI_VERSION_BYTES),
                    (b"openai-processing-ms", b"%d" % ((seeding.monotonic() - started) * 1000)),
                ]
                if organization:
                    headers.append((b"openai-organization", organization.encode("latin-1")))
                if project:
                    headers.append((b"openai-project", project.encode("latin-1")))
                state.limiter.write_headers(headers, served)
                message["headers"] = headers
            await send(message)

        try:
            await self._answer(scope, receive, send_with_headers, served, headers)
        except ClientDisconnect:
            return  # no one is left to answer
        except Exception as exc:
            if served.status is not None:  # the answer has begun: the connection is all that is left to close
                raise
            error = errors.from_exception(exc, method, path)
            if path.startswith(AZURE_PREFIX):
                error = azure.gateway_error(exc, error)
            await rendering.error(error)(scope, receive, send_with_headers)
        finally:
            journal()  # an answer cut short, or none at all

    async def _answer(
        self, scope: Scope, receive: Receive, send: Send, served: Served, headers: Mapping[bytes, str]
    ) -> None:
        settings = self.state.settings
        # Before auth: an oversized header block is refused whatever it carries.
        if served.header_bytes > settings.max_header_bytes:
            raise errors.headers_too_large(settings.max_header_bytes)
        path = served.path
        if served.method != "OPTIONS" and not self.routes.is_public(path):
            if path.startswith(API_PREFIX):
                served.caller = authenticate(headers, self.state)
            elif path.startswith(AZURE_PREFIX):
                served.caller = authenticate_on_azure(headers, self.state)
        body = self.routes.body_rule(served.method, path)
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit():
            if int(declared) > body.limit:
                raise body.too_large(int(declared))
            limited = receive  # the HTTP parser holds a body to its declared length
        else:
            limited = _limited(receive, body)
        recording = self.state.recording
        if recording is None or not recording.applies_to(served.method, path):
            await self.app(scope, limited, send)
            return
        try:
            if recording.proxies:
                await recording.relay_unrecorded(scope, limited, send, served)
                return
            try:
                await self.app(scope, recording.capture(scope, limited), send)
            except Exception as exc:
                if not recording.forwards_refusal(exc, scope, served):
                    raise
                await recording.relay_unrecorded(scope, limited, send, served)
        finally:
            recording.release(scope)


def _limited(receive: Receive, body: BodyRule) -> Receive:
    """Counts body bytes as they arrive, so a chunked body over the limit stops while being read."""
    received = 0
    limit, too_large = body.limit, body.too_large

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
