"""The typed event stream of a response, made from the finished object: numbered, and adding up to it."""

from __future__ import annotations

from typing import Any

from mockapi.generators.responses_events import in_progress, response_events
from mockapi.tokens import tokenizer_for
from tests.contract.test_responses_contract import check_event

O200K = tokenizer_for("o200k_base")
TEXT = "Café au lait, s'il vous plaît 😀 — done."
ARGUMENTS = '{"city":"São Paulo","days":3}'
SUMMARY = "**Thinking**\n\nAbout the café."


def final(status: str = "completed", background: bool = False) -> dict[str, Any]:
    part = {"type": "output_text", "text": TEXT, "annotations": [], "logprobs": []}
    return {
        "id": "resp_1",
        "object": "response",
        "created_at": 1,
        "status": status,
        "background": background,
        "completed_at": 1,
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if status == "incomplete" else None,
        "instructions": None,
        "model": "gpt-4o",
        "metadata": {},
        "parallel_tool_calls": True,
        "temperature": 1.0,
        "top_p": 1.0,
        "tool_choice": "auto",
        "tools": [],
        "output": [
            {"id": "rs_1", "type": "reasoning", "summary": [{"type": "summary_text", "text": SUMMARY}]},
            {
                "id": "fc_1",
                "type": "function_call",
                "status": "completed",
                "call_id": "call_1",
                "name": "f",
                "arguments": ARGUMENTS,
            },
            {"id": "msg_1", "type": "message", "status": "completed", "role": "assistant", "content": [part]},
        ],
        "usage": {
            "input_tokens": 5,
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": 9,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 14,
        },
    }


def joined(events: list[dict[str, Any]], kind: str) -> str:
    return "".join(event["delta"] for event in events if event["type"] == kind)


def test_events_are_numbered_from_zero_and_add_up_to_the_output() -> None:
    events = list(response_events(final(), O200K))
    assert [event["sequence_number"] for event in events] == list(range(len(events)))
    assert joined(events, "response.output_text.delta") == TEXT
    assert joined(events, "response.function_call_arguments.delta") == ARGUMENTS
    assert joined(events, "response.reasoning_summary_text.delta") == SUMMARY
    assert events[0]["type"] == "response.created" and events[-1]["type"] == "response.completed"
    assert events[-1]["response"] == final()
    for event in events:
        check_event(event)


def test_items_start_in_progress_and_empty() -> None:
    added = [
        event["item"] for event in response_events(final(), O200K) if event["type"] == "response.output_item.added"
    ]
    assert [item["type"] for item in added] == ["reasoning", "function_call", "message"]
    assert added[0]["summary"] == [] and added[1]["arguments"] == "" and added[2]["content"] == []
    assert added[1]["status"] == added[2]["status"] == "in_progress"


def test_a_delta_never_splits_a_character() -> None:
    deltas = [e["delta"] for e in response_events(final(), O200K) if e["type"] == "response.output_text.delta"]
    assert "😀" in deltas or any("😀" in delta for delta in deltas)
    assert all("\ufffd" not in delta for delta in deltas)


def test_an_incomplete_response_ends_incomplete_and_a_background_one_starts_queued() -> None:
    assert list(response_events(final("incomplete"), O200K))[-1]["type"] == "response.incomplete"
    kinds = [event["type"] for event in response_events(final(background=True), O200K)]
    assert kinds[:3] == ["response.created", "response.queued", "response.in_progress"]


def test_the_first_snapshot_has_no_output_or_usage() -> None:
    shown = in_progress(final())
    assert shown["status"] == "in_progress" and shown["output"] == [] and "usage" not in shown
    assert shown["completed_at"] is None and final()["output"]
