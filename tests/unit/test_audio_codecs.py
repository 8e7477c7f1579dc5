"""Speech encoded in the six formats, read back by independent decoders; uploads decoded by PyAV."""

from __future__ import annotations

import io
import struct
import wave

import numpy as np
import pytest

from mockapi import audio_codecs
from mockapi.generators import speech, speech_recognition
from tests.audio_support import decode_independently, needs_faad, reencode

TEXT = "The quick brown fox jumped over the lazy dog. It was not amused, and said so at some length."
EXPECTED_SECONDS = len(TEXT.split()) / 2.5


@pytest.fixture(scope="module")
def samples() -> np.ndarray:
    return speech.synthesize(TEXT, "alloy")


def _format_params() -> list[object]:
    return [pytest.param(name, marks=needs_faad) if name == "aac" else name for name in audio_codecs.SPEECH_FORMATS]


@pytest.mark.parametrize("response_format", _format_params())
def test_each_format_decodes_independently_to_the_expected_duration_and_text(
    samples: np.ndarray, response_format: audio_codecs.SpeechFormat
) -> None:
    audio = audio_codecs.encode(samples, response_format)
    decoded, rate = decode_independently(audio, response_format)
    assert decoded.size / rate == pytest.approx(EXPECTED_SECONDS, rel=0.1)
    assert np.sqrt(np.mean(decoded.astype(np.float64) ** 2)) > 1000
    assert speech_recognition.recognize(decoded, rate) == TEXT


def test_content_types_are_the_real_apis() -> None:
    assert audio_codecs.CONTENT_TYPES == {
        "mp3": "audio/mpeg",
        "opus": "audio/opus",
        "aac": "audio/aac",
        "flac": "audio/flac",
        "wav": "audio/wav",
        "pcm": "audio/pcm",
    }


def test_each_format_has_its_signature(samples: np.ndarray) -> None:
    encoded = {name: audio_codecs.encode(samples, name) for name in audio_codecs.SPEECH_FORMATS}
    mp3 = encoded["mp3"]
    assert mp3.startswith(b"ID3") or (mp3[0] == 0xFF and mp3[1] & 0xE0 == 0xE0)
    assert encoded["opus"].startswith(b"OggS") and b"OpusHead" in encoded["opus"][:64]
    # ADTS: a 12-bit sync word, then (MPEG-4, layer 0); no MP4 box structure.
    assert encoded["aac"][0] == 0xFF and encoded["aac"][1] & 0xF6 == 0xF0
    assert encoded["flac"].startswith(b"fLaC")
    wav = encoded["wav"]
    assert wav[:4] == b"RIFF" and wav[8:12] == b"WAVE"
    with wave.open(io.BytesIO(wav)) as reader:
        assert (reader.getframerate(), reader.getnchannels(), reader.getsampwidth()) == (24_000, 1, 2)
        assert reader.getnframes() == samples.size
    assert encoded["pcm"] == samples.astype("<i2").tobytes()


@pytest.mark.parametrize("response_format", audio_codecs.SPEECH_FORMATS)
def test_encoding_is_deterministic(samples: np.ndarray, response_format: audio_codecs.SpeechFormat) -> None:
    assert audio_codecs.encode(samples, response_format) == audio_codecs.encode(samples, response_format)


@pytest.mark.parametrize("response_format", audio_codecs.SPEECH_FORMATS)
def test_decode_reads_every_speech_format_back(samples: np.ndarray, response_format: audio_codecs.SpeechFormat) -> None:
    audio = audio_codecs.encode(samples, response_format)
    decoded, rate = audio_codecs.decode(audio, raw_pcm=response_format == "pcm")
    assert decoded.dtype == np.int16
    assert decoded.size / rate == pytest.approx(EXPECTED_SECONDS, rel=0.02)
    if response_format != "pcm":
        assert audio_codecs.duration(audio) == pytest.approx(EXPECTED_SECONDS, rel=0.02)
    resampled, low_rate = audio_codecs.decode(audio, rate=8000, raw_pcm=response_format == "pcm")
    assert low_rate == 8000
    assert resampled.size / 8000 == pytest.approx(EXPECTED_SECONDS, rel=0.02)


# The upload formats of the transcription route, as other tools write them: (container, codec, rate).
UPLOADS = {
    "m4a": ("ipod", "aac", 44_100),
    "mp4": ("mp4", "aac", 24_000),
    "webm": ("webm", "libopus", 48_000),
    "ogg": ("ogg", "libopus", 16_000),
    "oga": ("ogg", "libopus", 48_000),
    "mpga": ("mp3", "libmp3lame", 22_050),
    "mpeg": ("mp3", "libmp3lame", 24_000),
    "wav": ("wav", "pcm_f32le", 16_000),
    "flac": ("flac", "flac", 48_000),
}


@pytest.mark.parametrize("extension", sorted(UPLOADS))
def test_decode_reads_the_transcription_uploads(samples: np.ndarray, extension: str) -> None:
    container, codec, rate = UPLOADS[extension]
    upload = reencode(samples, 24_000, container, codec, out_rate=rate)
    decoded, decoded_rate = audio_codecs.decode(upload)
    # Opus decodes at 48 kHz whatever rate it was made from.
    assert decoded_rate == (48_000 if codec == "libopus" else rate)
    assert decoded.size / decoded_rate == pytest.approx(EXPECTED_SECONDS, rel=0.05)
    assert audio_codecs.duration(upload) == pytest.approx(EXPECTED_SECONDS, rel=0.05)
    assert speech_recognition.recognize(*audio_codecs.decode(upload, rate=8000)) == TEXT
    assert speech_recognition.recognize(decoded, decoded_rate) == TEXT


def test_stereo_uploads_are_mixed_to_mono(samples: np.ndarray) -> None:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(2)
        writer.setsampwidth(2)
        writer.setframerate(24_000)
        writer.writeframes(np.repeat(samples, 2).astype("<i2").tobytes())
    decoded, rate = audio_codecs.decode(buffer.getvalue())
    assert (decoded.size, rate) == (samples.size, 24_000)
    assert speech_recognition.recognize(decoded, rate) == TEXT


@pytest.mark.parametrize(
    "data", [b"", b"not audio at all" * 100, struct.pack("<4sI4s", b"RIFF", 4, b"WAVE"), bytes(range(256)) * 40]
)
def test_bytes_that_are_not_audio_are_refused(data: bytes) -> None:
    with pytest.raises(audio_codecs.UndecodableAudio):
        audio_codecs.decode(data)
    assert audio_codecs.duration(data) is None


def test_raw_pcm_of_an_odd_length_drops_the_half_sample() -> None:
    decoded, rate = audio_codecs.decode(b"\x01\x00\x02\x00\x03", raw_pcm=True)
    assert rate == 24_000
    assert decoded.tolist() == [1, 2]


def test_empty_samples_encode_to_valid_empty_files() -> None:
    empty = np.zeros(0, dtype=np.int16)
    for name in ("wav", "flac", "pcm"):
        audio = audio_codecs.encode(empty, name)
        assert audio_codecs.decode(audio, raw_pcm=name == "pcm")[0].size == 0


def test_decode_reads_a_file_object_and_stops_at_max_seconds(samples: np.ndarray) -> None:
    data = audio_codecs.encode(samples, "mp3")
    whole, rate = audio_codecs.decode(io.BytesIO(data), rate=8000)
    head, _ = audio_codecs.decode(io.BytesIO(data), rate=8000, max_seconds=2)
    assert head.size == 2 * rate and whole.size > head.size
    raw, _ = audio_codecs.decode(audio_codecs.encode(samples, "pcm"), raw_pcm=True, max_seconds=1)
    assert raw.size == audio_codecs.RATE
    assert audio_codecs.duration(io.BytesIO(data)) == pytest.approx(samples.size / audio_codecs.RATE, abs=0.1)
