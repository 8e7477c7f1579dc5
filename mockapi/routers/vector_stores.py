"""/v1/vector_stores: create, list, retrieve, modify and delete stores, and search one.

Stores belong to the caller's owner (organization, else API key); anyone else's id is the plain 404. The
work (records, ingestion, search) runs in a worker thread, inside the pipeline so that rules can match
(`endpoint: vector_stores`, `vector_stores.search` with the query as the text) and inject faults.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from mockapi.attribute_filters import parse_filter
from mockapi.pipeline import Answer, JSONReply, Reply, caller_of, exchange_of, run, state_of
from mockapi.routing import Resource
from mockapi.schemas.vector_stores import (
    AUTO_CHUNKING,
    CreateVectorStoreRequest,
    DeleteVectorStoreResponse,
    ListParams,
    ListVectorStoresResponse,
    UpdateVectorStoreRequest,
    VectorStoreObject,
    VectorStoreSearchRequest,
    VectorStoreSearchResultsPage,
    chunking_of,
)
from mockapi.vector_stores import VectorStores
from mockapi.wire import Rendered

router = Resource("vector_stores")


def library_of(request: Request) -> VectorStores:
    return VectorStores(state_of(request), caller_of(request).owner)


async def answer(
    request: Request, work: Callable[[], Reply], described: dict[str, Any] | None = None, text: str | None = None
) -> Rendered:
    """`work` (blocking) done in a worker thread as the pipeline's answer; rules see `described` and `text`."""

    async def produce(_: Answer) -> Reply:
        return await run_in_threadpool(work)

    return await run(request, exchange_of(request, described, text=text), produce)


def _store_id(request: Request) -> str:
    return str(request.path_params["vector_store_id"])


@router.post("/vector_stores", endpoint="vector_stores", body=CreateVectorStoreRequest, answers=(VectorStoreObject,))
async def create_vector_store(request: Request, body: CreateVectorStoreRequest) -> Rendered:
    chunking = chunking_of(body.chunking_strategy) if body.chunking_strategy is not None else AUTO_CHUNKING
    library = library_of(request)
    fields = body.model_dump(include={"name", "description", "metadata", "expires_after"})

    def work() -> Reply:
        return JSONReply(library.store_object(library.create(fields, body.file_ids or [], chunking)))

    return await answer(request, work, text=body.name)


@router.get("/vector_stores", endpoint="vector_stores", query=ListParams, answers=(ListVectorStoresResponse,))
async def list_vector_stores(request: Request, params: ListParams) -> Rendered:
    library = library_of(request)
    return await answer(request, lambda: JSONReply(library.list_stores(params)), dict(request.query_params))


@router.get("/vector_stores/{vector_store_id}", endpoint="vector_stores", answers=(VectorStoreObject,))
async def retrieve_vector_store(request: Request) -> Rendered:
    library, store_id = library_of(request), _store_id(request)

    def work() -> Reply:
        return JSONReply(library.store_object(library.store(store_id)))

    return await answer(request, work, {"vector_store_id": store_id}, store_id)


@router.post(
    "/vector_stores/{vector_store_id}",
    endpoint="vector_stores",
    body=UpdateVectorStoreRequest,
    answers=(VectorStoreObject,),
)
async def modify_vector_store(request: Request, body: UpdateVectorStoreRequest) -> Rendered:
    library, store_id = library_of(request), _store_id(request)
    changes = body.model_dump(include=body.model_fields_set)

    def work() -> Reply:
        return JSONReply(library.store_object(library.update(store_id, changes)))

    return await answer(request, work, text=store_id)


@router.delete("/vector_stores/{vector_store_id}", endpoint="vector_stores", answers=(DeleteVectorStoreResponse,))
async def delete_vector_store(request: Request) -> Rendered:
    library, store_id = library_of(request), _store_id(request)

    def work() -> Reply:
        library.delete(store_id)
        return JSONReply({"id": store_id, "object": "vector_store.deleted", "deleted": True})

    return await answer(request, work, {"vector_store_id": store_id}, store_id)


@router.post(
    "/vector_stores/{vector_store_id}/search",
    endpoint="vector_stores.search",
    body=VectorStoreSearchRequest,
    answers=(VectorStoreSearchResultsPage,),
)
async def search_vector_store(request: Request, body: VectorStoreSearchRequest) -> Rendered:
    """The store's best chunks for the query (see mockapi/retrieval.py); the store is active from now."""
    from mockapi import retrieval  # numpy loads with the first search
    from mockapi.generators.ranking import rewrite

    library, store_id = library_of(request), _store_id(request)
    condition = parse_filter(body.filters) if body.filters is not None else None
    queries = retrieval.queries_of(body.query)
    searched = [rewrite(query) for query in queries] if body.rewrite_query else queries

    def work() -> Reply:
        hits = retrieval.search(
            library.state,
            library.owner,
            [store_id],
            searched,
            body.max_num_results,
            condition,
            body.ranking_options,
        )
        library.touch(store_id)
        page = {
            "object": "vector_store.search_results.page",
            "search_query": searched,
            "data": [hit.as_result() for hit in hits],
            "has_more": False,
            "next_page": None,
        }
        return JSONReply(page)

    return await answer(request, work, text=" ".join(queries))
