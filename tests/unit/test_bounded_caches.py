"""Every in-process cache holds a bounded amount, whatever the texts it is fed."""

from __future__ import annotations

from mockapi import tokens
from mockapi.caches import BoundedCache
from mockapi.generators import drafting, embeddings
from mockapi.generators.drafting import Limits
from mockapi.pipeline import Answer
from mockapi.seeding import Seeding
from mockapi.settings import Settings
from mockapi.state import AppState


def test_tokens_cache_only_short_texts() -> None:
    long_text = "many words here " * 5_000
    short_text = "a short prompt, cached"
    before = tokens._encode_short.cache_info().currsize
    assert tokens.encode(long_text) == tuple(tokens.encoding().encode(long_text, disallowed_special=()))
    assert tokens._encode_short.cache_info().currsize == before
    assert tokens.encode(short_text) == tokens.encode(short_text)
    assert tokens._encode_short.cache_info().currsize == before + 1


def test_tokens_cache_is_bounded_in_entries_and_length() -> None:
    assert tokens._encode_short.cache_info().maxsize == tokens.ENCODE_CACHE_SIZE
    # At most one token per character: ids of at most this many tokens in all.
    assert tokens.CACHED_TEXT_CHARS * tokens.ENCODE_CACHE_SIZE <= 256 * 1024


def test_a_long_feature_counts_against_the_feature_cache_budget() -> None:
    cache = embeddings._feature_vectors
    word = "x" * 200_000
    before = cache.used
    vector = embeddings._feature_vector(Seeding(7), "test-model", 8, word)
    assert cache.used == before + vector.nbytes + len(word)


def test_feature_and_wire_caches_stay_under_their_budget() -> None:
    seeding = Seeding(11)
    # Each text a new long word: without the key in the budget, entries would be counted at 6 KiB each.
    for i in range(400):
        embeddings.text_embedding(seeding, "test-model", 1536, 1536, f"w{i}" + "y" * 50_000, "float")
    assert embeddings._feature_vectors.used <= embeddings.CACHE_BYTES
    assert embeddings._wire_forms.used <= embeddings.CACHE_BYTES
    assert sum(size for _, size in embeddings._feature_vectors._items.values()) == embeddings._feature_vectors.used


def test_the_cache_evicts_the_least_recently_used_beyond_its_budget() -> None:
    cache = BoundedCache(budget=100)
    cache.put("a", 1, 40)
    cache.put("b", 2, 40)
    assert cache.get("a") == 1  # "b" is now the least recently used
    cache.put("c", 3, 40)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    assert cache.used == 80 and len(cache) == 2


def test_the_cache_keeps_within_its_budget_and_its_count() -> None:
    cache = BoundedCache(budget=100, max_items=3)
    for key in range(10):
        cache.put(key, str(key), 30)
    assert len(cache) == 3 and cache.used == 90
    assert [cache.get(key) for key in (6, 7, 8, 9)] == [None, "7", "8", "9"]
    cache.put("huge", "x", 101)  # larger than the whole budget: not kept
    assert cache.get("huge") is None and cache.used == 90
    cache.put(7, "seven", 70)  # replacing a value counts its new size, evicting the oldest to fit
    assert cache.get(7) == "seven" and cache.used <= 100


def test_remembered_drafts_stay_under_their_token_budget() -> None:
    seeding = Seeding(13)
    memo = drafting.DraftMemo()
    for i in range(1_500):
        answer = Answer(seeding, "chat.completions", {"i": i}, drafts=memo)
        drafting.draft_for(answer, 0, Limits())
    assert 0 < memo.used <= memo.budget and len(memo) == memo.max_items
    assert memo.used == sum(len(draft.tokens) for draft, _ in memo._items.values())


def test_a_reset_forgets_the_remembered_drafts() -> None:
    state = AppState.build(Settings())
    answer = Answer(state.seeding, "chat.completions", {"messages": "hello"}, drafts=state.drafts)
    first = drafting.draft_for(answer, 0, Limits())
    assert len(state.drafts) == 1 and drafting.draft_for(answer, 0, Limits()) is first  # remembered
    state.reset()
    assert len(state.drafts) == 0 and state.drafts.used == 0
    again = Answer(state.seeding, "chat.completions", {"messages": "hello"}, drafts=state.drafts)
    redrawn = drafting.draft_for(again, 0, Limits())
    assert redrawn is not first and redrawn == first  # drawn anew, the same draft
