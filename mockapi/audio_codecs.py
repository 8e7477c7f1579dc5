"""Audio bytes: speech samples encoded as the six formats of /v1/audio/speech, and any upload decoded back.

PyAV (the `av` wheel, which bundles FFmpeg with LAME, Opus and FLAC) encodes mp3, opus (in Ogg) and aac
(ADTS, as the real API sends it) and flac; wav is written by the standard library and pcm is the raw
samples. Decoding goes through PyAV too, for every format the transcription route accepts. Output is
bit-exact (no random Ogg serial, no encoder version tag), so the same samples always give the same bytes.
"""

from __future__ import annotations

import io
import wave
from typing import TYPE_CHECKING, BinaryIO, Literal, cast

if TYPE_CHECKING:  # numpy and PyAV load with the first audio made or read
    import av
    import numpy as np
    import numpy.typing as npt

    Pcm = npt.NDArray[np.int16]

SpeechFormat = Literal["mp3", "opus", "aac", "flac", "wav", "pcm"]
SPEECH_FORMATS: tuple[SpeechFormat, ...] = ("mp3", "opus", "aac", "flac", "wav", "pcm")
# The content types the real API answers with.
CONTENT_TYPES: dict[SpeechFormat, str] = {
    "mp3": "audio/mpeg",
    "opus": "audio/opus",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}
RATE = 24_000
# (container, encoder, bit rate, encoder options): mono voice rates, small files that stay clear, and the
# encoders' faster settings (a 4096-character input is four minutes of speech at speed 1: each of these
# encodes it in well under a second on an idle core, their defaults take two to four times longer).
_ENCODERS: dict[str, tuple[str, str, int | None, dict[str, str]]] = {
    "mp3": ("mp3", "libmp3lame", 64_000, {"compression_level": "7"}),
    "opus": ("ogg", "libopus", 32_000, {"compression_level": "5"}),
    "aac": ("adts", "aac", 64_000, {"aac_coder": "fast"}),
    "flac": ("flac", "flac", None, {}),
}
# Uploads are decoded up to this long (a 25 MB file at a low bit rate can hold many hours).
MAX_DECODED_SECONDS = 30 * 60


class UndecodableAudio(ValueError):
    """The bytes are not audio that FFmpeg can read."""


def encode(pcm: Pcm, response_format: SpeechFormat, rate: int = RATE) -> bytes:
    """16-bit mono samples at `rate` as a complete file of `response_format`."""
    import numpy as np

    samples = np.ascontiguousarray(pcm, dtype="<i2")
    if response_format == "pcm":
        return samples.tobytes()
    if response_format == "wav":
        return _wav(samples, rate)
    return _encode_with_av(samples, response_format, rate)


def _wav(samples: Pcm, rate: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.tobytes())
    return buffer.getvalue()


def _encode_with_av(samples: Pcm, response_format: str, rate: int) -> bytes:
    import av

    container_format, encoder, bit_rate, options = _ENCODERS[response_format]
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container_format) as container:
        container.flags |= cast(int, av.container.Flags.bitexact.value)
        stream = container.add_stream(encoder, rate=rate, options=options)
        assert isinstance(stream, av.AudioStream)
        stream.layout = "mono"
        if bit_rate is not None:
            stream.bit_rate = bit_rate
        stream.codec_context.flags |= av.codec.context.Flags.bitexact
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        packets = [*stream.encode(frame), *stream.encode(None)] if samples.size else stream.encode(None)
        for packet in packets:
            container.mux(packet)
    return buffer.getvalue()


def _readable(data: bytes | BinaryIO) -> BinaryIO:
    """The file itself (an upload spooled to disk is read where it is), or the bytes as one."""
    if isinstance(data, bytes | bytearray | memoryview):
        return io.BytesIO(data)
    data.seek(0)
    return data


def decode(
    data: bytes | BinaryIO,
    *,
    rate: int | None = None,
    raw_pcm: bool = False,
    max_seconds: float = MAX_DECODED_SECONDS,
) -> tuple[Pcm, int]:
    """(16-bit mono samples, their rate) of an audio file (bytes, or a binary file read from its start), at
    `rate` if given (resampled), else at the file's own; at most its first `max_seconds`. `raw_pcm`: the bytes
    are headerless 24 kHz 16-bit little-endian mono (format `pcm`), which no decoder can recognise by itself."""
    import numpy as np

    if raw_pcm:
        size = int(min(max_seconds, MAX_DECODED_SECONDS) * RATE) * 2
        raw = data[:size] if isinstance(data, bytes) else _readable(data).read(size)
        samples = np.frombuffer(raw[: len(raw) // 2 * 2], dtype="<i2").astype(np.int16)
        return (samples, RATE) if rate in (None, RATE) else (_resample(samples, RATE, rate), rate)
    import av

    try:
        with av.open(_readable(data), "r") as container:
            if not container.streams.audio:
                raise UndecodableAudio("no audio stream")
            stream = container.streams.audio[0]
            target = rate or stream.codec_context.sample_rate or RATE
            return _decoded(container, stream, target, min(max_seconds, MAX_DECODED_SECONDS)), target
    except av.error.FFmpegError as exc:
        raise UndecodableAudio(str(exc)) from exc


def _decoded(container: av.container.InputContainer, stream: av.AudioStream, rate: int, seconds: float) -> Pcm:
    import av
    import numpy as np

    resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
    limit = int(seconds * rate)
    parts: list[Pcm] = []
    kept = 0
    for frame in container.decode(stream):
        for piece in resampler.resample(frame):
            parts.append(_mono(piece))
            kept += parts[-1].size
        if kept >= limit:
            break
    else:
        parts.extend(_mono(piece) for piece in resampler.resample(None))
    samples = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)
    return samples[:limit].astype(np.int16, copy=False)


def _resample(samples: Pcm, from_rate: int, to_rate: int) -> Pcm:
    import av
    import numpy as np

    resampler = av.AudioResampler(format="s16", layout="mono", rate=to_rate)
    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples).reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = from_rate
    pieces = [*resampler.resample(frame), *resampler.resample(None)]
    if not pieces:
        return np.zeros(0, dtype=np.int16)
    return np.concatenate([_mono(piece) for piece in pieces])


def _mono(frame: av.AudioFrame) -> Pcm:
    """A resampled (s16, mono) frame's samples."""
    import numpy as np

    return frame.to_ndarray().reshape(-1).astype(np.int16, copy=False)


def duration(data: bytes | BinaryIO) -> float | None:
    """Seconds of audio in a file (bytes, or a binary file read from its start), from its packets' timing
    (demuxed, not decoded); None when unreadable."""
    import av

    try:
        with av.open(_readable(data), "r") as container:
            if not container.streams.audio:
                return None
            stream = container.streams.audio[0]
            total = 0
            for packet in container.demux(stream):
                if packet.duration:
                    total += packet.duration
            if total and stream.time_base:
                return float(total * stream.time_base)
            return container.duration / av.time_base if container.duration else None
    except av.error.FFmpegError:
        return None
