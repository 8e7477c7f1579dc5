"""The bodies and events of moderations, speech, today's transcription models and today's image models
against the current spec (tests/contract/openapi-current.yaml), and text-moderation against the 2023 one."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from tests.contract import current_spec, spec
from tests.images_support import checkerboard, encode


def _events(response: httpx.Response) -> list[dict[str, Any]]:
    """The JSON payloads of a typed event stream (no `[DONE]`)."""
    assert response.headers["content-type"].startswith("text/event-stream")
    payloads = []
    for block in response.text.split("\n\n"):
        data = [line[len("data: ") :] for line in block.splitlines() if line.startswith("data: ")]
        if data:
            payloads.append(json.loads("\n".join(data)))
    assert payloads and "[DONE]" not in response.text
    return payloads


@pytest.fixture(scope="module")
def speech(server: Any) -> bytes:
    headers = {"Authorization": "Bearer sk-test-1234567890abcdef"}
    body = {"model": "tts-1", "voice": "alloy", "input": "Contract tests keep their word."}
    return httpx.post(server.base_url + "/audio/speech", json=body, headers=headers, timeout=30).content


# Moderations.


@pytest.mark.parametrize(
    "body",
    [
        {"input": "I will kill you"},
        {"input": ["Nice day.", "How do I shoplift?"], "model": "omni-moderation-2024-09-26"},
        {"input": [{"type": "text", "text": "hi"}, {"type": "image_url", "image_url": {"url": "https://x/y.png"}}]},
    ],
)
def test_omni_moderation_bodies_match_the_current_spec(http: httpx.Client, body: dict[str, Any]) -> None:
    response = http.post("/v1/moderations", json=body)
    assert response.status_code == 200, response.text
    current_spec.check("/moderations", "post", response.json())


def test_text_moderation_bodies_are_what_the_real_api_answers(http: httpx.Client) -> None:
    """The current spec requires omni's thirteen categories and `category_applied_input_types` of every
    result, but text-moderation-latest and -stable answer as text-moderation-007 does: eleven categories
    (no illicit ones), no applied input types. So the body is checked against the 2023 spec (which
    requires the seven it knew), and the eleven are checked here; the current spec refuses it, as it
    would refuse the real answer."""
    response = http.post("/v1/moderations", json={"model": "text-moderation-latest", "input": "I will kill you"})
    body = response.json()
    spec.check("/moderations", "post", body)
    [result] = body["results"]
    assert len(result["categories"]) == len(result["category_scores"]) == 11
    assert "illicit" not in result["categories"] and "category_applied_input_types" not in result
    with pytest.raises(AssertionError, match="required property"):
        current_spec.check("/moderations", "post", body)


# Speech.


def test_speech_events_match_the_current_spec(http: httpx.Client) -> None:
    body = {"model": "gpt-4o-mini-tts", "voice": "ash", "input": "Hello there.", "stream_format": "sse"}
    events = _events(http.post("/v1/audio/speech", json=body))
    for event in events[:-1]:
        current_spec.check_component("SpeechAudioDeltaEvent", event)
        current_spec.check_component("CreateSpeechResponseStreamEvent", event)
        assert base64.b64decode(event["audio"], validate=True)
    current_spec.check_component("SpeechAudioDoneEvent", events[-1])


# Transcriptions.


@pytest.mark.parametrize(
    "data",
    [
        {"model": "gpt-4o-transcribe"},
        {"model": "gpt-4o-mini-transcribe", "include[]": "logprobs", "prompt": "A test."},
        {"model": "gpt-4o-transcribe-diarize"},
        {"model": "gpt-4o-transcribe-diarize", "response_format": "diarized_json"},
        {"model": "whisper-1", "response_format": "verbose_json", "timestamp_granularities[]": "word"},
    ],
)
def test_transcription_bodies_match_the_current_spec(http: httpx.Client, speech: bytes, data: dict[str, str]) -> None:
    """Each against its own schema: the route's `oneOf` cannot tell them apart (a diarized or verbose body is
    also a valid CreateTranscriptionResponseJson, which requires `text` alone), so it refuses every one."""
    response = http.post("/v1/audio/transcriptions", files={"file": ("a.mp3", speech)}, data=data)
    assert response.status_code == 200, response.text
    schema = {
        "diarized_json": "CreateTranscriptionResponseDiarizedJson",
        "verbose_json": "CreateTranscriptionResponseVerboseJson",
    }
    current_spec.check_component(
        schema.get(data.get("response_format", "json"), "CreateTranscriptionResponseJson"), response.json()
    )


@pytest.mark.parametrize(
    "data",
    [
        {"model": "gpt-4o-transcribe", "include[]": "logprobs"},
        {"model": "gpt-4o-mini-transcribe"},
        {"model": "gpt-4o-transcribe-diarize", "response_format": "diarized_json"},
    ],
)
def test_transcription_events_match_the_current_spec(http: httpx.Client, speech: bytes, data: dict[str, str]) -> None:
    response = http.post("/v1/audio/transcriptions", files={"file": ("a.mp3", speech)}, data={**data, "stream": "true"})
    events = _events(response)
    names = {
        "transcript.text.delta": "TranscriptTextDeltaEvent",
        "transcript.text.done": "TranscriptTextDoneEvent",
        "transcript.text.segment": "TranscriptTextSegmentEvent",
    }
    for event in events:
        current_spec.check_component(names[event["type"]], event)
        current_spec.check_component("CreateTranscriptionResponseStreamEvent", event)
    assert events[-1]["type"] == "transcript.text.done"


# Images.


@pytest.mark.parametrize(
    "body",
    [
        {"model": "dall-e-3", "prompt": "A fox", "response_format": "b64_json", "quality": "hd", "style": "natural"},
        {"model": "dall-e-3", "prompt": "A fox", "size": "1024x1792"},
        {"model": "gpt-image-1", "prompt": "A fox", "quality": "low", "output_format": "webp", "background": "auto"},
        {"model": "gpt-image-1-mini", "prompt": "A fox", "quality": "low", "n": 2, "moderation": "low"},
        {"prompt": "A fox", "size": "256x256"},
    ],
)
def test_image_bodies_match_the_current_spec(http: httpx.Client, body: dict[str, Any]) -> None:
    response = http.post("/v1/images/generations", json=body)
    assert response.status_code == 200, response.text
    current_spec.check("/images/generations", "post", response.json())


def test_an_edit_body_matches_the_current_spec(http: httpx.Client) -> None:
    files = [("image[]", ("a.png", encode(checkerboard(128)))), ("image[]", ("b.png", encode(checkerboard(64))))]
    response = http.post(
        "/v1/images/edits", files=files, data={"model": "gpt-image-1", "prompt": "x", "quality": "low"}
    )
    assert response.status_code == 200, response.text
    current_spec.check("/images/edits", "post", response.json())


def test_image_stream_events_match_the_current_spec(http: httpx.Client) -> None:
    body = {"model": "gpt-image-1", "prompt": "A fox", "quality": "low", "stream": True, "partial_images": 2}
    events = _events(http.post("/v1/images/generations", json=body))
    for event in events[:-1]:
        current_spec.check_component("ImageGenPartialImageEvent", event)
    current_spec.check_component("ImageGenCompletedEvent", events[-1])
    for event in events:
        current_spec.check_component("ImageGenStreamEvent", event)
    files = {"image": ("a.png", encode(checkerboard(64)))}
    data = {"model": "gpt-image-1", "prompt": "x", "quality": "low", "stream": "true", "partial_images": "1"}
    edit_events = _events(http.post("/v1/images/edits", files=files, data=data))
    current_spec.check_component("ImageEditPartialImageEvent", edit_events[0])
    current_spec.check_component("ImageEditCompletedEvent", edit_events[1])
    for event in edit_events:
        current_spec.check_component("ImageEditStreamEvent", event)
