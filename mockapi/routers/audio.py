"""POST /v1/audio/transcriptions and /v1/audio/translations (multipart/form-data)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request

from mockapi import audio_files, errors, languages
from mockapi.generators import audio as generate
from mockapi.pipeline import Answer, JSONReply, RawReply, Reply, exchange_of, require_model, run
from mockapi.routing import Resource
from mockapi.schemas.audio import (
    CreateTranscriptionRequest,
    CreateTranscriptionResponse,
    CreateTranscriptionVerboseResponse,
    CreateTranslationRequest,
    CreateTranslationResponse,
    Granularity,
    Task,
)
from mockapi.wire import Rendered

router = Resource("audio")

TEXT_PLAIN = "text/plain; charset=utf-8"


@asynccontextmanager
async def read_form(request: Request) -> AsyncIterator[dict[str, Any]]:
    """The form's fields, with the `file` part probed (size, digest, duration); the spooled files are
    closed (deleted) once it is read."""
    fields: dict[str, Any] = {}
    arrays: dict[str, list[str]] = {}
    async with request.form(max_files=8, max_fields=64) as form:
        for name, value in form.multi_items():
            field = name.removesuffix("[]")
            if isinstance(value, UploadFile):
                if name != "file":
                    raise errors.file_for_text_field(field)  # never its filename as the field's value
                fields[name] = await _probe(value)
            elif name.endswith("[]"):
                # Array fields repeat with brackets (`timestamp_granularities[]=word`), as the SDKs send them.
                arrays.setdefault(field, []).append(value)
            else:
                fields[name] = value
    yield {**fields, **arrays}


# Declared alike: the form, the 413 worded as the real API words it, the text formats beside JSON.
AUDIO: dict[str, Any] = {"form": read_form, "too_large": audio_files.content_too_large, "media_types": ("text/plain",)}


@router.post(
    "/audio/transcriptions",
    endpoint="audio.transcriptions",
    body=CreateTranscriptionRequest,
    answers=(CreateTranscriptionResponse, CreateTranscriptionVerboseResponse),
    **AUDIO,
)
async def create_transcription(request: Request, body: CreateTranscriptionRequest) -> Rendered:
    granularities = body.timestamp_granularities or ()
    return await _answer(request, body, "transcribe", body.language, granularities)


@router.post(
    "/audio/translations",
    endpoint="audio.translations",
    body=CreateTranslationRequest,
    answers=(CreateTranslationResponse, CreateTranscriptionVerboseResponse),
    **AUDIO,
)
async def create_translation(request: Request, body: CreateTranslationRequest) -> Rendered:
    # Translations always come out in English, whatever the audio's language.
    return await _answer(request, body, "translate", None, ())


async def _probe(upload: UploadFile) -> dict[str, Any]:
    if upload.size is not None and upload.size > audio_files.MAX_AUDIO_BYTES:
        raise audio_files.content_too_large(upload.size)
    filename = audio_files.basename(upload.filename or "")
    probe = await run_in_threadpool(audio_files.probe, upload.file, audio_files.extension(filename))
    if probe.size > audio_files.MAX_AUDIO_BYTES:
        raise audio_files.content_too_large(probe.size)
    return {"filename": filename, "size": probe.size, "sha256": probe.sha256, "duration": probe.duration}


async def _answer(
    request: Request,
    body: CreateTranslationRequest,
    task: Task,
    language: str | None,
    granularities: Sequence[Granularity],
) -> Rendered:
    require_model(request, body.model, ("audio",))
    upload = body.file
    exchange = exchange_of(
        request,
        {**body.model_dump(exclude={"file"}, exclude_none=True), "file": upload.describe()},
        model=body.model,
        text=upload.filename,
    )

    def produce(answer: Answer) -> Reply:
        rng = answer.rng()
        text = _rule_transcript(answer)
        if text is None:
            text = generate.transcript_text(answer.seeding.faker(rng), rng, upload.duration)
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
