"""The prompt cache: long prefixes seen before are read from it, in steps of 128 beyond 1024, for a while."""

from __future__ import annotations

from mockapi.prompt_cache import PromptCache, cached_amount, prefixes

MESSAGES = [{"role": "system", "content": "long"}, {"role": "user", "content": "a"}]


def test_the_reported_amount_is_in_steps_beyond_1024() -> None:
    assert [cached_amount(n) for n in (0, 1023, 1024, 1151, 1152, 5000)] == [0, 0, 1024, 1024, 1152, 4992]


def test_a_prefix_seen_before_is_read_from_the_cache() -> None:
    cache = PromptCache()
    first = prefixes("owner|m|", None, MESSAGES, [1500, 10], 0)
    assert [tokens for _, tokens in first] == [1500, 1510]
    assert cache.read(first, now=0, retention=None) == 0
    later = prefixes("owner|m|", None, [MESSAGES[0], {"role": "user", "content": "b"}], [1500, 12], 0)
    assert cache.read(later, now=60, retention=None) == 1408
    assert cache.read(prefixes("other|m|", None, MESSAGES, [1500, 10], 0), now=60, retention=None) == 0
    assert cache.read(later, now=60 + 601, retention=None) == 0  # in memory: ten minutes
    cache.read(first, now=1000, retention="24h")
    assert cache.read(first, now=80_000, retention="24h") == 1408  # a day


def test_short_prefixes_are_never_kept_and_the_cache_is_bounded() -> None:
    cache = PromptCache(max_prefixes=3)
    cache.read(prefixes("s", None, MESSAGES, [10, 10], 0), now=0, retention=None)
    assert len(cache) == 0
    for index in range(5):
        cache.read(prefixes(f"s{index}", None, MESSAGES, [2000, 10], 0), now=0, retention=None)
    assert len(cache) == 3
    cache.clear()
    assert len(cache) == 0
