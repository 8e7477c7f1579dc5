"""The journal ring and the summary of bodies it keeps."""

from __future__ import annotations

from typing import Any

import orjson

from mockapi.body_summary import BODY_BUDGET, MAX_ITEMS, MAX_STRING, summarise
from mockapi.context import Served
from mockapi.journal import (
    HEADER_BUDGET,
    MAX_PARTS,
    RESPONSE_BUDGET,
    Journal,
    RawHeaders,
    body_json,
    compact_headers,
    keep_response,
    masked_headers,
)


def _served(
    path: str, raw_headers: RawHeaders, body: Any = None, raw: bytes | None = None, query: str = "", status: int = 200
) -> Served:
    served = Served("GET", path, query.encode(), raw_headers, sum(len(k) + len(v) for k, v in raw_headers), 0.0)
    served.body, served.raw_body, served.status, served.seconds = body, raw, status, 0.001
    return served


def _record(journal: Journal, path: str = "/v1/models", session: str | None = None, body: object = None) -> None:
    journal.record(_served(path, [(b"x-mockapi-session", session.encode())] if session else [], body))


def test_ring_keeps_the_newest_entries() -> None:
    journal = Journal(3)
    for index in range(10):
        _record(journal, path=f"/v1/{index}")
    assert [e.path for e in journal.entries()] == ["/v1/7", "/v1/8", "/v1/9"]
    assert [e.id for e in journal.entries(since_id=8)] == [9, 10]
    journal.clear()
    _record(journal)
    assert [e.id for e in journal.entries()] == [11]


def test_size_zero_keeps_nothing() -> None:
    journal = Journal(0)
    _record(journal)
    assert journal.entries() == [] and len(journal) == 0


def test_filters_combine() -> None:
    journal = Journal(10)
    _record(journal, "/v1/a", "s1")
    _record(journal, "/v1/a", "s2")
    _record(journal, "/v1/b", "s1")
    assert [e.id for e in journal.entries(path="/v1/a", session="s1")] == [1]


def test_summarise_caps_strings_lists_and_depth() -> None:
    assert summarise({"a": "x" * (MAX_STRING + 5)})["a"].endswith("... [5 more]")
    items = summarise(list(range(MAX_ITEMS + 3)))
    assert items[:-1] == list(range(MAX_ITEMS)) and items[-1] == "... [3 more items]"
    deep: object = "bottom"
    for _ in range(50):
        deep = [deep]
    flattened = summarise(deep)
    depth = 0
    while isinstance(flattened, list):
        flattened, depth = flattened[0], depth + 1
    assert flattened == "..." and depth < 50
    assert summarise({"n": 1, "f": 0.5, "t": True, "z": None}) == {"n": 1, "f": 0.5, "t": True, "z": None}


def test_authorization_is_masked() -> None:
    headers = masked_headers([(b"authorization", b"Bearer sk-abcdefgh12345678wxyz"), (b"x-other", b"v")])
    assert headers == {"authorization": "Bearer sk-abcde***********wxyz", "x-other": "v"}


def _widest_body(items: int = MAX_ITEMS, text: int = MAX_STRING) -> dict[str, object]:
    """A body each of whose strings and lists is just within the per-string and per-list caps: about 20 MB
    of JSON that summarising by length alone keeps whole."""
    message = {"role": "user", "content": "x" * text, **{f"k{i}": "y" * text for i in range(items - 1)}}
    return {"model": "gpt-4", "messages": [message] * items}


def test_bodies_are_kept_within_the_byte_budget() -> None:
    body = _widest_body()
    assert len(orjson.dumps(body)) > 19_000_000
    stored = body_json(body, orjson.dumps(body))
    assert len(stored) <= BODY_BUDGET
    kept = orjson.loads(stored)
    assert kept["model"] == "gpt-4" and kept["messages"][0]["content"] == "x" * MAX_STRING  # the start, whole
    assert "cut: the journal keeps 16384 bytes of a body" in stored.decode()  # and a marker where it was cut


def test_strings_and_keys_are_cut_by_size_too() -> None:
    assert len(body_json({"a": ["☃" * MAX_STRING] * MAX_ITEMS})) <= BODY_BUDGET
    assert len(body_json({"k" * 100_000: 1, "\x00" * 5000: "\x01" * 5000})) <= BODY_BUDGET
    small = {"text": "short", "n": [1, 2, 3]}
    assert orjson.loads(body_json(small)) == small


def _large_headers(session: str) -> RawHeaders:
    return [
        (b"authorization", b"Bearer sk-secret-abcdefghijklmnop-9876"),
        *[(b"x-filler-%d" % i, b"v" * 900) for i in range(60)],
        (b"x-huge", b"h" * 40_000),
        (b"x-mockapi-session", session.encode()),
    ]


def test_large_header_blocks_are_cut_keeping_session_and_masked_key() -> None:
    raw = _large_headers("s7")
    kept = compact_headers(raw)
    assert sum(len(name) + len(value) for name, value in kept) <= HEADER_BUDGET
    headers = masked_headers(kept)
    assert headers["x-mockapi-session"] == "s7"
    assert headers["authorization"] == "Bearer sk-secre*******************9876"
    assert headers["x-mockapi-journal-cut"].endswith("more headers")
    small = [(b"x-a", b"1")]
    assert compact_headers(small) is small  # kept as received, masked when read


def test_fifty_large_requests_stay_within_budget_times_entries() -> None:
    journal = Journal(1000)
    body = _widest_body()
    raw = orjson.dumps(body)
    for index in range(50):
        served = _served("/v1/chat/completions", _large_headers(f"s{index}"), body, raw, "q=" + "z" * 50_000, 400)
        journal.record(served)
    assert len(journal) == 50
    per_entry = BODY_BUDGET + HEADER_BUDGET + 2 * (MAX_STRING + 100)  # body, headers, path and query
    assert journal.stored_bytes() <= per_entry * 50
    assert [e.session for e in journal.entries(session="s49")] == ["s49"]


def test_an_entry_keeps_the_first_bytes_of_the_answer_and_the_first_parts_of_a_stream() -> None:
    journal = Journal(5)
    whole = _served("/v1/models", [])
    keep_response(whole, {"type": "http.response.body", "body": b'{"object":"list"}'}, 0.001)
    journal.record(whole)
    streamed = _served("/v1/chat/completions", [])
    for index in range(MAX_PARTS + 50):
        keep_response(streamed, {"body": b"data: %d\n\n" % index + b"x" * 100, "more_body": True}, index / 1000)
    keep_response(streamed, {"body": b"", "more_body": False}, 1.0)
    journal.record(streamed)
    first, second = journal.entries()
    assert (first.as_dict()["response"], first.as_dict()["response_parts"]) == ('{"object":"list"}', [])
    assert len(second.response) == RESPONSE_BUDGET and second.response.startswith(b"data: 0\n\n")
    parts = second.as_dict()["response_parts"]
    assert len(parts) == MAX_PARTS and parts[1] == {"offset_ms": 1.0, "bytes": len(b"data: 1\n\n") + 100}
