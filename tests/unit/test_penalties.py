"""presence_penalty and frequency_penalty: fewer repeated words as they rise, more as they fall."""

from __future__ import annotations

from faker import Faker

from mockapi.generators.penalties import apply_penalties, split_word

ECHO = " ".join(["Echo."] + ["echo"] * 39)


def faker(seed: int = 3) -> Faker:
    made = Faker("en_US")
    made.seed_instance(seed)
    return made


def repeats(text: str) -> int:
    """Words that already occurred earlier in the text."""
    words = [split_word(piece)[1].lower() for piece in text.split()]
    return sum(1 for index, word in enumerate(words) if word in words[:index])


def sample(seed: int) -> str:
    source = faker(seed)
    return " " + " ".join(source.sentences(nb=6))


def test_no_penalty_leaves_the_text_alone() -> None:
    assert apply_penalties(ECHO, 0, 0, faker()) == ECHO


def test_a_higher_penalty_repeats_fewer_words() -> None:
    for kind in ("presence", "frequency"):
        totals = []
        for penalty in (0.0, 0.25, 1.0, 2.0):
            presence, frequency = (penalty, 0.0) if kind == "presence" else (0.0, penalty)
            totals.append(sum(repeats(apply_penalties(ECHO, presence, frequency, faker(s))) for s in range(5)))
        assert totals == sorted(totals, reverse=True) and totals[0] > totals[1] and totals[-1] < totals[0] / 4, kind


def test_a_negative_penalty_repeats_more_words() -> None:
    for kind in ("presence", "frequency"):
        totals = []
        for penalty in (0.0, -0.25, -1.0, -2.0):
            presence, frequency = (penalty, 0.0) if kind == "presence" else (0.0, penalty)
            totals.append(sum(repeats(apply_penalties(sample(s), presence, frequency, faker(s))) for s in range(5)))
        assert totals == sorted(totals) and totals[-1] > 3 * totals[0] + 10, kind


def test_frequency_weighs_how_often_a_word_occurred() -> None:
    # The same small penalty: as presence it costs every repeat alike, as frequency it grows with the count.
    by_presence = apply_penalties(ECHO, 0.1, 0, faker()).lower().count("echo")
    by_frequency = apply_penalties(ECHO, 0, 0.1, faker()).lower().count("echo")
    assert by_frequency < by_presence < 40


def test_rewritten_words_keep_case_spacing_and_punctuation() -> None:
    text = apply_penalties(ECHO, 2, 2, faker())
    assert text.startswith("Echo. ") and len(text.split()) == 40
    assert all(word.islower() for word in text.split()[1:])
    assert apply_penalties(ECHO, 2, 2, faker()) == text, "deterministic for the same generator state"
