"""Rules: the sequence step, ids, per-session counters and their bounds, the endpoint index."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockapi import fixtures
from mockapi.fixtures import Respond, Rule, RuleBook, RuleFileError, load_rules
from mockapi.matching import Exchange


def _exchange(endpoint: str = "chat.completions", text: str = "hi") -> Exchange:
    return Exchange(endpoint=endpoint, method="POST", path="/v1/x", body={}, text=text)


def test_sequence_step_inherits_timing_given_beside_it() -> None:
    respond = Respond.model_validate(
        {"delay_ms": 50, "sequence": [{"content": "a"}, {"content": "b", "delay_ms": 5}, {"error": "server_error"}]}
    )
    assert [respond.step(n).content for n in (1, 2)] == ["a", "b"]
    assert respond.step(1).delay_ms == 50 and respond.step(2).delay_ms == 5
    assert respond.step(3).error is not None and respond.step(99).error is not None
    assert respond.step(1).sequence is None


def test_nested_sequences_are_refused() -> None:
    with pytest.raises(ValueError, match="cannot itself be a sequence"):
        Respond.model_validate({"sequence": [{"sequence": [{"content": "a"}]}]})


def test_ids_are_generated_and_duplicates_refused(tmp_path: Path) -> None:
    (tmp_path / "one.yaml").write_text("- respond: {content: a}\n- id: named\n")
    (tmp_path / "two.yaml").write_text("- id: named\n")
    with pytest.raises(RuleFileError, match=r"two.yaml: rule 0 \(named\): field 'id': already used"):
        load_rules([tmp_path])
    (tmp_path / "two.yaml").unlink()
    assert [rule.id for rule in load_rules([tmp_path])] == ["one-0", "named"]


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
    monkeypatch.setattr(fixtures, "MAX_SESSIONS", 5)
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
    monkeypatch.setattr(fixtures, "MAX_RUNTIME_RULES", 3)
    book = RuleBook([])
    for _ in range(3):
        book.add(Rule())
    with pytest.raises(ValueError, match="at most 3 runtime rules"):
        book.add(Rule())
