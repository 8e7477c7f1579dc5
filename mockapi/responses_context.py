"""What a Responses request continues, and what it adds up to before the answer is made: the context items
(`previous_response_id`'s conversation, or a `conversation`'s items), the request's own input checked
against them (item references resolved, every function_call_output answering a call), the conversation
model over both, and the prompt's tokens.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mockapi import accounting, retrieval
from mockapi.catalogue import ModelEntry
from mockapi.conversation import Conversation, from_responses
from mockapi.errors import responses as refuse
from mockapi.generators.responses_tools import SearchHit
from mockapi.responses_store import CONVERSATIONS, RESPONSES, ConversationStore, Item, ResponseStore
from mockapi.schemas.responses import ResponseInputFields
from mockapi.vector_stores import VectorStores

if TYPE_CHECKING:
    from mockapi.state import AppState

# Cached prompt tokens come in steps of this many, once the part seen before is at least CACHE_MINIMUM long.
CACHE_STEP = 128
CACHE_MINIMUM = 1024
# Chunks the file_search tool reads when it does not say (as the API defaults it).
DEFAULT_SEARCH_RESULTS = 10
# Item fields that say where an item is, not what it says: left out of what seeds an answer.
_BOOKKEEPING = ("id", "status")


def response_store(state: AppState) -> ResponseStore:
    return ResponseStore(state.records(RESPONSES), lambda: state.seeding.clock.time())


def conversation_store(state: AppState) -> ConversationStore:
    return ConversationStore(state.records(CONVERSATIONS))


def earlier_items(state: AppState, owner: str, body: ResponseInputFields) -> list[Item]:
    """The items this request continues: a previous response's context and output, or a conversation's."""
    previous = body.previous_response_id
    if previous is not None:
        stored = response_store(state).get(owner, previous)
        if stored is None:
            raise refuse.previous_response_not_found(previous)
        if stored.context is None:
            raise refuse.previous_response_unfinished(previous, str(stored.response["status"]))
        return stored.context
    conversation_id = body.conversation_id()
    if conversation_id is not None:
        found = conversation_store(state).get(owner, conversation_id)
        if found is None:
            raise refuse.conversation_not_found(conversation_id)
        return found[1]
    return []


def settled_input(earlier: Sequence[Item], given: Sequence[Item]) -> list[Item]:
    """The request's input items, references replaced by the items they name; every function_call_output
    must answer a function call of the context or of this input."""
    by_id = {str(item.get("id")): item for item in earlier if item.get("id")}
    settled: list[Item] = []
    for position, item in enumerate(given):
        kind = item.get("type", "message" if "role" in item else "item_reference")
        if kind == "item_reference":
            referenced = by_id.get(str(item.get("id")))
            if referenced is None:
                raise refuse.item_not_found(str(item.get("id")), f"input[{position}].id")
            item = referenced
        settled.append(dict(item))
    calls = {
        str(item.get("call_id"))
        for item in [*earlier, *settled]
        if item.get("type") in ("function_call", "custom_tool_call")
    }
    for item in settled:
        if item.get("type") in ("function_call_output", "custom_tool_call_output") and item["call_id"] not in calls:
            raise refuse.no_call_for_output(str(item["call_id"]))
    return settled


def conversation_of(body: Mapping[str, Any], items: Sequence[Item]) -> Conversation:
    return from_responses({**body, "input": list(items)})


def prompt_messages(instructions: str | None, items: Sequence[Item]) -> list[accounting.PromptMessage]:
    """The prompt as the accounting reads it: the instructions as a developer message, then the items."""
    head = [accounting.PromptMessage("developer", (instructions,))] if instructions else []
    return [*head, *accounting.response_items(list(items))]


def input_tokens(entry: ModelEntry, body: ResponseInputFields, items: Sequence[Item]) -> int:
    functions = accounting.response_functions(body.tools)
    return accounting.model_prompt_tokens(entry, prompt_messages(body.instructions, items), functions).total


def within_window(
    entry: ModelEntry, body: ResponseInputFields, earlier: Sequence[Item], given: Sequence[Item], window: int
) -> list[Item]:
    """The earlier items kept: all, unless `truncation: auto` and the prompt overflows the window, when the
    oldest leave first until it fits (the request's own input always stays)."""
    kept = list(earlier)
    if body.truncation != "auto":
        return kept
    while kept and input_tokens(entry, body, [*kept, *given]) >= window:
        kept.pop(0)
    return kept


def cached_tokens(entry: ModelEntry, body: ResponseInputFields, earlier: Sequence[Item]) -> int:
    """The part of the prompt the previous turn already sent, as prompt caching counts it: in steps of 128
    tokens, once it is 1024 or more."""
    if not earlier:
        return 0
    seen = input_tokens(entry, body, earlier)
    return (seen // CACHE_STEP) * CACHE_STEP if seen >= CACHE_MINIMUM else 0


def seed_items(items: Sequence[Item]) -> list[Item]:
    """Items as they seed an answer: what they say, not their ids (the same conversation, the same answer)."""
    return [{key: value for key, value in item.items() if key not in _BOOKKEEPING} for item in items]


def file_search_hits(
    state: AppState, owner: str, tool: Mapping[str, Any], position: int, query: str
) -> list[SearchHit]:
    """The chunks the file_search tool's vector stores return for the (rewritten) query, best first; the
    stores searched are marked active. Blocking: called in a worker thread."""
    store_ids = [str(store_id) for store_id in tool.get("vector_store_ids") or ()]
    hits = retrieval.search(
        state,
        owner,
        store_ids,
        query,
        max_num_results=int(tool.get("max_num_results") or DEFAULT_SEARCH_RESULTS),
        filters=tool.get("filters"),
        ranking_options=tool.get("ranking_options"),
        filters_param=f"tools[{position}].filters",
    )
    stores = VectorStores(state, owner)
    for store_id in store_ids:
        stores.touch(store_id)
    return [SearchHit(hit.file_id, hit.filename, hit.score, hit.text, hit.attributes) for hit in hits]
