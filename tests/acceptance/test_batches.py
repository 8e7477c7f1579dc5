"""/v1/batches through the official SDK against a real server whose clock stands still until advanced.

A batch's requests are answered by the server's own app, so each output line must hold what the same request
answers online: the tests send every line's request again, online, and compare (ids and times aside).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from tests.support import ServerProcess, error_of, sdk_client

START = 1_760_000_000
CHAT = "/v1/chat/completions"
# The timeline (generators/batches.py): validation takes 5 s of the clock, then a request a second (by default),
# finalizing 5 s, cancelling 5 s.
VALIDATING = FINALIZING = CANCELLING = 5
# Keys that differ between two answers to the same request: ids and times.
VARYING = {"id", "created", "created_at", "system_fingerprint"}


def chat_line(custom_id: str, content: str, **extra: Any) -> dict[str, Any]:
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": content}], "max_tokens": 12, **extra}
    return {"custom_id": custom_id, "method": "POST", "url": CHAT, "body": body}


def jsonl(lines: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def without_varying(body: Any) -> Any:
    if isinstance(body, dict):
        return {key: without_varying(value) for key, value in body.items() if key not in VARYING}
    if isinstance(body, list):
        return [without_varying(item) for item in body]
    return body


def lines_of(sdk: openai.OpenAI, file_id: str | None) -> list[dict[str, Any]]:
    if file_id is None:
        return []
    return [json.loads(line) for line in sdk.files.content(file_id).text.splitlines()]


@pytest.fixture(scope="module")
def still() -> Iterator[ServerProcess]:
    with ServerProcess(["--fixed-time", str(START)]) as process:
        yield process


@pytest.fixture
def key(request: pytest.FixtureRequest) -> str:
    return "sk-batch-" + hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:24]


@pytest.fixture
def sdk(still: ServerProcess, key: str) -> openai.OpenAI:
    return sdk_client(still, key)


@pytest.fixture
def online(still: ServerProcess, key: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=still.url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as client:
        yield client


def advance(process: ServerProcess, seconds: float) -> None:
    httpx.post(process.url + "/__mockapi/clock/advance", json={"seconds": seconds}).raise_for_status()


def batch_of(sdk: openai.OpenAI, lines: list[dict[str, Any]], endpoint: str = CHAT, **options: Any) -> Any:
    uploaded = sdk.files.create(file=("requests.jsonl", jsonl(lines)), purpose="batch")
    return sdk.batches.create(input_file_id=uploaded.id, endpoint=endpoint, completion_window="24h", **options)  # type: ignore[arg-type]


# A batch of good and bad requests, answered as online.


def test_a_mixed_batch_answers_each_request_as_online(
    still: ServerProcess, sdk: openai.OpenAI, online: httpx.Client
) -> None:
    rule = {"match": {"contains": "please refuse"}, "respond": {"error": "server_error"}}
    cut = {"match": {"contains": "hang up on me"}, "respond": {"faults": [{"kind": "reset"}]}}
    for added in (rule, cut):
        httpx.post(still.url + "/__mockapi/rules", json=added).raise_for_status()
    lines = [
        chat_line("colour", "Name a colour"),
        chat_line("hot", "Name a colour", temperature=5),
        chat_line("fruits", "Name two fruits", n=2),
        chat_line("huge", "Name a colour", max_tokens=10**6),
        chat_line("refused", "please refuse this"),
        chat_line("cut", "hang up on me"),
    ]
    created = batch_of(sdk, lines, metadata={"suite": "mixed"})
    assert (created.status, created.created_at, created.metadata) == (
        "validating",
        created.created_at,
        {"suite": "mixed"},
    )
    assert created.expires_at == created.created_at + 24 * 3600 and created.in_progress_at is None

    advance(still, VALIDATING)
    started = sdk.batches.retrieve(created.id)
    assert (started.status, started.in_progress_at, started.model) == (
        "in_progress",
        created.created_at + 5,
        "gpt-4o-mini",
    )
    assert started.request_counts.model_dump() == {"total": 6, "completed": 0, "failed": 0}
    advance(still, 2)  # two requests answered: one good, one refused
    assert sdk.batches.retrieve(created.id).request_counts.model_dump() == {"total": 6, "completed": 1, "failed": 1}
    advance(still, 4)
    finalizing = sdk.batches.retrieve(created.id)
    assert (finalizing.status, finalizing.finalizing_at) == ("finalizing", started.in_progress_at + 6)
    advance(still, FINALIZING)
    done = sdk.batches.retrieve(created.id)
    assert (done.status, done.completed_at) == ("completed", finalizing.finalizing_at + FINALIZING)
    assert done.request_counts.model_dump() == {"total": 6, "completed": 2, "failed": 4}

    output, failures = lines_of(sdk, done.output_file_id), lines_of(sdk, done.error_file_id)
    assert [line["custom_id"] for line in output] == ["colour", "fruits"]
    assert [line["custom_id"] for line in failures] == ["hot", "huge", "refused", "cut"]
    assert all(line["id"].startswith("batch_req_") for line in output + failures)
    for line in output + failures[:3]:
        request = next(given for given in lines if given["custom_id"] == line["custom_id"])
        answer = online.post(CHAT, json=request["body"])
        assert line["error"] is None and line["response"]["status_code"] == answer.status_code
        assert line["response"]["request_id"].startswith("req_")
        assert without_varying(line["response"]["body"]) == without_varying(answer.json())
    assert [line["response"]["status_code"] for line in failures[:3]] == [400, 400, 500]
    assert failures[1]["response"]["body"]["error"]["code"] == "context_length_exceeded"
    # The reset answers nothing online; in the batch the request failed without an answer.
    with pytest.raises(httpx.TransportError):
        online.post(CHAT, json=lines[5]["body"])
    assert failures[3]["response"] is None and failures[3]["error"]["code"] == "server_error"

    usages = [online.post(CHAT, json=lines[i]["body"]).json()["usage"] for i in (0, 2)]
    assert done.usage is not None
    assert done.usage.input_tokens == sum(u["prompt_tokens"] for u in usages)
    assert done.usage.output_tokens == sum(u["completion_tokens"] for u in usages)
    assert done.usage.total_tokens == sum(u["total_tokens"] for u in usages)
    for file_id, name in ((done.output_file_id, "output"), (done.error_file_id, "error")):
        stored = sdk.files.retrieve(file_id)  # type: ignore[arg-type]
        assert (stored.purpose, stored.filename, stored.status) == (
            "batch_output",
            f"{done.id}_{name}.jsonl",
            "processed",
        )
        assert stored.created_at == done.completed_at and stored.expires_at is None


def test_an_embeddings_batch_holds_the_online_vectors(
    still: ServerProcess, sdk: openai.OpenAI, online: httpx.Client
) -> None:
    bodies = [
        {"model": "text-embedding-3-small", "input": "cat"},
        {"model": "text-embedding-3-small", "input": ["a", "b"]},
    ]
    lines = [{"custom_id": f"e{i}", "method": "POST", "url": "/v1/embeddings", "body": b} for i, b in enumerate(bodies)]
    created = batch_of(sdk, lines, "/v1/embeddings")
    advance(still, VALIDATING + len(lines) + FINALIZING)
    done = sdk.batches.retrieve(created.id)
    assert done.status == "completed" and done.error_file_id is None
    for line, body in zip(lines_of(sdk, done.output_file_id), bodies, strict=True):
        assert line["response"]["body"] == online.post("/v1/embeddings", json=body).json()
    assert done.usage is not None and done.usage.output_tokens == 0 and done.usage.input_tokens > 0


def test_output_files_expire_as_output_expires_after_says(still: ServerProcess, sdk: openai.OpenAI) -> None:
    created = batch_of(sdk, [chat_line("a", "Hi")], output_expires_after={"anchor": "created_at", "seconds": 3600})
    advance(still, VALIDATING + 1 + FINALIZING)
    done = sdk.batches.retrieve(created.id)
    assert done.output_file_id is not None and done.completed_at is not None
    assert sdk.files.retrieve(done.output_file_id).expires_at == done.completed_at + 3600
    advance(still, 3600)
    with pytest.raises(openai.NotFoundError):
        sdk.files.retrieve(done.output_file_id)


# Input files the batch refuses while validating.


def test_an_invalid_input_file_fails_the_batch_with_the_apis_errors(still: ServerProcess, sdk: openai.OpenAI) -> None:
    no_id = chat_line("x", "Hi")
    del no_id["custom_id"]
    lines = [
        chat_line("a", "Hi"),
        no_id,
        chat_line("a", "Hi again"),
        {**chat_line("b", "Hi"), "url": "/v1/embeddings"},
        chat_line("c", "Hi", stream=True),
        {**chat_line("d", "Hi"), "body": {"model": "gpt-nonexistent", "messages": []}},
    ]
    uploaded = sdk.files.create(
        file=("bad.jsonl", jsonl(lines[:1]) + b"{not json\n" + jsonl(lines[1:])), purpose="batch"
    )
    created = sdk.batches.create(input_file_id=uploaded.id, endpoint=CHAT, completion_window="24h")
    assert sdk.batches.retrieve(created.id).status == "validating"
    advance(still, VALIDATING)
    failed = sdk.batches.retrieve(created.id)
    assert (failed.status, failed.failed_at, failed.in_progress_at) == ("failed", created.created_at + 5, None)
    assert failed.errors is not None and failed.errors.object == "list"
    assert [error.model_dump() for error in failed.errors.data] == [
        {"code": "invalid_json_line", "message": "This line is not parseable as valid JSON.", "param": None, "line": 2},
        {
            "code": "missing_required_parameter",
            "message": "Missing required parameter: 'custom_id'.",
            "param": "custom_id",
            "line": 3,
        },
        {
            "code": "duplicate_custom_id",
            "message": "The custom_id for this request is a duplicate of another request. The custom_id parameter "
            "must be unique for each request in a batch.",
            "param": "custom_id",
            "line": 4,
        },
        {
            "code": "invalid_url",
            "message": "The URL provided for this request does not match the batch endpoint.",
            "param": "url",
            "line": 5,
        },
        {
            "code": "streaming_unsupported",
            "message": "Chat Completions: Streaming is not supported in the Batch API.",
            "param": "body.stream",
            "line": 6,
        },
        {
            "code": "model_not_found",
            "message": "The provided model 'gpt-nonexistent' is not supported by the Batch API.",
            "param": "body.model",
            "line": 7,
        },
    ]
    assert failed.output_file_id is None and failed.error_file_id is None
    assert failed.request_counts is not None and failed.request_counts.total == 0


def test_a_missing_or_wrong_input_file_fails_the_batch(still: ServerProcess, sdk: openai.OpenAI) -> None:
    missing = sdk.batches.create(input_file_id="file-nope", endpoint=CHAT, completion_window="24h")
    other = sdk.files.create(file=("notes.txt", b"notes"), purpose="user_data")
    wrong = sdk.batches.create(input_file_id=other.id, endpoint=CHAT, completion_window="24h")
    advance(still, VALIDATING)
    errors = [sdk.batches.retrieve(batch.id).errors for batch in (missing, wrong)]
    assert errors[0] is not None and errors[1] is not None
    assert errors[0].data[0].model_dump() == {
        "code": "invalid_request",
        "message": "Cannot find file file-nope, or organization org-mockapi does not have access to it.",
        "param": "file_id",
        "line": None,
    }
    assert errors[1].data[0].code == "invalid_request" and "purpose 'batch'" in str(errors[1].data[0].message)


# Requests the API refuses at once.


@pytest.mark.parametrize(
    ("changes", "param", "code", "message"),
    [
        (
            {"completion_window": "1h"},
            "completion_window",
            "invalid_value",
            "Invalid value: '1h'. Supported values are: '24h'.",
        ),
        (
            {"metadata": {"tags": ["a", "b"]}},
            "metadata.tags",
            "invalid_type",
            "Invalid type for 'metadata.tags': expected a string, but got an array instead.",
        ),
        (
            {"metadata": {f"k{i}": "v" for i in range(17)}},
            "metadata",
            "object_above_max_properties",
            "Invalid 'metadata': too many properties. Expected an object with at most 16 properties, but got an "
            "object with 17 properties instead.",
        ),
        (
            {"metadata": {"note": "x" * 513}},
            "metadata.note",
            "string_above_max_length",
            "Invalid 'metadata.note': string too long. Expected a string with maximum length 512, but got a string "
            "with length 513 instead.",
        ),
        (
            {"output_expires_after": {"anchor": "created_at", "seconds": 60}},
            "output_expires_after.seconds",
            "integer_below_min_value",
            "Invalid 'output_expires_after.seconds': integer below minimum value. Expected a value >= 3600, but got "
            "60 instead.",
        ),
        (
            {"input_file_id": None},
            "input_file_id",
            "missing_required_parameter",
            "Missing required parameter: 'input_file_id'.",
        ),
        ({"priority": "high"}, "priority", "unknown_parameter", "Unknown parameter: 'priority'."),
    ],
)
def test_creation_is_refused_in_todays_words(
    online: httpx.Client, changes: dict[str, Any], param: str, code: str, message: str
) -> None:
    body = {"input_file_id": "file-x", "endpoint": CHAT, "completion_window": "24h", **changes}
    body = {name: value for name, value in body.items() if value is not None}
    response = online.post("/v1/batches", json=body)
    assert response.status_code == 400
    assert error_of(response) == {"message": message, "type": "invalid_request_error", "param": param, "code": code}
    assert online.get("/v1/batches").json()["data"] == []


def test_an_endpoint_without_a_batchable_route_is_refused(online: httpx.Client) -> None:
    body = {"input_file_id": "file-x", "endpoint": "/v1/images/generations", "completion_window": "24h"}
    response = online.post("/v1/batches", json=body)
    error = error_of(response)
    assert (response.status_code, error["param"], error["code"]) == (400, "endpoint", "invalid_value")
    assert str(error["message"]).startswith(
        "Invalid value: '/v1/images/generations'. Supported values are: '/v1/chat/completions', '/v1/completions', "
    )
    assert "'/v1/embeddings'" in str(error["message"])


def test_unknown_and_other_owners_batches_are_the_same_404(still: ServerProcess, sdk: openai.OpenAI, key: str) -> None:
    mine = batch_of(sdk, [chat_line("a", "Hi")])
    stranger = sdk_client(still, key + "-other")
    for client, batch_id in ((sdk, "batch_nope"), (stranger, mine.id)):
        for call in (client.batches.retrieve, client.batches.cancel):
            with pytest.raises(openai.NotFoundError) as caught:
                call(batch_id)
            assert caught.value.body == {
                "message": f"No batch found with id '{batch_id}'.",
                "type": "invalid_request_error",
                "param": None,
                "code": None,
            }
    assert stranger.batches.list().data == []


# Listing, cancelling.


def test_the_list_is_newest_first_and_pages_by_cursor(still: ServerProcess, sdk: openai.OpenAI) -> None:
    made = [batch_of(sdk, [chat_line("a", f"Hi {i}")]) for i in range(3)]
    newest_first = [batch.id for batch in reversed(made)]
    page = sdk.batches.list(limit=2)
    assert [b.id for b in page.data] == newest_first[:2] and page.has_more is True
    assert (page.first_id, page.last_id) == (newest_first[0], newest_first[1])  # type: ignore[attr-defined]
    assert [b.id for b in sdk.batches.list(limit=2)] == newest_first  # the SDK pages on with `after`
    assert [b.id for b in sdk.batches.list(after=newest_first[1]).data] == newest_first[2:]


def test_a_cancelled_batch_keeps_what_it_answered(still: ServerProcess, sdk: openai.OpenAI) -> None:
    created = batch_of(sdk, [chat_line(f"r{i}", f"Count to {i}") for i in range(5)])
    advance(still, VALIDATING + 2)
    cancelling = sdk.batches.cancel(created.id)
    assert cancelling.status == "cancelling" and cancelling.cancelling_at == created.created_at + VALIDATING + 2
    assert sdk.batches.cancel(created.id).status == "cancelling"  # asked again: as it is
    advance(still, CANCELLING - 1)
    assert sdk.batches.retrieve(created.id).request_counts.model_dump() == {"total": 5, "completed": 2, "failed": 0}  # type: ignore[union-attr]
    advance(still, 1)
    cancelled = sdk.batches.retrieve(created.id)
    assert (cancelled.status, cancelled.cancelled_at) == ("cancelled", cancelling.cancelling_at + CANCELLING)  # type: ignore[operator]
    assert [line["custom_id"] for line in lines_of(sdk, cancelled.output_file_id)] == ["r0", "r1"]
    assert sdk.batches.cancel(created.id).status == "cancelled"


def test_a_batch_cancelled_while_validating_answers_nothing(still: ServerProcess, sdk: openai.OpenAI) -> None:
    created = batch_of(sdk, [chat_line("a", "Hi")])
    assert sdk.batches.cancel(created.id).status == "cancelling"
    advance(still, CANCELLING + VALIDATING)
    cancelled = sdk.batches.retrieve(created.id)
    assert (cancelled.status, cancelled.in_progress_at, cancelled.output_file_id) == ("cancelled", None, None)


def test_an_ended_batch_cannot_be_cancelled(still: ServerProcess, sdk: openai.OpenAI) -> None:
    created = batch_of(sdk, [chat_line("a", "Hi")])
    advance(still, VALIDATING + 1 + FINALIZING)
    with pytest.raises(openai.ConflictError) as caught:
        sdk.batches.cancel(created.id)
    assert caught.value.body == {
        "message": "Cannot cancel a batch with status 'completed'.",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
