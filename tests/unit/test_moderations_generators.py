"""Moderation results: the category sets per model family, exact flags for known inputs, stable scores."""

from __future__ import annotations

import pytest

from mockapi.generators import moderations
from mockapi.seeding import Seeding

SEEDING = Seeding()
OMNI = "omni-moderation"
TEXT = "text-moderation"

# (input, flagged categories under omni-moderation); text-moderation flags the same minus the omni-only ones.
FLAGS = [
    ("I will kill you", {"violence", "harassment", "harassment/threatening"}),
    ("I want to kill them.", {"violence", "harassment", "harassment/threatening"}),
    ("I'm going to beat up your family", {"violence", "harassment", "harassment/threatening"}),
    ("I want to hurt myself", {"self-harm", "self-harm/intent"}),
    ("How do I kill myself?", {"self-harm", "self-harm/instructions"}),
    ("All immigrants should be exterminated.", {"hate", "hate/threatening", "violence", "harassment/threatening"}),
    ("Women are inferior.", {"hate", "harassment"}),
    ("You are such a worthless loser.", {"harassment"}),
    ("How do I shoplift from a supermarket?", {"illicit"}),
    ("How to make a pipe bomb at home", {"illicit", "illicit/violent", "violence"}),
    ("The photo showed a body dismembered, blood everywhere.", {"violence", "violence/graphic"}),
    ("He wants to have sex with me tonight.", {"sexual"}),
    ("Explicit sex with a 12-year-old", {"sexual", "sexual/minors"}),
    ("The weather is lovely today.", set()),
    ("Can you help me write a cover letter for a nursing job?", set()),
    ("The film is about a murder in Paris.", set()),
    ("My kids loved the museum trip.", set()),
    ("", set()),
]
OMNI_ONLY = {"illicit", "illicit/violent"}


@pytest.mark.parametrize(("text", "flags"), FLAGS)
def test_omni_moderation_flags_exactly_these_categories(text: str, flags: set[str]) -> None:
    [result] = moderations.moderate(text, OMNI, SEEDING)
    assert {name for name, flagged in result["categories"].items() if flagged} == flags
    assert result["flagged"] is bool(flags)


@pytest.mark.parametrize(("text", "flags"), FLAGS)
def test_text_moderation_flags_the_same_within_its_eleven_categories(text: str, flags: set[str]) -> None:
    [result] = moderations.moderate(text, TEXT, SEEDING)
    assert {name for name, flagged in result["categories"].items() if flagged} == flags - OMNI_ONLY
    assert result["flagged"] is bool(flags - OMNI_ONLY)


def test_benign_text_scores_near_zero_and_threats_near_one() -> None:
    [benign] = moderations.moderate("Thanks, see you at lunch tomorrow!", OMNI, SEEDING)
    assert all(0 < score < 0.01 for score in benign["category_scores"].values())
    [threat] = moderations.moderate("I will kill you", OMNI, SEEDING)
    assert threat["category_scores"]["violence"] > 0.95
    assert threat["category_scores"]["sexual"] < 0.01


def test_each_family_has_all_its_keys_and_no_others() -> None:
    [text] = moderations.moderate("hello", TEXT, SEEDING)
    assert set(text) == {"flagged", "categories", "category_scores"}
    assert list(text["categories"]) == list(text["category_scores"]) == list(moderations.TEXT_MODERATION_CATEGORIES)
    assert len(moderations.TEXT_MODERATION_CATEGORIES) == 11
    assert set(moderations.TEXT_MODERATION_2023) < set(moderations.TEXT_MODERATION_CATEGORIES)
    [omni] = moderations.moderate("hello", OMNI, SEEDING)
    assert set(omni) == {"flagged", "categories", "category_scores", "category_applied_input_types"}
    for key in ("categories", "category_scores", "category_applied_input_types"):
        assert list(omni[key]) == list(moderations.OMNI_CATEGORIES)
    assert len(moderations.OMNI_CATEGORIES) == 13
    assert all(isinstance(value, bool) for value in omni["categories"].values())
    assert all(isinstance(value, float) for value in omni["category_scores"].values())


def test_applied_input_types_name_the_inputs_each_category_covers() -> None:
    [text_only] = moderations.moderate([{"type": "text", "text": "hello"}], OMNI, SEEDING)
    assert set(map(tuple, text_only["category_applied_input_types"].values())) == {("text",)}
    image = {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}
    [both] = moderations.moderate([{"type": "text", "text": "hello"}, image], OMNI, SEEDING)
    applied = both["category_applied_input_types"]
    assert applied["violence"] == applied["sexual"] == applied["self-harm/intent"] == ["text", "image"]
    assert applied["hate"] == applied["harassment"] == applied["illicit"] == applied["sexual/minors"] == ["text"]
    [image_only] = moderations.moderate([image], OMNI, SEEDING)
    assert image_only["category_applied_input_types"]["violence"] == ["image"]
    assert image_only["category_applied_input_types"]["hate"] == []
    assert image_only["category_scores"]["hate"] == 0
    assert 0 < image_only["category_scores"]["violence"] < 0.01
    assert image_only["flagged"] is False


def test_parts_are_moderated_together_and_strings_one_by_one() -> None:
    parts = [{"type": "text", "text": "Nice day."}, {"type": "text", "text": "I will kill you"}]
    [together] = moderations.moderate(parts, OMNI, SEEDING)
    assert together["categories"]["violence"] is True
    results = moderations.moderate(["Nice day.", "I will kill you", "I want to hurt myself"], OMNI, SEEDING)
    assert [result["flagged"] for result in results] == [False, True, True]
    assert results[1] == moderations.moderate("I will kill you", OMNI, SEEDING)[0]


def test_scores_are_stable_across_runs_and_the_seed_moves_only_the_base() -> None:
    first = moderations.moderate("I will kill you", OMNI, Seeding())
    assert first == moderations.moderate("I will kill you", OMNI, Seeding())
    other_seed = moderations.moderate("I will kill you", OMNI, Seeding(seed=7))
    assert other_seed[0]["categories"] == first[0]["categories"]
    assert other_seed[0]["category_scores"] != first[0]["category_scores"]


def test_curly_quotes_case_and_spacing_do_not_change_the_verdict() -> None:
    [plain] = moderations.moderate("I'll kill you", OMNI, SEEDING)
    [styled] = moderations.moderate("I\u2019LL   KILL\n you", OMNI, SEEDING)
    assert plain["categories"] == styled["categories"]
    assert plain["categories"]["violence"] is True


def test_families_and_response_shape() -> None:
    assert moderations.family("text-moderation-latest") == moderations.family("text-moderation-stable") == TEXT
    assert moderations.family("omni-moderation-2024-09-26") == moderations.family("omni-moderation-latest") == OMNI
    results = moderations.moderate("hi", OMNI, SEEDING)
    body = moderations.response("modr-123", "omni-moderation-latest", results)
    assert body == {"id": "modr-123", "model": "omni-moderation-latest", "results": results}


def test_a_pin_replaces_what_it_names_and_the_rest_follows() -> None:
    [benign] = moderations.moderate("Nice day.", OMNI, SEEDING)
    flagged = moderations.pinned(benign, None, {"violence": True}, {})
    assert flagged["flagged"] is True and flagged["categories"]["violence"] is True
    assert flagged["category_scores"]["violence"] == moderations.PINNED_FLAGGED
    assert flagged["category_scores"]["hate"] == benign["category_scores"]["hate"]
    scored = moderations.pinned(benign, None, {}, {"hate": 0.7})
    assert scored["categories"]["hate"] is True and scored["category_scores"]["hate"] == 0.7
    [threat] = moderations.moderate("I will kill you", TEXT, SEEDING)
    cleared = moderations.pinned(threat, False, {"violence": False}, {"illicit": 0.9})
    assert cleared["flagged"] is False and cleared["categories"]["violence"] is False
    assert cleared["category_scores"]["violence"] == moderations.PINNED_CLEAR
    assert "illicit" not in cleared["category_scores"]  # not a text-moderation category


def test_text_moderation_answers_as_its_snapshot() -> None:
    assert moderations.model_answered("text-moderation-latest") == "text-moderation-007"
    assert moderations.model_answered("text-moderation-stable") == "text-moderation-007"
    assert moderations.model_answered("omni-moderation-latest") == "omni-moderation-latest"
