"""The speech round trip: the text read back from the audio alone, through codecs, resampling and damage."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockapi import audio_codecs
from mockapi.generators import speech
from mockapi.generators import speech_code as code
from mockapi.generators.speech_recognition import recognize, recognize_file
from tests.audio_support import reencode

TEXT = (
    "Please transfer two hundred dollars to the savings account on Friday, then send me a short "
    "confirmation by email. If the balance is too low, wait until Monday and try again."
)


@pytest.fixture(scope="module")
def samples() -> np.ndarray:
    return speech.synthesize(TEXT, "echo")


@pytest.mark.parametrize("response_format", audio_codecs.SPEECH_FORMATS)
@pytest.mark.parametrize("rate", [None, 8000, 16_000])
def test_every_format_is_recognised_at_any_rate(
    samples: np.ndarray, response_format: audio_codecs.SpeechFormat, rate: int | None
) -> None:
    audio = audio_codecs.encode(samples, response_format)
    assert recognize(*audio_codecs.decode(audio, rate=rate, raw_pcm=response_format == "pcm")) == TEXT


# Re-encodings a user might apply, at low bit rates: (container, codec, bit rate, rate).
REENCODINGS = {
    "mp3 32 kbit/s": ("mp3", "libmp3lame", 32_000, 24_000),
    "mp3 16 kHz 24 kbit/s": ("mp3", "libmp3lame", 24_000, 16_000),
    "mp3 44.1 kHz default": ("mp3", "libmp3lame", None, 44_100),
    "aac 32 kbit/s": ("adts", "aac", 32_000, 24_000),
    "aac in m4a default": ("ipod", "aac", None, 48_000),
    "opus 16 kbit/s": ("ogg", "libopus", 16_000, 24_000),
    "opus 16 kHz default": ("ogg", "libopus", None, 16_000),
    "opus in webm 12 kbit/s": ("webm", "libopus", 12_000, 48_000),
}


@pytest.mark.parametrize("name", sorted(REENCODINGS))
def test_speech_survives_lossy_reencoding(samples: np.ndarray, name: str) -> None:
    container, codec, bit_rate, rate = REENCODINGS[name]
    upload = reencode(samples, speech.RATE, container, codec, bit_rate=bit_rate, out_rate=rate)
    assert recognize(*audio_codecs.decode(upload, rate=8000)) == TEXT


def test_speech_survives_a_chain_of_codecs(samples: np.ndarray) -> None:
    current, rate = samples, speech.RATE
    for response_format in ("mp3", "aac", "opus", "mp3"):
        current, rate = audio_codecs.decode(audio_codecs.encode(current, response_format, rate))
        if rate != speech.RATE:
            current, rate = audio_codecs.decode(audio_codecs.encode(current, "wav", rate), rate=speech.RATE)
    assert recognize(current, rate) == TEXT


def test_gain_polarity_padding_and_float_samples_do_not_matter(samples: np.ndarray) -> None:
    quieter = (-(samples.astype(np.int32) // 4)).astype(np.int16)
    padded = np.concatenate([np.zeros(31_337, dtype=np.int16), quieter, np.zeros(5000, dtype=np.int16)])
    assert recognize(padded, speech.RATE) == TEXT
    assert recognize(samples.astype(np.float32) / 32768, speech.RATE) == TEXT
    assert recognize(np.stack([samples, samples], axis=1), speech.RATE) == TEXT


def test_speech_is_recognised_through_mp3_at_every_speed() -> None:
    for speed in (0.25, 1.0, 4.0):
        audio = audio_codecs.encode(speech.synthesize(TEXT, "nova", speed), "mp3")
        assert recognize(*audio_codecs.decode(audio, rate=8000)) == TEXT


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Hi",
        "Ünïcødé, 日本語のテキスト, emoji 🎉 and a tab\there.",
        "line one\nline two\n\n  indented",
        "x" * 500,
        "!" * 4096,
    ],
)
def test_any_text_comes_back_exactly(text: str) -> None:
    audio = audio_codecs.encode(speech.synthesize(text, "alloy", 2.0), "opus")
    assert recognize(*audio_codecs.decode(audio)) == text


def test_the_longest_input_comes_back_exactly() -> None:
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo"]
    text = " ".join(words[i % len(words)] + str(i) for i in range(600))[:4096]
    audio = audio_codecs.encode(speech.synthesize(text, "sage"), "aac")
    assert recognize(*audio_codecs.decode(audio, rate=8000)) == text


@pytest.mark.parametrize("response_format", audio_codecs.SPEECH_FORMATS)
def test_a_file_of_any_format_is_recognised_and_anything_else_is_none(
    samples: np.ndarray, response_format: audio_codecs.SpeechFormat
) -> None:
    audio = audio_codecs.encode(samples, response_format)
    assert recognize_file(audio, raw_pcm=response_format == "pcm") == TEXT
    assert recognize_file(b"this is not audio" * 100) is None
    assert recognize_file(audio_codecs.encode(np.zeros(24_000, dtype=np.int16), "wav")) is None


def test_anything_else_is_not_speech() -> None:
    rng = np.random.default_rng(7)
    t = np.arange(speech.RATE * 5) / speech.RATE
    assert recognize(np.zeros(speech.RATE * 5, dtype=np.int16), speech.RATE) is None
    assert recognize(rng.normal(0, 4000, speech.RATE * 5).astype(np.int16), speech.RATE) is None
    assert recognize((np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16), speech.RATE) is None
    chirps = np.tile(code.chirp(speech.RATE) * 20000, 20).astype(np.int16)
    assert recognize(chirps, speech.RATE) is None
    assert recognize(np.zeros(0, dtype=np.int16), speech.RATE) is None


def test_cut_speech_or_too_low_a_rate_is_not_recognised(samples: np.ndarray) -> None:
    assert recognize(samples[: samples.size // 2], speech.RATE) is None
    assert recognize(samples[:1000], speech.RATE) is None
    low, rate = audio_codecs.decode(audio_codecs.encode(samples, "wav"), rate=6000)
    assert recognize(low, rate) is None


def test_a_damaged_syllable_is_read_from_the_payloads_other_copies() -> None:
    # At speed 0.5 the payload repeats; the first copy's fifth symbol is overwritten with noise.
    text = "Meet me at the station at noon."
    layout = speech.plan(text, 0.5)
    assert layout.slots >= 2 * layout.header.payload_symbols
    samples = speech.synthesize(text, "alloy", 0.5)
    start = speech._PAYLOAD_START + 4 * layout.symbol_samples
    damaged = samples.copy()
    damaged[start : start + layout.symbol_samples] = np.random.default_rng(1).normal(0, 9000, layout.symbol_samples)
    assert recognize(damaged, speech.RATE) == text


def test_a_doubtful_tone_is_swapped_for_its_runner_up() -> None:
    # At speed 4 the payload is sounded once; one tone of one symbol is drowned by a louder wrong one.
    text = "Three words only, and quickly said at four times the speed, in one copy."
    layout = speech.plan(text, 4.0)
    assert layout.slots < 2 * layout.header.payload_symbols
    samples = speech.synthesize(text, "alloy", 4.0).astype(np.float64)
    symbols = code.to_symbols(layout.payload)
    slot = 3
    wrong = (int(symbols[slot, 1]) + 5) % code.TONES
    frequency = code.tone_frequencies()[code.TONES + wrong]
    start = speech._PAYLOAD_START + slot * layout.symbol_samples
    t = np.arange(layout.symbol_samples) / speech.RATE
    samples[start : start + layout.symbol_samples] += np.sin(2 * np.pi * frequency * t) * 6000
    assert recognize(np.clip(samples, -32768, 32767).astype(np.int16), speech.RATE) == text


# The code itself.


def test_the_header_round_trips_and_refuses_damage() -> None:
    header = code.Header(code.Coding.HUFFMAN, 120, 345, 678)
    data = header.to_bytes()
    assert len(data) == 2 * code.HEADER_SYMBOLS
    assert code.Header.from_bytes(data) == header
    for position in range(len(data)):
        damaged = bytearray(data)
        damaged[position] ^= 0x10
        assert code.Header.from_bytes(bytes(damaged)) is None
    assert code.Header.from_bytes(data[:-1]) is None
    assert code.Header.from_bytes(code.Header(code.Coding.RAW, 20, 5, 5).to_bytes()) is None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_every_text_coding_round_trips(text: str) -> None:
    coding, payload, text_bytes = code.encode_text(text)
    assert text_bytes == len(text.encode())
    assert code.decode_text(coding, payload, text_bytes) == text
    symbols = code.to_symbols(code.with_check(payload))
    assert symbols.shape[1] == code.GROUPS and symbols.max(initial=0) < code.TONES
    assert code.checked(code.from_symbols(symbols), len(payload)) == payload


def test_english_codes_in_under_five_bits_a_character() -> None:
    coding, payload, _ = code.encode_text(TEXT)
    assert coding in (code.Coding.HUFFMAN, code.Coding.DEFLATE)
    assert len(payload) * 8 / len(TEXT) < 5


def test_a_damaged_payload_fails_its_check() -> None:
    _, payload, _ = code.encode_text(TEXT)
    framed = bytearray(code.with_check(payload))
    framed[3] ^= 1
    assert code.checked(bytes(framed), len(payload)) is None
    assert code.decode_text(code.Coding.DEFLATE, b"\xff\xfe", 10) is None
    assert code.decode_text(code.Coding.RAW, b"\xff\xfe", 2) is None


def test_the_tone_grid_sits_inside_the_telephone_band() -> None:
    frequencies = code.tone_frequencies()
    assert len(set(frequencies)) == code.GROUPS * code.TONES
    assert min(frequencies) > 300
    assert max(frequencies) < 3400
    assert min(np.diff(frequencies)) == code.TONE_SPACING


def test_a_long_file_is_decoded_past_its_head_only_when_it_holds_speech(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first HEAD_SECONDS are decoded; the rest only after a header there checks (a payload may need
    minutes of slow speech), so a long file of anything else costs its head alone."""
    from mockapi.generators import speech_recognition

    text = " ".join(f"{word}{index}" for index, word in enumerate(TEXT.split() * 4))
    slow = audio_codecs.encode(speech.synthesize(text, speed=0.5), "opus")
    layout = speech.plan(text, 0.5)
    assert layout.header.payload_symbols * layout.header.symbol_ms / 1000 > speech_recognition.HEAD_SECONDS
    decoded: list[float] = []
    real_decode = audio_codecs.decode

    def counting(data: object, **kwargs: object) -> object:
        decoded.append(float(kwargs.get("max_seconds", audio_codecs.MAX_DECODED_SECONDS)))  # type: ignore[arg-type]
        return real_decode(data, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(audio_codecs, "decode", counting)
    assert recognize_file(slow) == text
    assert decoded == [speech_recognition.HEAD_SECONDS, audio_codecs.MAX_DECODED_SECONDS]
    decoded.clear()
    tone = (np.sin(np.arange(24_000 * 120) * 0.05) * 8000).astype(np.int16)
    assert recognize_file(audio_codecs.encode(tone, "mp3")) is None
    assert decoded == [speech_recognition.HEAD_SECONDS]


def test_a_file_object_is_read_from_its_start(samples: np.ndarray) -> None:
    import io

    spooled = io.BytesIO(audio_codecs.encode(samples, "flac"))
    spooled.seek(100)
    assert recognize_file(spooled) == TEXT
