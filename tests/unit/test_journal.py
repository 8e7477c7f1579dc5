"""The journal ring and the summary of bodies it keeps."""

from __future__ import annotations

from mockapi.journal import MAX_ITEMS, MAX_STRING, Journal, body_json, masked_headers, summarise


def _record(journal: Journal, path: str = "/v1/models", session: str | None = None, body: object = None) -> None:
    journal.record(
        time=0,
        method="GET",
        path=path,
        query="",
        raw_headers=[(b"x-mockapi-session", session.encode())] if session else [],
        body_json=body_json(body),
        status=200,
        duration_ms=1.0,
    )


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
