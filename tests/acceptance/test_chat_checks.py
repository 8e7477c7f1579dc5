"""What each model accepts, and the rules across a chat request's fields, refused with the real API's 400:
vision and audio parts, tool messages, tools and tool_choice, structured outputs, token limits, logit_bias
against the model's tokenizer, the catalogue's families and a --models file."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from tests.images_support import checkerboard, encode
from tests.support import ServerProcess, error_of, sdk_client, silent_wav

PNG = "data:image/png;base64," + base64.b64encode(encode(checkerboard(1024))).decode()
JPEG = "data:image/jpeg;base64," + base64.b64encode(encode(checkerboard(64), "JPEG")).decode()
CALL = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
TOOL: Any = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}


def image(url: str, detail: str = "auto") -> list[Any]:
    parts = [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": url, "detail": detail}},
    ]
    return [{"role": "user", "content": parts}]


def prompt_tokens(client: openai.OpenAI, model: str, messages: list[Any]) -> int:
    usage = client.chat.completions.create(model=model, messages=messages, max_tokens=1).usage
    assert usage is not None
    return usage.prompt_tokens


def test_image_parts_count_by_the_published_tile_rule(client: openai.OpenAI) -> None:
    text_only = prompt_tokens(
        client, "gpt-4o", [{"role": "user", "content": [{"type": "text", "text": "What is this?"}]}]
    )
    # 1024x1024 at high detail: shortest side to 768, four 512px tiles: 85 + 4 * 170; low detail: 85.
    assert prompt_tokens(client, "gpt-4o", image(PNG, "high")) - text_only == 765
    assert prompt_tokens(client, "gpt-4o", image(PNG, "low")) - text_only == 85
    assert prompt_tokens(client, "gpt-4o", image(JPEG)) - text_only == 85 + 170
    assert prompt_tokens(client, "gpt-4o", image("https://example.com/cat.png", "low")) - text_only == 85


NO_IMAGES = "Invalid content type. image_url is only supported by certain models."
AUDIO_PART = {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}


@pytest.mark.parametrize(
    ("model", "messages", "expected"),
    [
        ("gpt-3.5-turbo", image(PNG), (NO_IMAGES, "messages.[0].content.[1].type", None)),
        ("o3-mini", image(PNG), (NO_IMAGES, "messages.[0].content.[1].type", None)),
        ("gpt-4o", image("data:image/png;base64," + base64.b64encode(b"not a picture").decode()),
         ("You uploaded an unsupported image. Please make sure your image has of one the following formats: "
          "['png', 'jpeg', 'gif', 'webp'].", None, "invalid_image_format")),
        ("gpt-4o", [{"role": "user", "content": [AUDIO_PART]}],
         ("Invalid content type. input_audio is only supported by certain models.", "messages.[0].content.[0].type",
          None)),
    ],
    ids=["2023-model", "no-vision", "not-an-image", "no-audio"],
)  # fmt: skip
def test_content_parts_the_model_cannot_read_are_refused(
    http: httpx.Client, model: str, messages: list[Any], expected: tuple[str, str | None, str | None]
) -> None:
    response = http.post("/v1/chat/completions", json={"model": model, "messages": messages})
    assert response.status_code == 400
    error = error_of(response)
    assert (error["message"], error["param"], error["code"]) == expected


def test_audio_parts_count_by_their_seconds_on_an_audio_model(client: openai.OpenAI) -> None:
    audio = base64.b64encode(silent_wav(2.0)).decode()
    parts = [{"type": "input_audio", "input_audio": {"data": audio, "format": "wav"}}]
    usage = client.chat.completions.create(
        model="gpt-4o-audio-preview", messages=[{"role": "user", "content": parts}], max_tokens=1
    ).usage
    assert usage is not None and usage.prompt_tokens_details is not None
    assert usage.prompt_tokens_details.audio_tokens == 20


SKY: Any = {"type": "object", "properties": {"sky": {"type": "string"}}}
REFUSALS: list[tuple[dict[str, Any], tuple[str, str | None, str | None]]] = [
    ({"messages": [{"role": "user", "content": "hi"}, {"role": "tool", "tool_call_id": "call_1", "content": "x"}]},
     ("Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
      "messages.[1].role", None)),
    ({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "tool_calls": [CALL]},
                   {"role": "tool", "tool_call_id": "call_9", "content": "x"}], "tools": [TOOL]},
     ("Invalid parameter: 'tool_call_id' of 'call_9' not found in 'tool_calls' of previous message.",
      "messages.[2].tool_call_id", None)),
    ({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "tool_calls": [CALL]},
                   {"role": "user", "content": "and?"}], "tools": [TOOL]},
     ("An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. "
      "The following tool_call_ids did not have response messages: call_1", "messages.[1].role", None)),
    ({"tool_choice": "required"},
     ("Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.", "tool_choice",
      None)),
    ({"tools": []},
     ("Invalid 'tools': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      "tools", "empty_array")),
    ({"tools": [{"type": "function", "function": {"name": "bad name"}}]},
     ("Invalid 'tools[0].function.name': string does not match pattern. Expected a string that matches the "
      "pattern '^[a-zA-Z0-9_-]+$'.", "tools[0].function.name", "invalid_value")),
    ({"response_format": {"type": "json_object"}},
     ("'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
      "messages", None)),
    ({"response_format": {"type": "json_schema", "json_schema": {"name": "s", "strict": True, "schema": SKY}}},
     ("Invalid schema for response_format 's': In context=(), 'additionalProperties' is required to be supplied "
      "and to be false.", "response_format", None)),
    ({"max_tokens": 20000},
     ("max_tokens is too large: 20000. This model supports at most 16384 completion tokens, whereas you provided "
      "20000.", "max_tokens", "invalid_value")),
    ({"reasoning_effort": "low"},
     ("Unsupported parameter: 'reasoning_effort' is not supported with this model.", "reasoning_effort",
      "unsupported_parameter")),
    ({"logit_bias": {"200100": -100}},
     ("Invalid key in 'logit_bias': 200100. Maximum value is 200018.", "logit_bias", None)),
    ({"stream_options": {"include_usage": True}},
     ("The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options", None)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("extra", "expected"), REFUSALS, ids=[f"{i}-{next(iter(e))}" for i, (e, _) in enumerate(REFUSALS)]
)
def test_each_inconsistent_request_is_the_real_400(
    http: httpx.Client, extra: dict[str, Any], expected: tuple[str, str | None, str | None]
) -> None:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], **extra}
    response = http.post("/v1/chat/completions", json=body)
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert (error["message"], error["param"], error["code"]) == expected


@pytest.mark.parametrize(
    ("model", "extra", "message"),
    [
        ("gpt-5", {"reasoning_effort": "none"},
         "Unsupported value: 'reasoning_effort' does not support 'none' with this model. Supported values are: "
         "'minimal', 'low', 'medium', and 'high'."),
        ("o1", {"parallel_tool_calls": False, "tools": [TOOL]},
         "Unsupported parameter: 'parallel_tool_calls' is not supported with this model."),
        ("o3", {"logprobs": True}, "Unsupported parameter: 'logprobs' is not supported with this model."),
        ("gpt-4", {"response_format": {"type": "json_object"}},
         "Invalid parameter: 'response_format' of type 'json_object' is not supported with this model."),
        ("gpt-4o-2024-05-13", {"response_format": {"type": "json_schema", "json_schema": {"name": "s"}}},
         "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model. Learn more "
         "about supported models at the Structured Outputs guide: https://platform.openai.com/docs/guides/structured-outputs"),
        ("gpt-3.5-turbo-0301", {"seed": 1}, "Unrecognized request argument supplied: seed"),
        ("gpt-4-0314", {"messages": [{"role": "developer", "content": "x"}]},
         "'developer' is not one of ['system', 'user', 'assistant'] - 'messages.0.role'"),
    ],
    ids=["effort", "parallel", "logprobs", "json-object", "json-schema", "2023-seed", "2023-developer"],
)  # fmt: skip
def test_what_a_model_does_not_take_is_refused_in_its_words(
    http: httpx.Client, model: str, extra: dict[str, Any], message: str
) -> None:
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}], **extra}
    response = http.post("/v1/chat/completions", json=body)
    assert response.status_code == 400, response.text
    assert error_of(response)["message"] == message


def test_what_a_model_of_today_takes_is_accepted(client: openai.OpenAI) -> None:
    result = client.chat.completions.create(
        model="gpt-5-mini",
        messages=[{"role": "developer", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
        reasoning_effort="minimal",
        verbosity="low",
        max_completion_tokens=200,
        store=True,
        metadata={"suite": "checks"},
        service_tier="flex",
        user="u-1",
        safety_identifier="s-1",
        prompt_cache_key="k",
        logit_bias={"150000": -100},  # an id only o200k_base has
    )
    assert result.service_tier == "flex" and result.choices[0].message.content
    with pytest.raises(openai.BadRequestError, match="Maximum value is 100276"):
        client.chat.completions.create(
            model="gpt-4", messages=[{"role": "user", "content": "Hi"}], logit_bias={"150000": 1}
        )


def test_a_new_snapshot_name_resolves_by_its_family(client: openai.OpenAI) -> None:
    for model in ("gpt-4o-2026-01-01", "gpt-5.6-luna", "o3-pro-2026", "gpt-4.1-mini-2026-07-01"):
        assert client.chat.completions.create(model=model, messages=[{"role": "user", "content": "Hi"}]).model == model
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-7-nonesuch", messages=[{"role": "user", "content": "Hi"}])
    assert caught.value.code == "model_not_found"


def test_a_models_file_adds_a_family_with_what_it_accepts(
    start_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    models = tmp_path / "models.yaml"
    models.write_text(
        "families:\n"
        "  - {pattern: acme-*, extends: gpt-4o, kind: chat, context_window: 1000, max_output_tokens: 50,\n"
        "     capabilities: {tools: false}}\n"
    )
    client = sdk_client(start_server("--models", str(models)))
    answer = client.chat.completions.create(model="acme-7", messages=[{"role": "user", "content": "Hi"}])
    assert answer.usage is not None and answer.usage.prompt_tokens_details is not None
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="acme-7", messages=[{"role": "user", "content": "Hi"}], tools=[TOOL])
    assert caught.value.message.endswith("Unsupported parameter: 'tools' is not supported with this model.")
    with pytest.raises(openai.BadRequestError, match="at most 50 completion tokens"):
        client.chat.completions.create(model="acme-7", messages=[{"role": "user", "content": "Hi"}], max_tokens=51)
