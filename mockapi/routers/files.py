"""POST/GET /v1/files, GET/DELETE /v1/files/{file_id}, GET /v1/files/{file_id}/content.

Files belong to the caller's owner (organization, else API key); anyone else's id is a plain 404.
Disk work runs in worker threads; every route goes through the pipeline so rules can inject faults.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, BinaryIO

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request

from mockapi import errors
from mockapi.errors import OpenAIError
from mockapi.errors import batches as errors_batches
from mockapi.files_store import CHUNK_BYTES, FileNotFound, FileStore, FileTooLarge, StorageFull
from mockapi.generators.files import (
    batch_file_problem,
    deleted_object,
    file_object,
    fine_tune_problem,
    is_image,
    list_page,
)
from mockapi.matching import Exchange
from mockapi.pipeline import Answer, JSONReply, Reply, StreamedReply, caller_of, exchange_of, run, state_of
from mockapi.routing import Resource
from mockapi.schemas.files import CreateFileRequest, DeleteFileResponse, ListFilesParams, ListFilesResponse, OpenAIFile
from mockapi.settings import Settings
from mockapi.vector_stores import VectorStores
from mockapi.wire import Rendered

router = Resource("files")

OCTET_STREAM = "application/octet-stream"
# The non-file field (purpose) is tiny; a large one is a malformed request, not something to buffer.
MAX_FIELD_BYTES = 64 * 1024
# Room for the multipart boundaries, part headers and the purpose field around an uploaded file.
MULTIPART_ALLOWANCE = 1024 * 1024
# The reference: a batch's input file "can be up to 200 MB in size".
MAX_BATCH_FILE_BYTES = 200_000_000
# "By default, files with purpose=batch expire after 30 days."
BATCH_FILE_SECONDS = 30 * 24 * 3600
# A form field `name[key]` (how the SDK sends an object such as expires_after) is `name: {key: value}`.
NESTED_FIELD = re.compile(r"([A-Za-z_]+)\[([A-Za-z_]+)\]")


def _store(request: Request) -> FileStore:
    return state_of(request).files


def _exchange(request: Request, body: dict[str, Any], text: str | None = None) -> Exchange:
    return exchange_of(request, body, text=text)


@asynccontextmanager
async def read_form(request: Request) -> AsyncIterator[dict[str, Any]]:
    """The multipart form, open while the file is stored (python-multipart spools the file part to disk
    past 1 MB; it is deleted once the form closes)."""
    async with request.form(max_files=1, max_fields=8, max_part_size=MAX_FIELD_BYTES) as form:
        fields: dict[str, Any] = {}
        for name, value in form.multi_items():
            if name != "file" and isinstance(value, UploadFile):
                raise errors.file_for_text_field(name)
            nested = NESTED_FIELD.fullmatch(name)
            if nested is None:
                fields[name] = value
            elif isinstance(fields.setdefault(nested[1], {}), dict):
                fields[nested[1]][nested[2]] = value
        yield fields


def _upload_limit(settings: Settings) -> int:
    """File uploads may be as large as the per-file limit allows (plus the multipart framing)."""
    return settings.max_file_bytes + MULTIPART_ALLOWANCE


@router.post(
    "/files", endpoint="files", body=CreateFileRequest, form=read_form, answers=(OpenAIFile,), body_limit=_upload_limit
)
async def create_file(request: Request, body: CreateFileRequest) -> Rendered:
    upload = body.file
    if not isinstance(upload, UploadFile):
        raise errors.invalid_param("'file' must be a file upload (a multipart part with a filename).", "file")
    store = _store(request)
    size = upload.size if upload.size is not None else _size_of(upload.file)
    filename = upload.filename or "upload"
    if size == 0:
        raise errors.invalid_param("File is empty. Upload a file with at least one byte.", "file")
    try:
        store.check_size(size)
    except FileTooLarge as exc:
        raise errors.file_too_large(size, store.limits.per_file_bytes) from exc
    _check_name(body.purpose, filename, size)
    digest, problem = await run_in_threadpool(_inspect, upload.file, body.purpose)
    if problem is not None:
        raise problem
    described = {"purpose": body.purpose, "file": {"filename": filename, "size": size, "sha256": digest}}
    if body.expires_after is not None:
        described["expires_after"] = body.expires_after.model_dump()
    owner = caller_of(request).owner
    lifetime = body.expires_after.seconds if body.expires_after else None
    if lifetime is None and body.purpose == "batch":
        lifetime = BATCH_FILE_SECONDS

    async def produce(answer: Answer) -> Reply:
        now = answer.now()
        expires_at = now + lifetime if lifetime is not None else None
        try:
            stored = await run_in_threadpool(
                store.add, owner, filename, body.purpose, now, upload.file, size, expires_at
            )
        except StorageFull as exc:
            raise errors.invalid_param(str(exc), "file") from exc
        return JSONReply(file_object(stored))

    return await run(request, _exchange(request, described, filename), produce)


def _size_of(source: BinaryIO) -> int:
    source.seek(0, 2)
    return source.tell()


def _check_name(purpose: str, filename: str, size: int) -> None:
    """What the name and size alone refuse. A fine-tune file named without an extension passes, as in 2023
    (openai 0.28 names every upload "file"): there the content decides."""
    extension = os.path.splitext(filename)[1].lower()
    if purpose == "batch":
        if extension != ".jsonl":
            raise errors_batches.not_jsonl("Batch")
        if size > MAX_BATCH_FILE_BYTES:
            raise errors_batches.batch_file_too_large(size, MAX_BATCH_FILE_BYTES)
    if purpose == "fine-tune" and extension not in ("", ".jsonl"):
        raise errors_batches.not_jsonl("Fine-Tuning")


def _inspect(source: BinaryIO, purpose: str) -> tuple[str, OpenAIError | None]:
    """From the spooled upload, in chunks: its sha256 and what is wrong with its content for its purpose."""
    sha = hashlib.sha256()
    source.seek(0)
    while chunk := source.read(CHUNK_BYTES):
        sha.update(chunk)
    problem = None
    source.seek(0)
    if purpose == "fine-tune":
        found = fine_tune_problem(source)
        problem = errors.invalid_param(found, None) if found is not None else None
    elif purpose == "batch" and batch_file_problem(source):
        problem = errors_batches.not_jsonl("Batch")
    elif purpose == "vision" and not is_image(source):
        problem = errors_batches.not_an_image()
    source.seek(0)
    return sha.hexdigest(), problem


@router.get("/files", endpoint="files", query=ListFilesParams, answers=(ListFilesResponse,))
async def list_files(request: Request, params: ListFilesParams) -> Rendered:
    query: dict[str, Any] = dict(request.query_params)
    store = _store(request)
    owner = caller_of(request).owner

    async def produce(_: Answer) -> Reply:
        return JSONReply(await run_in_threadpool(_page, store, owner, params))

    return await run(request, _exchange(request, query), produce)


def _page(store: FileStore, owner: str, params: ListFilesParams) -> dict[str, Any]:
    try:
        # The cursor's place, even if its file was deleted while the client paged: the SDK pages on with
        # the last id it saw. A cursor never seen (or deleted too long ago to be remembered) has no place:
        # refused, as the real API refuses an unknown id, rather than answering an empty last page that
        # would silently end the client's listing.
        after = store.position(owner, params.after) if params.after is not None else None
    except FileNotFound as exc:
        raise errors.invalid_param(f"No such File object: {params.after} (the 'after' cursor)", "after") from exc
    return list_page(store.files_of(owner), params, after)


@router.get("/files/{file_id}", endpoint="files", answers=(OpenAIFile,))
async def retrieve_file(request: Request) -> Rendered:
    file_id = request.path_params["file_id"]
    store = _store(request)
    owner = caller_of(request).owner

    async def produce(_: Answer) -> Reply:
        try:
            return JSONReply(file_object(await run_in_threadpool(store.get, owner, file_id)))
        except FileNotFound as exc:
            raise errors.file_not_found(file_id) from exc

    return await run(request, _exchange(request, {"file_id": file_id}, file_id), produce)


@router.get("/files/{file_id}/content", endpoint="files", media_types=(OCTET_STREAM,))
async def download_file(request: Request) -> Rendered:
    """The exact bytes uploaded, whatever the Accept header asks for (the SDK sends application/binary),
    streamed in chunks: a download holds one chunk in memory, not the file."""
    file_id = request.path_params["file_id"]
    store = _store(request)
    owner = caller_of(request).owner

    async def produce(_: Answer) -> Reply:
        try:
            stored, stream = await run_in_threadpool(store.open_content, owner, file_id)
        except FileNotFound as exc:
            raise errors.file_not_found(file_id) from exc
        return StreamedReply(_chunks(stream), stored.bytes, OCTET_STREAM)

    return await run(request, _exchange(request, {"file_id": file_id}, file_id), produce)


async def _chunks(stream: BinaryIO) -> AsyncIterator[bytes]:
    try:
        while chunk := await run_in_threadpool(stream.read, CHUNK_BYTES):
            yield chunk
    finally:
        stream.close()  # also when the client goes away mid-download


@router.delete("/files/{file_id}", endpoint="files", answers=(DeleteFileResponse,))
async def delete_file(request: Request) -> Rendered:
    file_id = request.path_params["file_id"]
    store = _store(request)
    owner = caller_of(request).owner

    async def produce(_: Answer) -> Reply:
        try:
            stored = await run_in_threadpool(store.delete, owner, file_id)
        except FileNotFound as exc:
            raise errors.file_not_found(file_id) from exc
        await run_in_threadpool(VectorStores(state_of(request), owner).forget_upload, file_id)
        return JSONReply(deleted_object(stored))

    return await run(request, _exchange(request, {"file_id": file_id}, file_id), produce)
