"""Record and replay: `mockapi serve --upstream URL [--record DIR] [--mode ...]`.

- record: every /v1 request is forwarded to the upstream (upstream.py) and its answer relayed as it comes,
  then written to DIR as a rule (recorded.py reads the answer, rule_writer.py writes it). A request
  mockapi itself refuses (a model or a route it does not know) is forwarded too, and relayed unrecorded.
- record-on-miss: rules answer what they match; a miss is forwarded and recorded, and its rule answers
  the same request from then on.
- replay: nothing goes upstream; a request no rule answers is a 404 naming the rule that came closest and
  what differed (near_miss.py), also in the journal. Routes of stored objects (endpoints without answer
  forms: files, models) are answered by mockapi's own stores, which hold what the replayed requests made.
- proxy: every /v1 request is forwarded, nothing recorded; the journal keeps them all.

The edge captures the request's body while the route reads it as usual (so the upstream gets the bytes the
client sent) and runs proxy mode itself; the pipeline calls `forward` and `on_miss`. Generic over
endpoints: what a rule matches comes from the route's Exchange, what it answers from the endpoint's answer
forms (endpoints.py), so every route that goes through the pipeline records.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from mockapi import errors
from mockapi.context import Served, context_of
from mockapi.endpoints import ENDPOINTS, NO_FORMS
from mockapi.matching import Exchange
from mockapi.near_miss import closest
from mockapi.recorded import Recorded, answer_of, extension_for, match_of, worth_recording
from mockapi.routing import API_PREFIX
from mockapi.rule_writer import RuleWriter
from mockapi.settings import RecordMode, Settings, upstream_key
from mockapi.upstream import Capture, Upstream, relay

if TYPE_CHECKING:
    import httpx

    from mockapi.wire import Rendered

log = logging.getLogger("mockapi")

CAPTURE_KEY = "mockapi.capture"
# A proxied JSON body up to this size is parsed for the journal (which keeps a summary of it).
JOURNALED_JSON_BYTES = 1024 * 1024
# What mockapi refuses itself and record mode forwards nonetheless: not a body over the server's limit.
_NOT_FORWARDED_STATUSES = frozenset({413, 431})


class Recording:
    """The server's record-and-replay mode, its upstream and where it records."""

    def __init__(self, mode: RecordMode, upstream: Upstream | None, writer: RuleWriter | None) -> None:
        self.mode = mode
        self.upstream = upstream
        self.writer = writer

    @classmethod
    def open(cls, settings: Settings) -> Recording | None:
        """The mode the settings give (None without one); makes the recording directory (0700) if need be."""
        mode = settings.recording_mode
        if mode is None:
            return None
        upstream = None
        if mode != "replay" and settings.upstream is not None:
            upstream = Upstream(settings.upstream, upstream_key(settings), settings.upstream_timeout)
        writer = None
        if mode in ("record", "record-on-miss") and settings.record is not None:
            writer = RuleWriter(settings.record)
        return cls(mode, upstream, writer)

    # At the edge.

    @property
    def proxies(self) -> bool:
        return self.mode == "proxy"

    def applies_to(self, method: str, path: str) -> bool:
        return path.startswith(API_PREFIX) and method != "OPTIONS"

    def capture(self, scope: Scope, receive: Receive) -> Receive:
        """The receive channel the route reads, teed when the request may have to be forwarded."""
        if self.writer is None:
            return receive
        capture = scope[CAPTURE_KEY] = Capture(receive)
        return capture.receive

    def release(self, scope: Scope) -> None:
        capture = scope.pop(CAPTURE_KEY, None)
        if capture is not None:
            capture.close()

    def forwards_refusal(self, exc: Exception, scope: Scope, served: Served) -> bool:
        """Record mode forwards what mockapi refused before the pipeline forwarded it (the upstream may know
        the model or the route), unless the answer has begun or the body was over the server's limit."""
        capture = scope.get(CAPTURE_KEY)
        if self.mode != "record" or capture is None or capture.forwarded or served.status is not None:
            return False
        status = exc.status if isinstance(exc, errors.OpenAIError) else getattr(exc, "status_code", None)
        return isinstance(exc, errors.OpenAIError | HTTPException) and status not in _NOT_FORWARDED_STATUSES

    async def relay_unrecorded(self, scope: Scope, receive: Receive, send: Send, served: Served) -> None:
        """Forward the request as sent and relay the answer, recording nothing (proxy mode, refusals)."""
        capture = scope.get(CAPTURE_KEY)
        if capture is None:
            capture = scope[CAPTURE_KEY] = Capture(receive)
        await capture.finish()
        if served.body is None:
            served.body, served.raw_body = _journaled(capture, served)
        response = await self._open(served, capture)
        await relay(response, self._upstream.name)(scope, capture.receive, send)

    # In the pipeline.

    async def forward(self, request: Request, exchange: Exchange) -> Rendered:
        """The upstream's answer, relayed as it comes and then recorded as a rule for the exchange."""
        context = context_of(request)
        capture = request.scope.get(CAPTURE_KEY)
        assert capture is not None, "the edge captures the body of every request that may be forwarded"
        await capture.finish()
        response = await self._open(context.served, capture)
        forms = ENDPOINTS.get(exchange.endpoint, NO_FORMS)

        async def record(status: int, headers: httpx.Headers, data: bytes) -> None:
            if self.writer is None or not worth_recording(exchange, forms, status):
                return
            recorded = answer_of(exchange, forms, status, headers, data)
            if recorded is None:
                log.info("not recorded: an answer of %s that no answer form reads", exchange.endpoint)
                return
            blobs = await self._blobs(recorded)
            if blobs is None:
                return
            match = match_of(exchange, forms)
            rule = await asyncio.to_thread(self.writer.write, exchange.endpoint, match, recorded, blobs)
            if rule is not None and self.mode == "record-on-miss":
                context.state.rules.put_recorded(rule)

        return relay(response, self._upstream.name, record)

    async def on_miss(self, request: Request, exchange: Exchange) -> Rendered | None:
        """What answers a request no rule matched: the upstream (record-on-miss), the near-miss error
        (replay, for an endpoint whose answers rules give), else the generator (None)."""
        if self.mode == "record-on-miss":
            return await self.forward(request, exchange)
        if self.mode == "replay" and ENDPOINTS.get(exchange.endpoint):
            context = context_of(request)
            near_miss = closest((rule for _, rule in context.state.rules.rules()), exchange)
            context.served.near_miss = near_miss
            raise errors.no_rule_matched(near_miss)
        return None

    @property
    def _upstream(self) -> Upstream:
        assert self.upstream is not None, "only the modes with an upstream forward"
        return self.upstream

    async def _open(self, served: Served, capture: Capture) -> httpx.Response:
        capture.forwarded = True
        response = await self._upstream.open(served.method, served.path, served.query, served.raw_headers, capture)
        served.relayed = True
        return response

    async def _blobs(self, recorded: Recorded) -> list[tuple[bytes, str]] | None:
        """The bytes of a `files` answer, fetched from the upstream where the answer links to them."""
        blobs = []
        for blob in recorded.blobs:
            data = blob.data if blob.data is not None else await self._upstream.fetch(blob.url or "")
            if data is None:
                log.warning("not recorded: %s could not be fetched", blob.url)
                return None
            blobs.append((data, extension_for("", data) if blob.data is None else blob.extension))
        return blobs


def _journaled(capture: Capture, served: Served) -> tuple[dict[str, Any] | None, bytes | None]:
    """What the journal keeps of a proxied body: the JSON object sent, else its type and size."""
    if not capture.size:
        return None, None
    content_type = next((v.decode("latin-1") for k, v in served.raw_headers if k == b"content-type"), "")
    if content_type.startswith("application/json") and capture.size <= JOURNALED_JSON_BYTES:
        raw = capture.head(capture.size)
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            body = None
        if isinstance(body, dict):
            return body, raw
    return {"content_type": content_type, "bytes": capture.size}, None
