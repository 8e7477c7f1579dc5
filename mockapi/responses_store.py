"""Stored responses (`store: true`, the default) and conversations, in `state.records(...)`: per owner,
bounded (count and bytes, oldest first out), in memory or in the data directory's database.

A stored response keeps the answer, the input items of its request (with ids, for `input_items`), and the
context it answered (the earlier inputs and outputs, then its own input): with its output, what a request
naming it as `previous_response_id` continues. A background response keeps its finished form
beside the times its status moves on the server's clock: queued until `started_at`, in progress until
`done_at`, then finished; a cancel before then ends it `cancelled`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mockapi.errors import responses as refuse
from mockapi.records import Records

RESPONSES = "responses"
CONVERSATIONS = "conversations"
Item = dict[str, Any]
# Ids by item type, as the API prefixes them.
ITEM_PREFIXES = {
    "message": "msg_",
    "function_call": "fc_",
    "function_call_output": "fco_",
    "reasoning": "rs_",
    "custom_tool_call": "ctc_",
    "custom_tool_call_output": "ctco_",
}
# A conversation holds at most this many items (its oldest leave first).
MAX_CONVERSATION_ITEMS = 10_000


@dataclass(frozen=True)
class Stored:
    response: dict[str, Any]  # as it stands now on the clock
    input_items: list[Item]
    context: list[Item] | None  # None: not finished, nothing to continue yet


def with_ids(items: Sequence[Mapping[str, Any]], new_id: Callable[[str], str]) -> list[Item]:
    """Input items as the API lists them: each with an id, messages with their content as parts."""
    listed = []
    for given in items:
        item = copy.deepcopy(dict(given))
        kind = item.setdefault("type", "message")
        if kind == "message":
            role = item.get("role")
            content = item.get("content")
            if isinstance(content, str):
                part = "output_text" if role == "assistant" else "input_text"
                item["content"] = [{"type": part, "text": content}]
            if role == "assistant":
                for part in item["content"]:
                    if part.get("type") == "output_text":
                        part.setdefault("annotations", [])
                        part.setdefault("logprobs", [])
        if kind in ("message", "function_call", "function_call_output", "reasoning"):
            item.setdefault("status", "completed")
        if not item.get("id"):
            item["id"] = new_id(ITEM_PREFIXES.get(str(kind), "item_"))
        listed.append(item)
    return listed


def item_page(items: Sequence[Item], limit: int, order: str, after: str | None) -> dict[str, Any]:
    """One page of items (a response's input items, a conversation's) in `order`, after the item `after`."""
    ordered = list(items) if order == "asc" else list(reversed(items))
    start = 0
    if after is not None:
        ids = [item.get("id") for item in ordered]
        if after not in ids:
            raise refuse.item_not_found(after, "after")
        start = ids.index(after) + 1
    page = ordered[start : start + limit]
    return {
        "object": "list",
        "data": page,
        "has_more": start + len(page) < len(ordered),
        "first_id": page[0]["id"] if page else None,
        "last_id": page[-1]["id"] if page else None,
    }


class ResponseStore:
    def __init__(self, records: Records, now: Callable[[], float]) -> None:
        self.records = records
        self.now = now

    def save(
        self,
        owner: str,
        response: Mapping[str, Any],
        input_items: Sequence[Item],
        context: Sequence[Item],
        finished: Mapping[str, Any] | None = None,
        started_at: float | None = None,
        done_at: float | None = None,
    ) -> None:
        """Keep a response; a background one gives its `finished` form and when it starts and ends."""
        record = {
            "response": dict(response),
            "input_items": list(input_items),
            "context": list(context),
            "finished": dict(finished) if finished is not None else None,
            "started_at": started_at,
            "done_at": done_at,
        }
        self.records.put(owner, str(response["id"]), record, int(response["created_at"]))

    def get(self, owner: str, response_id: str) -> Stored | None:
        record = self.records.get(owner, response_id)
        if record is None:
            return None
        return Stored(self._now_of(record), record["input_items"], self._context_of(record))

    def delete(self, owner: str, response_id: str) -> bool:
        return self.records.delete(owner, response_id)

    def cancel(self, owner: str, response_id: str) -> dict[str, Any] | None:
        """A background response still running, cancelled; one already ended, as it ended."""

        def change(record: dict[str, Any]) -> dict[str, Any] | None:
            current = self._now_of(record)
            if current["status"] not in ("queued", "in_progress"):
                return None
            cancelled = {**current, "status": "cancelled"}
            return {**record, "response": cancelled, "finished": None, "done_at": None}

        record = self.records.update(owner, response_id, change)
        return None if record is None else self._now_of(record)

    def _now_of(self, record: Mapping[str, Any]) -> dict[str, Any]:
        response: dict[str, Any] = record["response"]
        finished = record.get("finished")
        if finished is None:
            return response
        now = self.now()
        if now >= record["done_at"]:
            return {**finished, "completed_at": int(record["done_at"])}
        if now >= record["started_at"]:
            return {**response, "status": "in_progress"}
        return response

    def _context_of(self, record: Mapping[str, Any]) -> list[Item] | None:
        """The items a continuation reads (the context before the response, then its output); None while it
        has not finished (or never will: cancelled, failed)."""
        current = self._now_of(record)
        if current["status"] not in ("completed", "incomplete"):
            return None
        return [*record["context"], *current["output"]]


class ConversationStore:
    """Conversations: the object, and its items in order (inputs and outputs of its responses)."""

    def __init__(self, records: Records) -> None:
        self.records = records

    def create(self, owner: str, conversation: Mapping[str, Any], items: Sequence[Item]) -> None:
        record = {"conversation": dict(conversation), "items": list(items)[-MAX_CONVERSATION_ITEMS:]}
        self.records.put(owner, str(conversation["id"]), record, int(conversation["created_at"]))

    def get(self, owner: str, conversation_id: str) -> tuple[dict[str, Any], list[Item]] | None:
        record = self.records.get(owner, conversation_id)
        if record is None:
            return None
        return record["conversation"], record["items"]

    def update(self, owner: str, conversation_id: str, metadata: Mapping[str, str]) -> dict[str, Any] | None:
        def change(record: dict[str, Any]) -> dict[str, Any]:
            return {**record, "conversation": {**record["conversation"], "metadata": dict(metadata)}}

        record = self.records.update(owner, conversation_id, change)
        return None if record is None else dict(record["conversation"])

    def add_items(self, owner: str, conversation_id: str, items: Sequence[Item]) -> bool:
        def change(record: dict[str, Any]) -> dict[str, Any]:
            return {**record, "items": [*record["items"], *items][-MAX_CONVERSATION_ITEMS:]}

        return self.records.update(owner, conversation_id, change) is not None

    def delete(self, owner: str, conversation_id: str) -> bool:
        return self.records.delete(owner, conversation_id)
