"""Prompt caching as the API reports it: `usage.prompt_tokens_details.cached_tokens`.

The real API caches a prompt's prefix of 1024 tokens or more, per organization, and a later prompt that starts
with it reads it from the cache: in steps of 128 tokens beyond the first 1024, for a few minutes (`in_memory`,
ten here) or a day (`prompt_cache_retention: "24h"`). Here a prompt's prefixes are whole messages after the
tools (the tools come first, as they do in the model's prompt): the cached tokens are those of the longest
prefix of 1024 tokens or more an earlier request of the same scope (owner, model, prompt_cache_key) sent,
rounded down to the step. Deterministic for a sequence of requests; times are the server's clock; bounded.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence

import orjson

MIN_CACHED_TOKENS = 1024
CACHE_STEP = 128
MAX_PREFIXES = 8192
RETENTION_SECONDS = {"in_memory": 600.0, "24h": 86_400.0}


def prefixes(
    scope: str, tools: object, messages: Sequence[object], counts: Sequence[int], first: int
) -> list[tuple[bytes, int]]:
    """(digest, tokens) of each prefix of the prompt that ends after a message: `first` is the tokens before
    the messages (the tools', the priming's), `counts` each message's tokens."""
    digest = hashlib.blake2b(scope.encode() + b"|" + orjson.dumps(tools, option=orjson.OPT_SORT_KEYS), digest_size=16)
    found = []
    total = first
    for message, count in zip(messages, counts, strict=True):
        digest.update(orjson.dumps(message, option=orjson.OPT_SORT_KEYS))
        total += count
        found.append((digest.copy().digest(), total))
    return found


def cached_amount(tokens: int) -> int:
    """What the API reports of a cached prefix of `tokens`: nothing under 1024, then steps of 128."""
    if tokens < MIN_CACHED_TOKENS:
        return 0
    return MIN_CACHED_TOKENS + (tokens - MIN_CACHED_TOKENS) // CACHE_STEP * CACHE_STEP


class PromptCache:
    """The prefixes seen, with when they expire (the least recently used leave first beyond the bound)."""

    def __init__(self, max_prefixes: int = MAX_PREFIXES) -> None:
        self._seen: OrderedDict[bytes, float] = OrderedDict()
        self._max = max_prefixes
        self._lock = threading.Lock()

    def read(self, found: Sequence[tuple[bytes, int]], now: float, retention: str | None) -> int:
        """The cached tokens of this prompt (its prefixes from `prefixes`), remembering its long prefixes."""
        keep = now + RETENTION_SECONDS.get(retention or "in_memory", RETENTION_SECONDS["in_memory"])
        hit = 0
        with self._lock:
            for digest, tokens in found:
                if tokens < MIN_CACHED_TOKENS:
                    continue
                expires = self._seen.get(digest)
                if expires is not None and expires > now:
                    hit = tokens
                self._seen[digest] = max(keep, expires or 0.0)
                self._seen.move_to_end(digest)
            while len(self._seen) > self._max:
                self._seen.popitem(last=False)
        return cached_amount(hit)

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()

    def __len__(self) -> int:
        return len(self._seen)
