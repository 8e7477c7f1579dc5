"""Audio for the speech tests: decoders independent of the one mockapi encodes with, and re-encoding.

mockapi encodes with PyAV (FFmpeg). Its files are read back here by libsndfile (the `soundfile` wheel: wav,
flac, Ogg Opus, mp3 and raw pcm) and by FAAD2 (Debian's `faad`, for aac, which libsndfile cannot read);
tests needing FAAD2 skip with the reason when it is not installed. Re-encoding (as a user converting a
file would) goes through PyAV.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
import pytest
import soundfile

Samples = npt.NDArray[np.int16]

FAAD = shutil.which("faad")
needs_faad = pytest.mark.skipif(FAAD is None, reason="FAAD2 is not installed (apt-get install faad): no aac decoder")


def decode_independently(data: bytes, response_format: str) -> tuple[Samples, int]:
    """(samples, rate) of a speech file, decoded without FFmpeg; channels are averaged."""
    if response_format == "aac":
        return _faad(data)
    if response_format == "pcm":
        samples, rate = soundfile.read(
            io.BytesIO(data), dtype="int16", samplerate=24_000, channels=1, format="RAW", subtype="PCM_16"
        )
    else:
        samples, rate = soundfile.read(io.BytesIO(data), dtype="int16")
    return _mono(samples), int(rate)


def _faad(data: bytes) -> tuple[Samples, int]:
    if FAAD is None:
        pytest.skip("FAAD2 is not installed (apt-get install faad): no aac decoder")
    with tempfile.TemporaryDirectory() as directory:
        source, target = Path(directory, "speech.aac"), Path(directory, "speech.wav")
        source.write_bytes(data)
        subprocess.run([FAAD, "-q", "-o", str(target), str(source)], check=True, capture_output=True, timeout=60)
        samples, rate = soundfile.read(target, dtype="int16")
    return _mono(samples), int(rate)


def _mono(samples: npt.NDArray[np.int16]) -> Samples:
    if samples.ndim == 2:
        return samples.mean(axis=1).astype(np.int16)
    return samples


def reencode(
    samples: Samples,
    rate: int,
    container: str,
    codec: str,
    *,
    bit_rate: int | None = None,
    out_rate: int | None = None,
    options: dict[str, str] | None = None,
) -> bytes:
    """The samples as a file of `container`/`codec`, at `out_rate` (resampled) if given."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container) as output:
        stream = output.add_stream(codec, rate=out_rate or rate, options=options or {})
        assert isinstance(stream, av.AudioStream)
        stream.layout = "mono"
        if bit_rate:
            stream.bit_rate = bit_rate
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples).reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            output.mux(packet)
        for packet in stream.encode(None):
            output.mux(packet)
    return buffer.getvalue()
