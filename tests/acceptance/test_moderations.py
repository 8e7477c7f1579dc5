"""POST /v1/moderations through the official SDK (and openai 0.28): categories per model family, flags that
follow a lexicon, parts with an image, rules that pin the verdict, and the real 400s."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest

from mockapi.generators.moderations import OMNI_CATEGORIES, TEXT_MODERATION_2023, TEXT_MODERATION_CATEGORIES
from mockapi.pytest_plugin import Mockapi
from tests.legacy import run_legacy
from tests.support import API_KEY, ServerProcess, error_of

IMAGE = {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}


def _flags(result: dict[str, Any]) -> set[str]:
    return {name for name, flagged in result["categories"].items() if flagged}


def test_omni_moderation_is_the_default_and_flags_a_threat(client: openai.OpenAI) -> None:
    response = client.moderations.create(input="I will kill you")
    assert response.model == "omni-moderation-latest"
    assert response.id.startswith("modr-") and len(response.id) == len("modr-") + 29
    [result] = response.results
    body = result.model_dump(by_alias=True)
    assert set(body["categories"]) == set(body["category_scores"]) == set(OMNI_CATEGORIES)
    assert _flags(body) == {"violence", "harassment", "harassment/threatening"}
    assert result.flagged is True
    assert result.category_scores.violence > 0.95 and result.category_scores.sexual < 0.01
    assert body["category_applied_input_types"]["violence"] == ["text"]


def test_benign_text_is_not_flagged_and_scores_near_zero(client: openai.OpenAI) -> None:
    [result] = client.moderations.create(model="omni-moderation-2024-09-26", input="Thanks, see you at lunch!").results
    assert result.flagged is False
    assert all(0 < score < 0.01 for score in result.category_scores.model_dump(by_alias=True).values())


def test_text_moderation_answers_its_eleven_categories_as_text_moderation_007(http: httpx.Client) -> None:
    """The 2023 seven and the four added that year; no illicit categories, no applied input types."""
    for model in ("text-moderation-latest", "text-moderation-stable"):
        response = http.post("/v1/moderations", json={"model": model, "input": "I want to hurt myself"})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["model"] == "text-moderation-007"
        [result] = body["results"]
        assert set(result) == {"flagged", "categories", "category_scores"}
        assert list(result["categories"]) == list(TEXT_MODERATION_CATEGORIES)
        assert set(TEXT_MODERATION_2023) <= set(result["categories"])
        assert _flags(result) == {"self-harm", "self-harm/intent"}


def test_text_moderation_through_the_sdk_flags_only_its_own_categories(client: openai.OpenAI) -> None:
    answer = client.moderations.create(model="text-moderation-latest", input="I want to hurt myself")
    assert answer.model == "text-moderation-007"
    [result] = answer.results
    assert result.flagged is True
    assert result.categories.self_harm is True and result.categories.self_harm_intent is True
    assert result.categories.violence is False and result.categories.illicit is None  # not a text-moderation one
    flagged = {name for name, on in result.categories.model_dump(by_alias=True).items() if on}
    assert flagged == {"self-harm", "self-harm/intent"}


def test_a_list_of_strings_has_one_result_each_and_the_same_input_scores_the_same(client: openai.OpenAI) -> None:
    texts = ["Nice day.", "I will kill you", "How do I make a pipe bomb at home?"]
    first = client.moderations.create(input=texts).results
    assert [result.flagged for result in first] == [False, True, True]
    assert first[2].categories.illicit is True and first[2].categories.illicit_violent is True
    again = client.moderations.create(input=texts).results
    assert [r.category_scores.model_dump() for r in again] == [r.category_scores.model_dump() for r in first]


def test_parts_with_an_image_are_moderated_together(client: openai.OpenAI) -> None:
    parts: Any = [{"type": "text", "text": "Look at this"}, IMAGE]
    [result] = client.moderations.create(model="omni-moderation-latest", input=parts).results
    applied = result.category_applied_input_types.model_dump(by_alias=True)
    assert applied["violence"] == ["text", "image"] and applied["hate"] == ["text"]
    assert result.flagged is False


@pytest.mark.parametrize(
    ("body", "param", "message"),
    [
        ({"model": "text-moderation-latest", "input": [IMAGE]}, "input", "does not accept image inputs"),
        ({"input": [IMAGE, IMAGE]}, "input", "Number of images (2) exceeds maximum of 1"),
        ({}, "input", "'input' is a required property"),
        ({"input": []}, "input", "[] should be non-empty - 'input'"),
        ({"input": 42}, "input", "42 is not valid under any of the given schemas - 'input'"),
        ({"input": [{"type": "audio"}]}, "input.0.type", "'audio' is not one of ['text', 'image_url']"),
        ({"input": "x", "model": "gpt-4o"}, "model", "is not supported on this endpoint"),
        ({"input": "x", "temperature": 0}, "temperature", "Unrecognized request argument supplied: temperature"),
    ],
)
def test_invalid_requests_are_the_real_400(http: httpx.Client, body: dict[str, Any], param: str, message: str) -> None:
    response = http.post("/v1/moderations", json=body)
    assert response.status_code == 400
    error = error_of(response)
    assert error["param"] == param and message in str(error["message"])
    if "images" in message:
        assert error["code"] == "too_many_images"


def test_an_unknown_model_is_404(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.moderations.create(model="text-moderation-999", input="x")
    assert caught.value.body["code"] == "model_not_found"  # type: ignore[index]


def test_a_rule_pins_the_verdict(mockapi: Mockapi) -> None:
    mockapi.add_rule(
        match={"endpoint": "moderations", "contains": "pineapple"},
        respond={"moderation": {"categories": {"hate": True}, "category_scores": {"violence": 0.8}}},
    )
    client = mockapi.openai_client()
    [pinned] = client.moderations.create(input="I like pineapple pizza").results
    assert pinned.flagged is True and pinned.categories.hate is True and pinned.categories.violence is True
    assert pinned.category_scores.violence == 0.8 and pinned.category_scores.hate >= 0.5
    [free] = client.moderations.create(input="I like mushroom pizza").results
    assert free.flagged is False
    mockapi.add_rule(match={"endpoint": "moderations"}, respond={"moderation": {"flagged": False}}, priority=5)
    [cleared] = client.moderations.create(input="I will kill you").results
    assert cleared.flagged is False and cleared.categories.violence is True


def test_faults_apply(mockapi: Mockapi) -> None:
    mockapi.add_rule(match={"endpoint": "moderations"}, respond={"error": "rate_limit_exceeded"}, times=1)
    client = mockapi.openai_client()
    with pytest.raises(openai.RateLimitError):
        client.moderations.create(input="hello")
    assert client.moderations.create(input="hello").results[0].flagged is False


def test_the_2023_sdk_moderates(server: ServerProcess) -> None:
    result = run_legacy(
        server.base_url,
        API_KEY,
        """
        response = openai.Moderation.create(input="I will kill you")
        emit({"model": response["model"], "flagged": response["results"][0]["flagged"],
              "categories": response["results"][0]["categories"]})
        """,
    )
    assert result["model"] == "omni-moderation-latest" and result["flagged"] is True
    assert result["categories"]["violence"] is True
