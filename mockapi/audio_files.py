"""Uploaded audio: its accepted formats, size limit, and what is read from it (size, digest, duration).

The upload arrives spooled to a temporary file (python-multipart); it is read once, in chunks, to hash
it, and only a WAV header is read again, so a 25 MB file is never held in memory.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import wave
from dataclasses import dataclass
from typing import BinaryIO

from mockapi import errors

# The real API's list, in its order (flac, oga and ogg were accepted from later in 2023).
AUDIO_FORMATS = ("flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "oga", "ogg", "wav", "webm")
MAX_AUDIO_BYTES = 25 * 1024 * 1024
MIN_AUDIO_SECONDS = 0.1

# Compressed formats carry no duration we can read without a decoder: assume 128 kbit/s (16 kB/s),
# a typical voice-memo and podcast bit rate. A WAV that `wave` cannot read (e.g. float samples) is
# assumed to be 16 kHz mono 16-bit PCM, Whisper's own input format (32 kB/s).
COMPRESSED_BYTES_PER_SECOND = 16_000
PCM_BYTES_PER_SECOND = 32_000

_CHUNK = 1024 * 1024
# The fmt chunk: format tag, channels, sample rate, then the byte rate at bytes 8-12.
_FMT_BYTE_RATE_END = 12
_PATH_SEPARATORS = re.compile(r"[\\/]")


@dataclass(frozen=True)
class AudioProbe:
    size: int
    sha256: str
    duration: float
    # Whether the duration was read from the file's header rather than estimated from its size.
    measured: bool


def basename(filename: str) -> str:
    """openai 0.28 sends the whole local path (`/home/me/a.wav`, or `C:\\clips\\a.wav`)."""
    return _PATH_SEPARATORS.split(filename)[-1]


def extension(filename: str) -> str:
    name = basename(filename)
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def probe(file: BinaryIO, extension: str) -> AudioProbe:
    """Size, sha256 and duration in seconds of an uploaded file (blocking: run it in a thread)."""
    file.seek(0)
    digest = hashlib.sha256()
    size = 0
    while chunk := file.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    measured = wav_duration(file, size) if extension == "wav" else None
    if measured is not None:
        return AudioProbe(size, digest.hexdigest(), measured, True)
    per_second = PCM_BYTES_PER_SECOND if extension == "wav" else COMPRESSED_BYTES_PER_SECOND
    return AudioProbe(size, digest.hexdigest(), size / per_second, False)


def wav_duration(file: BinaryIO, size: int) -> float | None:
    """Frames over frame rate from the header, by `wave`; for the encodings `wave` refuses (float
    samples, WAVE_FORMAT_EXTENSIBLE) or a header that overstates the data, the data chunk's size over
    the fmt chunk's byte rate."""
    file.seek(0)
    try:
        with wave.open(file, "rb") as wav:
            rate = wav.getframerate()
            frame_bytes = wav.getnframes() * wav.getsampwidth() * wav.getnchannels()
            # A streamed WAV's header overstates its data: then the RIFF reading counts what is there.
            if rate > 0 and frame_bytes <= size:
                return wav.getnframes() / rate
    # wave's chunk reader raises RuntimeError for a chunk longer than the RIFF chunk that holds it.
    except (wave.Error, EOFError, struct.error, ValueError, RuntimeError):
        pass
    return _riff_duration(file, size)


def _riff_duration(file: BinaryIO, size: int) -> float | None:
    """Only chunk headers and the fmt chunk's first bytes are read; other chunks are seeked past, so a
    crafted chunk length costs nothing."""
    file.seek(0)
    header = file.read(12)
    if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
        return None
    byte_rate = 0
    while len(chunk := file.read(8)) == 8:
        kind, length = chunk[:4], int.from_bytes(chunk[4:], "little")
        if kind == b"data":
            # Streaming writers leave the length at 0 or 0xFFFFFFFF: count what is there instead.
            remaining = size - file.tell()
            data = length if 0 < length <= remaining else remaining
            return data / byte_rate if byte_rate else None
        padded = length + length % 2
        if kind == b"fmt " and length >= _FMT_BYTE_RATE_END:
            fields = file.read(_FMT_BYTE_RATE_END)
            byte_rate = int.from_bytes(fields[8:12], "little")
            padded -= len(fields)
        file.seek(padded, io.SEEK_CUR)  # past the end of the file, the next read is empty: no data chunk
    return None


# The real API's errors for files.


def invalid_file_format() -> errors.OpenAIError:
    formats = "[" + ", ".join(repr(name) for name in AUDIO_FORMATS) + "]"
    return errors.invalid_param(f"Invalid file format. Supported formats: {formats}", "file")


def audio_too_short() -> errors.OpenAIError:
    return errors.invalid_param(
        f"Audio file is too short. Minimum audio length is {MIN_AUDIO_SECONDS} seconds.", "file", "audio_too_short"
    )


def content_too_large(size: int) -> errors.OpenAIError:
    return errors.audio_too_large(MAX_AUDIO_BYTES, size)
