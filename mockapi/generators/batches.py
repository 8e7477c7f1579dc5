"""Pure functions of /v1/batches: the input file's check, the batch object, its output lines and usage, and its
timeline on the clock.

A batch's life, in clock seconds: `validating` for VALIDATING_SECONDS after it is made, then `failed` (an
input file with errors) or `in_progress`, its requests answered one every `line_seconds` (line k is due
k * line_seconds after in_progress_at), then `finalizing` for FINALIZING_SECONDS once the last is answered,
then `completed` with its output and error files. A cancel makes it `cancelling` (no request starts after)
and `cancelled` CANCELLING_SECONDS later; a batch not done within its 24-hour window is `expired`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from mockapi.schemas.batches import Batch

# The batch endpoint (a line's `url`) and the endpoint it names in endpoints.py, in the order the API lists them.
ENDPOINT_NAMES = {
    "/v1/chat/completions": "chat.completions",
    "/v1/completions": "completions",
    "/v1/embeddings": "embeddings",
    "/v1/responses": "responses",
    "/v1/moderations": "moderations",
}
# How the API names each in its refusals ("Chat Completions: Streaming is not supported in the Batch API.").
API_NAMES = {
    "/v1/chat/completions": "Chat Completions",
    "/v1/completions": "Completions",
    "/v1/embeddings": "Embeddings",
    "/v1/responses": "Responses",
    "/v1/moderations": "Moderations",
}
MAX_REQUESTS = 50_000
MAX_EMBEDDING_INPUTS = 50_000
# A line is one request: a long one holds images or a long document; longer is refused, never read whole.
MAX_LINE_BYTES = 32 * 1024 * 1024
# The errors a failed batch reports, at most (a file of 50,000 bad lines is not 50,000 errors long).
MAX_REPORTED_ERRORS = 1000
INPUT_KEYS = ("custom_id", "method", "url", "body")

VALIDATING_SECONDS = 5
FINALIZING_SECONDS = 5
CANCELLING_SECONDS = 5
WINDOW_SECONDS = 24 * 3600
ACTIVE = ("validating", "in_progress", "finalizing", "cancelling")
STAMPS = ("in_progress_at", "finalizing_at", "completed_at", "failed_at", "expired_at", "cancelling_at", "cancelled_at")
TERMINAL = ("failed", "completed", "expired", "cancelled")


@dataclass
class CheckedInput:
    """What the check of an input file found: its errors, else its requests (each `{custom_id, body}` as
    JSON), the one model they use and how many they are."""

    errors: list[dict[str, Any]] = field(default_factory=list)
    requests: list[bytes] = field(default_factory=list)
    model: str | None = None

    def refuse(self, code: str, message: str, param: str | None = None, line: int | None = None) -> None:
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"code": code, "message": message, "param": param, "line": line})


def check_input(lines: Iterable[tuple[int, bytes | None]], endpoint: str, known: Callable[[str], bool]) -> CheckedInput:
    """Every line of a batch input file checked as the API checks it while the batch is `validating`;
    `known` tells whether a model exists. Blank lines are skipped."""
    checked = CheckedInput()
    first_of: dict[str, int] = {}
    inputs = 0
    for number, raw in lines:
        if raw is None:
            checked.refuse(
                "invalid_request", f"This line is longer than the maximum of {MAX_LINE_BYTES} bytes.", None, number
            )
            continue
        if not raw.strip():
            continue
        try:
            request = orjson.loads(raw)
        except orjson.JSONDecodeError:
            checked.refuse("invalid_json_line", "This line is not parseable as valid JSON.", None, number)
            continue
        if not isinstance(request, dict):
            checked.refuse("invalid_request", "Each line must be a JSON object.", None, number)
            continue
        before = len(checked.errors)
        _check_request(checked, request, number, endpoint, known, first_of)
        if len(checked.errors) == before:
            body = request["body"]
            checked.requests.append(orjson.dumps({"custom_id": request["custom_id"], "body": body}))
            if endpoint == "/v1/embeddings":
                inputs += len(body["input"]) if isinstance(body.get("input"), list) else 1
    if not checked.errors and not checked.requests:
        checked.refuse("empty_file", "The input file has no requests: a batch needs at least one.")
    if len(checked.requests) > MAX_REQUESTS:
        checked.refuse(
            "too_many_tasks",
            f"The input file has {len(checked.requests)} requests, more than the {MAX_REQUESTS} a batch may hold.",
        )
    if inputs > MAX_EMBEDDING_INPUTS:
        checked.refuse(
            "too_many_tasks",
            f"The input file has {inputs} embedding inputs, more than the {MAX_EMBEDDING_INPUTS} an embeddings "
            "batch may hold across all its requests.",
        )
    if checked.errors:
        checked.requests = []
    return checked


def _check_request(
    checked: CheckedInput,
    request: dict[str, Any],
    number: int,
    endpoint: str,
    known: Callable[[str], bool],
    first_of: dict[str, int],
) -> None:
    missing = [key for key in INPUT_KEYS if key not in request]
    for key in missing:
        checked.refuse("missing_required_parameter", f"Missing required parameter: '{key}'.", key, number)
    if missing:
        return
    custom_id, body = request["custom_id"], request["body"]
    if not isinstance(custom_id, str):
        checked.refuse("invalid_request", "The custom_id for this request must be a string.", "custom_id", number)
    elif custom_id in first_of:
        checked.refuse(
            "duplicate_custom_id",
            "The custom_id for this request is a duplicate of another request. The custom_id parameter must be "
            "unique for each request in a batch.",
            "custom_id",
            number,
        )
    else:
        first_of[custom_id] = number
    if request["method"] != "POST":
        checked.refuse(
            "invalid_request", f"Invalid value: '{request['method']}'. Supported values are: 'POST'.", "method", number
        )
    if request["url"] != endpoint:
        checked.refuse(
            "invalid_url", "The URL provided for this request does not match the batch endpoint.", "url", number
        )
    if not isinstance(body, dict):
        checked.refuse("invalid_request", "The body for this request must be a JSON object.", "body", number)
        return
    if body.get("stream"):
        checked.refuse(
            "streaming_unsupported",
            f"{API_NAMES.get(endpoint, 'This API')}: Streaming is not supported in the Batch API.",
            "body.stream",
            number,
        )
    _check_model(checked, body, number, endpoint, known)
    if endpoint == "/v1/chat/completions" and "messages" not in body:
        checked.refuse("invalid_request", "Messages parameter is required.", "body.messages", number)


def _check_model(
    checked: CheckedInput, body: dict[str, Any], number: int, endpoint: str, known: Callable[[str], bool]
) -> None:
    model = body.get("model")
    if model is None:
        if endpoint != "/v1/moderations":  # moderations has a default model
            checked.refuse("invalid_request", "Model parameter is required.", "body.model", number)
        return
    if not isinstance(model, str) or not known(model):
        checked.refuse(
            "model_not_found", f"The provided model '{model}' is not supported by the Batch API.", "body.model", number
        )
        return
    if checked.model is None:
        checked.model = model
    elif model != checked.model:
        checked.refuse(
            "model_mismatch",
            f"The provided model '{model}' does not match the model '{checked.model}' of the batch's other "
            "requests: a batch's requests must all use the same model.",
            "body.model",
            number,
        )


# The batch object and its output.


def new_record(
    batch_id: str,
    request: dict[str, Any],
    now: int,
    checked: CheckedInput,
    key: str,
    organization: str | None,
) -> dict[str, Any]:
    """A batch as stored when made: the object (`validating`), and under `_` keys what its steps need: the
    outcome of its check, its owner's credentials (its requests carry them), its output files' lifetime."""
    expires_after = request.get("output_expires_after")
    record: dict[str, Any] = {
        "id": batch_id,
        "object": "batch",
        "endpoint": request["endpoint"],
        "model": None,
        "errors": None,
        "input_file_id": request["input_file_id"],
        "completion_window": request["completion_window"],
        "status": "validating",
        "output_file_id": None,
        "error_file_id": None,
        "created_at": now,
        "expires_at": now + WINDOW_SECONDS,
        **dict.fromkeys(STAMPS),
        "request_counts": {"total": 0, "completed": 0, "failed": 0},
        "usage": empty_usage(),
        "metadata": request.get("metadata"),
        "_problems": checked.errors or None,
        "_model": checked.model,
        "_lines": len(checked.requests),
        "_done": 0,
        "_key": key,
        "_organization": organization,
        "_output_seconds": expires_after["seconds"] if expires_after else None,
    }
    return record


def batch_object(record: dict[str, Any]) -> dict[str, Any]:
    """The API's object of a stored batch (its private keys, `_...`, left out)."""
    public = {key: value for key, value in record.items() if not key.startswith("_")}
    return Batch.model_validate(public).model_dump()


def answered_line(line_id: str, custom_id: str, status: int, request_id: str | None, body: Any) -> dict[str, Any]:
    """A request answered, successfully or with an error status (both as the API answered it)."""
    response = {"status_code": status, "request_id": request_id, "body": body}
    return {"id": line_id, "custom_id": custom_id, "response": response, "error": None}


def unanswered_line(line_id: str, custom_id: str, code: str, message: str) -> dict[str, Any]:
    """A request that got no answer: the connection failed, or the batch expired before it ran."""
    return {"id": line_id, "custom_id": custom_id, "response": None, "error": {"code": code, "message": message}}


def expired_line(line_id: str, custom_id: str) -> dict[str, Any]:
    return unanswered_line(
        line_id, custom_id, "batch_expired", "This request could not be executed before the completion window expired."
    )


def succeeded(line: dict[str, Any]) -> bool:
    """Whether an output line goes to the output file (else to the error file)."""
    response = line.get("response")
    return line.get("error") is None and isinstance(response, dict) and 200 <= response.get("status_code", 0) < 300


def add_usage(total: dict[str, Any], line: dict[str, Any]) -> None:
    """Add a successful line's token usage (chat, completions, embeddings or responses) to the batch's."""
    response = line.get("response") or {}
    body = response.get("body")
    usage = body.get("usage") if isinstance(body, dict) else None
    if not succeeded(line) or not isinstance(usage, dict):
        return
    given = _number(usage, "input_tokens", "prompt_tokens")
    made = _number(usage, "output_tokens", "completion_tokens")
    details_in = usage.get("input_tokens_details") or usage.get("prompt_tokens_details") or {}
    details_out = usage.get("output_tokens_details") or usage.get("completion_tokens_details") or {}
    total["input_tokens"] += given
    total["output_tokens"] += made
    total["total_tokens"] += _number(usage, "total_tokens") or given + made
    total["input_tokens_details"]["cached_tokens"] += _number(details_in, "cached_tokens")
    total["output_tokens_details"]["reasoning_tokens"] += _number(details_out, "reasoning_tokens")


def _number(values: Any, *names: str) -> int:
    for name in names:
        value = values.get(name) if isinstance(values, dict) else None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return 0


def empty_usage() -> dict[str, Any]:
    return {
        "input_tokens": 0,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 0,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 0,
    }


# The timeline.


def lines_due(record: dict[str, Any], until: float, line_seconds: float) -> int:
    """How many of the batch's requests are due by `until` (line k at in_progress_at + k * line_seconds)."""
    started = record.get("in_progress_at")
    if started is None or until < started:
        return 0
    total = int(record["request_counts"]["total"])
    if line_seconds <= 0:
        return total
    due: int = min(total, math.floor((until - started) / line_seconds + 1e-9))
    return due


def next_event(record: dict[str, Any], line_seconds: float) -> float | None:
    """When the batch next changes on the clock (None: it never will, or only when told)."""
    status = record["status"]
    if status == "validating":
        return float(record["created_at"] + VALIDATING_SECONDS)
    if status == "cancelling":
        return float(record["cancelling_at"] + CANCELLING_SECONDS)
    if status == "finalizing":
        return float(record["finalizing_at"] + FINALIZING_SECONDS)
    if status == "in_progress":
        done = int(record["_done"])
        due = record["in_progress_at"] + (done + 1) * line_seconds
        return float(min(due, record["expires_at"]))
    return None
