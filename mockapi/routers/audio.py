"""POST /v1/audio/transcriptions and /v1/audio/translations (multipart/form-data)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, BinaryIO

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request

from mockapi import audio_codecs, audio_files, errors, languages, transcription_answers
from mockapi.catalogue import ModelEntry
from mockapi.catalogue_schema import Transcription
from mockapi.generators import audio as generate
from mockapi.generators import speech_recognition
from mockapi.pipeline import Answer, JSONReply, RawReply, Reply, exchange_of, require_model, run
from mockapi.routing import Resource
from mockapi.schemas.audio import (
    RESPONSE_FORMATS,
    CreateTranscriptionRequest,
    CreateTranscriptionResponse,
    CreateTranscriptionVerboseResponse,
    CreateTranslationRequest,
    CreateTranslationResponse,
    Granularity,
    Task,
    TranscriptTextDeltaEvent,
)
from mockapi.wire import Rendered

router = Resource("audio")

TEXT_PLAIN = "text/plain; charset=utf-8"
# What an audio model without a `transcription` entry accepts: whisper-1's formats, translations too.
WHISPER = Transcription(response_formats=RESPONSE_FORMATS, translation=True, timestamp_granularities=True)


@asynccontextmanager
async def read_form(request: Request) -> AsyncIterator[dict[str, Any]]:
    """The form's fields, with the `file` part probed (size, digest, duration); the spooled files are
    closed (deleted) once it is read."""
    fields: dict[str, Any] = {}
    arrays: dict[str, list[str]] = {}
    objects: dict[str, dict[str, str]] = {}
    async with request.form(max_files=8, max_fields=64) as form:
        for name, value in form.multi_items():
            field = name.removesuffix("[]")
            outer, bracket, inner = field.partition("[")
            if isinstance(value, UploadFile):
                if name != "file":
                    raise errors.file_for_text_field(outer)  # never its filename as the field's value
                fields[name] = await _probe(value)
            elif name.endswith("[]"):
                # Array fields repeat with brackets (`timestamp_granularities[]=word`), as the SDKs send them.
                arrays.setdefault(field, []).append(value)
            elif bracket and inner.endswith("]"):
                # An object's fields, one a part: `chunking_strategy[type]=server_vad`.
                objects.setdefault(outer, {})[inner[:-1]] = value
            else:
                fields[name] = value
    yield {**fields, **arrays, **objects}


# Declared alike: the form, the 413 worded as the real API words it, the text formats beside JSON.
AUDIO: dict[str, Any] = {"form": read_form, "too_large": audio_files.content_too_large, "media_types": ("text/plain",)}


@router.post(
    "/audio/transcriptions",
    endpoint="audio.transcriptions",
    body=CreateTranscriptionRequest,
    answers=(CreateTranscriptionResponse, CreateTranscriptionVerboseResponse),
    events=TranscriptTextDeltaEvent,
    **AUDIO,
)
async def create_transcription(request: Request, body: CreateTranscriptionRequest) -> Rendered:
    entry = require_model(request, body.model, ("audio",))
    accepts = entry.transcription or WHISPER
    body.check_for(body.model, accepts)
    granularities = body.timestamp_granularities or ()
    return await _answer(request, body, entry, "transcribe", body.language, granularities)


@router.post(
    "/audio/translations",
    endpoint="audio.translations",
    body=CreateTranslationRequest,
    answers=(CreateTranslationResponse, CreateTranscriptionVerboseResponse),
    **AUDIO,
)
async def create_translation(request: Request, body: CreateTranslationRequest) -> Rendered:
    entry = require_model(request, body.model, ("audio",))
    if not (entry.transcription or WHISPER).translation:
        raise errors.invalid_param(
            f"The model '{body.model}' does not support translations; use whisper-1.", "model", "unsupported_model"
        )
    # Translations always come out in English, whatever the audio's language.
    return await _answer(request, body, entry, "translate", None, ())


async def _probe(upload: UploadFile) -> dict[str, Any]:
    if upload.size is not None and upload.size > audio_files.MAX_AUDIO_BYTES:
        raise audio_files.content_too_large(upload.size)
    filename = audio_files.basename(upload.filename or "")
    probe = await run_in_threadpool(audio_files.probe, upload.file, audio_files.extension(filename))
    if probe.size > audio_files.MAX_AUDIO_BYTES:
        raise audio_files.content_too_large(probe.size)
    duration, spoken = await run_in_threadpool(_listen, upload.file, probe)
    return {"filename": filename, "size": probe.size, "sha256": probe.sha256, "duration": duration, "spoken": spoken}


def _listen(file: BinaryIO, probe: audio_files.AudioProbe) -> tuple[float, str | None]:
    """The duration, measured from the packets when no header gave it, and the text of mockapi's own speech
    (None for any other audio). Decoding is CPU work: run in a thread."""
    duration = probe.duration
    if not probe.measured:
        duration = audio_codecs.duration(file) or duration
    return duration, speech_recognition.recognize_file(file)


async def _answer(
    request: Request,
    body: CreateTranslationRequest,
    entry: ModelEntry,
    task: Task,
    language: str | None,
    granularities: Sequence[Granularity],
) -> Rendered:
    upload = body.file
    exchange = exchange_of(
        request,
        {**body.model_dump(exclude={"file"}, exclude_none=True), "file": upload.describe()},
        model=body.model,
        text=upload.filename,
    )
    accepts = entry.transcription or WHISPER

    def produce(answer: Answer) -> Reply:
        rng = answer.rng()
        text = _rule_transcript(answer)
        if text is None:
            text = upload.spoken
        if text is None:
            text = generate.transcript_text(answer.seeding.faker(rng), rng, upload.duration)
        if accepts.usage is not None and isinstance(body, CreateTranscriptionRequest):
            return transcription_answers.answer(body, entry, accepts, text, rng)
        result = generate.transcription(
            text,
            upload.duration,
            task=task,
            language=languages.language_name(language),
            temperature=body.temperature,
            rng=rng,
            granularities=granularities,
        )
        rendered = generate.render(body.response_format, result)
        if isinstance(rendered, str):
            return RawReply(rendered.encode(), TEXT_PLAIN)
        return JSONReply(rendered)

    # Same bytes, prompt and language: same transcript, whatever the file is called.
    seed = {"sha256": upload.sha256, "prompt": body.prompt, "language": language}
    return await run(request, exchange, produce, seed_body=seed)


def _rule_transcript(answer: Answer) -> str | None:
    """A matching rule's `transcript` (or plain `content`) replaces the generated text."""
    if answer.respond is None:
        return None
    return answer.respond.transcript if answer.respond.transcript is not None else answer.respond.content
