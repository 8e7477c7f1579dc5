"""GET and DELETE /v1/responses/{id}, POST /v1/responses/{id}/cancel, GET /v1/responses/{id}/input_items.

A stored response belongs to the caller's owner; anyone else's id is as unknown as one that never was (404).
`GET ?stream=true` replays the response's events (after `starting_after`); `include[]` adds what the
stored answer left out only as far as it kept it.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from mockapi import tokens
from mockapi.errors import responses as refuse
from mockapi.generators.responses_events import response_events
from mockapi.generators.responses_include import shown
from mockapi.pipeline import Answer, JSONReply, Reply, StreamReply, caller_of, exchange_of, run, state_of
from mockapi.responses_context import response_store
from mockapi.responses_store import Stored, item_page
from mockapi.routing import Resource
from mockapi.schemas.responses import (
    DeletedResponse,
    ListInputItemsParams,
    Response,
    ResponseItemList,
    ResponseStreamEvent,
    RetrieveResponseParams,
)
from mockapi.wire import Rendered

router = Resource("responses")


def _stored(request: Request, response_id: str) -> Stored:
    stored = response_store(state_of(request)).get(caller_of(request).owner, response_id)
    if stored is None:
        raise refuse.response_not_found(response_id)
    return stored


def _exchange_run(request: Request, response_id: str, produce: Any) -> Any:
    exchange = exchange_of(request, {"response_id": response_id}, text=response_id)
    return run(request, exchange, produce)


@router.get(
    "/responses/{response_id}",
    endpoint="responses",
    query=RetrieveResponseParams,
    answers=(Response,),
    events=ResponseStreamEvent,
)
async def retrieve_response(request: Request, params: RetrieveResponseParams) -> Rendered:
    response_id = request.path_params["response_id"]
    stored = _stored(request, response_id)

    def produce(_: Answer) -> Reply:
        response = shown(
            stored.response, request.query_params.getlist("include[]") + request.query_params.getlist("include")
        )
        if params.stream != "true":
            return JSONReply(response)
        entry = state_of(request).catalogue.find(str(response["model"]))
        tokenizer = tokens.tokenizer_for(entry.tokenizer if entry is not None else "o200k_base")
        after = params.starting_after if params.starting_after is not None else -1
        events = (event for event in response_events(response, tokenizer) if event["sequence_number"] > after)
        return StreamReply(events, done=False, named=True)

    rendered: Rendered = await _exchange_run(request, response_id, produce)
    return rendered


@router.delete("/responses/{response_id}", endpoint="responses", answers=(DeletedResponse,))
async def delete_response(request: Request) -> Rendered:
    response_id = request.path_params["response_id"]
    owner = caller_of(request).owner
    store = response_store(state_of(request))

    def produce(_: Answer) -> Reply:
        if not store.delete(owner, response_id):
            raise refuse.response_not_found(response_id)
        return JSONReply({"id": response_id, "object": "response.deleted", "deleted": True})

    rendered: Rendered = await _exchange_run(request, response_id, produce)
    return rendered


@router.post("/responses/{response_id}/cancel", endpoint="responses", answers=(Response,))
async def cancel_response(request: Request) -> Rendered:
    """A background response still queued or in progress ends `cancelled`; one already ended is answered
    as it ended. Only background responses can be cancelled."""
    response_id = request.path_params["response_id"]
    owner = caller_of(request).owner
    store = response_store(state_of(request))

    def produce(_: Answer) -> Reply:
        stored = store.get(owner, response_id)
        if stored is None:
            raise refuse.response_not_found(response_id)
        if not stored.response.get("background"):
            raise refuse.only_background_cancels()
        cancelled = store.cancel(owner, response_id)
        return JSONReply(shown(cancelled if cancelled is not None else stored.response, ()))

    rendered: Rendered = await _exchange_run(request, response_id, produce)
    return rendered


@router.get(
    "/responses/{response_id}/input_items",
    endpoint="responses",
    query=ListInputItemsParams,
    answers=(ResponseItemList,),
)
async def list_input_items(request: Request, params: ListInputItemsParams) -> Rendered:
    """The request's input items with their ids, newest first unless `order=asc`, paged by `after`."""
    response_id = request.path_params["response_id"]
    stored = _stored(request, response_id)

    def produce(_: Answer) -> Reply:
        return JSONReply(item_page(stored.input_items, params.limit, params.order, params.after))

    rendered: Rendered = await _exchange_run(request, response_id, produce)
    return rendered
