"""Record and replay tests: a mockapi upstream (its own key, rules that pace, fail, stream tool calls and
answer in sequence), a recorder in front of it, and the requests recorded and then replayed."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import openai
import yaml

from tests.support import API_KEY, ServerProcess, sdk_client, silent_wav

UPSTREAM_KEY = "sk-upstream-" + "s3cr3t" * 5
# What the client sends that must never be written down (beside its own key and the upstream's).
SECRET_HEADERS = {
    "OpenAI-Organization": "org-secret-4711",
    "OpenAI-Project": "proj_secret_0815",
    "Cookie": "session=cookie-secret-42",
}
SECRETS = (UPSTREAM_KEY, API_KEY, "org-secret-4711", "proj_secret_0815", "cookie-secret-42")
UPSTREAM_SEED = 5
SLOW_TEXT = "one two three four five six seven eight nine ten eleven twelve"
TRAINING = b'{"prompt": "Say hi", "completion": " hi"}\n{"prompt": "Say bye", "completion": " bye"}\n'


def _chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
    choice = {"index": 0, "delta": delta, "finish_reason": finish_reason}
    return {"id": "chatcmpl-up", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": [choice]}


def _call(index: int, call_id: str, name: str) -> dict[str, Any]:
    return {"index": index, "id": call_id, "type": "function", "function": {"name": name, "arguments": ""}}


def _arguments(index: int, piece: str) -> dict[str, Any]:
    return {"tool_calls": [{"index": index, "function": {"arguments": piece}}]}


TOOL_CALL_EVENTS = [
    _chunk({"role": "assistant", "content": None}),
    _chunk({"tool_calls": [_call(0, "call_up_1", "get_weather")]}),
    _chunk(_arguments(0, '{"city": "Par')),
    _chunk({"tool_calls": [_call(1, "call_up_2", "get_time")]}),
    _chunk(_arguments(0, 'is", "unit": "celsius"}')),
    _chunk(_arguments(1, '{"zone": "CET"}')),
    _chunk({}, "tool_calls"),
]

UPSTREAM_RULES = [
    {
        "id": "paced",
        "match": {"endpoint": "chat.completions", "text": "Tell me slowly"},
        "respond": {"content": SLOW_TEXT, "ttft_ms": 0, "tokens_per_second": 8},
    },
    {
        "id": "weather-stream",
        "match": {"endpoint": "chat.completions", "text": "Weather in Paris?", "body": {"stream": True}},
        "respond": {"body": TOOL_CALL_EVENTS},
    },
    {
        "id": "busy-then-free",
        "match": {"text": "Are you busy?"},
        "respond": {"sequence": [{"error": "rate_limit_exceeded"}, {"content": "Not any more."}]},
    },
    {
        "id": "two-answers",
        "match": {"text": "Say something new"},
        "respond": {"sequence": [{"content": "First."}, {"content": "Second."}]},
    },
    {"id": "slow", "match": {"text": "Take your time"}, "respond": {"delay_ms": 3000}},
]
# A model only the upstream knows: record mode forwards what mockapi itself would refuse.
UPSTREAM_MODELS = {"models": [{"id": "gpt-upstream-only", "kind": "chat", "context_window": 8192}]}


def upstream_server(folder: Path) -> ServerProcess:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "rules.yaml").write_text(yaml.safe_dump(UPSTREAM_RULES))
    (folder / "models.yaml").write_text(yaml.safe_dump(UPSTREAM_MODELS))
    # A seed of its own: what replay answers is then the recording's, never what mockapi would generate.
    return ServerProcess(["--api-key", UPSTREAM_KEY, "--fixtures", str(folder), "--seed", str(UPSTREAM_SEED)])


def recorder(upstream: ServerProcess | str, *flags: str, key: str = UPSTREAM_KEY) -> ServerProcess:
    url = upstream if isinstance(upstream, str) else upstream.base_url
    return ServerProcess(["--upstream", url, *flags], env={"OPENAI_API_KEY": key})


def client(server: ServerProcess, key: str = API_KEY) -> openai.OpenAI:
    return sdk_client(server, key, default_headers=SECRET_HEADERS)


def upstream_requests(upstream: ServerProcess, since_id: int = 0) -> list[dict[str, Any]]:
    answer = httpx.get(upstream.url + "/__mockapi/requests", params={"since_id": since_id})
    return list(answer.json()["data"])


def last_request_id(upstream: ServerProcess) -> int:
    entries = upstream_requests(upstream)
    return int(entries[-1]["id"]) if entries else 0


def every_file(directory: Path) -> Iterator[Path]:
    return (path for path in sorted(directory.rglob("*")) if path.is_file())


# The exchanges recorded, and what to compare of their answers.


def chat(sdk: openai.OpenAI, text: str = "What should I cook tonight?") -> str | None:
    messages: Any = [{"role": "system", "content": "You are a chef."}, {"role": "user", "content": text}]
    answer = sdk.chat.completions.create(model="gpt-3.5-turbo", messages=messages, temperature=0.5)
    return answer.choices[0].message.content


def streamed_tool_calls(sdk: openai.OpenAI) -> list[tuple[str, str]]:
    stream = sdk.chat.completions.create(
        model="gpt-3.5-turbo", messages=[{"role": "user", "content": "Weather in Paris?"}], stream=True
    )
    calls: dict[int, list[str]] = {}
    for chunk in stream:
        for call in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            entry = calls.setdefault(call.index, ["", ""])
            if call.function is not None:
                entry[0] += call.function.name or ""
                entry[1] += call.function.arguments or ""
    return [(name, arguments) for _, (name, arguments) in sorted(calls.items())]


def completion(sdk: openai.OpenAI) -> tuple[str, list[str]]:
    model = "gpt-3.5-turbo-instruct"
    answer = sdk.completions.create(model=model, prompt="Once upon a time", max_tokens=12, logprobs=2)
    choice = answer.choices[0]
    assert choice.logprobs is not None and choice.logprobs.tokens is not None
    return choice.text, choice.logprobs.tokens


def embedding(sdk: openai.OpenAI) -> list[float]:
    return sdk.embeddings.create(model="text-embedding-ada-002", input="The quick brown fox").data[0].embedding


def image_b64(sdk: openai.OpenAI) -> str | None:
    answer = sdk.images.generate(model="dall-e-2", prompt="A red bicycle", size="256x256", response_format="b64_json")
    assert answer.data is not None
    return answer.data[0].b64_json


def image_by_url(sdk: openai.OpenAI) -> bytes:
    answer = sdk.images.generate(model="dall-e-2", prompt="A blue boat", size="256x256", response_format="url")
    assert answer.data is not None and answer.data[0].url is not None
    return httpx.get(answer.data[0].url).content


def transcript(sdk: openai.OpenAI) -> str:
    return sdk.audio.transcriptions.create(model="whisper-1", file=("speech.wav", silent_wav(2.0))).text


def uploaded(sdk: openai.OpenAI) -> tuple[str, int, str, bytes]:
    stored = sdk.files.create(file=("train.jsonl", TRAINING), purpose="fine-tune")
    return stored.filename, stored.bytes, stored.purpose, sdk.files.content(stored.id).content


def error_then_answer(sdk: openai.OpenAI) -> tuple[int, str, str | None, str | None]:
    try:
        chat(sdk, "Are you busy?")
    except openai.APIStatusError as exc:
        return exc.status_code, exc.message, exc.response.headers.get("retry-after"), chat(sdk, "Are you busy?")
    raise AssertionError("the first answer is an error")


def in_sequence(sdk: openai.OpenAI) -> list[str | None]:
    return [chat(sdk, "Say something new"), chat(sdk, "Say something new")]


EXCHANGES: Sequence[Any] = (
    chat,
    streamed_tool_calls,
    completion,
    embedding,
    image_b64,
    image_by_url,
    transcript,
    uploaded,
    error_then_answer,
    in_sequence,
)


def answers(sdk: openai.OpenAI) -> dict[str, Any]:
    return {exchange.__name__: exchange(sdk) for exchange in EXCHANGES}
