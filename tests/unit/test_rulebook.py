"""The rule book: the endpoint index, runtime rules and their ids, per-session counters and their bounds."""

from __future__ import annotations

import pytest

from mockapi import rulebook
from mockapi.fixtures import Rule
from mockapi.matching import Exchange
from mockapi.rulebook import RuleBook


def _exchange(endpoint: str = "chat.completions", text: str = "hi") -> Exchange:
    return Exchange(endpoint=endpoint, method="POST", path="/v1/x", body={}, text=text)


def test_rules_for_other_endpoints_are_not_examined() -> None:
    book = RuleBook([Rule.model_validate({"match": {"endpoint": "embeddings"}})])
    assert book._by_endpoint.get("chat.completions", book._any_endpoint) == []
    assert book.match(_exchange()) is None
    assert book.match(_exchange("embeddings")) is not None


def test_runtime_rules_replace_by_id_and_cannot_shadow_file_rules() -> None:
    book = RuleBook([Rule.model_validate({"id": "from-file"})])
    with pytest.raises(ValueError, match="used by a fixture file rule"):
        book.add(Rule.model_validate({"id": "from-file"}))
    book.add(Rule.model_validate({"id": "mine", "respond": {"content": "a"}}))
    book.add(Rule.model_validate({"id": "mine", "priority": 1, "respond": {"content": "b"}}))
    hit = book.match(_exchange())
    assert hit is not None and hit.rule.respond.content == "b"
    assert [source for source, _ in book.rules()] == ["file", "runtime"]


def test_session_counters_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rulebook, "MAX_SESSIONS", 5)
    book = RuleBook([])
    book.add(Rule.model_validate({"id": "once", "times": 1}))
    for index in range(50):
        assert book.match(_exchange(), session=f"s{index}") is not None
    assert len(book._sessions) == 5
    assert book.match(_exchange(), session="s49") is None  # still remembered: budget spent
    assert book.match(_exchange(), session="s0") is not None  # forgotten: a fresh budget
    book.delete("once")
    assert all("once" not in counts for counts in book._sessions.values())


def test_runtime_rules_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rulebook, "MAX_RUNTIME_RULES", 3)
    book = RuleBook([])
    for _ in range(3):
        book.add(Rule())
    with pytest.raises(ValueError, match="at most 3 runtime rules"):
        book.add(Rule())


def test_hits_count_every_session_and_start_again_when_a_rule_is_replaced_or_the_rules_reset() -> None:
    book = RuleBook([Rule.model_validate({"id": "file", "match": {"endpoint": "embeddings"}})])
    book.add(Rule.model_validate({"id": "chat", "match": {"endpoint": "chat.completions"}, "times": 2}))
    for session in ("a", "a", "a", "b"):  # the third in session a is over its `times`
        book.match(_exchange("chat.completions", "x"), session)
    book.match(_exchange("embeddings", "x"))
    assert (book.hits("chat"), book.hits("file"), book.hits("nothing")) == (3, 1, 0)
    book.add(Rule.model_validate({"id": "chat", "match": {"endpoint": "chat.completions"}}))
    assert book.hits("chat") == 0 and book.hits("file") == 1
    book.reset()
    assert book.hits("file") == 0
