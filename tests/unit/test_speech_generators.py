"""Speech synthesis: a voiced, syllable-paced, deterministic signal whose duration follows the text."""

from __future__ import annotations

import base64
import time

import numpy as np
import pytest

from mockapi import audio_codecs
from mockapi.generators import speech
from mockapi.generators import speech_code as code

PROSE = (
    "Mockapi answers like the real service does, so a test suite can run without a network. "
    "Its speech is a robotic voice that carries the words it was asked to say, and a transcription "
    "of that speech gives the same words back. Every answer is the same from one run to the next."
)
RATE = speech.RATE


def _power_spectrum(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64))) ** 2
    return np.fft.rfftfreq(samples.size, 1 / RATE), spectrum


@pytest.mark.parametrize("speed", [0.25, 0.5, 1.0, 2.0, 4.0])
def test_speech_lasts_a_hundred_and_fifty_words_a_minute_divided_by_speed(speed: float) -> None:
    samples = speech.synthesize(PROSE, "alloy", speed)
    expected = len(PROSE.split()) / 2.5 / speed
    assert samples.dtype == np.int16
    assert samples.size / RATE == pytest.approx(expected, rel=0.02)
    assert speech.duration(PROSE, speed) == samples.size / RATE


def test_a_text_too_dense_for_its_time_takes_longer_rather_than_lose_words() -> None:
    # One "word" of 300 letters at speed 4 would last 0.1 s: the signal needs longer to carry it.
    assert speech.duration("a" * 300, 4.0) > speech.nominal_seconds("a" * 300, 4.0)
    assert speech.duration("Hi", 1.0) < 1.0


def test_speech_is_neither_silence_nor_noise() -> None:
    samples = speech.synthesize(PROSE, "alloy")
    rms = np.sqrt(np.mean(samples.astype(np.float64) ** 2))
    assert rms > 2000
    _, power = _power_spectrum(samples)
    flatness = np.exp(np.mean(np.log(power[1:] + 1e-9))) / np.mean(power[1:])
    assert flatness < 0.01  # white noise: about 0.56


@pytest.mark.parametrize("voice", ["onyx", "alloy", "shimmer"])
def test_the_hum_is_pitched_at_the_voice(voice: str) -> None:
    samples = speech.synthesize(PROSE, voice)
    frequencies, power = _power_spectrum(samples)
    low = (frequencies > 50) & (frequencies < code.LOWEST_TONE - code.TONE_SPACING)
    strongest = frequencies[low][np.argmax(power[low])]
    assert strongest == pytest.approx(speech.VOICES[voice], rel=0.12)


def test_voices_and_instructions_change_the_pitch_but_custom_voices_are_stable() -> None:
    assert speech.pitch("onyx") < speech.pitch("ash") < speech.pitch("shimmer")
    assert speech.pitch("alloy", "Speak in a calm, low voice.") != speech.pitch("alloy")
    assert abs(speech.pitch("alloy", "Speak cheerfully.") / speech.pitch("alloy") - 1) <= 0.1
    assert speech.pitch("voice_1234") == speech.pitch("voice_1234")
    assert 100 <= speech.pitch("voice_1234") <= 230
    assert not np.array_equal(speech.synthesize("Hello there.", "onyx"), speech.synthesize("Hello there.", "nova"))
    with_instructions = speech.synthesize("Hello there.", "onyx", instructions="whisper")
    assert not np.array_equal(speech.synthesize("Hello there.", "onyx"), with_instructions)


def test_syllables_rise_and_fall() -> None:
    layout = speech.plan(PROSE)
    samples = speech.synthesize(PROSE, "alloy").astype(np.float64)
    symbol = layout.symbol_samples
    edges, middles = [], []
    for slot in range(1, 20):
        boundary = speech._PAYLOAD_START + slot * symbol
        edges.append(np.sqrt(np.mean(samples[boundary - 24 : boundary + 24] ** 2)))
        middle = boundary + symbol // 2
        middles.append(np.sqrt(np.mean(samples[middle - 240 : middle + 240] ** 2)))
    assert max(edges) < 0.1 * min(middles)
    assert 48 <= layout.header.symbol_ms <= 250


def test_speech_is_deterministic_and_follows_its_input() -> None:
    first = speech.synthesize(PROSE, "coral", 1.5, "calm")
    assert np.array_equal(first, speech.synthesize(PROSE, "coral", 1.5, "calm"))
    other = speech.synthesize(PROSE.replace("real", "true"), "coral", 1.5)
    assert not np.array_equal(first[: RATE * 3], other[: RATE * 3])


@pytest.mark.parametrize("speed", [0.2, 4.5, 0.0])
def test_speed_outside_the_range_is_refused(speed: float) -> None:
    with pytest.raises(ValueError, match="speed"):
        speech.synthesize("Hello", "alloy", speed)


def test_the_longest_input_synthesizes_and_encodes_in_about_a_second() -> None:
    text = (PROSE + " ") * (4096 // (len(PROSE) + 1)) + "x" * (4096 % (len(PROSE) + 1))
    text = text[:4096]
    started = time.perf_counter()
    samples = speech.synthesize(text, "alloy")
    audio = audio_codecs.encode(samples, "mp3")
    elapsed = time.perf_counter() - started
    assert samples.size / RATE > 200
    assert len(audio) > 1_000_000
    # About a second on an idle core; the bound leaves room for a busy machine.
    assert elapsed < 6


def test_usage_counts_text_tokens_in_and_audio_tokens_out() -> None:
    usage = speech.usage("The quick brown fox jumped over the lazy dog.", None, 4.8)
    assert usage == {"input_tokens": 10, "output_tokens": 100, "total_tokens": 110}
    with_instructions = speech.usage("The quick brown fox jumped over the lazy dog.", "Speak slowly.", 4.8)
    assert with_instructions["input_tokens"] > usage["input_tokens"]


def test_the_sse_stream_is_base64_deltas_then_done_with_usage() -> None:
    audio = audio_codecs.encode(speech.synthesize(PROSE, "alloy"), "mp3")
    usage = speech.usage(PROSE, None, speech.duration(PROSE))
    events = list(speech.stream_events(audio, usage))
    deltas, done = events[:-1], events[-1]
    assert len(deltas) == -(-len(audio) // speech.STREAM_CHUNK_BYTES) > 1
    assert all(event["type"] == "speech.audio.delta" and set(event) == {"type", "audio"} for event in deltas)
    assert b"".join(base64.b64decode(event["audio"]) for event in deltas) == audio
    assert done == {"type": "speech.audio.done", "usage": usage}


def test_chunks_cover_the_body_in_order() -> None:
    body = bytes(range(256)) * 100
    pieces = list(speech.chunks(body, 1000))
    assert b"".join(pieces) == body
    assert {len(piece) for piece in pieces[:-1]} == {1000}
    assert list(speech.chunks(b"")) == []
