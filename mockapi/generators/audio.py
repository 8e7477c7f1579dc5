"""Transcripts: text as long as the audio is, its timed segments, and the five response formats.

Pure functions of (text or a seeded Faker, duration, request values); no web framework here.
"""

from __future__ import annotations

import itertools
import random
import re
import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mockapi import tokens
from mockapi.schemas.audio import (
    CreateTranscriptionVerboseResponse,
    Granularity,
    ResponseFormat,
    Task,
    TranscriptionSegment,
    TranscriptionWord,
)

if TYPE_CHECKING:  # Faker loads with the first answer that needs it, not at start-up
    from faker import Faker

# A calm speaking pace: 150 words a minute.
WORDS_PER_SECOND = 2.5
# Whisper's segments are a sentence or a few seconds of speech; 12 words is about 5 s at that pace.
MAX_SEGMENT_WORDS = 12
# Whisper decodes 30 s windows; `seek` is the window's offset in 10 ms mel frames.
WINDOW_SECONDS = 30
FRAMES_PER_SECOND = 100

_WORD = re.compile(r"\s*\S+")
_SENTENCE_END = (".", "!", "?")
# Word timestamps name the spoken word, without the punctuation around it.
_PUNCTUATION = '.,!?;:"()[]'


def transcript_text(faker: Faker, rng: random.Random, duration: float) -> str:
    """Sentences totalling WORDS_PER_SECOND words per second of audio (at least one word)."""
    remaining = max(1, round(duration * WORDS_PER_SECOND))
    sentences = []
    while remaining > 0:
        words = min(remaining, rng.randint(4, 14))
        sentences.append(faker.sentence(nb_words=words, variable_nb_words=False))
        remaining -= words
    return " ".join(sentences)


def segment_texts(text: str) -> list[str]:
    """Pieces of `text`, each a sentence or at most MAX_SEGMENT_WORDS words, that concatenate to it
    exactly; every piece after the first keeps its leading space, as Whisper's segments do."""
    words = _WORD.findall(text)
    if not words:
        return [text] if text else []
    pieces: list[str] = []
    current: list[str] = []
    for word in words:
        current.append(word)
        if len(current) >= MAX_SEGMENT_WORDS or word.endswith(_SENTENCE_END):
            pieces.append("".join(current))
            current = []
    if current:
        pieces.append("".join(current))
    pieces[-1] += text[sum(len(word) for word in words) :]
    return pieces


def timings(pieces: list[str], duration: float) -> list[tuple[float, float]]:
    """(start, end) per piece, in proportion to its length, back to back from 0 to `duration`."""
    if not pieces:
        return []
    weights = [max(1, len(piece.strip())) for piece in pieces]
    total = sum(weights)
    bounds = [0.0]
    spoken = 0
    for weight in weights[:-1]:
        spoken += weight
        bounds.append(min(round(duration * spoken / total, 2), duration))
    bounds.append(duration)
    return list(itertools.pairwise(bounds))


def transcription(
    text: str,
    duration: float,
    *,
    task: Task,
    language: str,
    temperature: float,
    rng: random.Random,
    granularities: Sequence[Granularity] = (),
) -> CreateTranscriptionVerboseResponse:
    """The full answer (verbose_json); the other formats are renderings of it. `granularities` as the
    request's `timestamp_granularities`: none means segments only."""
    duration = round(duration, 3)
    pieces = segment_texts(text)
    segments = [
        TranscriptionSegment(
            id=index,
            seek=int(start // WINDOW_SECONDS) * WINDOW_SECONDS * FRAMES_PER_SECOND,
            start=start,
            end=end,
            text=piece,
            tokens=list(tokens.encode(piece)),
            temperature=temperature,
            avg_logprob=rng.uniform(-0.45, -0.12),
            compression_ratio=compression_ratio(piece),
            no_speech_prob=rng.uniform(0.0005, 0.05),
        )
        for index, (piece, (start, end)) in enumerate(zip(pieces, timings(pieces, duration), strict=True))
    ]
    return CreateTranscriptionVerboseResponse(
        task=task,
        language=language,
        duration=duration,
        text=text,
        segments=segments if not granularities or "segment" in granularities else None,
        words=word_timings(segments) if "word" in granularities else None,
    )


def word_timings(segments: list[TranscriptionSegment]) -> list[TranscriptionWord]:
    """Each segment's time shared among its words in proportion to their length."""
    words: list[TranscriptionWord] = []
    for segment in segments:
        spoken = [word.strip(_PUNCTUATION) for word in segment.text.split()]
        spoken = [word for word in spoken if word]
        if not spoken:
            continue
        spans = timings(spoken, segment.end - segment.start)
        words.extend(
            TranscriptionWord(word=word, start=round(segment.start + start, 2), end=round(segment.start + end, 2))
            for word, (start, end) in zip(spoken, spans, strict=True)
        )
    return words


def compression_ratio(text: str) -> float:
    """Whisper's own measure: text bytes over zlib-compressed bytes."""
    raw = text.encode()
    return len(raw) / len(zlib.compress(raw)) if raw else 0.0


def render(response_format: ResponseFormat, result: CreateTranscriptionVerboseResponse) -> dict[str, Any] | str:
    """A JSON body (json, verbose_json) or a text/plain body (text, srt, vtt)."""
    if response_format == "json":
        return {"text": result.text}
    if response_format == "verbose_json":
        return result.model_dump(exclude_none=True)
    if response_format == "srt":
        return srt(result.segments or [])
    if response_format == "vtt":
        return vtt(result.segments or [])
    return result.text + "\n"


def timestamp(seconds: float, decimal_marker: str) -> str:
    """HH:MM:SS,mmm (SRT) or HH:MM:SS.mmm (WebVTT)."""
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{decimal_marker}{millis:03d}"


def _cues(segments: list[TranscriptionSegment], decimal_marker: str) -> str:
    return "".join(
        f"{number}\n{timestamp(segment.start, decimal_marker)} --> {timestamp(segment.end, decimal_marker)}\n"
        f"{' '.join(segment.text.split())}\n\n"
        for number, segment in enumerate(segments, 1)
    )


def srt(segments: list[TranscriptionSegment]) -> str:
    return _cues(segments, ",")


def vtt(segments: list[TranscriptionSegment]) -> str:
    return "WEBVTT\n\n" + _cues(segments, ".")
