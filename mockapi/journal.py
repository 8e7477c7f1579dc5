"""The request journal: a bounded ring of what clients sent and what they got, oldest first.

The edge records one entry per /v1 request once the response is finished, from the request's served
exchange (context.Served: the request, the parsed body, the matched rule, any injected fault, the status and
the duration). Bodies are summarised (body_summary.py: long strings and lists cut, the whole within
BODY_BUDGET bytes of JSON) and large header blocks cut, so memory stays flat under any load.
"""

from __future__ import annotations

import os
import sys
import threading
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson

from mockapi.body_summary import BODY_BUDGET, MAX_KEY, MAX_STRING, summarise
from mockapi.caches import kept_bytes
from mockapi.errors import mask_key

if TYPE_CHECKING:
    from mockapi.context import MatchedOn, Served

# The answer: its first bytes, and the offsets and sizes of the parts of one sent in parts (a stream).
RESPONSE_BUDGET = 8 * 1024
MAX_PARTS = 500

# Headers: a block up to this many bytes (names and values) is kept as received and masked when read; a
# larger one is masked and cut at once, to this size, so an entry stays small.
HEADER_BUDGET = 8 * 1024
MAX_HEADER_VALUE = 1024
# Kept whatever else is cut: the session filter reads one, the other shows who asked.
_FIRST_HEADERS = (b"x-mockapi-session", b"authorization", b"api-key")
CUT_HEADER = b"x-mockapi-journal-cut"
RawHeaders = Sequence[tuple[bytes, bytes]]


class Entry(NamedTuple):
    """One request. Kept compact and cheap to record (the edge records every /v1 request): the headers as
    one block in their wire form and the body as JSON bytes, both decoded, and the key masked, when read.
    (One object per entry rather than the dozen pairs the server parsed: a thousand entries kept among the
    short-lived objects of requests would otherwise pin memory well beyond their size.)"""

    id: int
    time: float
    method: str
    path: str
    query: str
    header_block: bytes
    body_json: bytes
    status: int | None
    duration_ms: float
    rule_id: str | None
    fault: str | None
    relayed: bool = False
    near_miss: str | None = None
    matched_on: MatchedOn | None = None
    response: bytes = b""
    # Flat, each part's offset (ms) then its size, in an array of doubles: a thousand entries of streams would
    # otherwise keep a hundred pairs each, as many objects for the collector to scan.
    parts: Sequence[float] = ()
    # The server process that answered (one of several workers or replicas).
    process: int = 0

    @property
    def raw_headers(self) -> RawHeaders:
        return unpack_headers(self.header_block)

    @property
    def stored_bytes(self) -> int:
        kept = len(self.body_json) + len(self.header_block) + len(self.path) + len(self.query)
        return kept + len(self.response) + 8 * len(self.parts)

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
            "relayed": self.relayed,
            "near_miss": self.near_miss,
            "response": self.response.decode("utf-8", "replace"),
            "response_parts": [
                {"offset_ms": self.parts[at], "bytes": int(self.parts[at + 1])} for at in range(0, len(self.parts), 2)
            ],
            "process": self.process,
        }


def body_json(body: Any, raw: bytes | None = None) -> bytes:
    """What an entry keeps of a body: the request's own JSON when it is small, else a summary of it
    within BODY_BUDGET bytes."""
    if raw is not None and len(raw) <= MAX_STRING:
        return raw
    if not body:
        return EMPTY_BODY
    data = orjson.dumps(summarise(body), default=str)
    return kept_bytes(data) if len(data) <= BODY_BUDGET else _cut_whole(len(data))


EMPTY_BODY = b"{}"


def _cut_whole(size: int) -> bytes:
    return kept_bytes(orjson.dumps({"...": f"[body of {size} bytes cut: the journal keeps {BODY_BUDGET} bytes]"}))


def compact_headers(raw: RawHeaders, size: int | None = None) -> RawHeaders:
    """The headers as received when small (`size` bytes, counted here if not given); else masked and cut to
    HEADER_BUDGET bytes, the session and key headers first, with a marker saying how many were
    left out."""
    if size is None:
        size = sum(len(name) + len(value) for name, value in raw)
    if size <= HEADER_BUDGET:
        return raw
    pairs = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in masked_headers(raw).items()]
    pairs.sort(key=lambda pair: pair[0] not in _FIRST_HEADERS)  # stable: the rest keep their order
    kept: list[tuple[bytes, bytes]] = []
    left = HEADER_BUDGET - len(CUT_HEADER) - 40
    for name, value in pairs:
        name = name[:MAX_KEY]
        if len(value) > MAX_HEADER_VALUE:
            value = value[:MAX_HEADER_VALUE] + b"... [%d more]" % (len(value) - MAX_HEADER_VALUE)
        if len(name) + len(value) > left:
            break
        kept.append((name, value))
        left -= len(name) + len(value)
    if len(kept) < len(pairs):
        kept.append((CUT_HEADER, b"%d more headers" % (len(pairs) - len(kept))))
    return kept


def pack_headers(raw: RawHeaders) -> bytes:
    """Header pairs as one block, as on the wire: names never hold a colon, nor values a line break."""
    return b"\r\n".join([name + b": " + value for name, value in raw])


def unpack_headers(block: bytes) -> list[tuple[bytes, bytes]]:
    pairs = []
    for line in block.split(b"\r\n") if block else ():
        name, _, value = line.partition(b": ")
        pairs.append((name, value))
    return pairs


# Who a request is billed to and its cookies are never shown (forwarded upstream, they are the real ones).
REDACTED_HEADERS = frozenset({"openai-organization", "openai-project", "cookie"})
REDACTED = "[redacted]"


def masked_headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """Request headers by name; the API key in Authorization (or Azure's api-key) is masked as the real API
    masks it, the organization, project and cookies redacted."""
    headers: dict[str, str] = {}
    for key, value in raw:
        name = key.decode("latin-1")
        text = value.decode("latin-1")
        if name in REDACTED_HEADERS:
            text = REDACTED
        elif name == "authorization":
            scheme, _, secret = text.partition(" ")
            text = f"{scheme} {mask_key(secret.strip())}" if secret else mask_key(text)
        elif name == "api-key":
            text = mask_key(text.strip())
        headers[name] = text
    return headers


def keep_response(served: Served, message: Mapping[str, Any], seconds: float) -> None:
    """What an entry keeps of the answer, from one of its body messages: its first RESPONSE_BUDGET bytes
    and, for a body sent in parts, the first MAX_PARTS parts' offsets and sizes."""
    body: bytes = message.get("body", b"")
    if not body:
        return
    kept = served.response
    if kept is None:
        kept = served.response = bytearray()
    room = RESPONSE_BUDGET - len(kept)
    if room > 0:
        kept += body if len(body) <= room else body[:room]
    if message.get("more_body") or served.parts is not None:
        # Seconds and size of each part, flat in an array of doubles: a stream's
        # parts are appended for as long as it lasts, every event of every stream, and tuples in a list would
        # be as many objects kept, each for the collector to scan.
        parts = served.parts
        if parts is None:
            parts = served.parts = array("d")
        if len(parts) < 2 * MAX_PARTS:
            parts.append(seconds)
            parts.append(len(body))


def _in_ms(parts: array[float] | None) -> Sequence[float]:
    """The parts kept as they were sent (keep_response: seconds, size...) with their offsets in ms."""
    if not parts:
        return ()
    return array("d", (round(value * 1000, 3) if at % 2 == 0 else value for at, value in enumerate(parts)))


def _cut_matched_on(matched_on: MatchedOn | None) -> MatchedOn | None:
    if matched_on is None:
        return None
    endpoint, model, text, system = matched_on
    return endpoint, model, None if text is None else _cut(text), None if system is None else _cut(system)


def _cut(text: str) -> str:
    return text if len(text) <= MAX_STRING else f"{text[:MAX_STRING]}... [{len(text) - MAX_STRING} more]"


# This process's id, asked of the system once (and again in a forked child) rather than for every entry.
_pid = os.getpid()


def _forked() -> None:
    global _pid
    _pid = os.getpid()


os.register_at_fork(after_in_child=_forked)


class Journal:
    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: deque[Entry] = deque(maxlen=size)
        self._next_id = 1
        self._lock = threading.Lock()
        # Called with each entry once appended (the inspector's live feed); each must return at once.
        self.listeners: list[Callable[[Entry], None]] = []

    def record(self, served: Served) -> None:
        """One entry for a request once it is answered."""
        if self.size == 0:
            return
        with self._lock:
            entry = self.entry_of(served, self._next_id)
            self._entries.append(entry)
            self._next_id += 1
        for listen in self.listeners:
            listen(entry)

    @staticmethod
    def entry_of(served: Served, entry_id: int) -> Entry:
        """What an entry keeps of an answered request."""
        headers = pack_headers(compact_headers(served.raw_headers, served.header_bytes))
        kept = body_json(served.body, served.raw_body)
        if len(kept) > BODY_BUDGET:
            kept = _cut_whole(len(kept))
        # Interned: a thousand entries for one route share its path rather than each keeping a copy.
        path, query = sys.intern(_cut(served.path)), _cut(served.query.decode("latin-1"))
        return Entry(
            entry_id,
            served.time,
            served.method,
            path,
            query,
            headers,
            kept,
            served.status,
            served.duration_ms,
            served.rule_id,
            served.fault,
            served.relayed,
            served.near_miss,
            _cut_matched_on(served.matched_on),
            bytes(served.response or b""),
            _in_ms(served.parts),
            _pid,
        )

    def listen(self, listener: Callable[[Entry], None]) -> None:
        """Call `listener` with each entry appended from now on (it must return at once)."""
        self.listeners.append(listener)

    def unlisten(self, listener: Callable[[Entry], None]) -> None:
        if listener in self.listeners:
            self.listeners.remove(listener)

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

    def stored_bytes(self) -> int:
        """About how much the entries hold: their bodies, headers, paths and queries."""
        with self._lock:
            return sum(entry.stored_bytes for entry in self._entries)

    def clear(self) -> None:
        """Empties the ring; ids keep counting so a client's since-id stays meaningful."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
