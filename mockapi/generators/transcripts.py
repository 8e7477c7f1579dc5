"""What today's transcription models add to a transcript: token logprobs, token usage, the stream of text
events, and the diarizing model's speaker segments.

Pure functions of (text, duration, tokenizer, request values, a `random.Random`); no web framework here.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterator, Sequence
from typing import Any

from mockapi.generators.audio import segment_texts, timings
from mockapi.tokens import Tokenizer

# A confident model: most tokens' logprobs are within a few thousandths of zero, a few are less sure.
_SURE_LOGPROB = (-0.004, -1e-7)
_UNSURE_LOGPROB = (-0.6, -0.02)
_UNSURE_SHARE = 0.08
# Speakers the diarizing model labels, in the order they first speak, when no names are known.
SPEAKER_LABELS = ("A", "B", "C", "D")


def token_logprobs(text: str, tokenizer: Tokenizer, rng: random.Random) -> list[dict[str, Any]]:
    """Each token of the transcript with a seeded logprob and its bytes, as `include: ["logprobs"]` gives."""
    found = []
    for token in tokenizer.encode(text):
        raw = tokenizer.token_bytes(token)
        low, high = _UNSURE_LOGPROB if rng.random() < _UNSURE_SHARE else _SURE_LOGPROB
        found.append({"token": raw.decode("utf-8", "replace"), "logprob": rng.uniform(low, high), "bytes": list(raw)})
    return found


def token_usage(
    text_tokens: int, audio_seconds: float, output_tokens: int, audio_tokens_per_second: float
) -> dict[str, Any]:
    """Usage of a model billed by tokens: the prompt's text and the audio in, the transcript out."""
    audio_tokens = math.ceil(audio_seconds * audio_tokens_per_second)
    input_tokens = text_tokens + audio_tokens
    return {
        "type": "tokens",
        "input_tokens": input_tokens,
        "input_token_details": {"text_tokens": text_tokens, "audio_tokens": audio_tokens},
        "output_tokens": output_tokens,
        "total_tokens": input_tokens + output_tokens,
    }


def duration_usage(seconds: float) -> dict[str, Any]:
    """Usage of a model billed by the audio's length (whole seconds, rounded up)."""
    return {"type": "duration", "seconds": math.ceil(seconds)}


def text_events(
    pieces: Sequence[tuple[str, int]],
    text: str,
    logprobs: list[dict[str, Any]] | None,
    usage: dict[str, Any],
) -> Iterator[dict[str, Any]]:
    """`stream: true`: a transcript.text.delta per piece (with its tokens' logprobs when asked for), then
    transcript.text.done with the whole text. `pieces` (text, tokens in it) concatenate to `text`."""
    first = 0
    for piece, count in pieces:
        event: dict[str, Any] = {"type": "transcript.text.delta", "delta": piece}
        if logprobs is not None:
            event["logprobs"] = logprobs[first : first + count]
        first += count
        yield event
    done: dict[str, Any] = {"type": "transcript.text.done", "text": text}
    if logprobs is not None:
        done["logprobs"] = logprobs
    done["usage"] = usage
    yield done


def token_pieces(text: str, tokenizer: Tokenizer) -> list[tuple[str, int]]:
    """The transcript cut at its tokens, as the model writes it, with how many tokens each piece holds (a
    token that splits a character joins the next, so every piece is whole text)."""
    pieces: list[tuple[str, int]] = []
    pending, count = b"", 0
    for token in tokenizer.encode(text):
        pending += tokenizer.token_bytes(token)
        count += 1
        try:
            pieces.append((pending.decode(), count))
        except UnicodeDecodeError:
            continue
        pending, count = b"", 0
    if pending:
        pieces.append((pending.decode("utf-8", "replace"), count))
    return pieces


# Diarization.


def speaker_segments(
    text: str,
    duration: float,
    rng: random.Random,
    *,
    names: Sequence[str] = (),
    one_voice: bool = False,
) -> list[dict[str, Any]]:
    """The transcript as diarized segments: a sentence (or a few seconds) each, back to back over the audio,
    each said by a speaker: the known `names` first, then A, B...; `one_voice` audio (mockapi's own speech)
    has one speaker, other audio two who take turns every sentence or two."""
    pieces = [piece.strip() for piece in segment_texts(text)]
    labels = [*names, *SPEAKER_LABELS][: 1 if one_voice else 2]
    speaker = 0
    segments = []
    for index, (piece, (start, end)) in enumerate(zip(pieces, timings(pieces, round(duration, 3)), strict=True)):
        if index and len(labels) > 1 and rng.random() < 0.6:
            speaker = (speaker + 1) % len(labels)
        segments.append(
            {
                "type": "transcript.text.segment",
                "id": f"seg_{index + 1:03d}",
                "start": start,
                "end": end,
                "text": piece,
                "speaker": labels[speaker],
            }
        )
    return segments


def diarized_text(segments: Sequence[dict[str, Any]]) -> str:
    """diarized_json's `text`: each segment on its own line after its speaker."""
    return "\n".join(f"{segment['speaker']}: {segment['text']}" for segment in segments)


def diarized_events(segments: Sequence[dict[str, Any]], text: str, usage: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The diarizing model's stream: each segment's text as deltas marked with its id, then the segment,
    then transcript.text.done."""
    for segment in segments:
        for word in re.findall(r"\S+\s*", segment["text"]) or [segment["text"]]:
            yield {"type": "transcript.text.delta", "delta": word, "segment_id": segment["id"]}
        yield segment
    yield {"type": "transcript.text.done", "text": text, "usage": usage}
