"""Rate limits that really count: a sliding window of requests and tokens per API key (or key and rule).

`Limiter` is the one object the request path uses: it admits a request (or refuses it with the real 429),
and the `Admission` it answers settles the request's real token count and writes its x-ratelimit-* headers.
`RateLimiter` keeps the windows themselves.

Each window is kept as at most SLOTS time slots (1/SLOTS of the window each), so memory per key is
constant; keys are kept in a bounded LRU. With no limit configured the real API's default tier limits are
shown in the headers (and counted down) but never enforced.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mockapi import errors
from mockapi.errors import duration

if TYPE_CHECKING:
    from mockapi.context import Caller, Served

RawHeaders = list[tuple[bytes, bytes]]

SLOTS = 60
MAX_KEYS = 4_096
# Shown when no limit is set (the 2023 default tier of gpt-3.5-turbo); not enforced.
NOMINAL_REQUESTS = 3_500
NOMINAL_TOKENS = 90_000


@dataclass(frozen=True)
class Limits:
    """Per-window limits; None means not enforced (the nominal value is shown instead)."""

    requests: int | None = None
    tokens: int | None = None

    @property
    def enforced(self) -> bool:
        return self.requests is not None or self.tokens is not None


class Window:
    """Requests and tokens counted in time slots; old slots fall out as time passes."""

    __slots__ = ("requests", "slots", "tokens")

    def __init__(self) -> None:
        self.slots: deque[list[int]] = deque()  # [slot number, requests, tokens]
        self.requests = 0
        self.tokens = 0

    def expire(self, slot: int) -> None:
        slots = self.slots
        while slots and slots[0][0] <= slot - SLOTS:
            _, requests, tokens = slots.popleft()
            self.requests -= requests
            self.tokens -= tokens

    def add(self, slot: int, requests: int, tokens: int) -> None:
        if self.slots and self.slots[-1][0] == slot:
            last = self.slots[-1]
            last[1] += requests
            last[2] += tokens
        else:
            self.slots.append([slot, requests, tokens])
        self.requests += requests
        self.tokens += tokens

    def first_slot(self, kind: int) -> int | None:
        """The oldest slot still holding requests (kind 1) or tokens (kind 2)."""
        for entry in self.slots:
            if entry[kind] > 0:
                return entry[0]
        return None


class RateLimiter:
    def __init__(self, window_seconds: float, max_keys: int = MAX_KEYS) -> None:
        self.window_seconds = window_seconds
        self.slot_seconds = window_seconds / SLOTS
        self.max_keys = max_keys
        self._windows: OrderedDict[str, Window] = OrderedDict()
        self._lock = threading.Lock()

    def _slot(self, now: float) -> int:
        return int(now // self.slot_seconds)

    def _window(self, key: str, now: float) -> Window:
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = Window()
            if len(self._windows) > self.max_keys:
                self._windows.popitem(last=False)
        else:
            self._windows.move_to_end(key)
        window.expire(self._slot(now))
        return window

    def admit(self, key: str, limits: Limits, tokens: int, now: float, who: str) -> errors.OpenAIError | None:
        """Count one request of about `tokens` tokens, or refuse it (counting nothing) with the real 429.

        `who` completes the message: "default-gpt-3.5-turbo in organization org-...".
        """
        with self._lock:
            window = self._window(key, now)
            if limits.requests is not None and window.requests >= limits.requests:
                wait = self._reset_after(window, 1, now)
                return refusal("requests", limits.requests, window.requests, wait, who)
            if limits.tokens is not None and window.tokens + tokens > limits.tokens and window.tokens > 0:
                wait = self._reset_after(window, 2, now)
                return refusal("tokens", limits.tokens, window.tokens, wait, who)
            window.add(self._slot(now), 1, tokens)
            return None

    def add_tokens(self, key: str, tokens: int, now: float) -> None:
        """Correct the tokens of the last request (e.g. the reply's real usage instead of the estimate)."""
        if tokens:
            with self._lock:
                self._window(key, now).add(self._slot(now), 0, tokens)

    def headers(self, key: str, limits: Limits, now: float) -> list[tuple[bytes, bytes]]:
        """The x-ratelimit-* response headers, as raw pairs (they go on every response)."""
        request_limit = limits.requests or NOMINAL_REQUESTS
        token_limit = limits.tokens or NOMINAL_TOKENS
        with self._lock:
            window = self._windows.get(key)  # a read: no LRU touch, no new window
            if window is None:
                requests = tokens = 0
                reset_requests = reset_tokens = 0.0
            else:
                window.expire(self._slot(now))
                requests, tokens = window.requests, window.tokens
                reset_requests = self._reset_after(window, 1, now)
                reset_tokens = self._reset_after(window, 2, now)
        requests_wait = duration(reset_requests).encode()
        # Usually the same slot holds the oldest requests and tokens: one wait, written once.
        tokens_wait = requests_wait if reset_tokens == reset_requests else duration(reset_tokens).encode()
        return [
            (b"x-ratelimit-limit-requests", b"%d" % request_limit),
            (b"x-ratelimit-limit-tokens", b"%d" % token_limit),
            (b"x-ratelimit-remaining-requests", b"%d" % max(0, request_limit - requests)),
            (b"x-ratelimit-remaining-tokens", b"%d" % max(0, token_limit - tokens)),
            (b"x-ratelimit-reset-requests", requests_wait),
            (b"x-ratelimit-reset-tokens", tokens_wait),
        ]

    def _reset_after(self, window: Window, kind: int, now: float) -> float:
        """Seconds until the oldest counted slot leaves the window."""
        first = window.first_slot(kind)
        if first is None:
            return 0.0
        return max(0.0, (first + SLOTS) * self.slot_seconds - now)

    def clear(self) -> None:
        with self._lock:
            self._windows.clear()


Bucket = tuple[str, Limits]


class Limiter:
    """Admits requests against the server-wide limits per API key (--rpm/--tpm) and a rule's own."""

    def __init__(self, windows: RateLimiter, limits: Limits, clock: Callable[[], float]) -> None:
        self.windows = windows
        self.limits = limits
        self.clock = clock

    def admit(self, served: Served, caller: Caller, estimate: int, who: str) -> Admission:
        """One request of about `estimate` tokens, counted in the caller's window (and left on the served
        exchange), or the real 429 (journaled as the `rate_limit` fault).

        `who` completes the refusal: "default-gpt-3.5-turbo in organization org-...".
        """
        served.admission = admission = Admission(self, caller, estimate, who)
        self._count(served, admission, (caller.api_key, self.limits))
        return admission

    def admit_for_rule(self, served: Served, admission: Admission, rule_id: str, limits: Limits) -> None:
        """Counted in the matched rule's own window too (its rpm/tpm, per API key), or the real 429."""
        self._count(served, admission, (f"{admission.caller.api_key}\0{rule_id}", limits))

    def _count(self, served: Served, admission: Admission, bucket: Bucket) -> None:
        try:
            admission.count(bucket)
        except errors.OpenAIError:
            served.fault = "rate_limit"
            raise

    def write_headers(self, headers: RawHeaders, served: Served) -> None:
        """The x-ratelimit-* headers of the window the request was counted in (the caller's, or the
        matched rule's own); a rule's answer may have set some of them itself, and those stay."""
        if served.admission is not None:
            key, limits = served.admission.shown
        elif served.caller is not None:
            key, limits = served.caller.api_key, self.limits
        else:
            return
        values = self.windows.headers(key, limits, self.clock())
        if served.rule_id is not None:
            present = {name for name, _ in headers}
            values = [(name, value) for name, value in values if name not in present]
        headers.extend(values)

    def clear(self) -> None:
        self.windows.clear()


class Admission:
    """An admitted request's place in its windows."""

    __slots__ = ("buckets", "caller", "estimate", "limiter", "shown", "who")

    def __init__(self, limiter: Limiter, caller: Caller, estimate: int, who: str) -> None:
        # Not the served exchange, which holds the admission: no reference cycle, so that a request's
        # objects go with it rather than wait for the garbage collector.
        self.limiter = limiter
        self.caller = caller
        self.estimate = estimate
        self.who = who
        self.buckets: list[Bucket] = []  # the windows it is counted in
        self.shown: Bucket = (caller.api_key, limiter.limits)  # the window its headers show: the last tried

    def count(self, bucket: Bucket) -> None:
        """Counted in one more window, or the real 429."""
        key, limits = self.shown = bucket
        refusal = self.limiter.windows.admit(key, limits, self.estimate, self.limiter.clock(), self.who)
        if refusal is not None:
            raise refusal
        self.buckets.append(bucket)

    def settle(self, total_tokens: int) -> None:
        """Replace the estimate by what the request really used."""
        if total_tokens != self.estimate:
            now = self.limiter.clock()
            for key, _ in self.buckets:
                self.limiter.windows.add_tokens(key, total_tokens - self.estimate, now)
            self.estimate = total_tokens


def refusal(kind: str, limit: int, used: int, wait: float, who: str) -> errors.OpenAIError:
    return errors.rate_limit_reached(kind, limit, used, wait, who)
