"""POST /v1/audio/speech: real audio of the format asked, sent in chunks, or as SSE events of base64 audio."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from starlette.requests import Request

from mockapi import audio_codecs
from mockapi.catalogue_schema import Speech
from mockapi.generators import speech as generate
from mockapi.pipeline import Answer, Reply, StreamedReply, StreamReply, exchange_of, require_model, run
from mockapi.routing import Resource
from mockapi.schemas.speech import CreateSpeechRequest, SpeechAudioDeltaEvent
from mockapi.wire import Rendered

router = Resource("audio")

# What the real API answers besides the formats' own types: the body as it comes, chunked.
SPEECH_MEDIA_TYPES = tuple(dict.fromkeys(audio_codecs.CONTENT_TYPES.values()))


@router.post(
    "/audio/speech",
    endpoint="audio.speech",
    body=CreateSpeechRequest,
    events=SpeechAudioDeltaEvent,
    media_types=SPEECH_MEDIA_TYPES,
)
async def create_speech(request: Request, body: CreateSpeechRequest) -> Rendered:
    entry = require_model(request, body.model, ("speech",))
    body.check_for(body.model, entry.speech or Speech())
    exchange = exchange_of(request, model=body.model, text=body.input)

    async def produce(answer: Answer) -> Reply:
        # A rule's `content` is spoken instead of the input.
        text = answer.content if answer.content is not None else body.input
        # Synthesis and encoding are CPU work (about a second for the longest input): off the event loop.
        audio, seconds = await asyncio.to_thread(_speak, body, text)
        if body.stream_format == "sse":
            usage = generate.usage(text, body.instructions, seconds)
            return StreamReply(generate.stream_events(audio, usage), done=False)
        return StreamedReply(_parts(audio), len(audio), audio_codecs.CONTENT_TYPES[body.response_format])

    return await run(request, exchange, produce)


def _speak(body: CreateSpeechRequest, text: str) -> tuple[bytes, float]:
    pcm = generate.synthesize(text, body.voice_name, body.speed, body.instructions)
    return audio_codecs.encode(pcm, body.response_format), pcm.size / generate.RATE


async def _parts(audio: bytes) -> AsyncIterator[bytes]:
    for piece in generate.chunks(audio):
        yield piece
