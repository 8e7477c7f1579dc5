"""The answers of today's transcription models (gpt-4o-transcribe, gpt-4o-mini-transcribe and the diarizing
gpt-4o-transcribe-diarize): `json` with `usage` (and `logprobs` when included), `text`, `diarized_json`, and
with `stream: true` their events (typed SSE events, no `[DONE]`). whisper-1 keeps its own answers
(generators/audio.py)."""

from __future__ import annotations

import random
from typing import Any

from mockapi.catalogue import ModelEntry
from mockapi.catalogue_schema import Transcription
from mockapi.generators import transcripts
from mockapi.pipeline import JSONReply, RawReply, Reply, StreamReply
from mockapi.schemas.audio import CreateTranscriptionRequest
from mockapi.tokens import tokenizer_for

TEXT_PLAIN = "text/plain; charset=utf-8"
TOKENS = Transcription(usage="tokens")


def answer(
    body: CreateTranscriptionRequest, entry: ModelEntry, accepts: Transcription, text: str, rng: random.Random
) -> Reply:
    tokenizer = tokenizer_for(entry.tokenizer)
    seconds = body.file.duration
    usage = _usage(body, entry, accepts, tokenizer.count(text), seconds)
    if accepts.diarization:
        names = body.known_speaker_names or ()
        segments = transcripts.speaker_segments(text, seconds, rng, names=names, one_voice=body.file.spoken is not None)
        if body.streams(accepts):
            # A stream's done event reports tokens whatever the model is billed by (the spec's only form there).
            tokens_used = _usage(body, entry, TOKENS, tokenizer.count(text), seconds)
            events = transcripts.diarized_events(segments, text, tokens_used)
            return StreamReply(events, done=False, total_tokens=lambda: _total(tokens_used))
        if body.response_format == "diarized_json":
            diarized = {
                "task": "transcribe",
                "duration": round(seconds, 3),
                "text": transcripts.diarized_text(segments),
            }
            return JSONReply({**diarized, "segments": segments, "usage": usage})
    logprobs = transcripts.token_logprobs(text, tokenizer, rng) if body.include else None
    if body.streams(accepts):
        pieces = transcripts.token_pieces(text, tokenizer)
        return StreamReply(
            transcripts.text_events(pieces, text, logprobs, usage), done=False, total_tokens=lambda: _total(usage)
        )
    if body.response_format == "text":
        return RawReply((text + "\n").encode(), TEXT_PLAIN)
    result: dict[str, Any] = {"text": text}
    if logprobs is not None:
        result["logprobs"] = logprobs
    result["usage"] = usage
    return JSONReply(result)


def _usage(
    body: CreateTranscriptionRequest, entry: ModelEntry, accepts: Transcription, output_tokens: int, seconds: float
) -> dict[str, Any]:
    if accepts.usage == "duration":
        return transcripts.duration_usage(seconds)
    prompt_tokens = tokenizer_for(entry.tokenizer).count(body.prompt) if body.prompt else 0
    per_second = entry.accounting.audio_tokens_per_second
    return transcripts.token_usage(prompt_tokens, seconds, output_tokens, per_second)


def _total(usage: dict[str, Any]) -> int:
    total = usage.get("total_tokens")
    return total if isinstance(total, int) else 0
