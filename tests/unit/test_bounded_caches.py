"""Every in-process cache holds a bounded amount, whatever the texts it is fed."""

from __future__ import annotations

from mockapi import tokens
from mockapi.generators import embeddings
from mockapi.seeding import Seeding


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
    before = cache.bytes
    vector = embeddings._feature_vector(Seeding(7), "test-model", 8, word)
    assert cache.bytes == before + vector.nbytes + len(word)


def test_feature_and_wire_caches_stay_under_their_budget() -> None:
    seeding = Seeding(11)
    # Each text a new long word: without the key in the budget, entries would be counted at 6 KiB each.
    for i in range(400):
        embeddings.text_embedding(seeding, "test-model", 1536, 1536, f"w{i}" + "y" * 50_000, "float")
    assert embeddings._feature_vectors.bytes <= embeddings.CACHE_BYTES
    assert embeddings._wire_forms.bytes <= embeddings.CACHE_BYTES
    assert sum(size for _, size in embeddings._feature_vectors._items.values()) == embeddings._feature_vectors.bytes
