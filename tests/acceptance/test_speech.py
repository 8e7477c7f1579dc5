"""POST /v1/audio/speech through the official SDK: every format decoded by a decoder independent of the
server's (libsndfile, FAAD2), durations that follow the text and speed, a streamed download written to a
playable file, SSE events, the model's own checks, rules, and the speech -> transcription round trip."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import openai
import pytest
import soundfile

from mockapi.generators.speech import nominal_seconds
from mockapi.pytest_plugin import Mockapi
from tests.audio_support import decode_independently, needs_faad
from tests.support import error_of

TEXT = (
    "The quick brown fox jumps over the lazy dog while the sun sets behind the hills, "
    "and a gentle breeze carries the smell of rain across the quiet valley below."
)
CONTENT_TYPES = {
    "mp3": "audio/mpeg",
    "opus": "audio/opus",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}
# The extension a file of each format is uploaded with (opus comes in Ogg; aac as ADTS, which m4a reads).
UPLOAD_NAMES = {
    "mp3": "speech.mp3",
    "opus": "speech.ogg",
    "aac": "speech.m4a",
    "flac": "speech.flac",
    "wav": "speech.wav",
}


def _speak(client: openai.OpenAI, **kwargs: Any) -> tuple[bytes, str]:
    arguments: dict[str, Any] = {"model": "tts-1", "voice": "alloy", "input": TEXT, **kwargs}
    response = client.audio.speech.with_raw_response.create(**arguments)
    return response.content, response.headers["content-type"]


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))


@pytest.mark.parametrize(
    "response_format", ["mp3", "opus", "flac", "wav", "pcm", pytest.param("aac", marks=needs_faad)]
)
def test_each_format_decodes_independently_to_the_expected_duration(
    client: openai.OpenAI, response_format: str
) -> None:
    audio, content_type = _speak(client, response_format=response_format)
    assert content_type == CONTENT_TYPES[response_format]
    samples, rate = decode_independently(audio, response_format)
    expected = nominal_seconds(TEXT)  # 150 words a minute: 30 words, 12 s
    assert expected == pytest.approx(12.0)
    assert samples.size / rate == pytest.approx(expected, rel=0.10)
    assert _rms(samples) > 1000  # a voiced signal, not silence


def test_speed_divides_the_duration(client: openai.OpenAI) -> None:
    for speed in (0.5, 2.0, 4.0):
        audio, _ = _speak(client, response_format="wav", speed=speed)
        samples, rate = decode_independently(audio, "wav")
        assert samples.size / rate == pytest.approx(nominal_seconds(TEXT, speed), rel=0.10)


def test_the_audio_follows_the_input_and_repeats_for_the_same_request(client: openai.OpenAI) -> None:
    first, _ = _speak(client, response_format="flac")
    assert _speak(client, response_format="flac")[0] == first
    assert _speak(client, response_format="flac", input="Something else entirely.")[0] != first
    assert _speak(client, response_format="flac", voice="onyx")[0] != first


def test_with_streaming_response_writes_a_playable_file(client: openai.OpenAI, tmp_path: Path) -> None:
    target = tmp_path / "speech.mp3"
    with client.audio.speech.with_streaming_response.create(model="tts-1-hd", voice="nova", input=TEXT) as response:
        assert response.headers["content-type"] == "audio/mpeg"
        response.stream_to_file(target)
    samples, rate = soundfile.read(target, dtype="int16")
    assert samples.size / rate == pytest.approx(nominal_seconds(TEXT), rel=0.10)


def test_the_body_comes_in_chunks(http: httpx.Client) -> None:
    body = {"model": "tts-1", "voice": "alloy", "input": TEXT, "response_format": "wav"}
    with http.stream("POST", "/v1/audio/speech", json=body) as response:
        assert response.status_code == 200
        pieces = list(response.iter_raw())
    assert sum(len(piece) for piece in pieces) == int(response.headers["content-length"])
    assert len(pieces) > 1 and max(len(piece) for piece in pieces) <= 65_536


def test_sse_streams_base64_audio_then_done_with_usage(client: openai.OpenAI) -> None:
    arguments: dict[str, Any] = {"model": "gpt-4o-mini-tts", "voice": "coral", "input": TEXT}
    with client.audio.speech.with_streaming_response.create(
        **arguments, response_format="wav", stream_format="sse", instructions="Speak cheerfully."
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [json.loads(line[len("data: ") :]) for line in response.iter_lines() if line.startswith("data: ")]
    assert [event["type"] for event in events[:-1]] == ["speech.audio.delta"] * (len(events) - 1)
    done = events[-1]
    assert done["type"] == "speech.audio.done"
    assert done["usage"]["total_tokens"] == done["usage"]["input_tokens"] + done["usage"]["output_tokens"] > 0
    audio = b"".join(base64.b64decode(event["audio"]) for event in events[:-1])
    samples, rate = decode_independently(audio, "wav")
    assert samples.size / rate == pytest.approx(nominal_seconds(TEXT), rel=0.10)


def test_instructions_and_custom_voices_are_for_gpt_4o_mini_tts(client: openai.OpenAI) -> None:
    plain, _ = _speak(client, model="gpt-4o-mini-tts", response_format="flac")
    steered, _ = _speak(client, model="gpt-4o-mini-tts", response_format="flac", instructions="A lower voice.")
    custom, _ = _speak(client, model="gpt-4o-mini-tts", response_format="flac", voice={"id": "voice_abc123"})
    assert len({plain, steered, custom}) == 3
    for name in ("ballad", "verse", "marin", "cedar"):
        assert _speak(client, model="gpt-4o-mini-tts", voice=name, input="Hi.")[1] == "audio/mpeg"


@pytest.mark.parametrize(
    ("change", "param", "message"),
    [
        (
            {"voice": "ballad"},
            "voice",
            "[{'type': 'enum', 'loc': ('body', 'voice'), 'msg': \"Input should be 'alloy', 'ash', 'coral', 'echo', "
            "'fable', 'onyx', 'nova', 'sage' or 'shimmer'\", 'input': 'ballad', 'ctx': {'expected': \"'alloy', "
            "'ash', 'coral', 'echo', 'fable', 'onyx', 'nova', 'sage' or 'shimmer'\"}}]",
        ),
        (
            {"input": "x" * 4097},
            "input",
            "[{'type': 'string_too_long', 'loc': ('body', 'input'), 'msg': 'String should have at most 4096 "
            "characters', 'ctx': {'max_length': 4096}}]",
        ),
        (
            {"speed": 5},
            "speed",
            "[{'type': 'less_than_equal', 'loc': ('body', 'speed'), 'msg': 'Input should be less than or equal "
            "to 4', 'input': 5, 'ctx': {'le': 4.0}}]",
        ),
        ({"speed": 0.1}, "speed", "'msg': 'Input should be greater than or equal to 0.25'"),
        ({"response_format": "ogg"}, "response_format", "'msg': \"Input should be 'mp3', 'opus', 'aac', 'flac'"),
        ({"voice": None}, "voice", "'type': 'string_type'"),
        ({"stream_format": "sse"}, "stream_format", "stream_format 'sse' is not supported with the model 'tts-1'"),
        ({"instructions": "Whisper."}, "instructions", "Instructions are not supported with the model 'tts-1'"),
        ({"voice": {"id": "voice_abc"}}, "voice", "'type': 'enum', 'loc': ('body', 'voice')"),
        ({"model": "whisper-1"}, "model", "The model 'whisper-1' is not supported on this endpoint."),
        ({"extra": 1}, "extra", "'type': 'extra_forbidden', 'loc': ('body', 'extra')"),
    ],
)
def test_invalid_requests_are_the_real_400(
    http: httpx.Client, change: dict[str, Any], param: str, message: str
) -> None:
    body = {"model": "tts-1", "voice": "alloy", "input": "Hello.", **change}
    response = http.post("/v1/audio/speech", json=body)
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert error["param"] == param and error["type"] == "invalid_request_error"
    assert message in str(error["message"])


def test_a_long_value_is_left_out_of_the_refusal(http: httpx.Client) -> None:
    response = http.post("/v1/audio/speech", json={"model": "tts-1", "input": "Hi.", "voice": "v" * 300})
    message = str(error_of(response)["message"])
    assert message.startswith("[{'type': 'enum', 'loc': ('body', 'voice'), 'msg': \"Input should be 'alloy'")
    assert "v" * 300 not in message and "'input'" not in message


def test_a_missing_field_is_named(http: httpx.Client) -> None:
    response = http.post("/v1/audio/speech", json={"model": "tts-1", "input": "Hi."})
    assert error_of(response) == {
        "message": "[{'type': 'missing', 'loc': ('body', 'voice'), 'msg': 'Field required'}]",
        "type": "invalid_request_error",
        "param": "voice",
        "code": None,
    }


@pytest.mark.parametrize("response_format", ["mp3", "opus", "flac", "wav", pytest.param("aac", marks=needs_faad)])
@pytest.mark.parametrize("model", ["whisper-1", "gpt-4o-transcribe"])
def test_speech_posted_for_transcription_comes_back_as_its_text(
    client: openai.OpenAI, response_format: str, model: str
) -> None:
    audio, _ = _speak(client, response_format=response_format, speed=1.5)
    transcript = client.audio.transcriptions.create(model=model, file=(UPLOAD_NAMES[response_format], audio))
    assert transcript.text == TEXT


def test_the_round_trip_measures_the_duration_of_compressed_speech(client: openai.OpenAI) -> None:
    audio, _ = _speak(client, response_format="opus")
    result = client.audio.transcriptions.create(
        model="whisper-1", file=("speech.ogg", audio), response_format="verbose_json"
    )
    assert result.text == TEXT
    assert result.duration == pytest.approx(nominal_seconds(TEXT), rel=0.05)  # not the 128 kbit/s estimate


def test_a_rule_chooses_the_words_spoken_and_faults_apply(mockapi: Mockapi) -> None:
    client = mockapi.openai_client()
    mockapi.add_rule(match={"endpoint": "audio.speech", "contains": "weather"}, respond={"content": "It is sunny."})
    audio = client.audio.speech.create(model="tts-1", voice="echo", input="What is the weather?").content
    assert client.audio.transcriptions.create(model="whisper-1", file=("a.mp3", audio)).text == "It is sunny."
    mockapi.add_rule(match={"endpoint": "audio.speech"}, respond={"error": "server_error"}, priority=9, times=1)
    with pytest.raises(openai.InternalServerError):
        client.audio.speech.create(model="tts-1", voice="echo", input="Hello.")
    mockapi.add_rule(match={"endpoint": "audio.speech"}, respond={"disconnect_after_chunks": 1}, priority=9, times=1)
    with pytest.raises((openai.APIConnectionError, httpx.HTTPError)):
        client.audio.speech.create(model="tts-1", voice="echo", input=TEXT, response_format="wav").read()
