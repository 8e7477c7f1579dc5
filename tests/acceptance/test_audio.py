"""Audio transcriptions and translations through the official SDK and raw httpx multipart."""

from __future__ import annotations

import io
import itertools
import math
import re
import struct
import warnings
import wave
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from mockapi import tokens
from tests.legacy import run_legacy
from tests.support import API_KEY, ServerProcess, error_of, sdk_client

RATE = 16_000
MiB = 1024 * 1024
SUPPORTED = "['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm']"


def make_wav(seconds: float, pitch: float = 440.0) -> bytes:
    """A mono 16 kHz 16-bit sine tone of exactly `seconds` seconds."""
    frames = round(seconds * RATE)
    samples = bytearray()
    for n in range(frames):
        value = int(8000 * math.sin(2 * math.pi * pitch * n / RATE))
        samples += value.to_bytes(2, "little", signed=True)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(bytes(samples))
    return buffer.getvalue()


SIX_SECONDS = make_wav(6.0)
TWENTY_SECONDS = make_wav(20.0)

Cue = tuple[int | None, float, float, str]

_SRT_TIME = re.compile(r"^(\d{2}):(\d{2}):(\d{2}),(\d{3})$")
_VTT_TIME = re.compile(r"^(\d{2}):(\d{2}):(\d{2})\.(\d{3})$")


def _seconds(stamp: str, pattern: re.Pattern[str]) -> float:
    match = pattern.match(stamp)
    assert match, stamp
    hours, minutes, secs, millis = (int(part) for part in match.groups())
    return hours * 3600 + minutes * 60 + secs + millis / 1000


def _blocks(text: str) -> list[list[str]]:
    return [block.split("\n") for block in text.strip("\n").split("\n\n") if block]


def parse_srt(text: str) -> list[Cue]:
    cues: list[Cue] = []
    for lines in _blocks(text):
        number, times, *words = lines
        start, arrow, end = times.split(" ")
        assert arrow == "-->"
        cues.append((int(number), _seconds(start, _SRT_TIME), _seconds(end, _SRT_TIME), "\n".join(words)))
    return cues


def parse_vtt(text: str) -> list[Cue]:
    header, _, body = text.partition("\n\n")
    assert header == "WEBVTT"
    cues: list[Cue] = []
    for lines in _blocks(body):
        identifier = lines.pop(0) if "-->" not in lines[0] else None
        start, arrow, end = lines[0].split(" ")
        assert arrow == "-->"
        number = int(identifier) if identifier is not None else None
        cues.append((number, _seconds(start, _VTT_TIME), _seconds(end, _VTT_TIME), "\n".join(lines[1:])))
    return cues


def assert_cues_cover(cues: list[Cue], duration: float, text: str) -> None:
    assert [cue[0] for cue in cues] == list(range(1, len(cues) + 1))
    assert cues[0][1] == 0.0
    for (_, start, end, _), (_, next_start, _, _) in itertools.pairwise(cues):
        assert start <= end == next_start
    assert cues[-1][1] <= cues[-1][2] == pytest.approx(duration, abs=0.001)
    assert " ".join(cue[3] for cue in cues) == text


def transcribe(client: openai.OpenAI, audio: bytes, name: str = "speech.wav", **kwargs: Any) -> Any:
    return client.audio.transcriptions.create(model="whisper-1", file=(name, audio), **kwargs)


def translate(client: openai.OpenAI, audio: bytes, name: str = "german.wav", **kwargs: Any) -> Any:
    """The current SDK marks translations deprecated (newer models translate otherwise); the route remains."""
    kwargs.setdefault("model", "whisper-1")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return client.audio.translations.create(file=(name, audio), **kwargs)


# Every response format, through the SDK.


def test_json_is_the_default_with_words_in_proportion_to_duration(client: openai.OpenAI) -> None:
    short = transcribe(client, SIX_SECONDS)
    long = transcribe(client, TWENTY_SECONDS)
    # 2.5 words per second of audio.
    assert len(short.text.split()) == 15
    assert len(long.text.split()) == 50
    assert short.text[0].isupper() and short.text.endswith(".")


def test_every_format_carries_the_same_transcript(client: openai.OpenAI) -> None:
    text = transcribe(client, SIX_SECONDS).text
    assert transcribe(client, SIX_SECONDS, response_format="text") == text + "\n"
    assert " ".join(cue[3] for cue in parse_srt(transcribe(client, SIX_SECONDS, response_format="srt"))) == text
    assert " ".join(cue[3] for cue in parse_vtt(transcribe(client, SIX_SECONDS, response_format="vtt"))) == text
    assert transcribe(client, SIX_SECONDS, response_format="verbose_json").text == text


def test_srt_cues_are_numbered_and_cover_the_duration(client: openai.OpenAI) -> None:
    text = transcribe(client, TWENTY_SECONDS).text
    srt = transcribe(client, TWENTY_SECONDS, response_format="srt")
    cues = parse_srt(srt)
    assert len(cues) >= 4  # segments of a few seconds each
    assert all(end - start <= 8 for _, start, end, _ in cues)
    assert_cues_cover(cues, 20.0, text)
    assert srt.splitlines()[1] == "00:00:00,000 --> " + srt.splitlines()[1][-12:]


def test_vtt_has_its_header_and_dotted_timestamps(client: openai.OpenAI) -> None:
    text = transcribe(client, TWENTY_SECONDS).text
    vtt = transcribe(client, TWENTY_SECONDS, response_format="vtt")
    assert vtt.startswith("WEBVTT\n\n1\n00:00:00.000 --> ")
    assert vtt.rstrip().splitlines()[-2].endswith(" --> 00:00:20.000")
    assert_cues_cover(parse_vtt(vtt), 20.0, text)


def test_verbose_json_segments_concatenate_to_the_text(client: openai.OpenAI) -> None:
    result = transcribe(client, TWENTY_SECONDS, response_format="verbose_json", temperature=0.3, language="de")
    assert result.duration == 20.0
    assert result.language == "german"
    assert result.model_extra == {"task": "transcribe"}
    segments = result.segments
    assert segments is not None and len(segments) >= 4
    assert "".join(segment.text for segment in segments) == result.text
    assert [segment.id for segment in segments] == list(range(len(segments)))
    assert segments[0].start == 0.0 and segments[-1].end == 20.0
    for segment, following in itertools.pairwise(segments):
        assert segment.start <= segment.end == following.start
        assert following.text.startswith(" ")
    for segment in segments:
        assert tokens.decode(segment.tokens) == segment.text
        assert segment.seek == 0  # every segment starts in the first 30 s window
        assert segment.temperature == 0.3
        assert -1 < segment.avg_logprob < 0
        assert 0 <= segment.no_speech_prob < 0.1
        assert segment.compression_ratio > 0


def test_verbose_json_reports_english_without_a_language(client: openai.OpenAI) -> None:
    result = transcribe(client, SIX_SECONDS, response_format="verbose_json")
    assert (result.language, result.duration) == ("english", 6.0)


def test_word_timestamps_when_asked(client: openai.OpenAI) -> None:
    words_only = transcribe(client, TWENTY_SECONDS, response_format="verbose_json", timestamp_granularities=["word"])
    assert words_only.segments is None
    words = words_only.words
    assert words is not None
    assert [w.word for w in words] == [word.strip(".") for word in words_only.text.split()]
    assert words[0].start == 0.0 and words[-1].end == 20.0
    for word, following in itertools.pairwise(words):
        assert word.start <= word.end <= following.start
    both = transcribe(
        client, TWENTY_SECONDS, response_format="verbose_json", timestamp_granularities=["word", "segment"]
    )
    assert both.words == words and both.segments is not None and both.text == words_only.text
    body = _bad_request(lambda: transcribe(client, SIX_SECONDS, timestamp_granularities=["word"]))
    assert body["param"] == "timestamp_granularities"


def test_content_types_are_the_real_apis(http: httpx.Client) -> None:
    expected = {
        "json": "application/json",
        "verbose_json": "application/json",
        "text": "text/plain; charset=utf-8",
        "srt": "text/plain; charset=utf-8",
        "vtt": "text/plain; charset=utf-8",
    }
    for response_format, content_type in expected.items():
        response = http.post(
            "/v1/audio/transcriptions",
            files={"file": ("a.wav", SIX_SECONDS)},
            data={"model": "whisper-1", "response_format": response_format},
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == content_type
        assert response.headers["openai-model"] == "whisper-1"


# Translations.


def test_translation_every_format_in_english(client: openai.OpenAI) -> None:
    translated = translate(client, TWENTY_SECONDS)
    assert len(translated.text.split()) == 50
    assert translated.text != transcribe(client, TWENTY_SECONDS).text
    verbose = translate(client, TWENTY_SECONDS, response_format="verbose_json")
    assert (verbose.language, verbose.duration, verbose.text) == ("english", 20.0, translated.text)
    assert verbose.model_extra == {"task": "translate"}
    assert verbose.segments is not None
    assert "".join(segment.text for segment in verbose.segments) == translated.text
    assert_cues_cover(parse_srt(translate(client, TWENTY_SECONDS, response_format="srt")), 20.0, translated.text)
    assert_cues_cover(parse_vtt(translate(client, TWENTY_SECONDS, response_format="vtt")), 20.0, translated.text)
    assert translate(client, TWENTY_SECONDS, response_format="text") == translated.text + "\n"


def test_translation_has_no_language_parameter(http: httpx.Client) -> None:
    response = http.post(
        "/v1/audio/translations",
        files={"file": ("a.wav", SIX_SECONDS)},
        data={"model": "whisper-1", "language": "de"},
    )
    assert response.status_code == 400
    assert error_of(response) == {
        "message": "Unrecognized request argument supplied: language",
        "type": "invalid_request_error",
        "param": "language",
        "code": None,
    }


# Determinism.


def test_same_bytes_same_transcript_whatever_the_name(client: openai.OpenAI) -> None:
    first = transcribe(client, SIX_SECONDS, name="one.wav").text
    assert transcribe(client, SIX_SECONDS, name="two.wav").text == first
    assert transcribe(client, make_wav(6.0, pitch=330.0)).text != first
    assert transcribe(client, SIX_SECONDS, prompt="Umm, let me think like, hmm...").text != first
    assert transcribe(client, SIX_SECONDS, language="fr").text != first


def test_same_answer_after_a_restart(start_server: Callable[..., ServerProcess], client: openai.OpenAI) -> None:
    other = sdk_client(start_server())
    assert transcribe(other, SIX_SECONDS, response_format="srt") == transcribe(
        client, SIX_SECONDS, response_format="srt"
    )


# Durations: read from WAV headers, estimated from size otherwise.


@pytest.mark.parametrize(
    ("name", "size", "duration"),
    [("voice.mp3", 48_000, 3.0), ("memo.m4a", 160_000, 10.0), ("raw.wav", 64_000, 2.0)],
)
def test_duration_is_estimated_when_it_cannot_be_read(
    client: openai.OpenAI, name: str, size: int, duration: float
) -> None:
    # Compressed audio at 16 kB/s; a WAV `wave` cannot read as 16 kHz 16-bit mono PCM.
    audio = (b"not a real header " * (size // 18 + 1))[:size]
    result = transcribe(client, audio, name=name, response_format="verbose_json")
    assert result.duration == duration
    assert len(result.text.split()) == round(duration * 2.5)


# Clients that send the whole local path as the filename (openai 0.28) or other casings.


@pytest.mark.parametrize("filename", ["/home/me/clips/speech.wav", "C:\\Users\\me\\speech.WAV", "./speech.wav"])
def test_filename_with_a_path_uses_its_basename(http: httpx.Client, client: openai.OpenAI, filename: str) -> None:
    response = http.post(
        "/v1/audio/transcriptions",
        files={"file": (filename, SIX_SECONDS, "application/octet-stream")},
        data={"model": "whisper-1", "response_format": "json", "temperature": "0"},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"text": transcribe(client, SIX_SECONDS).text}


def test_openai_028_sends_the_whole_path(server: ServerProcess, client: openai.OpenAI, tmp_path: Path) -> None:
    clip = tmp_path / "clips" / "speech.wav"
    clip.parent.mkdir()
    clip.write_bytes(TWENTY_SECONDS)
    notes = tmp_path / "notes.txt"
    notes.write_text("not audio")
    result = run_legacy(
        server.base_url,
        API_KEY,
        f"""
        out = {{}}
        with open({str(clip)!r}, "rb") as f:
            out["json"] = openai.Audio.transcribe("whisper-1", f)["text"]
        with open({str(clip)!r}, "rb") as f:
            out["srt"] = openai.Audio.transcribe("whisper-1", f, response_format="srt", temperature=0.2)
        with open({str(clip)!r}, "rb") as f:
            verbose = openai.Audio.translate("whisper-1", f, response_format="verbose_json")
            out["verbose"] = [verbose["task"], verbose["language"], verbose["duration"], len(verbose["segments"])]
        try:
            with open({str(notes)!r}, "rb") as f:
                openai.Audio.transcribe("whisper-1", f)
        except openai.error.InvalidRequestError as exc:
            out["error"] = [exc.http_status, exc.param]
        emit(out)
        """,
    )
    text = transcribe(client, TWENTY_SECONDS).text
    assert result["json"] == text
    assert_cues_cover(parse_srt(result["srt"]), 20.0, text)
    assert result["verbose"][:3] == ["translate", "english", 20.0] and result["verbose"][3] >= 4
    assert result["error"] == [400, "file"]


def test_a_path_with_an_unsupported_extension_is_rejected(http: httpx.Client) -> None:
    response = http.post(
        "/v1/audio/transcriptions",
        files={"file": ("/home/me/clips.wav/notes.txt", SIX_SECONDS)},
        data={"model": "whisper-1"},
    )
    assert response.status_code == 400
    assert error_of(response)["param"] == "file"


# Invalid input: the real API's status and error, with `param`.


def _bad_request(call: Callable[[], object]) -> dict[str, Any]:
    with pytest.raises(openai.BadRequestError) as caught:
        call()
    assert caught.value.status_code == 400
    body = caught.value.body
    assert isinstance(body, dict) and set(body) == {"message", "type", "param", "code"}
    assert body["type"] == "invalid_request_error"
    return body


def test_text_file_is_an_invalid_format(client: openai.OpenAI) -> None:
    body = _bad_request(lambda: transcribe(client, b"hello, I am text", name="notes.txt"))
    assert body == {
        "message": f"Invalid file format. Supported formats: {SUPPORTED}",
        "type": "invalid_request_error",
        "param": "file",
        "code": None,
    }


def test_empty_file_is_rejected(client: openai.OpenAI) -> None:
    body = _bad_request(lambda: transcribe(client, b"", name="empty.mp3"))
    assert (body["param"], body["message"]) == ("file", f"Invalid file format. Supported formats: {SUPPORTED}")
    body = _bad_request(lambda: translate(client, b"", name="empty.wav"))
    assert body["param"] == "file"


def test_too_short_wav_is_rejected(client: openai.OpenAI) -> None:
    body = _bad_request(lambda: transcribe(client, make_wav(0.05)))
    assert body == {
        "message": "Audio file is too short. Minimum audio length is 0.1 seconds.",
        "type": "invalid_request_error",
        "param": "file",
        "code": "audio_too_short",
    }


@pytest.mark.parametrize(
    ("name", "audio"),
    [("a.mp3", b"\xff"), ("memo.m4a", bytes(1599)), ("garbage.wav", b"RIFF garbage" * 200)],
    ids=["1-byte-mp3", "m4a-under-0.1s", "garbage-wav-header"],
)
def test_too_short_estimated_audio_is_rejected(client: openai.OpenAI, name: str, audio: bytes) -> None:
    """The minimum holds for durations estimated from the size too (16 kB/s, or 32 kB/s for a WAV whose
    header cannot be read), not only for a readable WAV header."""
    expected = {
        "message": "Audio file is too short. Minimum audio length is 0.1 seconds.",
        "type": "invalid_request_error",
        "param": "file",
        "code": "audio_too_short",
    }
    assert _bad_request(lambda: transcribe(client, audio, name=name, response_format="srt")) == expected
    assert _bad_request(lambda: translate(client, audio, name=name)) == expected


def test_an_estimated_tenth_of_a_second_is_enough(client: openai.OpenAI) -> None:
    result = transcribe(client, bytes(1600), name="a.mp3", response_format="verbose_json")
    assert result.duration == 0.1


@pytest.mark.parametrize(
    ("field", "name"),
    [("prompt", "prompt"), ("language", "language"), ("timestamp_granularities", "timestamp_granularities[]")],
)
def test_a_file_sent_for_a_text_field_is_refused_by_its_name(http: httpx.Client, field: str, name: str) -> None:
    """Never the file's name taken as the field's value."""
    response = http.post(
        "/v1/audio/transcriptions",
        files=[("file", ("a.wav", SIX_SECONDS)), (name, ("p.txt", b"a prompt"))],
        data={"model": "whisper-1", "response_format": "verbose_json"},
    )
    assert response.status_code == 400, response.text
    assert error_of(response) == {
        "message": f"'{field}' must be a plain form field, not a file.",
        "type": "invalid_request_error",
        "param": field,
        "code": None,
    }


def _wav_with_chunk_before_data(seconds: float, chunk: bytes, riff_size: int | None = None) -> bytes:
    """`make_wav`'s file with `chunk` (header and body) inserted between its fmt and data chunks."""
    wav = make_wav(seconds)
    at = wav.index(b"data")
    body = wav[8:at] + chunk + wav[at:]
    return b"RIFF" + struct.pack("<I", len(body) if riff_size is None else riff_size) + body


def test_a_wav_chunk_of_megabytes_before_the_data_is_skipped(client: openai.OpenAI) -> None:
    junk = b"JUNK" + struct.pack("<I", 5_000_000) + bytes(5_000_000)
    result = transcribe(client, _wav_with_chunk_before_data(1.5, junk), response_format="verbose_json")
    assert result.duration == 1.5


def test_a_wav_chunk_longer_than_the_file_falls_back_to_the_size_estimate(client: openai.OpenAI) -> None:
    """A chunk claiming more than the RIFF chunk holds is not an error: the duration is estimated instead."""
    crafted = _wav_with_chunk_before_data(1.0, b"JUNK" + struct.pack("<I", 0xFFFFFFF0) + bytes(8), riff_size=100)
    result = transcribe(client, crafted, response_format="verbose_json")
    assert result.duration == round(len(crafted) / 32_000, 3)


def test_file_over_25_mb_is_413(client: openai.OpenAI) -> None:
    size = 26 * 1024 * 1024
    with pytest.raises(openai.APIStatusError) as caught:
        transcribe(client, bytes(size), name="long.mp3")
    assert caught.value.status_code == 413
    assert caught.value.body == {
        "message": f"Maximum content size limit (26214400) exceeded ({size} bytes read)",
        "type": "server_error",
        "param": None,
        "code": None,
    }


def _streamed_upload(size: int, boundary: str = "mockapi-test-boundary") -> Iterator[bytes]:
    """A multipart body with a `size`-byte a.mp3, made as it is sent (chunked): never whole in memory."""
    yield (
        f'--{boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.mp3"\r\n'
        "Content-Type: audio/mpeg\r\n\r\n"
    ).encode()
    piece = bytes(MiB)
    for start in range(0, size, MiB):
        yield piece[: min(MiB, size - start)]
    yield f"\r\n--{boundary}--\r\n".encode()


def test_file_over_the_body_limit_is_the_same_413(server: ServerProcess) -> None:
    """Past the server's whole-body limit (32 MiB) the edge stops reading; the answer is still the audio
    route's own 413, counting the bytes read, not the edge's generic one."""
    response = httpx.post(
        server.base_url + "/audio/transcriptions",
        content=_streamed_upload(33 * MiB),
        headers={
            "Authorization": f"Bearer {API_KEY}",
            "Content-Type": "multipart/form-data; boundary=mockapi-test-boundary",
        },
        timeout=60,
    )
    assert response.status_code == 413
    error = error_of(response)
    assert (error["type"], error["param"], error["code"]) == ("server_error", None, None)
    read = re.fullmatch(r"Maximum content size limit \(26214400\) exceeded \((\d+) bytes read\)", str(error["message"]))
    assert read is not None, error["message"]
    assert int(read.group(1)) > 26214400


def test_file_of_exactly_25_mb_is_accepted(client: openai.OpenAI) -> None:
    size = 25 * 1024 * 1024
    result = transcribe(client, bytes(size), name="long.mp3", response_format="verbose_json")
    assert result.duration == round(size / 16_000, 3)


def test_unknown_model_is_404(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.audio.transcriptions.create(model="whisper-2", file=("a.wav", SIX_SECONDS))
    assert caught.value.body == {
        "message": "The model 'whisper-2' does not exist",
        "type": "invalid_request_error",
        "param": "model",
        "code": "model_not_found",
    }


def test_non_audio_model_is_400(client: openai.OpenAI) -> None:
    body = _bad_request(lambda: translate(client, SIX_SECONDS, model="gpt-4"))
    assert body["param"] == "model"
    assert "gpt-4" in body["message"]


def test_temperature_above_one(client: openai.OpenAI) -> None:
    body = _bad_request(lambda: transcribe(client, SIX_SECONDS, temperature=1.5))
    assert body["param"] == "temperature"
    assert body["message"].startswith("1.5 is greater than the maximum of 1")


def test_language_must_be_an_iso_639_1_code(client: openai.OpenAI) -> None:
    body = _bad_request(lambda: transcribe(client, SIX_SECONDS, language="english"))
    assert body == {
        "message": "Invalid language 'english'. Language parameter must be specified in ISO-639-1 format.",
        "type": "invalid_request_error",
        "param": "language",
        "code": None,
    }


@pytest.mark.parametrize(
    ("data", "files", "param"),
    [
        ({"model": "whisper-1", "response_format": "xml"}, True, "response_format"),
        ({"model": "whisper-1", "temperature": "warm"}, True, "temperature"),
        ({"model": "whisper-1", "temperature": "-0.1"}, True, "temperature"),
        ({"response_format": "json"}, True, "model"),
        ({"model": "whisper-1"}, False, "file"),
        ({"model": "whisper-1", "file": "speech.wav"}, False, "file"),
        ({"model": "whisper-1", "speed": "2"}, True, "speed"),
    ],
)
def test_other_invalid_fields_name_the_param(http: httpx.Client, data: dict[str, str], files: bool, param: str) -> None:
    response = http.post(
        "/v1/audio/transcriptions", data=data, files={"file": ("a.wav", SIX_SECONDS)} if files else None
    )
    assert response.status_code == 400, response.text
    assert error_of(response)["param"] == param


# Fixture rules.


def test_rule_transcript_replaces_the_text(tmp_path: Path, start_server: Callable[..., ServerProcess]) -> None:
    (tmp_path / "audio.yaml").write_text(
        "- match: {endpoint: audio.transcriptions, text: greeting.wav}\n"
        "  respond:\n"
        "    transcript: Hello there. How are you today? I am fine, thanks for asking.\n"
        "- match: {endpoint: audio.translations, body: {prompt: unavailable}}\n"
        "  respond: {error: overloaded}\n"
    )
    client = sdk_client(start_server("--fixtures", str(tmp_path)))
    expected = "Hello there. How are you today? I am fine, thanks for asking."
    assert transcribe(client, SIX_SECONDS, name="/tmp/greeting.wav").text == expected
    verbose = transcribe(client, SIX_SECONDS, name="greeting.wav", response_format="verbose_json")
    assert verbose.segments is not None
    assert [segment.text for segment in verbose.segments] == [
        "Hello there.",
        " How are you today?",
        " I am fine, thanks for asking.",
    ]
    assert verbose.segments[-1].end == 6.0
    assert transcribe(client, SIX_SECONDS, name="other.wav").text != expected
    with pytest.raises(openai.InternalServerError) as caught:
        translate(client, SIX_SECONDS, prompt="unavailable")
    assert caught.value.status_code == 503
