"""The rule the inspector proposes for a journal entry, and the edited YAML read back into rules."""

from __future__ import annotations

import orjson
import pytest
import yaml

from mockapi.context import Served
from mockapi.errors import OpenAIError
from mockapi.inspector.proposal import ANSWER, proposal_yaml, rules_of_yaml
from mockapi.journal import RESPONSE_BUDGET, Entry, Journal
from mockapi.matching import Exchange
from mockapi.rulebook import RuleBook


def _entry(
    body: dict[str, object],
    matched_on: tuple[str, str | None, str | None, str | None] | None,
    response: bytes = b"",
    status: int = 200,
) -> Entry:
    journal = Journal(10)
    served = Served("POST", "/v1/chat/completions", b"", [(b"authorization", b"Bearer sk-secret-key-123456")], 40, 0.0)
    served.body, served.raw_body, served.status, served.matched_on = body, orjson.dumps(body), status, matched_on
    served.response = bytearray(response)
    journal.record(served)
    return journal.entries()[0]


CHAT = {"model": "gpt-4o-mini", "stream": True, "temperature": 0.5, "messages": [{"role": "user", "content": "Hi"}]}


def test_a_chat_request_proposes_its_match_as_record_mode_writes_it_and_an_answer_to_edit() -> None:
    text = proposal_yaml(_entry(CHAT, ("chat.completions", "gpt-4o-mini", "Hi", None)))
    assert text.startswith("# Proposed by the mockapi inspector for request 1")
    (rule,) = yaml.safe_load(text)
    assert rule["id"].startswith("inspector-chat.completions-")
    # The delivery keys (stream) and the pinned message are left out; what else distinguishes it is kept.
    kept = {"endpoint": "chat.completions", "model": "gpt-4o-mini", "text": "Hi", "body": {"temperature": 0.5}}
    assert rule["match"] == kept
    assert rule["respond"] == {"content": ANSWER}
    assert "sk-secret" not in text


ON_CHAT = ("chat.completions", "gpt-4o-mini", "Hi", None)


def _chunk(delta: dict[str, object]) -> bytes:
    return b"data: " + orjson.dumps({"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta}]})


@pytest.mark.parametrize(
    ("response", "status", "respond"),
    [
        (orjson.dumps({"choices": [{"message": {"role": "assistant", "content": "Hello!"}}]}), 200,
         {"content": "Hello!"}),
        (b"\n\n".join([_chunk({"role": "assistant"}), _chunk({"content": "Hel"}), _chunk({"content": "lo!"}),
                      b"data: [DONE]"]) + b"\n\n", 200, {"content": "Hello!"}),
        (orjson.dumps({"error": {"message": "Slow down", "type": "requests", "code": "rate_limit_exceeded"}}), 429,
         {"error": {"status": 429, "message": "Slow down", "type": "requests", "code": "rate_limit_exceeded"}}),
        (b'{"choices": [{"message": {"content": "' + b"x" * RESPONSE_BUDGET, 200, {"content": ANSWER}),
    ],
    ids=["json", "stream", "error", "cut-by-the-journal"],
)  # fmt: skip
def test_the_proposal_answers_as_the_request_was_answered(response: bytes, status: int, respond: object) -> None:
    (rule,) = yaml.safe_load(proposal_yaml(_entry(CHAT, ON_CHAT, response[:RESPONSE_BUDGET], status)))
    assert rule["respond"] == respond


def test_the_proposal_read_back_answers_the_same_request_and_not_another() -> None:
    text = proposal_yaml(_entry(CHAT, ("chat.completions", "gpt-4o-mini", "Hi", None)))
    (rule,) = rules_of_yaml(text.replace(ANSWER, "Hello from the rule"))
    book = RuleBook([])
    book.add(rule)
    same = Exchange("chat.completions", "POST", "/v1/chat/completions", CHAT, {}, "gpt-4o-mini", "Hi")
    other = Exchange("chat.completions", "POST", "/v1/chat/completions", CHAT, {}, "gpt-4o-mini", "Bye")
    hit = book.match(same)
    assert hit is not None and hit.rule.id == rule.id and book.match(other) is None


def test_a_request_that_never_reached_the_rules_proposes_nothing() -> None:
    with pytest.raises(OpenAIError) as raised:
        proposal_yaml(_entry({}, None))
    assert raised.value.status == 400 and "never reached the rules" in str(raised.value.message)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("- [unclosed", "Not YAML"),
        ("just a string", "a rule (a mapping)"),
        ("[]", "a rule (a mapping)"),
        ("- match: {endpoint: chat.completions}\n  respond: {nonsense: 1}", "Not a rule: respond"),
        ("x" * 70_000, "At most"),
    ],
)
def test_yaml_that_is_not_a_rule_is_refused_saying_why(text: str, says: str) -> None:
    with pytest.raises(OpenAIError) as raised:
        rules_of_yaml(text)
    assert raised.value.status == 400 and says in str(raised.value.message)
