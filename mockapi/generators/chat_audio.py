"""Audio output (`modalities: ["text", "audio"]`, `audio: {voice, format}`): the answer spoken, as the message's
`audio` (id, expires_at, base64 data, transcript) in place of its content.

The voice is speech.py's, so a transcription of the audio reads the transcript back. An output audio token is a
tenth of a second of speech (the accounting's rate for input audio; the API publishes none), counted in
`completion_tokens_details.audio_tokens` and in `completion_tokens` beside the transcript's text tokens.
"""

from __future__ import annotations

import base64
import math
import random
from dataclasses import dataclass
from typing import Any

from mockapi.seeding import Seeding

# How long an answer's audio may be referred to (by its id) in a later turn.
AUDIO_TTL_SECONDS = 3600
AUDIO_TOKENS_PER_SECOND = 10
# The request's formats by the names audio_codecs knows.
CODEC_OF = {"wav": "wav", "aac": "aac", "mp3": "mp3", "flac": "flac", "opus": "opus", "pcm16": "pcm"}
# A custom voice (an object) speaks in this one.
DEFAULT_VOICE = "alloy"


@dataclass(frozen=True)
class Spoken:
    id: str
    expires_at: int
    data: str
    transcript: str

    def body(self) -> dict[str, Any]:
        return {"id": self.id, "expires_at": self.expires_at, "data": self.data, "transcript": self.transcript}


def voice_of(voice: Any) -> str:
    return voice if isinstance(voice, str) else DEFAULT_VOICE


def audio_tokens(transcript: str) -> int:
    from mockapi.generators import speech

    return math.ceil(speech.duration(transcript) * AUDIO_TOKENS_PER_SECOND) if transcript else 0


def speak(transcript: str, voice: Any, audio_format: str, now: int, rng: random.Random) -> Spoken:
    from mockapi import audio_codecs
    from mockapi.generators import speech

    pcm = speech.synthesize(transcript or " ", voice_of(voice))
    data = audio_codecs.encode(pcm, CODEC_OF[audio_format])  # type: ignore[arg-type]
    audio_id = Seeding.answer_id("audio_", rng, 32)
    return Spoken(audio_id, now + AUDIO_TTL_SECONDS, base64.b64encode(data).decode(), transcript)
