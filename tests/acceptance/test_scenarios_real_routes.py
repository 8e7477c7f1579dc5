"""Fixture rules on the real /v1 routes, through the official SDK: the endpoint names rules match on, every
match key on completions, chat and edits, the content shaped by each endpoint (max_tokens, stop, logprobs),
headers beside it, and timing (jitter, ttft and tokens per second on the real chat stream).

Timing is checked loosely: the waits the server is told to make are lower bounds of what is observed; no
test asserts an upper bound on time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, get_args

import httpx
import openai
import pytest

from mockapi import tokens
from mockapi.matching import Endpoint
from mockapi.pytest_plugin import Mockapi
from mockapi.seeding import Seeding
from tests.images_support import checkerboard, encode, with_transparent_square
from tests.support import silent_wav

CHAT_MODEL = "gpt-3.5-turbo"
COMPLETION_MODEL = "gpt-3.5-turbo-instruct"
EDIT_MODEL = "text-davinci-edit-001"
ANSWER = "Matched by the rule."


# Its transparent corner is what an edit may paint.
PNG = encode(with_transparent_square(checkerboard(64, "RGBA"), (0, 0, 16, 16)))
WAV = silent_wav(0.5)

# One valid request per endpoint, sent the way a user's code would, through the SDK.
ENDPOINT_CALLS: dict[str, Callable[[openai.OpenAI], object]] = {
    "models": lambda c: c.models.list(),
    "completions": lambda c: c.completions.create(model=COMPLETION_MODEL, prompt="hi"),
    "chat.completions": lambda c: c.chat.completions.create(
        model=CHAT_MODEL, messages=[{"role": "user", "content": "hi"}]
    ),
    "edits": lambda c: c.post(
        "/edits", body={"model": EDIT_MODEL, "input": "hi", "instruction": "Fix it."}, cast_to=httpx.Response
    ),
    "images.generations": lambda c: c.images.generate(prompt="an otter", size="256x256"),
    "images.edits": lambda c: c.images.edit(image=("a.png", PNG), prompt="an otter", size="256x256"),
    "images.variations": lambda c: c.images.create_variation(image=("a.png", PNG), size="256x256"),
    "embeddings": lambda c: c.embeddings.create(model="text-embedding-ada-002", input="hi"),
    "audio.transcriptions": lambda c: c.audio.transcriptions.create(model="whisper-1", file=("a.wav", WAV)),
    "audio.translations": lambda c: c.audio.translations.create(model="whisper-1", file=("a.wav", WAV)),
    "audio.speech": lambda c: c.audio.speech.create(model="tts-1", voice="alloy", input="Hi."),
    "moderations": lambda c: c.moderations.create(input="hello"),
    "files": lambda c: c.files.list(),
    "responses": lambda c: c.responses.create(model=CHAT_MODEL, input="hi"),
    "conversations": lambda c: c.conversations.create(),
    "fine_tuning.jobs": lambda c: c.fine_tuning.jobs.list(),
    "fine-tunes": lambda c: c.get("/fine-tunes", cast_to=httpx.Response),
    "vector_stores": lambda c: c.vector_stores.list(),
    "vector_stores.files": lambda c: c.vector_stores.files.list("vs_ruled"),
    "vector_stores.file_batches": lambda c: c.vector_stores.file_batches.retrieve("vsfb_x", vector_store_id="vs_x"),
    "vector_stores.search": lambda c: c.vector_stores.search("vs_ruled", query="hi"),
    "batches": lambda c: c.batches.list(),
}


def test_the_endpoint_names_are_every_endpoint() -> None:
    assert set(ENDPOINT_CALLS) == set(get_args(Endpoint))


# The current SDK marks create_variation and translations deprecated; the routes remain.
@pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")
@pytest.mark.parametrize("endpoint", list(ENDPOINT_CALLS))
def test_each_endpoint_name_is_the_one_its_router_gives(mockapi: Mockapi, endpoint: str) -> None:
    mockapi.add_rule(match={"endpoint": endpoint}, respond={"error": {"status": 409, "message": f"ruled {endpoint}"}})
    with pytest.raises(openai.ConflictError) as caught:
        ENDPOINT_CALLS[endpoint](mockapi.openai_client())
    assert caught.value.body["message"] == f"ruled {endpoint}"  # type: ignore[index]
    # Only that endpoint: the others answer as usual.
    other = "models" if endpoint != "models" else "files"
    ENDPOINT_CALLS[other](mockapi.openai_client())


# Every match key on the real text routes. A request is (text, options); options may name the model, a
# system message (chat), headers and other body fields.

Request = tuple[str, dict[str, Any]]


def complete(client: openai.OpenAI, text: str, **options: Any) -> str:
    model = options.pop("model", COMPLETION_MODEL)
    return client.completions.create(model=model, prompt=text, **options).choices[0].text


def chat(client: openai.OpenAI, text: str, **options: Any) -> str:
    system = options.pop("system", None)
    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": text}]
    completion = client.chat.completions.create(model=options.pop("model", CHAT_MODEL), messages=messages, **options)
    return completion.choices[0].message.content or ""


def edit(client: openai.OpenAI, text: str, **options: Any) -> str:
    headers = options.pop("extra_headers", {})
    body = {"model": options.pop("model", EDIT_MODEL), "input": text, "instruction": "Fix it.", **options}
    response = client.post("/edits", body=body, cast_to=httpx.Response, options={"headers": headers})
    return str(response.json()["choices"][0]["text"])


ASK = {"completions": complete, "chat.completions": chat, "edits": edit}
TENANT = {"extra_headers": {"x-tenant": "acme"}}

MATCH_KEYS: list[tuple[str, dict[str, Any], Request, Request]] = [
    ("completions", {"text": "exact prompt"}, ("exact prompt", {}), ("exact prompt!", {})),
    ("completions", {"contains": "in Paris"}, ("weather in Paris?", {}), ("weather in Rome?", {})),
    ("completions", {"regex": r"^weather in \w+\?$"}, ("weather in Oslo?", {}), ("the weather in Oslo?", {})),
    ("completions", {"model": "text-davinci-003"}, ("hi", {"model": "text-davinci-003"}), ("hi", {})),
    ("completions", {"headers": {"X-Tenant": "acme"}}, ("hi", TENANT), ("hi", {})),
    ("completions", {"body": {"temperature": 0}}, ("hi", {"temperature": 0}), ("hi", {"temperature": 1})),
    ("chat.completions", {"text": "exact words"}, ("exact words", {}), ("exact words!", {})),
    ("chat.completions", {"contains": "in Paris"}, ("weather in Paris?", {}), ("weather in Rome?", {})),
    ("chat.completions", {"regex": r"in \w+\?$"}, ("weather in Oslo?", {}), ("weather in Oslo!", {})),
    ("chat.completions", {"system": {"contains": "pirate"}}, ("hi", {"system": "Be a pirate."}), ("hi", {})),
    ("chat.completions", {"model": "gpt-4"}, ("hi", {"model": "gpt-4"}), ("hi", {})),
    ("chat.completions", {"headers": {"X-Tenant": "acme"}}, ("hi", TENANT), ("hi", {})),
    ("chat.completions", {"body": {"temperature": 0}}, ("hi", {"temperature": 0}), ("hi", {"temperature": 1})),
    ("edits", {"text": "fix me"}, ("fix me", {}), ("fix me too", {})),
    ("edits", {"contains": "teh"}, ("teh cat", {}), ("the cat", {})),
    ("edits", {"regex": r"^\d+ apples$"}, ("12 apples", {}), ("apples", {})),
    ("edits", {"model": "code-davinci-edit-001"}, ("x = 1", {"model": "code-davinci-edit-001"}), ("x = 1", {})),
    ("edits", {"headers": {"X-Tenant": "acme"}}, ("hi", TENANT), ("hi", {})),
    ("edits", {"body": {"instruction": "Fix it.", "temperature": 0}}, ("hi", {"temperature": 0}), ("hi", {})),
]


@pytest.mark.parametrize(
    ("endpoint", "match", "hit", "miss"),
    MATCH_KEYS,
    ids=[f"{endpoint}-{next(iter(match))}" for endpoint, match, _, _ in MATCH_KEYS],
)
def test_each_match_key_on_the_real_routes(
    mockapi: Mockapi, endpoint: str, match: dict[str, Any], hit: Request, miss: Request
) -> None:
    rule_id = mockapi.add_rule(match={"endpoint": endpoint, **match}, respond={"content": ANSWER})
    ask, client = ASK[endpoint], mockapi.openai_client()
    assert ask(client, hit[0], **hit[1]) == ANSWER
    assert mockapi.requests.last_request.rule_id == rule_id
    assert ask(client, miss[0], **miss[1]) != ANSWER
    assert mockapi.requests.last_request.rule_id is None


def test_system_regex_headers_and_body_together_on_chat(mockapi: Mockapi) -> None:
    match = {
        "endpoint": "chat.completions",
        "system": {"regex": r"^You are a \w+\.$"},
        "regex": r"weather in (Paris|Oslo)",
        "headers": {"x-tenant": "acme"},
        "body": {"temperature": 0, "messages": [{"role": "system"}, {"role": "user"}]},
    }
    mockapi.add_rule(match=match, respond={"content": ANSWER})
    client = mockapi.openai_client()
    right: dict[str, Any] = {"system": "You are a pirate.", "temperature": 0, **TENANT}
    assert chat(client, "the weather in Oslo", **right) == ANSWER
    # Each key on its own can keep the rule from answering.
    misses: list[tuple[str, dict[str, Any]]] = [
        ("the weather in Rome", right),
        ("the weather in Oslo", {**right, "system": "You are a pirate!"}),
        ("the weather in Oslo", {**right, "extra_headers": {"x-tenant": "other"}}),
        ("the weather in Oslo", {**right, "temperature": 0.5}),
    ]
    for text, options in misses:
        assert chat(client, text, **options) != ANSWER
    assert [e.rule_id is not None for e in mockapi.requests] == [True, False, False, False, False]


# Content shaped by the completions endpoint: the rule's text, cut and scored as a generated one would be.

CONTENT = "one two three four five six seven eight"


def _completion(mockapi: Mockapi, **options: Any) -> Any:
    mockapi.add_rule(match={"endpoint": "completions", "contains": "count"}, respond={"content": CONTENT})
    return mockapi.openai_client().completions.create(model=COMPLETION_MODEL, prompt="count", **options)


def test_completion_content_is_the_rule_text_with_real_usage(mockapi: Mockapi) -> None:
    completion = _completion(mockapi)
    choice = completion.choices[0]
    assert (choice.text, choice.finish_reason) == (CONTENT, "stop")
    assert completion.usage.completion_tokens == tokens.count(CONTENT)
    assert completion.usage.prompt_tokens == tokens.count("count")


def test_completion_content_is_cut_by_max_tokens(mockapi: Mockapi) -> None:
    completion = _completion(mockapi, max_tokens=3)
    choice = completion.choices[0]
    assert choice.text == tokens.decode(tokens.encode(CONTENT)[:3]) == "one two three"
    assert choice.finish_reason == "length"
    assert completion.usage.completion_tokens == 3


def test_completion_content_stops_before_a_stop_sequence(mockapi: Mockapi) -> None:
    completion = _completion(mockapi, stop=[" five", "zzz"])
    assert (completion.choices[0].text, completion.choices[0].finish_reason) == ("one two three four", "stop")
    assert completion.usage.completion_tokens == tokens.count("one two three four")


def test_completion_content_logprobs_describe_the_content(mockapi: Mockapi) -> None:
    completion = _completion(mockapi, logprobs=2, max_tokens=5)
    choice = completion.choices[0]
    logprobs = choice.logprobs
    assert "".join(logprobs.tokens) == choice.text == "one two three four five"
    assert len(logprobs.tokens) == len(logprobs.token_logprobs) == completion.usage.completion_tokens == 5
    # Offsets count from the start of the prompt, as the real API counts them.
    assert logprobs.text_offset == [len("count") + len("".join(logprobs.tokens[:i])) for i in range(5)]
    for token, logprob, top in zip(logprobs.tokens, logprobs.token_logprobs, logprobs.top_logprobs, strict=True):
        assert logprob < 0 and len(top) == 2
        assert top[token] == logprob  # the chosen token among the likeliest, with its own logprob


def test_completion_content_streams_cut_the_same(mockapi: Mockapi) -> None:
    mockapi.add_rule(match={"endpoint": "completions"}, respond={"content": CONTENT})
    stream = mockapi.openai_client().completions.create(model=COMPLETION_MODEL, prompt="x", max_tokens=4, stream=True)
    chunks = list(stream)
    assert "".join(chunk.choices[0].text for chunk in chunks) == "one two three four"
    assert chunks[-1].choices[0].finish_reason == "length"


def test_edit_content_is_the_rule_text(mockapi: Mockapi) -> None:
    mockapi.add_rule(match={"endpoint": "edits", "text": "teh cat"}, respond={"content": "The cat.\n"})
    response = mockapi.openai_client().post(
        "/edits",
        body={"model": EDIT_MODEL, "input": "teh cat", "instruction": "Fix the spelling."},
        cast_to=httpx.Response,
    )
    body = response.json()
    assert body["choices"] == [{"text": "The cat.\n", "index": 0}]
    assert body["usage"]["completion_tokens"] == tokens.count("The cat.\n")


# Headers beside the content.


def test_respond_headers_come_with_the_content(mockapi: Mockapi) -> None:
    mockapi.add_rule(
        match={"endpoint": "chat.completions"},
        respond={"content": ANSWER, "headers": {"x-custom": "yes", "x-count": 3}},
    )
    client = mockapi.openai_client()
    messages = [{"role": "user", "content": "hi"}]
    raw = client.chat.completions.with_raw_response.create(model=CHAT_MODEL, messages=messages)
    assert (raw.headers["x-custom"], raw.headers["x-count"]) == ("yes", "3")
    assert raw.parse().choices[0].message.content == ANSWER
    assert raw.headers["x-request-id"] and raw.headers["openai-model"] == CHAT_MODEL  # the usual ones stay
    streamed = client.chat.completions.with_raw_response.create(model=CHAT_MODEL, messages=messages, stream=True)
    assert streamed.headers["x-custom"] == "yes"
    assert "".join(chunk.choices[0].delta.content or "" for chunk in streamed.parse()) == ANSWER


# Timing.


def test_jitter_spreads_the_delays_by_the_seeded_draws(mockapi: Mockapi) -> None:
    delay, jitter = 100, 300
    rule_id = mockapi.add_rule(match={"endpoint": "models"}, respond={"delay_ms": delay, "jitter_ms": jitter})
    client = mockapi.openai_client()
    for _ in range(6):
        client.models.retrieve("ada")
    # The draws the server makes: seeded by the rule, the session and the use, so they can be known here.
    seeding = Seeding(mockapi.state.settings.seed)
    draws = [seeding.rng_for("faults", f"{rule_id}||{use}").uniform(0, jitter) for use in range(1, 7)]
    assert all(0 <= draw <= jitter for draw in draws) and len(set(draws)) == 6
    assert max(draws) - min(draws) > jitter / 4  # spread, not one value for every request
    durations = [entry.duration_ms for entry in mockapi.requests]
    for measured, draw in zip(durations, draws, strict=True):
        assert measured >= delay + draw - 1  # each request waited the delay plus its own jitter


def test_ttft_and_tokens_per_second_pace_the_real_chat_stream(mockapi: Mockapi) -> None:
    words = "one two three four five six"
    mockapi.add_rule(
        match={"endpoint": "chat.completions", "contains": "slow"},
        respond={"content": words, "ttft_ms": 300, "tokens_per_second": 20},
    )
    client = mockapi.openai_client()
    started = time.monotonic()
    stream = client.chat.completions.create(
        model=CHAT_MODEL, messages=[{"role": "user", "content": "slow"}], stream=True
    )
    arrivals, content = [], ""
    for chunk in stream:
        arrivals.append(time.monotonic())
        if chunk.choices:
            content += chunk.choices[0].delta.content or ""
    assert content == words
    assert arrivals[0] - started >= 0.3  # the first chunk waits ttft_ms
    later = len(arrivals) - 1
    assert later >= 6 and arrivals[-1] - started >= 0.3 + later / 20  # then 1/20 s before each further chunk
    assert arrivals[-1] - arrivals[0] >= (later - 1) / 20  # spread out, not one burst
