"""Today's transcription models through the official SDK: gpt-4o-transcribe and -mini (json or text, usage,
logprobs, streamed text events, chunking_strategy) and gpt-4o-transcribe-diarize (speakers, diarized_json);
whisper-1 as it was."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest

from mockapi import tokens
from tests.support import error_of, silent_wav

TEXT = "Hello there. I would like to book a table for two at eight tonight, please."


@pytest.fixture(scope="module")
def speech(server: Any) -> bytes:
    """mockapi's own speech of TEXT (mp3), which the transcription models hear back as TEXT."""
    client = openai.OpenAI(base_url=server.base_url, api_key="sk-test-1234567890abcdef", max_retries=0)
    return client.audio.speech.create(model="tts-1", voice="alloy", input=TEXT).content


def test_json_has_the_spoken_text_and_token_usage(client: openai.OpenAI, speech: bytes) -> None:
    result = client.audio.transcriptions.create(model="gpt-4o-transcribe", file=("clip.mp3", speech))
    assert result.text == TEXT
    assert result.usage is not None and result.usage.type == "tokens"
    usage = result.usage.model_dump()
    assert usage["output_tokens"] == tokens.tokenizer_for("o200k_base").count(TEXT)
    assert usage["input_token_details"] == {"text_tokens": 0, "audio_tokens": usage["input_tokens"]}
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert usage["input_tokens"] > 0


def test_a_prompt_counts_as_text_tokens_and_text_is_plain(client: openai.OpenAI, speech: bytes) -> None:
    result = client.audio.transcriptions.create(
        model="gpt-4o-mini-transcribe", file=("clip.mp3", speech), prompt="A restaurant booking."
    )
    assert result.usage is not None
    assert result.usage.model_dump()["input_token_details"]["text_tokens"] == 4
    text = client.audio.transcriptions.create(
        model="gpt-4o-mini-transcribe", file=("clip.mp3", speech), response_format="text"
    )
    assert text == TEXT + "\n"


def test_logprobs_cover_every_token(client: openai.OpenAI, speech: bytes) -> None:
    result = client.audio.transcriptions.create(
        model="gpt-4o-transcribe", file=("clip.mp3", speech), include=["logprobs"]
    )
    assert result.logprobs is not None
    assert "".join(item.token or "" for item in result.logprobs) == TEXT
    assert b"".join(bytes(int(b) for b in item.bytes or []) for item in result.logprobs) == TEXT.encode()
    assert all(item.logprob is not None and -1 < item.logprob < 0 for item in result.logprobs)


def test_a_streamed_transcription_sends_deltas_then_the_whole_text(client: openai.OpenAI, speech: bytes) -> None:
    stream = client.audio.transcriptions.create(
        model="gpt-4o-transcribe", file=("clip.mp3", speech), stream=True, include=["logprobs"]
    )
    events = list(stream)
    deltas, done = events[:-1], events[-1]
    assert {event.type for event in deltas} == {"transcript.text.delta"} and len(deltas) > 5
    assert done.type == "transcript.text.done"
    assert "".join(event.delta for event in deltas) == done.text == TEXT  # type: ignore[union-attr]
    assert sum(len(event.logprobs or ()) for event in deltas) == len(done.logprobs or ())  # type: ignore[union-attr]
    assert done.usage is not None and done.usage.total_tokens > 0  # type: ignore[union-attr]


def test_a_stream_ends_without_done_marker(http: httpx.Client, speech: bytes) -> None:
    response = http.post(
        "/v1/audio/transcriptions",
        files={"file": ("clip.mp3", speech)},
        data={"model": "gpt-4o-mini-transcribe", "stream": "true"},
    )
    assert response.headers["content-type"].startswith("text/event-stream")
    assert "[DONE]" not in response.text and response.text.endswith("\n\n")


def test_whisper_ignores_stream_and_keeps_its_answer(http: httpx.Client, speech: bytes) -> None:
    response = http.post(
        "/v1/audio/transcriptions", files={"file": ("clip.mp3", speech)}, data={"model": "whisper-1", "stream": "true"}
    )
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"text": TEXT}


VAD = {"chunking_strategy[type]": "server_vad", "chunking_strategy[threshold]": "0.4"}


@pytest.mark.parametrize("strategy", [{"chunking_strategy": "auto"}, VAD])
def test_chunking_strategies_are_accepted(http: httpx.Client, speech: bytes, strategy: dict[str, str]) -> None:
    response = http.post(
        "/v1/audio/transcriptions",
        files={"file": ("clip.mp3", speech)},
        data={"model": "gpt-4o-transcribe", **strategy},
    )
    assert response.status_code == 200 and response.json()["text"] == TEXT


def test_the_sdk_sends_a_vad_strategy_that_is_accepted(client: openai.OpenAI, speech: bytes) -> None:
    result = client.audio.transcriptions.create(
        model="gpt-4o-transcribe",
        file=("clip.mp3", speech),
        chunking_strategy={"type": "server_vad", "prefix_padding_ms": 200, "silence_duration_ms": 300},
    )
    assert result.text == TEXT


@pytest.mark.parametrize(
    ("data", "param", "message"),
    [
        (
            {"response_format": "verbose_json"},
            "response_format",
            "response_format 'verbose_json' is not compatible with model 'gpt-4o-transcribe'. "
            "Use 'json' or 'text' instead.",
        ),
        ({"response_format": "srt"}, "response_format", "Use 'json' or 'text' instead."),
        ({"include[]": "logprobs", "response_format": "text"}, "include", "only supported with response_format"),
        ({"include[]": "tokens"}, "include.0", "'tokens' is not one of ['logprobs']"),
        ({"chunking_strategy": "manual"}, "chunking_strategy", "'manual' is not one of ['auto']"),
        ({"chunking_strategy[type]": "vad"}, "chunking_strategy.type", "'vad' is not one of ['server_vad']"),
        ({"chunking_strategy[threshold]": "2", "chunking_strategy[type]": "server_vad"}, "chunking_strategy.threshold",
         "greater than the maximum of 1"),
        ({"stream": "yes"}, "stream", "'yes' is not of type 'boolean'"),
        ({"known_speaker_names[]": "agent"}, "known_speaker_names", "only supported with gpt-4o-transcribe-diarize"),
    ],
)  # fmt: skip
def test_what_the_model_does_not_take_is_the_real_400(
    http: httpx.Client, speech: bytes, data: dict[str, str], param: str, message: str
) -> None:
    response = http.post(
        "/v1/audio/transcriptions", files={"file": ("clip.mp3", speech)}, data={"model": "gpt-4o-transcribe", **data}
    )
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert error["param"] == param and message in str(error["message"])
    if param == "response_format":
        assert error["code"] == "unsupported_value"


@pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")  # the SDK's, for translations
def test_translations_are_whispers_only(client: openai.OpenAI, speech: bytes) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.audio.translations.create(model="gpt-4o-transcribe", file=("clip.mp3", speech))
    assert caught.value.body["param"] == "model"  # type: ignore[index]


# The diarizing model.


def test_diarized_json_labels_the_speaker_of_each_segment(client: openai.OpenAI, speech: bytes) -> None:
    result: Any = client.audio.transcriptions.create(
        model="gpt-4o-transcribe-diarize", file=("clip.mp3", speech), response_format="diarized_json"
    )
    segments = result.segments
    assert " ".join(segment.text for segment in segments) == TEXT
    assert {segment.speaker for segment in segments} == {"A"}  # one voice: mockapi's own speech
    assert segments[0].start == 0.0 and segments[-1].end == result.duration
    assert result.text == "\n".join(f"A: {segment.text}" for segment in segments)
    assert result.usage.type == "duration" and result.usage.seconds >= result.duration


def test_known_speakers_name_the_voices_of_other_audio(http: httpx.Client) -> None:
    response = http.post(
        "/v1/audio/transcriptions",
        files={"file": ("call.wav", silent_wav(20))},
        data={
            "model": "gpt-4o-transcribe-diarize",
            "response_format": "diarized_json",
            "known_speaker_names[]": ["agent", "customer"],
            "known_speaker_references[]": ["data:audio/wav;base64,AAAA", "data:audio/wav;base64,BBBB"],
        },
    )
    assert response.status_code == 200, response.text
    speakers = {segment["speaker"] for segment in response.json()["segments"]}
    assert speakers <= {"agent", "customer"} and len(response.json()["segments"]) > 2


def test_a_diarized_stream_sends_segments(client: openai.OpenAI, speech: bytes) -> None:
    events = list(
        client.audio.transcriptions.create(
            model="gpt-4o-transcribe-diarize", file=("clip.mp3", speech), response_format="diarized_json", stream=True
        )
    )
    kinds = [event.type for event in events]
    assert kinds[-1] == "transcript.text.done" and "transcript.text.segment" in kinds
    deltas = [event for event in events if event.type == "transcript.text.delta"]
    assert all(event.segment_id for event in deltas)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("data", "seconds", "param"),
    [
        ({"prompt": "A call."}, 2, "prompt"),
        ({"include[]": "logprobs"}, 2, "include"),
        ({"response_format": "verbose_json"}, 2, "response_format"),
        ({}, 31, "chunking_strategy"),
        ({"known_speaker_names[]": "agent"}, 2, "known_speaker_references"),
        ({"known_speaker_names[]": "a", "known_speaker_references[]": "http://x/a.wav"}, 2, "known_speaker_references"),
    ],
)
def test_the_diarizing_model_refuses_what_it_does_not_take(
    http: httpx.Client, data: dict[str, str], seconds: float, param: str
) -> None:
    response = http.post(
        "/v1/audio/transcriptions",
        files={"file": ("call.wav", silent_wav(seconds))},
        data={"model": "gpt-4o-transcribe-diarize", **data},
    )
    assert response.status_code == 400, response.text
    assert error_of(response)["param"] == param


def test_long_audio_is_diarized_in_chunks(http: httpx.Client) -> None:
    response = http.post(
        "/v1/audio/transcriptions",
        files={"file": ("call.wav", silent_wav(31))},
        data={"model": "gpt-4o-transcribe-diarize", "chunking_strategy": "auto"},
    )
    assert response.status_code == 200 and response.json()["usage"] == {"type": "duration", "seconds": 31}
