"""/v1/vector_stores/{id}/files and /file_batches: attach uploaded files to a store (one, or many in a
batch), follow their ingestion, change their attributes, read their parsed content, detach them.

Objects still in progress carry `openai-poll-after-ms`, which the SDKs' `*_and_poll` helpers wait by.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from mockapi import errors
from mockapi.errors import current as errors_current
from mockapi.pipeline import JSONReply, Reply
from mockapi.records import Record
from mockapi.routers.vector_stores import answer, library_of
from mockapi.routing import Resource
from mockapi.schemas.vector_stores import (
    AUTO_CHUNKING,
    CreateVectorStoreFileBatchRequest,
    CreateVectorStoreFileRequest,
    DeleteVectorStoreFileResponse,
    ListFilesParams,
    ListVectorStoreFilesResponse,
    UpdateVectorStoreFileAttributesRequest,
    VectorStoreFileBatchObject,
    VectorStoreFileContentResponse,
    VectorStoreFileObject,
    chunking_of,
)
from mockapi.vector_store_batches import BatchFile, FileBatches
from mockapi.vector_stores import VectorStores
from mockapi.wire import Rendered

router = Resource("vector_stores")


def _ids(request: Request) -> tuple[str, str]:
    return str(request.path_params["vector_store_id"]), str(request.path_params.get("file_id", ""))


def _file_reply(library: VectorStores, record: Record) -> Reply:
    body = library.file_object(record)
    if body["status"] != "in_progress":
        return JSONReply(body)
    return JSONReply(body, headers={"openai-poll-after-ms": str(library.poll_after_ms(record["_ready_at"]))})


def _chunking(value: dict[str, Any] | None, at: tuple[str | int, ...] = ("chunking_strategy",)) -> tuple[int, int]:
    return chunking_of(value, at) if value is not None else AUTO_CHUNKING


@router.post(
    "/vector_stores/{vector_store_id}/files",
    endpoint="vector_stores.files",
    body=CreateVectorStoreFileRequest,
    answers=(VectorStoreFileObject,),
)
async def create_vector_store_file(request: Request, body: CreateVectorStoreFileRequest) -> Rendered:
    library, (store_id, _) = library_of(request), _ids(request)
    chunking = _chunking(body.chunking_strategy)

    def work() -> Reply:
        library.usable(store_id)
        return _file_reply(library, library.attach(store_id, body.file_id, chunking, body.attributes))

    return await answer(request, work, text=body.file_id)


@router.get(
    "/vector_stores/{vector_store_id}/files",
    endpoint="vector_stores.files",
    query=ListFilesParams,
    answers=(ListVectorStoreFilesResponse,),
)
async def list_vector_store_files(request: Request, params: ListFilesParams) -> Rendered:
    library, (store_id, _) = library_of(request), _ids(request)
    described = {"vector_store_id": store_id, **request.query_params}
    return await answer(request, lambda: JSONReply(library.list_files(store_id, params)), described, store_id)


@router.get(
    "/vector_stores/{vector_store_id}/files/{file_id}",
    endpoint="vector_stores.files",
    answers=(VectorStoreFileObject,),
)
async def retrieve_vector_store_file(request: Request) -> Rendered:
    library, (store_id, file_id) = library_of(request), _ids(request)
    described = {"vector_store_id": store_id, "file_id": file_id}
    return await answer(request, lambda: _file_reply(library, library.file(store_id, file_id)), described, file_id)


@router.post(
    "/vector_stores/{vector_store_id}/files/{file_id}",
    endpoint="vector_stores.files",
    body=UpdateVectorStoreFileAttributesRequest,
    answers=(VectorStoreFileObject,),
)
async def update_vector_store_file(request: Request, body: UpdateVectorStoreFileAttributesRequest) -> Rendered:
    library, (store_id, file_id) = library_of(request), _ids(request)

    def work() -> Reply:
        return _file_reply(library, library.update_attributes(store_id, file_id, body.attributes))

    return await answer(request, work, text=file_id)


@router.delete(
    "/vector_stores/{vector_store_id}/files/{file_id}",
    endpoint="vector_stores.files",
    answers=(DeleteVectorStoreFileResponse,),
)
async def delete_vector_store_file(request: Request) -> Rendered:
    """Detaches the file from the store; the uploaded file itself stays."""
    library, (store_id, file_id) = library_of(request), _ids(request)

    def work() -> Reply:
        library.delete_file(store_id, file_id)
        return JSONReply({"id": file_id, "object": "vector_store.file.deleted", "deleted": True})

    return await answer(request, work, {"vector_store_id": store_id, "file_id": file_id}, file_id)


@router.get(
    "/vector_stores/{vector_store_id}/files/{file_id}/content",
    endpoint="vector_stores.files",
    answers=(VectorStoreFileContentResponse,),
)
async def vector_store_file_content(request: Request) -> Rendered:
    """The text the store parsed out of the file."""
    library, (store_id, file_id) = library_of(request), _ids(request)
    described = {"vector_store_id": store_id, "file_id": file_id}
    return await answer(request, lambda: JSONReply(library.content(store_id, file_id)), described, file_id)


# File batches.


def _batch_files(body: CreateVectorStoreFileBatchRequest) -> list[BatchFile]:
    """(file id, its param, chunking, attributes) of each file: `file_ids` share the request's chunking
    and attributes, `files` give their own."""
    if body.file_ids is not None and body.files is not None:
        raise errors.invalid_param("'file_ids' and 'files' are mutually exclusive: give one of them.", "files")
    if body.files is not None:
        found: list[BatchFile] = []
        for index, item in enumerate(body.files):
            chunking = _chunking(item.chunking_strategy, ("files", index, "chunking_strategy"))
            found.append((item.file_id, f"files[{index}].file_id", chunking, item.attributes))
        return found
    if body.file_ids is None:
        raise errors_current.missing_parameter("file_ids")
    chunking = _chunking(body.chunking_strategy)
    return [(file_id, f"file_ids[{index}]", chunking, body.attributes) for index, file_id in enumerate(body.file_ids)]


def _batch_reply(batches: FileBatches, record: Record) -> Reply:
    body = batches.batch_object(record)
    if body["status"] != "in_progress":
        return JSONReply(body)
    ready = max((f["_ready_at"] for f in batches.files(record)), default=batches.library.now())
    return JSONReply(body, headers={"openai-poll-after-ms": str(batches.library.poll_after_ms(ready))})


def _batch_ids(request: Request) -> tuple[str, str]:
    return str(request.path_params["vector_store_id"]), str(request.path_params["batch_id"])


@router.post(
    "/vector_stores/{vector_store_id}/file_batches",
    endpoint="vector_stores.file_batches",
    body=CreateVectorStoreFileBatchRequest,
    answers=(VectorStoreFileBatchObject,),
)
async def create_file_batch(request: Request, body: CreateVectorStoreFileBatchRequest) -> Rendered:
    batches, (store_id, _) = FileBatches(library_of(request)), _ids(request)
    files = _batch_files(body)
    return await answer(request, lambda: _batch_reply(batches, batches.create(store_id, files)), text=store_id)


@router.get(
    "/vector_stores/{vector_store_id}/file_batches/{batch_id}",
    endpoint="vector_stores.file_batches",
    answers=(VectorStoreFileBatchObject,),
)
async def retrieve_file_batch(request: Request) -> Rendered:
    batches, (store_id, batch_id) = FileBatches(library_of(request)), _batch_ids(request)
    described = {"vector_store_id": store_id, "batch_id": batch_id}
    return await answer(request, lambda: _batch_reply(batches, batches.get(store_id, batch_id)), described, batch_id)


@router.post(
    "/vector_stores/{vector_store_id}/file_batches/{batch_id}/cancel",
    endpoint="vector_stores.file_batches",
    answers=(VectorStoreFileBatchObject,),
)
async def cancel_file_batch(request: Request) -> Rendered:
    """Cancels the files of the batch still in progress."""
    batches, (store_id, batch_id) = FileBatches(library_of(request)), _batch_ids(request)
    described = {"vector_store_id": store_id, "batch_id": batch_id}
    return await answer(request, lambda: _batch_reply(batches, batches.cancel(store_id, batch_id)), described, batch_id)


@router.get(
    "/vector_stores/{vector_store_id}/file_batches/{batch_id}/files",
    endpoint="vector_stores.file_batches",
    query=ListFilesParams,
    answers=(ListVectorStoreFilesResponse,),
)
async def list_file_batch_files(request: Request, params: ListFilesParams) -> Rendered:
    batches, (store_id, batch_id) = FileBatches(library_of(request)), _batch_ids(request)

    def work() -> Reply:
        batches.get(store_id, batch_id)
        return JSONReply(batches.library.list_files(store_id, params, batch_id))

    described = {"vector_store_id": store_id, "batch_id": batch_id, **request.query_params}
    return await answer(request, work, described, batch_id)
