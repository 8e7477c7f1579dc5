"""Rules: the sequence step, ids, per-session counters and their bounds, the endpoint index."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, get_args

import pytest
from pydantic import ValidationError

from mockapi import errors, fixtures
from mockapi.fixtures import Respond, Rule, RuleFileError, load_rules
from mockapi.matching import Endpoint


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


# What a rule may say: refused at load time rather than failing (or silently doing nothing) when it answers.


def _refusal(rule: object) -> tuple[str | None, str]:
    with pytest.raises(ValidationError) as caught:
        Rule.model_validate(rule)
    error = errors.from_pydantic(caught.value)
    return error.param, error.message


# Where a rule holds headers: (wrap headers into a rule, read them back from the rule, the field's name).
HEADER_PLACES: list[tuple[Any, Any, str]] = [
    (lambda h: {"respond": {"headers": h}}, lambda r: r.respond.headers, "respond.headers"),
    (
        lambda h: {"respond": {"error": {"status": 429, "headers": h}}},
        lambda r: r.respond.error.headers,
        "respond.error.headers",
    ),
    (lambda h: {"match": {"headers": h}}, lambda r: r.match.headers, "match.headers"),
]
PLACE_IDS = [place[2] for place in HEADER_PLACES]


@pytest.mark.parametrize("place", HEADER_PLACES, ids=PLACE_IDS)
@pytest.mark.parametrize(
    ("headers", "name", "complaint"),
    [
        ({"x-a": "b\r\nx-injected: 1"}, "x-a", "not a valid header value"),
        ({"x-a": "line\nbreak"}, "x-a", "not a valid header value"),
        ({"x-a": "nul\x00"}, "x-a", "not a valid header value"),
        ({"x-a": "☃"}, "x-a", "not a valid header value"),
        ({"bad name:": "b"}, "bad name:", "not a valid header name"),
        ({"": "b"}, "", "not a valid header name"),
        ({"x\r\ny": "b"}, "x\r\ny", "not a valid header name"),
    ],
)
def test_invalid_header_names_and_values_are_refused(
    place: tuple[Any, Any, str], headers: dict[str, str], name: str, complaint: str
) -> None:
    wrap, _, field = place
    param, message = _refusal(wrap(headers))
    assert param == f"{field}.{name}" and complaint in message


@pytest.mark.parametrize("place", HEADER_PLACES, ids=PLACE_IDS)
def test_valid_header_values_are_kept_and_numbers_become_text(place: tuple[Any, Any, str]) -> None:
    wrap, read, _ = place
    rule = Rule.model_validate(wrap({"retry-after": 0, "x-ratio": 1.5, "x-flag": True, "x-text": "é\tok"}))
    assert read(rule) == {"retry-after": "0", "x-ratio": "1.5", "x-flag": "true", "x-text": "é\tok"}


def test_yaml_retry_after_written_as_a_number_loads(tmp_path: Path) -> None:
    # Exactly as the issue writes it: YAML reads the 0 as a number.
    (tmp_path / "retry.yaml").write_text(
        "- respond:\n    error: rate_limit_exceeded\n    headers: {retry-after: 0}\n"
        "- respond: {error: {status: 429, headers: {retry-after: 1}}}\n"
    )
    first, second = load_rules([tmp_path])
    assert first.respond.headers == {"retry-after": "0"}
    assert second.respond.error is not None and second.respond.error.headers == {"retry-after": "1"}


def test_endpoint_and_method_are_checked_names() -> None:
    param, message = _refusal({"match": {"endpoint": "chat.completion"}})
    assert param == "match.endpoint" and "'chat.completions'" in message
    assert _refusal({"match": {"method": "FETCH"}})[0] == "match.method"
    assert Rule.model_validate({"match": {"method": "delete"}}).match.method == "DELETE"
    assert set(get_args(Endpoint)) == set(fixtures.FORM_ENDPOINTS["content"]) | {
        "models",
        "files",
        "fine_tuning.jobs",
        "fine-tunes",
        "batches",
        "embeddings",
        "images.variations",
        "conversations",
        "moderations",
        "vector_stores",
        "vector_stores.files",
        "vector_stores.file_batches",
        "vector_stores.search",
    }
    assert fixtures.FORM_ENDPOINTS["moderation"] == {"moderations"}
    assert "audio.speech" in fixtures.FORM_ENDPOINTS["content"]


@pytest.mark.parametrize(
    ("rule", "param", "complaint"),
    [
        ({"respond": {"status": 503}}, "respond.status", "status applies to a `body`"),
        ({"respond": {"sequence": [{"status": 503}]}}, "respond.sequence.0.status", "status applies to a `body`"),
        ({"respond": {"status": 150, "body": {}}}, "respond.status", "less than the minimum of 200"),
        ({"respond": {"status": 600, "body": {}}}, "respond.status", "greater than the maximum of 599"),
        ({"respond": {"error": {"status": 302}}}, "respond.error.status", "less than the minimum of 400"),
        ({"respond": {"error": {"status": 600}}}, "respond.error.status", "greater than the maximum of 599"),
        ({"respond": {"embedding": []}}, "respond.embedding", "too short"),
        ({"respond": {"embedding": [0.5, math.nan]}}, "respond.embedding.1", "finite number"),
        ({"respond": {"embedding": [math.inf]}}, "respond.embedding.0", "finite number"),
        (
            {"respond": {"moderation": {"categories": {"violent": True}}}},
            "respond.moderation.categories",
            "unknown moderation categories ['violent']",
        ),
        (
            {"respond": {"moderation": {"category_scores": {"hate": 1.5}}}},
            "respond.moderation.category_scores.hate",
            "greater than the maximum of 1",
        ),
        ({"respond": {"moderation": {"flagged": True}, "content": "x"}}, "respond", "give one of"),
        ({"respond": {"delay_ms": 600_001}}, "respond.delay_ms", "greater than the maximum of 600000"),
        ({"respond": {"jitter_ms": 1e9}}, "respond.jitter_ms", "greater than the maximum of 600000"),
        ({"respond": {"ttft_ms": 700_000}}, "respond.ttft_ms", "greater than the maximum of 600000"),
        ({"respond": {"delay_ms": math.inf}}, "respond.delay_ms", "finite number"),
        ({"respond": {"tokens_per_second": 0}}, "respond.tokens_per_second", "less than the minimum of 0.1"),
        ({"respond": {"tokens_per_second": 0.01}}, "respond.tokens_per_second", "less than the minimum of 0.1"),
        ({"respond": {"tokens_per_second": math.nan}}, "respond.tokens_per_second", "finite number"),
    ],
)
def test_odd_respond_values_are_refused(rule: object, param: str, complaint: str) -> None:
    assert _refusal(rule)[0] == param
    assert complaint in _refusal(rule)[1]


def test_status_applies_with_a_body_or_an_empty_response() -> None:
    assert Rule.model_validate({"respond": {"status": 202, "body": {}}}).respond.status == 202
    assert Rule.model_validate({"respond": {"status": 204, "empty_response": True}}).respond.status == 204
    assert Respond.model_validate({"delay_ms": 600_000, "tokens_per_second": 0.1}).delay_ms == 600_000


@pytest.mark.parametrize(
    ("endpoint", "respond", "param"),
    [
        ("chat.completions", {"embedding": [1.0]}, "respond.embedding"),
        ("completions", {"transcript": "x"}, "respond.transcript"),
        ("models", {"transcript": "x"}, "respond.transcript"),
        ("models", {"content": "x"}, "respond.content"),
        ("files", {"content": "x"}, "respond.content"),
        ("images.variations", {"content": "x"}, "respond.content"),
        ("embeddings", {"content": "x"}, "respond.content"),
        ("models", {"sequence": [{"body": {}}, {"content": "x"}]}, "respond.sequence.1.content"),
        ("chat.completions", {"moderation": {"flagged": True}}, "respond.moderation"),
    ],
)
def test_forms_that_cannot_apply_to_the_endpoint_are_refused(endpoint: str, respond: object, param: str) -> None:
    found, message = _refusal({"match": {"endpoint": endpoint}, "respond": respond})
    assert found == param
    assert message.startswith(f"{param} cannot apply to endpoint '{endpoint}'")


@pytest.mark.parametrize(
    ("endpoint", "respond"),
    [
        ("chat.completions", {"content": "x"}),
        ("images.generations", {"content": "paint this"}),
        ("audio.translations", {"transcript": "x"}),
        ("audio.transcriptions", {"content": "x"}),
        ("embeddings", {"embedding": [1.0]}),
        ("moderations", {"moderation": {"flagged": True, "categories": {"violence": True}}}),
        ("audio.speech", {"content": "spoken instead"}),
        ("models", {"body": {}, "status": 202}),
        ("files", {"error": "server_error"}),
        (None, {"embedding": [1.0]}),  # no endpoint given: the form applies where it can
    ],
)
def test_forms_that_apply_are_accepted(endpoint: str | None, respond: dict[str, Any]) -> None:
    match = {"endpoint": endpoint} if endpoint else {}
    assert Rule.model_validate({"match": match, "respond": respond}).respond == Respond.model_validate(respond)


def test_rule_file_refusals_name_file_rule_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text('- id: fine\n- id: injected\n  respond: {headers: {"bad name:": "b"}}\n')
    with pytest.raises(RuleFileError) as caught:
        load_rules([tmp_path])
    assert str(caught.value).startswith(f"{path}: rule 1 (injected): field 'respond.headers.bad name:': ")


def _nested(depth: int) -> object:
    value: object = 0
    for _ in range(depth):
        value = [value]
    return value


def test_json_nested_too_deep_to_send_back_is_refused() -> None:
    # Deeper than the serializers go (orjson: 255 levels) the rule could be neither listed nor answered.
    assert _refusal({"respond": {"body": _nested(1000)}})[0] == "respond.body"
    assert _refusal({"match": {"body": {"a": _nested(65)}}})[0] == "match.body"
    assert _refusal({"respond": {"sequence": [{"body": {"a": _nested(300)}}]}})[0] == "respond.sequence.0.body"
    kept = Rule.model_validate({"respond": {"body": _nested(63)}, "match": {"body": {"a": _nested(62)}}})
    assert kept.public()["respond"]["body"] == _nested(63)


# The named error shortcuts: each the catalogue's constructor with the example values, answered as these bodies.
NAMED_BODIES: dict[str, tuple[int, dict[str, Any], dict[str, str]]] = {
    "rate_limit_exceeded": (
        429,
        {
            "message": "Rate limit reached for default-gpt-3.5-turbo in organization org-mockapi on requests per "
            "min. Limit: 3 / min. Please try again in 20s.",
            "type": "requests",
            "param": None,
            "code": "rate_limit_exceeded",
        },
        {"retry-after": "20"},
    ),
    "insufficient_quota": (
        429,
        {
            "message": "You exceeded your current quota, please check your plan and billing details.",
            "type": "insufficient_quota",
            "param": None,
            "code": "insufficient_quota",
        },
        {},
    ),
    "server_error": (
        500,
        {
            "message": "The server had an error while processing your request. Sorry about that!",
            "type": "server_error",
            "param": None,
            "code": None,
        },
        {},
    ),
    "overloaded": (
        503,
        {
            "message": "That model is currently overloaded with other requests. You can retry your request, or "
            "contact us through our help center at help.openai.com if the error persists.",
            "type": "server_error",
            "param": None,
            "code": None,
        },
        {},
    ),
    "context_length_exceeded": (
        400,
        {
            "message": "This model's maximum context length is 4097 tokens, however you requested 5000 tokens "
            "(4984 in your prompt; 16 for the completion). Please reduce your prompt; or completion length.",
            "type": "invalid_request_error",
            "param": None,
            "code": "context_length_exceeded",
        },
        {},
    ),
    "invalid_api_key": (
        401,
        {
            "message": "Incorrect API key provided: sk-mock*****************1234. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            "type": "invalid_request_error",
            "param": None,
            "code": "invalid_api_key",
        },
        {},
    ),
}


@pytest.mark.parametrize("name", list(NAMED_BODIES))
def test_a_named_error_is_the_catalogue_error_with_example_values(name: str) -> None:
    status, body, headers = NAMED_BODIES[name]
    error = fixtures.NAMED_ERRORS[name]()
    assert (error.status, error.body(), error.headers) == (status, {"error": body}, headers)
    answered = Rule.model_validate({"respond": {"error": name}}).respond.error
    assert answered is not None
    again = answered.to_error()
    assert (again.status, again.body(), again.headers) == (status, {"error": body}, headers)


def test_every_named_error_has_its_expected_body() -> None:
    assert set(fixtures.NAMED_ERRORS) == set(NAMED_BODIES)
