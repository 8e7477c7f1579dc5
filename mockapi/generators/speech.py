"""Text to speech: a deterministic, voiced signal that carries its text, and the streamed forms of it.

`synthesize` gives 24 kHz 16-bit mono samples: a syllable-paced run of tone chords (the text, coded as
speech_code describes) over a voice-pitched hum with a falling glide per syllable, so it sounds like a
(robotic) voice rather than silence or noise, and `speech_recognition.recognize` reads the text back from it.
The duration follows the text: WORDS_PER_SECOND words a second at speed 1, divided by `speed`; only a text
too dense to fit (very short, or spelled without spaces) takes a little longer.
Pure functions of (text, voice, speed, instructions); no web framework here.
"""

from __future__ import annotations

import base64
import math
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from mockapi import tokens
from mockapi.generators import speech_code as code
from mockapi.generators.audio import WORDS_PER_SECOND

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Pcm = npt.NDArray[np.int16]

RATE = code.RATE
MIN_SPEED, MAX_SPEED = 0.25, 4.0

# Each voice's pitch (Hz): low for the deeper voices, high for the brighter ones.
VOICES = {
    "alloy": 175.0,
    "ash": 120.0,
    "ballad": 140.0,
    "coral": 215.0,
    "echo": 115.0,
    "fable": 160.0,
    "onyx": 95.0,
    "nova": 220.0,
    "sage": 200.0,
    "shimmer": 230.0,
    "verse": 130.0,
    "marin": 205.0,
    "cedar": 105.0,
}
# A custom voice's pitch is drawn from this range by its id.
_CUSTOM_PITCH = (100.0, 230.0)
# Instructions move the pitch by up to this share either way ("speak lower", "a brighter tone").
_INSTRUCTED_PITCH_SHARE = 0.1

# Levels, out of full scale: each tone of a chord, the hum's fundamental, and the sync chirp.
_TONE_LEVEL = 0.17
_VOICE_LEVEL = 0.16
_CHIRP_LEVEL = 0.6
_OUTPUT_LEVEL = 0.85 * 32767
# The hum's harmonics stay below the lowest data tone.
_HARMONIC_CEILING = code.LOWEST_TONE - code.TONE_SPACING
# Within a syllable the pitch glides down from 2 % above to 3 % below the phrase's pitch there.
_GLIDE = (1.02, 0.97)
# Synthesised in blocks of about this many samples, to bound the memory of a long text.
_BLOCK_SAMPLES = 1 << 19

# gpt-4o-mini-tts's audio output costs $12 per million tokens, about 1.5 cents a minute: 1250 tokens a minute.
AUDIO_TOKENS_PER_SECOND = 1250 / 60
STREAM_CHUNK_BYTES = 8192


@dataclass(frozen=True)
class SpeechPlan:
    """Where everything goes in a speech signal, before any sample is made."""

    header: code.Header
    payload: bytes  # the coded text and its CRC-32
    slots: int  # payload symbols sounded: the payload's, repeated until the duration is filled
    total_samples: int

    @property
    def symbol_samples(self) -> int:
        return self.header.symbol_ms * RATE // 1000

    @property
    def seconds(self) -> float:
        return self.total_samples / RATE


_HEADER_SAMPLES = code.HEADER_MS * RATE // 1000
_PAYLOAD_START = code.LEAD_IN_SAMPLES + code.CHIRP_SAMPLES + code.GAP_SAMPLES + code.HEADER_SYMBOLS * _HEADER_SAMPLES
_FIXED_SAMPLES = _PAYLOAD_START + code.TAIL_SAMPLES


def nominal_seconds(text: str, speed: float = 1.0) -> float:
    """WORDS_PER_SECOND words a second (at least one word), divided by `speed`."""
    return max(1, len(text.split())) / WORDS_PER_SECOND / speed


def plan(text: str, speed: float = 1.0) -> SpeechPlan:
    coding, payload, text_bytes = code.encode_text(text)
    header = code.Header(coding, code.MIN_SYMBOL_MS, len(payload), text_bytes)
    needed = header.payload_symbols
    nominal = round(nominal_seconds(text, speed) * RATE)
    room = max(0, nominal - _FIXED_SAMPLES)
    symbol_ms = min(max(room * 1000 // RATE // needed, code.MIN_SYMBOL_MS), code.MAX_SYMBOL_MS)
    header = code.Header(coding, symbol_ms, len(payload), text_bytes)
    symbol_samples = symbol_ms * RATE // 1000
    slots = max(needed, room // symbol_samples)
    total = max(nominal, _FIXED_SAMPLES + slots * symbol_samples)
    return SpeechPlan(header, code.with_check(payload), slots, total)


def duration(text: str, speed: float = 1.0) -> float:
    """Seconds of speech `synthesize` makes for `text` at `speed`."""
    return plan(text, speed).seconds


def pitch(voice: str, instructions: str | None = None) -> float:
    """The voice's pitch in Hz; a custom voice's from its id; moved a little by the instructions."""
    base = VOICES.get(voice)
    if base is None:
        low, high = _CUSTOM_PITCH
        base = low + (zlib.crc32(voice.encode()) % 1000) / 999 * (high - low)
    if instructions:
        shift = (zlib.crc32(instructions.encode()) % 2001) / 1000 - 1
        base *= 1 + shift * _INSTRUCTED_PITCH_SHARE
    return base


def synthesize(text: str, voice: str = "alloy", speed: float = 1.0, instructions: str | None = None) -> Pcm:
    """24 kHz 16-bit mono samples of `text` spoken at `speed` (0.25 to 4) in `voice`."""
    import numpy as np

    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise ValueError(f"speed {speed} is outside [{MIN_SPEED}, {MAX_SPEED}]")
    layout = plan(text, speed)
    voice_pitch = pitch(voice, instructions)
    out = np.zeros(layout.total_samples, dtype=np.int16)
    start = code.LEAD_IN_SAMPLES
    out[start : start + code.CHIRP_SAMPLES] = _to_int16(code.chirp(RATE) * _CHIRP_LEVEL)
    start += code.CHIRP_SAMPLES + code.GAP_SAMPLES
    header_symbols = code.to_symbols(layout.header.to_bytes())
    _sound(out, start, header_symbols, _HEADER_SAMPLES, voice_pitch, first_slot=0)
    payload_symbols = code.to_symbols(layout.payload)
    cycle = np.arange(layout.slots) % len(payload_symbols)
    _sound(out, _PAYLOAD_START, payload_symbols[cycle], layout.symbol_samples, voice_pitch, code.HEADER_SYMBOLS)
    return out


def _sound(
    out: Pcm,
    start: int,
    symbols: npt.NDArray[np.uint8],
    symbol_samples: int,
    voice_pitch: float,
    first_slot: int,
) -> None:
    """Writes one chord per symbol, back to back from `start`, each over its syllable of hum."""
    import numpy as np

    tones = _tone_table(symbol_samples)
    envelope = _envelope(symbol_samples)
    columns = np.arange(code.GROUPS) * code.TONES
    per_block = max(1, _BLOCK_SAMPLES // symbol_samples)
    for first in range(0, len(symbols), per_block):
        chunk = symbols[first : first + per_block].astype(np.intp) + columns
        signal = tones[chunk[:, 0]]
        for group in range(1, code.GROUPS):
            signal += tones[chunk[:, group]]
        signal += _hum(first_slot + first, len(chunk), symbol_samples, voice_pitch)
        signal *= envelope
        begin = start + first * symbol_samples
        out[begin : begin + signal.size] = _to_int16(signal.reshape(-1))


def _hum(first_slot: int, count: int, symbol_samples: int, voice_pitch: float) -> npt.NDArray[np.float32]:
    """(count, symbol_samples) of voiced sound: harmonics of a pitch that drifts over the phrase (two slow
    sines of the syllable's index) and glides down within each syllable."""
    import numpy as np

    slot = np.arange(first_slot, first_slot + count, dtype=np.float64)[:, None]
    phrase = voice_pitch * (1 + 0.06 * np.sin(2 * np.pi * slot / 7.3) + 0.03 * np.sin(2 * np.pi * slot / 2.9 + 1))
    begin, end = phrase * _GLIDE[0], phrase * _GLIDE[1]
    seconds = symbol_samples / RATE
    t = np.arange(symbol_samples, dtype=np.float64)[None, :] / RATE
    phase = (2 * np.pi * (begin * t + (end - begin) * t * t / (2 * seconds))).astype(np.float32)
    harmonics = max(1, math.floor(_HARMONIC_CEILING / (voice_pitch * 1.09 * _GLIDE[0])))
    hum = np.zeros((count, symbol_samples), dtype=np.float32)
    for harmonic in range(1, harmonics + 1):
        hum += np.sin(phase * harmonic) * np.float32(_VOICE_LEVEL / harmonic)
    return hum


@lru_cache(maxsize=4)
def _tone_table(symbol_samples: int) -> npt.NDArray[np.float32]:
    """(GROUPS * TONES, symbol_samples): every tone over one symbol, with spread (Schroeder) starting
    phases so that a chord's peaks rarely coincide."""
    import numpy as np

    frequencies = np.array(code.tone_frequencies())
    count = len(frequencies)
    phases = np.pi * np.arange(count) ** 2 / count
    t = np.arange(symbol_samples) / RATE
    table = (np.sin(2 * np.pi * frequencies[:, None] * t[None, :] + phases[:, None]) * _TONE_LEVEL).astype(np.float32)
    table.flags.writeable = False  # shared by every call with this symbol length
    return table


@lru_cache(maxsize=4)
def _envelope(symbol_samples: int) -> npt.NDArray[np.float32]:
    """A syllable: raised-cosine rise and fall over RAMP_SHARE of it each, full in the middle."""
    import numpy as np

    ramp = max(1, int(symbol_samples * code.RAMP_SHARE))
    envelope = np.ones(symbol_samples, dtype=np.float32)
    rise = (0.5 - 0.5 * np.cos(np.pi * np.arange(ramp) / ramp)).astype(np.float32)
    envelope[:ramp] = rise
    envelope[-ramp:] = rise[::-1]
    return envelope


def _to_int16(signal: npt.NDArray[np.floating]) -> Pcm:
    import numpy as np

    samples: Pcm = np.clip(signal * _OUTPUT_LEVEL, -32768, 32767).astype(np.int16)
    return samples


# Usage and streaming.


def usage(text: str, instructions: str | None, seconds: float) -> dict[str, int]:
    """Token counts as gpt-4o-mini-tts reports them: text in, audio out."""
    input_tokens = tokens.count(text) + (tokens.count(instructions) if instructions else 0)
    output_tokens = math.ceil(seconds * AUDIO_TOKENS_PER_SECOND)
    return {"input_tokens": input_tokens, "output_tokens": output_tokens, "total_tokens": input_tokens + output_tokens}


def chunks(audio: bytes, size: int = STREAM_CHUNK_BYTES) -> Iterator[bytes]:
    """The body in pieces of `size` bytes (the last one shorter), as a chunked response sends them."""
    for offset in range(0, len(audio), size):
        yield audio[offset : offset + size]


def stream_events(
    audio: bytes, speech_usage: dict[str, int], size: int = STREAM_CHUNK_BYTES
) -> Iterator[dict[str, Any]]:
    """`stream_format: sse`: speech.audio.delta events of base64 audio, then speech.audio.done with usage."""
    for piece in chunks(audio, size):
        yield {"type": "speech.audio.delta", "audio": base64.b64encode(piece).decode()}
    yield {"type": "speech.audio.done", "usage": dict(speech_usage)}
