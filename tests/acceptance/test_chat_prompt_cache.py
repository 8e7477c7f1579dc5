"""Cached prompt tokens through the SDK: a long prefix sent again is read from the cache, per organization."""

from __future__ import annotations

from typing import Any

from mockapi.pytest_plugin import Mockapi

# About 1500 tokens of instructions, the same in every request of an app.
SYSTEM = {"role": "system", "content": " ".join(f"Rule {n}: answer politely and briefly." for n in range(200))}


def cached(mockapi: Mockapi, question: str, **options: Any) -> tuple[int, int]:
    client = mockapi.openai_client(**options)
    usage = client.chat.completions.create(
        model="gpt-4o", messages=[SYSTEM, {"role": "user", "content": question}]
    ).usage
    assert usage is not None and usage.prompt_tokens_details is not None
    return usage.prompt_tokens, usage.prompt_tokens_details.cached_tokens or 0


def test_a_long_prefix_sent_again_is_read_from_the_cache(mockapi: Mockapi) -> None:
    prompt, first = cached(mockapi, "What is a haiku?")
    assert prompt > 1200 and first == 0
    _, second = cached(mockapi, "And a limerick?")
    assert 1024 <= second < prompt and (second - 1024) % 128 == 0
    assert cached(mockapi, "And a sonnet?", organization="org-other")[1] == 0
    mockapi.reset()
    assert cached(mockapi, "And a limerick?")[1] == 0


def test_a_short_prompt_is_never_cached(mockapi: Mockapi) -> None:
    client = mockapi.openai_client()
    for _ in range(2):
        usage = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Hi"}]).usage
        assert usage is not None and usage.prompt_tokens_details is not None
        assert usage.prompt_tokens_details.cached_tokens == 0
