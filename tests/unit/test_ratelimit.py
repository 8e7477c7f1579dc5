"""The sliding window, with time passed in explicitly."""

from __future__ import annotations

import pytest

from mockapi.ratelimit import SLOTS, Limits, RateLimiter, duration

WHO = "default-gpt-3.5-turbo in organization org-test"


def _headers(limiter: RateLimiter, key: str, limits: Limits, now: float) -> dict[str, str]:
    return {name.decode(): value.decode() for name, value in limiter.headers(key, limits, now)}


def test_requests_slide_out_of_the_window() -> None:
    limiter = RateLimiter(window_seconds=60)
    limits = Limits(requests=3)
    for second in (0.0, 10.0, 20.0):
        assert limiter.admit("k", limits, 0, second, WHO) is None
    refusal = limiter.admit("k", limits, 0, 30.0, WHO)
    assert refusal is not None and refusal.status == 429 and refusal.type == "requests"
    assert refusal.headers["retry-after"] == "30"
    assert "Please try again in 30s." in refusal.message
    assert _headers(limiter, "k", limits, 30.0)["x-ratelimit-remaining-requests"] == "0"
    assert limiter.admit("k", limits, 0, 60.5, WHO) is None  # the request at 0 s has left the window
    assert _headers(limiter, "k", limits, 60.5)["x-ratelimit-remaining-requests"] == "0"
    assert _headers(limiter, "k", limits, 85.0)["x-ratelimit-remaining-requests"] == "2"


def test_refused_requests_are_not_counted() -> None:
    limiter = RateLimiter(window_seconds=60)
    limits = Limits(requests=1)
    assert limiter.admit("k", limits, 0, 0.0, WHO) is None
    for _ in range(5):
        assert limiter.admit("k", limits, 0, 1.0, WHO) is not None
    assert limiter.admit("k", limits, 0, 61.0, WHO) is None


def test_tokens_are_estimated_then_corrected() -> None:
    limiter = RateLimiter(window_seconds=60)
    limits = Limits(tokens=100)
    assert limiter.admit("k", limits, 40, 0.0, WHO) is None
    limiter.add_tokens("k", -10, 0.0)  # the reply used 30
    headers = _headers(limiter, "k", limits, 1.0)
    assert headers["x-ratelimit-remaining-tokens"] == "70"
    assert headers["x-ratelimit-limit-tokens"] == "100"
    assert limiter.admit("k", limits, 60, 2.0, WHO) is None
    refusal = limiter.admit("k", limits, 20, 3.0, WHO)
    assert refusal is not None and refusal.type == "tokens" and "Current: 90 / min." in refusal.message


def test_keys_are_separate_and_bounded() -> None:
    limiter = RateLimiter(window_seconds=60, max_keys=10)
    for index in range(100):
        limiter.admit(f"key-{index}", Limits(requests=1), 0, 0.0, WHO)
    assert len(limiter._windows) == 10
    assert limiter.admit("key-99", Limits(requests=1), 0, 0.0, WHO) is not None
    assert limiter.admit("key-0", Limits(requests=1), 0, 0.0, WHO) is None  # forgotten, so fresh


def test_a_window_holds_at_most_one_entry_per_slot() -> None:
    limiter = RateLimiter(window_seconds=60)
    for step in range(10_000):
        limiter.admit("k", Limits(), 1, step * 0.05, WHO)
    assert len(limiter._windows["k"].slots) <= SLOTS


def test_unenforced_limits_show_nominal_values() -> None:
    limiter = RateLimiter(window_seconds=60)
    for _ in range(5_000):
        assert limiter.admit("k", Limits(), 10, 0.0, WHO) is None
    headers = _headers(limiter, "k", Limits(), 0.0)
    assert headers["x-ratelimit-limit-requests"] == "3500"
    assert headers["x-ratelimit-remaining-requests"] == "0"


@pytest.mark.parametrize(
    ("seconds", "text"), [(0.0, "0ms"), (0.0174, "17ms"), (8.64, "8.64s"), (20.0, "20s"), (360.0, "6m0s")]
)
def test_durations_read_like_the_real_headers(seconds: float, text: str) -> None:
    assert duration(seconds) == text
