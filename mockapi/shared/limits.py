"""Rate-limit windows and the prompt cache of processes that share their state, in the board.

A window's slots are the board's: a request is counted first and taken back if it went past a limit, so
two processes admitting at once never both take the last request of a window. Slots are numbered on the
wall clock, which every process (and every replica, NTP-synchronised) reads alike."""

from __future__ import annotations

from collections.abc import Sequence

from mockapi import errors
from mockapi.errors import duration
from mockapi.prompt_cache import MIN_CACHED_TOKENS, RETENTION_SECONDS, PromptCache, cached_amount
from mockapi.ratelimit import MAX_KEYS, NOMINAL_REQUESTS, NOMINAL_TOKENS, SLOTS, Limits, RateLimiter, refusal
from mockapi.shared import Board, Slot

PROMPTS = "prompt-cache"


def _first(slots: Sequence[Slot], kind: int) -> int | None:
    return next((entry.slot for entry in slots if entry[kind] > 0), None)


class SharedRateLimiter(RateLimiter):
    def __init__(self, window_seconds: float, board: Board, max_keys: int = MAX_KEYS) -> None:
        super().__init__(window_seconds, max_keys)
        self._board = board

    def _change(self, key: str, now: float, requests: int, tokens: int) -> list[Slot]:
        slot = self._slot(now)
        return self._board.window(key, slot, requests, tokens, slot - SLOTS + 1, self.max_keys)

    def admit(self, key: str, limits: Limits, tokens: int, now: float, who: str) -> errors.OpenAIError | None:
        slots = self._change(key, now, 1, tokens)
        requests, counted = sum(entry.requests for entry in slots) - 1, sum(entry.tokens for entry in slots) - tokens
        refused = None
        if limits.requests is not None and requests >= limits.requests:
            refused = refusal("requests", limits.requests, requests, self._wait(slots, 1, now), who)
        elif limits.tokens is not None and counted + tokens > limits.tokens and counted > 0:
            refused = refusal("tokens", limits.tokens, counted, self._wait(slots, 2, now), who)
        if refused is not None:
            self._change(key, now, -1, -tokens)  # refused: counts nothing
        return refused

    def add_tokens(self, key: str, tokens: int, now: float) -> None:
        if tokens:
            self._change(key, now, 0, tokens)

    def headers(self, key: str, limits: Limits, now: float) -> list[tuple[bytes, bytes]]:
        request_limit = limits.requests or NOMINAL_REQUESTS
        token_limit = limits.tokens or NOMINAL_TOKENS
        slots = self._change(key, now, 0, 0)
        requests, tokens = sum(entry.requests for entry in slots), sum(entry.tokens for entry in slots)
        return [
            (b"x-ratelimit-limit-requests", b"%d" % request_limit),
            (b"x-ratelimit-limit-tokens", b"%d" % token_limit),
            (b"x-ratelimit-remaining-requests", b"%d" % max(0, request_limit - requests)),
            (b"x-ratelimit-remaining-tokens", b"%d" % max(0, token_limit - tokens)),
            (b"x-ratelimit-reset-requests", duration(self._wait(slots, 1, now)).encode()),
            (b"x-ratelimit-reset-tokens", duration(self._wait(slots, 2, now)).encode()),
        ]

    def _wait(self, slots: Sequence[Slot], kind: int, now: float) -> float:
        first = _first(slots, kind)
        return 0.0 if first is None else max(0.0, (first + SLOTS) * self.slot_seconds - now)

    def clear(self) -> None:
        self._board.clear_windows()


class SharedPromptCache(PromptCache):
    """The long prefixes seen by any process, each a counter holding the clock second it expires at."""

    def __init__(self, board: Board, max_prefixes: int) -> None:
        super().__init__(max_prefixes)
        self._board = board

    def read(self, found: Sequence[tuple[bytes, int]], now: float, retention: str | None) -> int:
        keep = int(now + RETENTION_SECONDS.get(retention or "in_memory", RETENTION_SECONDS["in_memory"]))
        hit = 0
        for digest, tokens in found:
            if tokens < MIN_CACHED_TOKENS:
                continue
            expires = self._board.count(PROMPTS, digest.hex())
            if expires > now:
                hit = tokens
            if keep > expires:
                self._board.incr(PROMPTS, digest.hex(), keep - expires, cap=self._max)
        return cached_amount(hit)

    def clear(self) -> None:
        self._board.drop(PROMPTS)

    def __len__(self) -> int:
        return len(self._board.counts(PROMPTS))
