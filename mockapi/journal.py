"""The request journal: a bounded ring of what clients sent and what they got, oldest first.

The edge records one entry per /v1 request once the response is finished (it knows the status and the
duration); the pipeline leaves the parsed body, the matched rule and any injected fault on the request's
scope state. Bodies are summarised (long strings and lists cut) so memory stays flat under any load.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import orjson

from mockapi.errors import mask_key

# How much of a body an entry keeps.
MAX_STRING = 2_000
MAX_ITEMS = 100
MAX_DEPTH = 12


# Raw headers up to this many bytes are kept as received and masked when read; larger ones are masked
# and cut at once, so an entry stays small.
MAX_RAW_HEADER_BYTES = 8_192
RawHeaders = Sequence[tuple[bytes, bytes]]


class Entry(NamedTuple):
    """One request. Kept compact and cheap to record (the edge records every /v1 request): headers as
    received and the body as JSON bytes; both are decoded, and the key masked, when read."""

    id: int
    time: float
    method: str
    path: str
    query: str
    raw_headers: RawHeaders
    body_json: bytes
    status: int | None
    duration_ms: float
    rule_id: str | None
    fault: str | None

    @property
    def headers(self) -> dict[str, str]:
        return masked_headers(self.raw_headers)

    @property
    def body(self) -> Any:
        return orjson.loads(self.body_json)

    @property
    def session(self) -> str | None:
        return next((v.decode("latin-1") for k, v in self.raw_headers if k == b"x-mockapi-session"), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "mockapi.request",
            "time": self.time,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "body": self.body,
            "status": self.status,
            "duration_ms": self.duration_ms,
            "session": self.session,
            "rule_id": self.rule_id,
            "fault": self.fault,
        }


def body_json(body: Any, raw: bytes | None = None) -> bytes:
    """What an entry keeps of a body: the request's own JSON when it is small, else a summary of it."""
    if raw is not None and len(raw) <= MAX_STRING:
        return raw
    return orjson.dumps(summarise(body), default=str)


def compact_headers(raw: RawHeaders) -> RawHeaders:
    if sum(len(value) for _, value in raw) <= MAX_RAW_HEADER_BYTES:
        return raw
    return [(k.encode("latin-1"), summarise(v).encode("latin-1", "replace")) for k, v in masked_headers(raw).items()]


def masked_headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """Request headers by name; the API key in Authorization is masked as the real API masks it."""
    headers: dict[str, str] = {}
    for key, value in raw:
        name = key.decode("latin-1")
        text = value.decode("latin-1")
        if name == "authorization":
            scheme, _, secret = text.partition(" ")
            text = f"{scheme} {mask_key(secret.strip())}" if secret else mask_key(text)
        headers[name] = text
    return headers


def summarise(value: Any, depth: int = 0) -> Any:
    """A copy of a JSON-like value small enough to keep: strings, lists and depth are capped."""
    if isinstance(value, str):
        return value if len(value) <= MAX_STRING else f"{value[:MAX_STRING]}... [{len(value) - MAX_STRING} more]"
    if value is None or isinstance(value, bool | int | float):
        return value
    if depth >= MAX_DEPTH:
        return "..."
    if isinstance(value, Mapping):
        items = list(value.items())
        kept = {str(k): summarise(v, depth + 1) for k, v in items[:MAX_ITEMS]}
        if len(items) > MAX_ITEMS:
            kept["..."] = f"{len(items) - MAX_ITEMS} more keys"
        return kept
    if isinstance(value, list | tuple):
        kept_list = [summarise(v, depth + 1) for v in value[:MAX_ITEMS]]
        if len(value) > MAX_ITEMS:
            kept_list.append(f"... [{len(value) - MAX_ITEMS} more items]")
        return kept_list
    return summarise(str(value), depth)


class Journal:
    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: deque[Entry] = deque(maxlen=size)
        self._next_id = 1
        self._lock = threading.Lock()

    def record(
        self,
        time: float,
        method: str,
        path: str,
        query: str,
        raw_headers: RawHeaders,
        body_json: bytes,
        status: int | None,
        duration_ms: float,
        rule_id: str | None = None,
        fault: str | None = None,
    ) -> None:
        if self.size == 0:
            return
        headers = compact_headers(raw_headers)
        with self._lock:
            entry = Entry(
                self._next_id, time, method, path, query, headers, body_json, status, duration_ms, rule_id, fault
            )
            self._entries.append(entry)
            self._next_id += 1

    def entries(self, path: str | None = None, session: str | None = None, since_id: int | None = None) -> list[Entry]:
        with self._lock:
            snapshot = list(self._entries)
        return [
            entry
            for entry in snapshot
            if (path is None or entry.path == path)
            and (session is None or entry.session == session)
            and (since_id is None or entry.id > since_id)
        ]

    def clear(self) -> None:
        """Empties the ring; ids keep counting so a client's since-id stays meaningful."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
