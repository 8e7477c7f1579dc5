"""POST /v1/audio/transcriptions and /v1/audio/translations (multipart/form-data)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import Response

from mockapi import audio_files, errors, languages
from mockapi.edge import API_PREFIX
from mockapi.generators import audio as generate
from mockapi.pipeline import Answer, JSONReply, RawReply, Reply, exchange_of, parse, require_model, run
from mockapi.routing import DirectRoute
from mockapi.schemas.audio import CreateTranscriptionRequest, CreateTranslationRequest, Granularity, Task

router = APIRouter(prefix=API_PREFIX, tags=["audio"], route_class=DirectRoute)

TEXT_PLAIN = "text/plain; charset=utf-8"


@router.post("/audio/transcriptions")
async def create_transcription(request: Request) -> Response:
    body = parse(CreateTranscriptionRequest, await read_form(request))
    granularities = body.timestamp_granularities or ()
    return await _answer(request, body, "audio.transcriptions", "transcribe", body.language, granularities)


@router.post("/audio/translations")
async def create_translation(request: Request) -> Response:
    # Translations always come out in English, whatever the audio's language.
    body = parse(CreateTranslationRequest, await read_form(request))
    return await _answer(request, body, "audio.translations", "translate", None, ())


async def read_form(request: Request) -> dict[str, Any]:
    """The form's fields, with the `file` part probed (size, digest, duration); the spooled files are
    closed (deleted) before the answer is made."""
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
    return {**fields, **arrays}


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
    endpoint: str,
    task: Task,
    language: str | None,
    granularities: Sequence[Granularity],
) -> Response:
    require_model(request, body.model, ("audio",))
    upload = body.file
    exchange = exchange_of(
        request,
        endpoint,
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
