"""The pure audio pieces: transcript text, segments and timings, renderings, file probing, languages."""

from __future__ import annotations

import hashlib
import io
import itertools
import random
import struct
import wave

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockapi import audio_files, languages, tokens
from mockapi.generators import audio
from mockapi.schemas.audio import CreateTranscriptionVerboseResponse
from mockapi.seeding import Seeding


def _wav(frames: int, rate: int = 8000, channels: int = 1) -> io.BytesIO:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(b"\x01\x00" * frames * channels)
    buffer.seek(0)
    return buffer


def _result(text: str, duration: float) -> CreateTranscriptionVerboseResponse:
    return audio.transcription(
        text, duration, task="transcribe", language="english", temperature=0.0, rng=random.Random(1)
    )


# Transcript text.


@pytest.mark.parametrize(("duration", "words"), [(0.1, 1), (1.0, 2), (6.0, 15), (60.0, 150), (600.0, 1500)])
def test_transcript_has_two_and_a_half_words_a_second(duration: float, words: int) -> None:
    seeding = Seeding()
    rng = seeding.rng_for("audio.transcriptions", {"sha256": "ab"})
    text = audio.transcript_text(seeding.faker(rng), rng, duration)
    assert len(text.split()) == words
    assert text.endswith(".")


def test_transcript_is_a_function_of_the_seed() -> None:
    seeding = Seeding()

    def text_for(body: dict[str, str]) -> str:
        rng = seeding.rng_for("audio.transcriptions", body)
        return audio.transcript_text(seeding.faker(rng), rng, 10.0)

    assert text_for({"sha256": "a"}) == text_for({"sha256": "a"})
    assert text_for({"sha256": "a"}) != text_for({"sha256": "b"})


# Segments and their timings.


def test_segments_split_at_sentences_and_keep_leading_spaces() -> None:
    assert audio.segment_texts("One two. Three four five? Six!") == ["One two.", " Three four five?", " Six!"]


def test_long_sentences_are_cut_every_twelve_words() -> None:
    text = " ".join(f"w{i}" for i in range(30)) + "."
    pieces = audio.segment_texts(text)
    assert [len(piece.split()) for piece in pieces] == [12, 12, 6]


@given(st.text(alphabet=st.sampled_from("ab .?!\n\t"), max_size=200))
def test_segments_concatenate_to_the_text(text: str) -> None:
    assert "".join(audio.segment_texts(text)) == text


@given(
    st.lists(st.text(min_size=0, max_size=40), min_size=1, max_size=30),
    st.floats(min_value=0.1, max_value=1600, allow_nan=False),
)
def test_timings_are_back_to_back_from_zero_to_the_duration(pieces: list[str], duration: float) -> None:
    spans = audio.timings(pieces, duration)
    assert len(spans) == len(pieces)
    assert spans[0][0] == 0.0 and spans[-1][1] == duration
    for (start, end), (next_start, _) in itertools.pairwise(spans):
        assert start <= end == next_start <= duration


def test_verbose_segments_have_every_field() -> None:
    result = _result("Hello there. How are you? Fine.", 100.0)
    assert result.duration == 100.0
    first, second, _ = result.segments
    # Time in proportion to length: 12, 12 and 5 characters.
    assert [(s.start, s.end) for s in result.segments] == [(0.0, 41.38), (41.38, 82.76), (82.76, 100.0)]
    assert tokens.decode(second.tokens) == " How are you?"
    # `seek` is the 30 s window the segment starts in, in 10 ms frames.
    assert [s.seek for s in result.segments] == [0, 3000, 6000]
    assert first.compression_ratio == audio.compression_ratio("Hello there.")
    assert all(-0.45 <= s.avg_logprob <= -0.12 and 0 < s.no_speech_prob < 0.05 for s in result.segments)


def test_words_share_their_segment_time() -> None:
    result = audio.transcription(
        "Hi, you. Bye!",
        2.0,
        task="transcribe",
        language="english",
        temperature=0.0,
        rng=random.Random(1),
        granularities=["word"],
    )
    assert result.segments is None
    assert result.words is not None
    # Segments "Hi, you." (8 characters) and " Bye!" (4): 0-1.33 s and 1.33-2 s; "Hi" is 2/5 of the first.
    assert [(w.word, w.start, w.end) for w in result.words] == [
        ("Hi", 0.0, 0.53),
        ("you", 0.53, 1.33),
        ("Bye", 1.33, 2.0),
    ]
    assert "segments" not in audio.render("verbose_json", result)


def test_empty_transcript_has_no_segments() -> None:
    result = _result("", 3.0)
    assert result.segments == []
    assert audio.render("srt", result) == ""
    assert audio.render("vtt", result) == "WEBVTT\n\n"
    assert audio.render("text", result) == "\n"


# Renderings.


def test_timestamps() -> None:
    assert audio.timestamp(0, ",") == "00:00:00,000"
    assert audio.timestamp(3723.4567, ",") == "01:02:03,457"
    assert audio.timestamp(59.9996, ".") == "00:01:00.000"


def test_srt_and_vtt_exactly() -> None:
    result = _result("Hello there. How are you?", 2.5)
    stamp = audio.timestamp(result.segments[0].end, ",")
    assert audio.render("srt", result) == (
        f"1\n00:00:00,000 --> {stamp}\nHello there.\n\n2\n{stamp} --> 00:00:02,500\nHow are you?\n\n"
    )
    dotted = stamp.replace(",", ".")
    assert audio.render("vtt", result) == (
        f"WEBVTT\n\n1\n00:00:00.000 --> {dotted}\nHello there.\n\n2\n{dotted} --> 00:00:02.500\nHow are you?\n\n"
    )


def test_cue_text_has_no_blank_lines() -> None:
    result = _result("One\n\ntwo.", 1.0)
    assert audio.render("srt", result) == "1\n00:00:00,000 --> 00:00:01,000\nOne two.\n\n"


def test_json_renderings() -> None:
    result = _result("Hi.", 1.0)
    assert audio.render("json", result) == {"text": "Hi."}
    verbose = audio.render("verbose_json", result)
    assert isinstance(verbose, dict)
    assert list(verbose) == ["task", "language", "duration", "text", "segments"]
    assert list(verbose["segments"][0]) == [
        "id",
        "seek",
        "start",
        "end",
        "text",
        "tokens",
        "temperature",
        "avg_logprob",
        "compression_ratio",
        "no_speech_prob",
    ]


# Files.


@pytest.mark.parametrize(
    ("filename", "base", "ext"),
    [
        ("a.wav", "a.wav", "wav"),
        ("/home/me/clips/a.MP3", "a.MP3", "mp3"),
        ("C:\\clips\\b.webm", "b.webm", "webm"),
        ("noext", "noext", ""),
        ("dir.wav/notes", "notes", ""),
    ],
)
def test_basename_and_extension(filename: str, base: str, ext: str) -> None:
    assert audio_files.basename(filename) == base
    assert audio_files.extension(filename) == ext


def test_probe_reads_a_wav_header() -> None:
    file = _wav(frames=12_000, rate=8000, channels=2)
    probe = audio_files.probe(file, "wav")
    assert (probe.duration, probe.measured, probe.size) == (1.5, True, len(file.getvalue()))
    assert probe.sha256 == hashlib.sha256(file.getvalue()).hexdigest()


def test_probe_estimates_other_formats_from_size() -> None:
    assert audio_files.probe(io.BytesIO(bytes(32_000)), "mp3").duration == 2.0
    unreadable = audio_files.probe(io.BytesIO(b"RIFF nonsense" * 1000), "wav")
    assert (unreadable.duration, unreadable.measured) == (13_000 / 32_000, False)


def test_probe_hashes_files_larger_than_one_chunk() -> None:
    data = bytes(range(256)) * 9000
    probe = audio_files.probe(io.BytesIO(data), "ogg")
    assert (probe.size, probe.sha256) == (len(data), hashlib.sha256(data).hexdigest())


# Languages.


def test_language_table() -> None:
    assert len(languages.ISO_639_1) == 184
    assert all(len(code) == 2 and code.islower() for code in languages.ISO_639_1)
    assert languages.language_name(None) == "english"
    assert languages.language_name("de") == "german"
    assert languages.is_language_code("zh") and not languages.is_language_code("english")


def _riff(fmt_tag: int, channels: int, rate: int, bits: int, data: bytes, data_length: int | None = None) -> bytes:
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", fmt_tag, channels, rate, rate * block, block, bits)
    length = len(data) if data_length is None else data_length
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"LIST" + struct.pack("<I", 3) + b"abc\0"
    body += b"data" + struct.pack("<I", length) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def test_probe_reads_float_wavs_that_wave_refuses() -> None:
    # 32-bit float stereo at 44.1 kHz: half a second is 44_100 * 2 * 4 / 2 bytes.
    data = bytes(44_100 * 2 * 4 // 2)
    probe = audio_files.probe(io.BytesIO(_riff(3, 2, 44_100, 32, data)), "wav")
    assert (probe.duration, probe.measured) == (0.5, True)


@pytest.mark.parametrize("fmt_tag", [1, 3])
def test_probe_counts_the_data_of_a_streamed_wav(fmt_tag: int) -> None:
    data = bytes(16_000 * 2 * 3)
    probe = audio_files.probe(io.BytesIO(_riff(fmt_tag, 1, 16_000, 16, data, data_length=0xFFFFFFFF)), "wav")
    assert (probe.duration, probe.measured) == (3.0, True)


class _RecordingFile(io.BytesIO):
    """Records how many bytes each read returns."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reads: list[int] = []

    def read(self, size: int | None = -1, /) -> bytes:
        data = super().read(size)
        self.reads.append(len(data))
        return data


@pytest.mark.parametrize("fmt_tag", [1, 3])
def test_wav_duration_seeks_past_chunks_instead_of_reading_them(fmt_tag: int) -> None:
    """A chunk claiming megabytes (here a real 5 MB one) is skipped, not pulled into memory."""
    riff = _riff(fmt_tag, 1, 16_000, 16, bytes(16_000 * 2))
    junk = b"JUNK" + struct.pack("<I", 5_000_001) + bytes(5_000_002)
    at = riff.index(b"data")
    crafted = riff[:4] + struct.pack("<I", len(riff) - 8 + len(junk)) + riff[8:at] + junk + riff[at:]
    file = _RecordingFile(crafted)
    assert audio_files.wav_duration(file, len(crafted)) == 1.0
    assert max(file.reads) <= 64
    lying = _RecordingFile(riff[:at] + b"JUNK" + struct.pack("<I", 0xFFFFFFF0) + bytes(100))
    assert audio_files.wav_duration(lying, len(lying.getvalue())) is None
    assert max(lying.reads) <= 64
