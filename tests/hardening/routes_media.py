"""The fuzz's moderation and speech routes: how to draw their requests, and what a 2xx answer must be.

Bodies are checked against the current spec (text-moderation against the 2023 one: see
tests/contract/test_media_contract.py), and speech answers decode as the format asked."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
from hypothesis import strategies as st

from mockapi.audio_codecs import CONTENT_TYPES, SPEECH_FORMATS, decode
from tests.contract import current_spec, spec
from tests.hardening.routes import CATALOGUE, FuzzRoute, Sent, _json_request, model_ids
from tests.hardening.strategies import TEXT

PARTS = st.lists(
    st.one_of(
        st.builds(lambda text: {"type": "text", "text": text}, TEXT),
        st.just({"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}),
    ),
    min_size=1,
    max_size=3,
)
MODERATION = st.fixed_dictionaries(
    {"input": st.one_of(TEXT, st.lists(TEXT, min_size=1, max_size=3), PARTS)},
    optional={"model": model_ids("moderation")},
)
VOICES = sorted({voice for entry in CATALOGUE if entry.speech for voice in entry.speech.voices})
SPEECH = st.fixed_dictionaries(
    {"model": model_ids("speech"), "input": st.text(max_size=40), "voice": st.sampled_from(VOICES) | TEXT},
    optional={
        "response_format": st.sampled_from(SPEECH_FORMATS) | TEXT,
        "speed": st.floats(0.1, 5, allow_nan=False) | TEXT,
        "stream_format": st.sampled_from(["audio", "sse"]),
        "instructions": TEXT,
    },
)


def _moderation(sent: Sent, response: httpx.Response) -> None:
    body = response.json()
    if body["model"].startswith("text-moderation"):
        spec.check("/moderations", "post", body)
    else:
        current_spec.check("/moderations", "post", body)


def _speech(sent: Sent, response: httpx.Response) -> None:
    asked: dict[str, Any] = json.loads(sent["content"])
    response_format = asked.get("response_format", "mp3")
    if asked.get("stream_format") == "sse":
        events = [json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: ")]
        for event in events[:-1]:
            current_spec.check_component("SpeechAudioDeltaEvent", event)
        current_spec.check_component("SpeechAudioDoneEvent", events[-1])
        audio = b"".join(base64.b64decode(event["audio"]) for event in events[:-1])
    else:
        assert response.headers["content-type"] == CONTENT_TYPES[response_format]
        audio = response.content
    samples, _ = decode(audio, raw_pcm=response_format == "pcm")
    assert samples.size > 0


MEDIA_ROUTES: list[FuzzRoute] = [
    FuzzRoute("moderations", _json_request("/v1/moderations", MODERATION), _moderation),
    FuzzRoute("audio.speech", _json_request("/v1/audio/speech", SPEECH), _speech),
]
