"""The Conversations API: POST/GET/DELETE /v1/conversations[/{id}], and its items (list, add, retrieve).

A conversation holds items in order; a response created with `conversation: "conv_..."` reads them as its
context and adds its input and output to them. Conversations belong to the caller's owner.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from mockapi.errors import responses as refuse
from mockapi.pipeline import Answer, JSONReply, Reply, caller_of, exchange_of, run, state_of
from mockapi.responses_context import conversation_store
from mockapi.responses_store import item_page, with_ids
from mockapi.routing import Resource
from mockapi.schemas.conversations import (
    AddItemsBody,
    ConversationItemList,
    ConversationResource,
    CreateConversationBody,
    DeletedConversationResource,
    UpdateConversationBody,
)
from mockapi.schemas.responses import ListInputItemsParams
from mockapi.wire import Rendered

router = Resource("conversations")


async def _answer(request: Request, subject: str, produce: Any) -> Rendered:
    rendered: Rendered = await run(request, exchange_of(request, text=subject), produce)
    return rendered


def _found(request: Request, conversation_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    found = conversation_store(state_of(request)).get(caller_of(request).owner, conversation_id)
    if found is None:
        raise refuse.conversation_not_found(conversation_id)
    return found


@router.post("/conversations", endpoint="conversations", body=CreateConversationBody, answers=(ConversationResource,))
async def create_conversation(request: Request, body: CreateConversationBody) -> Rendered:
    state = state_of(request)
    owner = caller_of(request).owner

    def produce(answer: Answer) -> Reply:
        new_id = state.seeding.next_id
        conversation = {
            "id": new_id("conv_", 48),
            "object": "conversation",
            "created_at": answer.now(),
            "metadata": body.metadata or {},
        }
        items = with_ids(body.items or (), lambda prefix: new_id(prefix, 48))
        conversation_store(state).create(owner, conversation, items)
        return JSONReply(conversation)

    return await _answer(request, "", produce)


@router.get("/conversations/{conversation_id}", endpoint="conversations", answers=(ConversationResource,))
async def retrieve_conversation(request: Request) -> Rendered:
    conversation_id = request.path_params["conversation_id"]
    conversation, _ = _found(request, conversation_id)
    return await _answer(request, conversation_id, lambda _: JSONReply(conversation))


@router.post(
    "/conversations/{conversation_id}",
    endpoint="conversations",
    body=UpdateConversationBody,
    answers=(ConversationResource,),
)
async def update_conversation(request: Request, body: UpdateConversationBody) -> Rendered:
    conversation_id = request.path_params["conversation_id"]
    updated = conversation_store(state_of(request)).update(caller_of(request).owner, conversation_id, body.metadata)
    if updated is None:
        raise refuse.conversation_not_found(conversation_id)
    return await _answer(request, conversation_id, lambda _: JSONReply(updated))


@router.delete("/conversations/{conversation_id}", endpoint="conversations", answers=(DeletedConversationResource,))
async def delete_conversation(request: Request) -> Rendered:
    conversation_id = request.path_params["conversation_id"]
    if not conversation_store(state_of(request)).delete(caller_of(request).owner, conversation_id):
        raise refuse.conversation_not_found(conversation_id)
    deleted = {"id": conversation_id, "object": "conversation.deleted", "deleted": True}
    return await _answer(request, conversation_id, lambda _: JSONReply(deleted))


@router.get(
    "/conversations/{conversation_id}/items",
    endpoint="conversations",
    query=ListInputItemsParams,
    answers=(ConversationItemList,),
)
async def list_items(request: Request, params: ListInputItemsParams) -> Rendered:
    conversation_id = request.path_params["conversation_id"]
    _, items = _found(request, conversation_id)
    return await _answer(
        request, conversation_id, lambda _: JSONReply(item_page(items, params.limit, params.order, params.after))
    )


@router.post(
    "/conversations/{conversation_id}/items",
    endpoint="conversations",
    body=AddItemsBody,
    answers=(ConversationItemList,),
)
async def add_items(request: Request, body: AddItemsBody) -> Rendered:
    conversation_id = request.path_params["conversation_id"]
    state = state_of(request)
    owner = caller_of(request).owner
    _found(request, conversation_id)

    def produce(_: Answer) -> Reply:
        items = with_ids(body.items, lambda prefix: state.seeding.next_id(prefix, 48))
        if not conversation_store(state).add_items(owner, conversation_id, items):
            raise refuse.conversation_not_found(conversation_id)
        page = {"object": "list", "data": items, "has_more": False}
        return JSONReply({**page, "first_id": items[0]["id"], "last_id": items[-1]["id"]})

    return await _answer(request, conversation_id, produce)


@router.get("/conversations/{conversation_id}/items/{item_id}", endpoint="conversations")
async def retrieve_item(request: Request) -> Rendered:
    conversation_id, item_id = request.path_params["conversation_id"], request.path_params["item_id"]
    _, items = _found(request, conversation_id)
    item = next((item for item in items if item.get("id") == item_id), None)
    if item is None:
        raise refuse.item_not_found(item_id, "item_id")
    return await _answer(request, item_id, lambda _: JSONReply(item))
