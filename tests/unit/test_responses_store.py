"""Stored responses and conversations: background status on the clock, cancel, continuation, item pages."""

from __future__ import annotations

from typing import Any

import pytest

from mockapi import errors
from mockapi.records import Bounds, MemoryRecords
from mockapi.responses_store import ConversationStore, ResponseStore, item_page, with_ids

OWNER = "key:a"


class Clock:
    now = 100.0

    def __call__(self) -> float:
        return self.now


def response(status: str, output: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"id": "resp_1", "created_at": 100, "status": status, "background": True, "output": output or []}


def numbered() -> Any:
    counter = iter(range(1, 1000))
    return lambda prefix: f"{prefix}{next(counter)}"


def test_a_background_response_moves_on_the_clock() -> None:
    clock = Clock()
    store = ResponseStore(MemoryRecords("responses", Bounds()), clock)
    done = response("completed", [{"id": "msg_9", "type": "message"}])
    store.save(OWNER, response("queued"), [], [{"id": "msg_1"}], done, started_at=101, done_at=105)
    stored = store.get(OWNER, "resp_1")
    assert stored is not None and stored.response["status"] == "queued" and stored.context is None
    clock.now = 102
    assert store.get(OWNER, "resp_1").response["status"] == "in_progress"  # type: ignore[union-attr]
    clock.now = 105
    finished = store.get(OWNER, "resp_1")
    assert finished is not None and finished.response["status"] == "completed"
    assert finished.response["completed_at"] == 105
    assert finished.context == [{"id": "msg_1"}, {"id": "msg_9", "type": "message"}]
    assert store.get("key:other", "resp_1") is None


def test_cancel_ends_a_running_response_and_leaves_a_finished_one() -> None:
    clock = Clock()
    store = ResponseStore(MemoryRecords("responses", Bounds()), clock)
    store.save(OWNER, response("queued"), [], [], response("completed"), started_at=101, done_at=105)
    cancelled = store.cancel(OWNER, "resp_1")
    assert cancelled is not None and cancelled["status"] == "cancelled"
    clock.now = 200
    assert store.get(OWNER, "resp_1").response["status"] == "cancelled"  # type: ignore[union-attr]
    assert store.cancel(OWNER, "resp_1") == cancelled | {"status": "cancelled"}


def test_input_items_get_ids_and_parts() -> None:
    items = with_ids(
        [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "yo"},
            {"type": "function_call_output", "call_id": "c", "output": "x"},
        ],
        numbered(),
    )
    assert items[0] == {
        "role": "user",
        "content": [{"type": "input_text", "text": "hi"}],
        "type": "message",
        "status": "completed",
        "id": "msg_1",
    }
    assert items[1]["content"] == [{"type": "output_text", "text": "yo", "annotations": [], "logprobs": []}]
    assert items[2]["id"] == "fco_3"


def test_item_pages_follow_the_cursor() -> None:
    items = [{"id": f"msg_{n}"} for n in range(5)]
    page = item_page(items, 2, "desc", None)
    assert [item["id"] for item in page["data"]] == ["msg_4", "msg_3"] and page["has_more"]
    rest = item_page(items, 10, "desc", page["last_id"])
    assert [item["id"] for item in rest["data"]] == ["msg_2", "msg_1", "msg_0"] and not rest["has_more"]
    assert item_page(items, 2, "asc", "msg_3")["data"] == [{"id": "msg_4"}]
    with pytest.raises(errors.OpenAIError) as caught:
        item_page(items, 2, "asc", "msg_x")
    assert (caught.value.status, caught.value.param) == (404, "after")


def test_a_conversation_keeps_its_latest_items_within_its_bound() -> None:
    store = ConversationStore(MemoryRecords("conversations", Bounds()))
    store.create(OWNER, {"id": "conv_1", "created_at": 1, "metadata": {}}, [{"id": "a"}])
    assert store.add_items(OWNER, "conv_1", [{"id": "b"}])
    assert store.get(OWNER, "conv_1") == ({"id": "conv_1", "created_at": 1, "metadata": {}}, [{"id": "a"}, {"id": "b"}])
    assert store.update(OWNER, "conv_1", {"k": "v"}) == {"id": "conv_1", "created_at": 1, "metadata": {"k": "v"}}
    assert not store.add_items("key:other", "conv_1", [])
    assert store.delete(OWNER, "conv_1") and store.get(OWNER, "conv_1") is None
