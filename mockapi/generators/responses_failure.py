"""The events of a streamed response that fails while it is generated (a rule's error on a stream): it is
created and in progress, then an `error` event carries the error, and `response.failed` the response with
its `error` (`server_error` unless the error's code is one a response may fail with)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mockapi.errors import OpenAIError
from mockapi.generators.responses_events import in_progress

FAILURE_CODES = frozenset({"server_error", "rate_limit_exceeded", "invalid_prompt", "vector_store_timeout"})


def failed_events(
    response_id: str, created_at: int, request: Mapping[str, Any], failure: OpenAIError
) -> Iterator[dict[str, Any]]:
    response = {
        "id": response_id,
        "object": "response",
        "created_at": created_at,
        "status": "in_progress",
        "error": None,
        "incomplete_details": None,
        "instructions": request.get("instructions"),
        "model": request.get("model"),
        "output": [],
        "parallel_tool_calls": request.get("parallel_tool_calls") is not False,
        "metadata": request.get("metadata") or {},
        "tool_choice": request.get("tool_choice") or "auto",
        "tools": list(request.get("tools") or ()),
        "temperature": request.get("temperature"),
        "top_p": request.get("top_p"),
    }
    code = failure.code if failure.code in FAILURE_CODES else "server_error"
    failed = {**response, "status": "failed", "error": {"code": code, "message": failure.message}}
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": in_progress(response)},
        {"type": "response.in_progress", "response": in_progress(response)},
        {"type": "error", "code": failure.code, "message": failure.message, "param": failure.param},
        {"type": "response.failed", "response": failed},
    ]
    for number, event in enumerate(events):
        yield {**event, "sequence_number": number}
