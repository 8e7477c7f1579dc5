"""The code a synthesized speech signal carries, shared by the synthesizer and the recognizer.

The spoken text travels in the audio itself, so a speech file is recognised from its samples alone, after
lossy coding (mp3, aac, opus), resampling and re-encoding. The signal, at RATE:

    lead-in | rising chirp (sync) | gap | header: HEADER_SYMBOLS symbols | payload symbols ... | tail

Each symbol sounds GROUPS tones at once, one of TONES per group on a grid inside the telephone band, so each
group carries a nibble and a symbol two bytes (DTMF-like, decoded by one DFT per symbol: a perceptual codec
keeps a symbol's loudest tones where they are). The header says how the text is coded, how long a payload
symbol is, and how many bytes follow; the payload is the coded text and its CRC-32, repeated cyclically
until the speech's duration is filled, so a later copy can stand in for a damaged one.
"""

from __future__ import annotations

import heapq
import struct
import zlib
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy loads with the first speech made or heard
    import numpy as np
    import numpy.typing as npt

RATE = 24_000
GROUPS = 4
TONES = 16
BITS_PER_TONE = 4
# 40 Hz between tones, one empty slot between groups: 600 Hz to 3240 Hz, above the voice's harmonics and
# below the 4 kHz Nyquist limit of 8 kHz audio.
LOWEST_TONE = 600.0
TONE_SPACING = 40.0

LEAD_IN_SAMPLES = RATE // 50
CHIRP_SAMPLES = RATE // 5
CHIRP_LOW, CHIRP_HIGH = 500.0, 3300.0
GAP_SAMPLES = RATE // 50
TAIL_SAMPLES = RATE // 10
HEADER_SYMBOLS = 4
# Symbols of 48 ms carry a byte pair through 32 kbit/s mp3 and aac and 16 kbit/s opus (measured: the
# runner-up tone of a group stays under half the chosen one), enough for English at speed 4; longer ones,
# up to 250 ms (a syllable's length), when the text leaves time for them. The header is read before the
# payload's symbol length is known: it has its own.
HEADER_MS = 64
MIN_SYMBOL_MS = 48
MAX_SYMBOL_MS = 250
# Each symbol fades in and out over this share of its length (the syllable envelope; it also keeps codec
# pre-echo out of the middle, where the recognizer listens).
RAMP_SHARE = 0.125

VERSION = 1
MAX_TEXT_BYTES = 0xFFFF
_HEADER = struct.Struct(">BBHHH")
_CRC = struct.Struct(">I")


class Coding(IntEnum):
    """How the text's UTF-8 bytes are coded in the payload: whichever is shortest for that text."""

    RAW = 0
    HUFFMAN = 1  # a fixed code for English text: about 4.4 bits a character
    DEFLATE = 2  # raw deflate: shorter for long texts


_CODINGS = frozenset(coding.value for coding in Coding)


@dataclass(frozen=True)
class Header:
    coding: Coding
    symbol_ms: int
    payload_bytes: int
    text_bytes: int

    def to_bytes(self) -> bytes:
        fields = _HEADER.pack(VERSION << 4 | self.coding, self.symbol_ms, self.payload_bytes, self.text_bytes, 0)
        return fields[:-2] + struct.pack(">H", _crc16(fields[:-2]))

    @classmethod
    def from_bytes(cls, data: bytes) -> Header | None:
        """The header, or None when its check fails or its values are impossible."""
        if len(data) != _HEADER.size:
            return None
        kind, symbol_ms, payload_bytes, text_bytes, check = _HEADER.unpack(data)
        if check != _crc16(data[:-2]) or kind >> 4 != VERSION or kind & 0xF not in _CODINGS:
            return None
        if not MIN_SYMBOL_MS <= symbol_ms <= MAX_SYMBOL_MS or payload_bytes == 0:
            return None
        return cls(Coding(kind & 0xF), symbol_ms, payload_bytes, text_bytes)

    @property
    def payload_symbols(self) -> int:
        return symbols_for(self.payload_bytes + _CRC.size)


def _crc16(data: bytes) -> int:
    return zlib.crc32(data) & 0xFFFF


def symbols_for(byte_count: int) -> int:
    return -(-byte_count // (GROUPS * BITS_PER_TONE // 8))


def tone_frequencies() -> list[float]:
    """All GROUPS * TONES frequencies, group by group."""
    return [
        LOWEST_TONE + (group * (TONES + 1) + tone) * TONE_SPACING for group in range(GROUPS) for tone in range(TONES)
    ]


def chirp(rate: int) -> npt.NDArray[np.float64]:
    """The sync sound at `rate`: a linear sweep over the tone band, faded in and out over 10 ms."""
    import numpy as np

    seconds = CHIRP_SAMPLES / RATE
    t = np.arange(round(seconds * rate)) / rate
    phase = 2 * np.pi * (CHIRP_LOW * t + (CHIRP_HIGH - CHIRP_LOW) * t * t / (2 * seconds))
    fade = np.minimum(1.0, np.minimum(t, seconds - t) / 0.01)
    return np.sin(phase) * fade


# Bytes and symbols: a symbol's GROUPS nibbles are its bytes' high and low halves, in order.


def to_symbols(data: bytes) -> npt.NDArray[np.uint8]:
    """(n, GROUPS) tone indices; an odd byte count is padded with a zero byte."""
    import numpy as np

    raw = np.frombuffer(data + b"\0" * (len(data) % 2), dtype=np.uint8)
    return np.stack([raw >> 4, raw & 0xF], axis=1).reshape(-1, GROUPS)


def from_symbols(symbols: npt.NDArray[np.integer]) -> bytes:
    import numpy as np

    pairs = np.asarray(symbols, dtype=np.uint8).reshape(-1, 2)
    return ((pairs[:, 0] << 4) | pairs[:, 1]).astype(np.uint8).tobytes()


def with_check(payload: bytes) -> bytes:
    return payload + _CRC.pack(zlib.crc32(payload))


def checked(data: bytes, payload_bytes: int) -> bytes | None:
    """The payload when its CRC-32 (right after it) matches, else None."""
    payload, check = data[:payload_bytes], data[payload_bytes : payload_bytes + _CRC.size]
    if len(check) != _CRC.size or _CRC.unpack(check)[0] != zlib.crc32(payload):
        return None
    return payload


# Text coding.


def encode_text(text: str) -> tuple[Coding, bytes, int]:
    """(coding, payload, UTF-8 length) with the shortest payload."""
    raw = text.encode()
    if len(raw) > MAX_TEXT_BYTES:
        raise ValueError(f"text of {len(raw)} bytes: at most {MAX_TEXT_BYTES} can be spoken")
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    candidates = [
        (Coding.RAW, raw),
        (Coding.HUFFMAN, _huffman_encode(raw)),
        (Coding.DEFLATE, deflater.compress(raw) + deflater.flush()),
    ]
    coding, payload = min(candidates, key=lambda candidate: len(candidate[1]))
    # A payload is never empty: the header's zero length means "no speech here".
    return coding, payload or b"\0", len(raw)


def decode_text(coding: Coding, payload: bytes, text_bytes: int) -> str | None:
    """The text, or None when the payload does not decode to `text_bytes` bytes of UTF-8."""
    if coding == Coding.RAW:
        raw: bytes | None = payload[:text_bytes]
    elif coding == Coding.HUFFMAN:
        raw = _huffman_decode(payload, text_bytes)
    else:
        inflater = zlib.decompressobj(-15)
        try:
            raw = inflater.decompress(payload, text_bytes + 1)
        except zlib.error:
            return None
    if raw is None or len(raw) != text_bytes:
        return None
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return None


# A fixed Huffman code over bytes, weighted for English text (per 10,000 characters; every byte has a code).
_ENGLISH_WEIGHTS = {
    " ": 1700, "e": 950, "t": 700, "a": 620, "o": 580, "i": 540, "n": 540, "s": 500, "h": 470, "r": 460,
    "d": 330, "l": 310, "c": 220, "u": 210, "m": 190, "w": 170, "f": 170, "g": 150, "y": 150, "p": 140,
    "b": 110, "v": 80, "k": 60, "x": 13, "j": 11, "q": 8, "z": 6, ",": 90, ".": 80, "'": 25, '"': 15,
    "-": 15, "?": 10, "!": 8, ":": 5, ";": 3, "\n": 20, "(": 3, ")": 3,
}  # fmt: skip
_UPPERCASE_SHARE = 15
_OTHER_PRINTABLE_WEIGHT = 2
_OTHER_BYTE_WEIGHT = 1


@lru_cache(maxsize=1)
def _huffman_code() -> tuple[dict[int, str], dict[tuple[int, int], int]]:
    """(code of each byte as a bit string, byte of each (length, code)): canonical, so deterministic."""
    weights = [_OTHER_BYTE_WEIGHT] * 256
    for byte in range(0x20, 0x7F):
        weights[byte] = _OTHER_PRINTABLE_WEIGHT
    for char, weight in _ENGLISH_WEIGHTS.items():
        weights[ord(char)] = weight * 10
        if char.isalpha():
            weights[ord(char.upper())] = max(_OTHER_PRINTABLE_WEIGHT, weight * 10 // _UPPERCASE_SHARE)
    for digit in "0123456789":
        weights[ord(digit)] = 100
    # Code lengths by the textbook merge; ties broken by a running counter, so the result is fixed.
    heap: list[tuple[int, int, list[int]]] = [(weight, byte, [byte]) for byte, weight in enumerate(weights)]
    heapq.heapify(heap)
    lengths = [0] * 256
    counter = 256
    while len(heap) > 1:
        weight_a, _, members_a = heapq.heappop(heap)
        weight_b, _, members_b = heapq.heappop(heap)
        for byte in members_a + members_b:
            lengths[byte] += 1
        heapq.heappush(heap, (weight_a + weight_b, counter, members_a + members_b))
        counter += 1
    codes: dict[int, str] = {}
    lookup: dict[tuple[int, int], int] = {}
    code, previous = 0, 0
    for byte in sorted(range(256), key=lambda b: (lengths[b], b)):
        code <<= lengths[byte] - previous
        previous = lengths[byte]
        codes[byte] = format(code, f"0{previous}b")
        lookup[(previous, code)] = byte
        code += 1
    return codes, lookup


def _huffman_encode(raw: bytes) -> bytes:
    codes, _ = _huffman_code()
    bits = "".join(codes[byte] for byte in raw)
    bits += "0" * (-len(bits) % 8)
    return int(bits, 2).to_bytes(len(bits) // 8, "big") if bits else b""


def _huffman_decode(payload: bytes, text_bytes: int) -> bytes | None:
    _, lookup = _huffman_code()
    out = bytearray()
    code = length = 0
    for bit in "".join(format(byte, "08b") for byte in payload):
        code = code << 1 | (bit == "1")
        length += 1
        byte = lookup.get((length, code))
        if byte is not None:
            out.append(byte)
            if len(out) == text_bytes:
                return bytes(out)
            code = length = 0
    return bytes(out) if len(out) == text_bytes else None
