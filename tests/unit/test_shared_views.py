"""The rule book, journal, rate limiter and prompt cache of processes sharing one board: each pair below is
two processes' views of one SQLite board, and what one does the other must see, counted once."""

from __future__ import annotations

from array import array
from pathlib import Path

import pytest

from mockapi.fixtures import Rule
from mockapi.journal import Entry
from mockapi.matching import Exchange
from mockapi.ratelimit import Limits
from mockapi.shared.journal import pack, unpack
from mockapi.shared.limits import SharedPromptCache, SharedRateLimiter
from mockapi.shared.rules import SharedRuleBook
from mockapi.shared.sqlite import SQLiteBoard

WHO = "default-gpt-4o in organization org-test"


def _exchange() -> Exchange:
    return Exchange(endpoint="chat.completions", method="POST", path="/v1/chat/completions", body={}, text="hi")


@pytest.fixture
def boards(tmp_path: Path) -> tuple[SQLiteBoard, SQLiteBoard]:
    return SQLiteBoard(tmp_path / "board.sqlite3"), SQLiteBoard(tmp_path / "board.sqlite3")


def _books(boards: tuple[SQLiteBoard, SQLiteBoard], loads: list[int]) -> tuple[SharedRuleBook, SharedRuleBook]:
    def load() -> list[Rule]:
        loads.append(1)
        return [Rule.model_validate({"id": "from-file", "match": {"endpoint": "embeddings"}})]

    return SharedRuleBook(load(), boards[0], load), SharedRuleBook(load(), boards[1], load)


def test_a_rule_added_by_one_book_is_matched_by_the_other_within_one_budget(
    boards: tuple[SQLiteBoard, SQLiteBoard],
) -> None:
    one, other = _books(boards, [])
    added = one.add(Rule.model_validate({"times": 3, "respond": {"content": "ruled"}}))
    assert added.id == "rule-1"
    other.refresh()
    uses = [book.match(_exchange()) for book in (one, other, one, other, one)]
    assert [hit.use if hit else None for hit in uses] == [1, 2, 3, None, None]
    assert other.hits("rule-1") == 3 and one.uses("rule-1") == 3
    # Another session has a budget of its own; the ids given go on counting across the books.
    assert other.match(_exchange(), session="s2") is not None
    assert other.add(Rule.model_validate({"respond": {"content": "x"}})).id == "rule-2"


def test_a_rule_added_again_starts_its_budget_again_and_a_delete_reaches_every_book(
    boards: tuple[SQLiteBoard, SQLiteBoard],
) -> None:
    one, other = _books(boards, [])
    rule = Rule.model_validate({"id": "once", "times": 1})
    one.add(rule)
    other.refresh()
    assert other.match(_exchange()) is not None and one.match(_exchange()) is None
    other.add(rule)
    one.refresh()
    assert one.match(_exchange()) is not None
    assert one.delete("once") and not other.delete("once")
    other.refresh()
    assert other.match(_exchange()) is None
    assert [source for source, _ in other.rules()] == ["file"]


def test_a_reload_makes_every_book_read_the_files_again_and_count_from_nothing(
    boards: tuple[SQLiteBoard, SQLiteBoard],
) -> None:
    loads: list[int] = []
    one, other = _books(boards, loads)
    one.add(Rule.model_validate({"id": "kept", "times": 1}))
    other.refresh()
    assert one.match(_exchange()) is not None
    one.replace_file_rules(one._load_file_rules())
    before = len(loads)
    other.refresh()
    assert len(loads) == before + 1  # the other book read the files itself
    assert other.match(_exchange()) is not None  # counters start again after a reload
    assert other.clear_runtime() == 1
    one.refresh()
    assert [rule_id for _, rule in one.rules() if (rule_id := rule.id)] == ["from-file"]


def test_an_entry_is_kept_on_the_board_as_it_was() -> None:
    entry = Entry(
        7, 1.5, "POST", "/v1/chat/completions", "a=1", b"authorization: Bearer sk-\xff", b'{"x":1}', 200, 2.5,
        "rule-1", None, False, None, ("chat.completions", "gpt-4o", "hi", None), b'data: {"a"}\n\n\xe2',
        array("d", (0.1, 10, 2.0, 3)), 1234,
    )  # fmt: skip
    assert unpack(7, pack(entry._replace(id=0))) == entry


def test_rate_windows_admit_exactly_the_limit_across_processes(boards: tuple[SQLiteBoard, SQLiteBoard]) -> None:
    one, other = SharedRateLimiter(60, boards[0]), SharedRateLimiter(60, boards[1])
    limits = Limits(requests=3, tokens=100)
    assert [limiter.admit("k", limits, 10, 1.0, WHO) for limiter in (one, other, one)] == [None] * 3
    refused = other.admit("k", limits, 10, 2.0, WHO)
    assert refused is not None and refused.code == "rate_limit_exceeded"
    headers = dict(one.headers("k", limits, 2.0))
    assert headers[b"x-ratelimit-remaining-requests"] == b"0"  # the refusal counted nothing
    assert headers[b"x-ratelimit-remaining-tokens"] == b"70"
    assert one.admit("k", limits, 10, 61.5, WHO) is None  # the first three have left the window
    other.add_tokens("k", 50, 61.5)
    assert dict(one.headers("k", limits, 61.5))[b"x-ratelimit-remaining-tokens"] == b"40"
    tokens = Limits(tokens=100)
    assert one.admit("t", tokens, 90, 1.0, WHO) is None
    refused = other.admit("t", tokens, 20, 1.0, WHO)
    assert refused is not None and "tokens per min" in refused.message
    one.clear()
    assert dict(other.headers("k", limits, 61.5))[b"x-ratelimit-remaining-requests"] == b"3"


def test_a_prompt_prefix_one_process_saw_is_cached_for_another(boards: tuple[SQLiteBoard, SQLiteBoard]) -> None:
    one, other = SharedPromptCache(boards[0], 100), SharedPromptCache(boards[1], 100)
    found = [(b"short", 100), (b"long", 1500)]
    assert one.read(found, 1000.0, None) == 0
    assert other.read(found, 1100.0, None) == 1408  # 1024 + 3 steps of 128
    assert other.read(found, 1000.0 + 700 + 600, None) == 0  # ten minutes after the last read: gone
    assert len(one) == 1
    other.clear()
    assert len(one) == 0
