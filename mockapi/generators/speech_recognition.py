"""Recognition of mockapi's own speech: the text a synthesized signal carries, read back from its samples.

The chirp is found by cross-correlation (FFT), which also finds it after a codec's delay, trimmed or added
silence, resampling or a change of gain or polarity; each symbol is then read by a DFT at the tone grid over
the middle of its syllable, the loudest tone of each group giving a nibble. A payload whose CRC-32 fails is
read again from all its sounded copies added together, then with its least certain nibbles swapped for
their runners-up. Anything else (real speech, music, silence) finds no header that checks: None.
"""

from __future__ import annotations

import itertools
from functools import lru_cache
from typing import TYPE_CHECKING, BinaryIO

from mockapi import audio_codecs
from mockapi.generators import speech_code as code

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Samples = npt.NDArray[np.float32]

# The tone grid needs 3.3 kHz of bandwidth: 8 kHz audio (telephone rate) and up. Files are read at 8 kHz:
# a third of the samples of 24 kHz, and a 25 MB upload decodes to at most 30 MB of them.
MIN_RATE = 7_000
RECOGNITION_RATE = 8_000
# The chirp is looked for in the first half minute, and at the few loudest matches there.
SEARCH_SECONDS = 30
# A file is first decoded this far: the chirp's search window, and the header after it.
HEAD_SECONDS = SEARCH_SECONDS + 5
CANDIDATES = 3
# Each symbol is heard over the middle of it, at most this long (enough to tell tones 40 Hz apart).
_LISTEN_SHARE = 1 - 2 * code.RAMP_SHARE
_MAX_LISTEN_SECONDS = 0.06
# At most this many samples are gathered at once, copies of the payload included.
_MAX_GATHERED = 1 << 23
_MAX_COPIES = 8
# Nibbles tried with their runner-up when a payload's check fails: each alone, then pairs of the first few.
_SINGLE_SWAPS = 24
_PAIR_SWAPS = 8


def recognize(pcm: npt.NDArray[np.generic], rate: int) -> str | None:
    """The text spoken in `pcm` (int16 or float samples; channels, if any, on the last axis), or None when
    it holds no mockapi speech."""
    import numpy as np

    samples = np.asarray(pcm)
    if samples.ndim > 1:
        samples = samples.mean(axis=-1)
    samples = samples.astype(np.float32)
    if rate < MIN_RATE or samples.size == 0 or not np.any(samples):
        return None
    for start in _chirp_starts(samples, rate):
        text = _read(samples, start, rate)
        if text is not None:
            return text
    return None


def recognize_file(data: bytes | BinaryIO, *, raw_pcm: bool = False) -> str | None:
    """The text spoken in an audio file of any format audio_codecs reads (bytes, or a binary file), or None
    (not mockapi speech, or not audio at all). Only the first HEAD_SECONDS are decoded unless they hold a
    header that checks, so a long file of anything else costs little. Blocking: run it in a thread."""
    try:
        samples, rate = audio_codecs.decode(data, rate=RECOGNITION_RATE, raw_pcm=raw_pcm, max_seconds=HEAD_SECONDS)
        text = recognize(samples, rate)
        if text is not None or samples.size < HEAD_SECONDS * rate or not _has_header(samples, rate):
            return text
        samples, rate = audio_codecs.decode(data, rate=RECOGNITION_RATE, raw_pcm=raw_pcm)
    except audio_codecs.UndecodableAudio:
        return None
    return recognize(samples, rate)


def _has_header(pcm: npt.NDArray[np.generic], rate: int) -> bool:
    """Whether a chirp in the samples is followed by a header that checks (the payload may lie beyond them)."""
    import numpy as np

    samples = np.asarray(pcm).astype(np.float32)
    return any(_header(samples, start, rate) is not None for start in _chirp_starts(samples, rate))


def _chirp_starts(samples: Samples, rate: int) -> list[int]:
    """Where the chirp may start: the CANDIDATES strongest correlations, each a chirp's length apart."""
    import numpy as np

    template = code.chirp(rate)
    head = samples[: SEARCH_SECONDS * rate + template.size]
    if head.size < template.size:
        return []
    size = 1 << (head.size + template.size - 1).bit_length()
    correlation = np.fft.irfft(np.fft.rfft(head, size) * np.conj(np.fft.rfft(template, size)), size)
    strength = np.abs(correlation[: head.size - template.size + 1])
    starts = []
    for _ in range(CANDIDATES):
        best = int(np.argmax(strength))
        if strength[best] <= 0:
            break
        starts.append(best)
        strength[max(0, best - template.size) : best + template.size] = 0
    return starts


def _header(samples: Samples, chirp_start: int, rate: int) -> tuple[code.Header, float] | None:
    """The header after the chirp, if it checks, and where the payload starts."""
    scale = rate / code.RATE
    header_start = chirp_start + (code.CHIRP_SAMPLES + code.GAP_SAMPLES) * scale
    header_symbol = code.HEADER_MS * rate / 1000
    magnitudes = _listen(samples, header_start, header_symbol, code.HEADER_SYMBOLS, rate)
    if magnitudes is None:
        return None
    header = code.Header.from_bytes(code.from_symbols(magnitudes.argmax(axis=2)))
    return None if header is None else (header, header_start + code.HEADER_SYMBOLS * header_symbol)


def _read(samples: Samples, chirp_start: int, rate: int) -> str | None:
    found = _header(samples, chirp_start, rate)
    if found is None:
        return None
    header, payload_start = found
    payload = _read_payload(samples, payload_start, header, rate)
    return None if payload is None else code.decode_text(header.coding, payload, header.text_bytes)


def _read_payload(samples: Samples, start: float, header: code.Header, rate: int) -> bytes | None:
    import numpy as np

    symbol = header.symbol_ms * rate / 1000
    needed = header.payload_symbols
    sounded = int((samples.size - start) // symbol)
    listen = _listen_samples(symbol, rate)
    copies = min(sounded // needed, _MAX_COPIES, max(1, _MAX_GATHERED // (needed * listen)))
    if copies < 1:
        return None
    magnitudes = _listen(samples, start, symbol, needed * copies, rate)
    if magnitudes is None:
        return None
    first = _checked(magnitudes[:needed].argmax(axis=2), header)
    if first is not None:
        return first
    # Each copy's magnitudes relative to its symbols' loudest tone, so a quiet copy counts as much as a loud one.
    relative = magnitudes / np.maximum(magnitudes.max(axis=2, keepdims=True), 1e-12)
    combined = relative.reshape(copies, needed, code.GROUPS, code.TONES).sum(axis=0)
    return _checked(combined.argmax(axis=2), header) or _swapped(combined, header)


def _swapped(magnitudes: npt.NDArray[np.float32], header: code.Header) -> bytes | None:
    """The payload with one or two of its least certain nibbles replaced by their runners-up, if one checks."""
    import numpy as np

    order = np.argsort(magnitudes, axis=2)
    best, runner_up = order[..., -1], order[..., -2]
    sorted_magnitudes = np.take_along_axis(magnitudes, order[..., -2:], axis=2)
    doubt = (sorted_magnitudes[..., 0] / np.maximum(sorted_magnitudes[..., 1], 1e-12)).reshape(-1)
    doubtful = np.argsort(doubt)[::-1][:_SINGLE_SWAPS]
    trials: list[tuple[int, ...]] = [(int(place),) for place in doubtful]
    trials += [(int(a), int(b)) for a, b in itertools.combinations(doubtful[:_PAIR_SWAPS], 2)]
    flat_best, flat_runner_up = best.reshape(-1), runner_up.reshape(-1)
    for places in trials:
        decisions = flat_best.copy()
        decisions[list(places)] = flat_runner_up[list(places)]
        payload = _checked(decisions.reshape(best.shape), header)
        if payload is not None:
            return payload
    return None


def _checked(decisions: npt.NDArray[np.integer], header: code.Header) -> bytes | None:
    return code.checked(code.from_symbols(decisions), header.payload_bytes)


def _listen_samples(symbol: float, rate: int) -> int:
    return max(8, int(min(symbol * _LISTEN_SHARE, _MAX_LISTEN_SECONDS * rate)))


def _listen(samples: Samples, start: float, symbol: float, count: int, rate: int) -> npt.NDArray[np.float32] | None:
    """(count, GROUPS, TONES) tone magnitudes of `count` symbols of `symbol` samples from `start`."""
    import numpy as np

    listen = _listen_samples(symbol, rate)
    offsets = np.rint(start + np.arange(count) * symbol + (symbol - listen) / 2).astype(np.intp)
    if count == 0 or offsets[0] < 0 or offsets[-1] + listen > samples.size:
        return None
    windows = samples[offsets[:, None] + np.arange(listen)[None, :]]
    spectrum = windows @ _basis(listen, rate)
    magnitudes: npt.NDArray[np.float32] = np.abs(spectrum).reshape(count, code.GROUPS, code.TONES)
    return magnitudes


@lru_cache(maxsize=8)
def _basis(listen: int, rate: int) -> npt.NDArray[np.complex64]:
    """(listen, GROUPS * TONES): a Hann-windowed DFT at each tone of the grid."""
    import numpy as np

    t = np.arange(listen) / rate
    frequencies = np.array(code.tone_frequencies())
    window = np.hanning(listen)[:, None]
    basis: npt.NDArray[np.complex64] = (np.exp(-2j * np.pi * t[:, None] * frequencies[None, :]) * window).astype(
        np.complex64
    )
    basis.flags.writeable = False  # shared by every call with this listening length
    return basis
