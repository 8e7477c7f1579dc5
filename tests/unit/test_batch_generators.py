"""The pure parts of /v1/batches (the input file's check, the timeline, usage) and the batch spool."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from mockapi.batch_spool import DirectorySpool, MemorySpool
from mockapi.errors_current import quoted_list
from mockapi.generators.batches import (
    MAX_REQUESTS,
    CheckedInput,
    add_usage,
    answered_line,
    batch_object,
    check_input,
    empty_usage,
    lines_due,
    new_record,
    next_event,
)

CHAT = "/v1/chat/completions"
MODELS = {"gpt-4o-mini", "gpt-4o"}


def line(custom_id: str = "a", **changes: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "custom_id": custom_id,
        "method": "POST",
        "url": CHAT,
        "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]},
    }
    request.update(changes)
    return request


def checked(*lines: object, endpoint: str = CHAT) -> CheckedInput:
    raw = [(n, v if isinstance(v, bytes) else json.dumps(v).encode()) for n, v in enumerate(lines, 1)]
    return check_input(raw, endpoint, MODELS.__contains__)


def test_good_requests_are_kept_as_custom_id_and_body() -> None:
    found = checked(line("a"), b"\n", line("b"))
    assert found.errors == [] and found.model == "gpt-4o-mini"
    assert [orjson.loads(r) for r in found.requests] == [
        {"custom_id": "a", "body": line()["body"]},
        {"custom_id": "b", "body": line()["body"]},
    ]


def test_every_bad_line_is_reported_with_its_number_code_and_param() -> None:
    no_id = line()
    del no_id["custom_id"]
    found = checked(
        line("a"),
        b"{not json",
        no_id,
        line("a"),
        line("c", url="/v1/embeddings"),
        line("d", body={"model": "gpt-4o-mini", "messages": [], "stream": True}),
        line("e", body={"model": "gpt-9", "messages": []}),
        line("f", body={"messages": []}),
        line("g", method="GET"),
        line("h", body={"model": "gpt-4o"}),
        [1, 2],
    )
    assert [(e["line"], e["code"], e["param"]) for e in found.errors] == [
        (2, "invalid_json_line", None),
        (3, "missing_required_parameter", "custom_id"),
        (4, "duplicate_custom_id", "custom_id"),
        (5, "invalid_url", "url"),
        (6, "streaming_unsupported", "body.stream"),
        (7, "model_not_found", "body.model"),
        (8, "invalid_request", "body.model"),
        (9, "invalid_request", "method"),
        (10, "model_mismatch", "body.model"),
        (10, "invalid_request", "body.messages"),
        (11, "invalid_request", None),
    ]
    messages = {e["line"]: e["message"] for e in found.errors}
    assert messages[2] == "This line is not parseable as valid JSON."
    assert messages[3] == "Missing required parameter: 'custom_id'."
    assert messages[5] == "The URL provided for this request does not match the batch endpoint."
    assert messages[6] == "Chat Completions: Streaming is not supported in the Batch API."
    assert messages[7] == "The provided model 'gpt-9' is not supported by the Batch API."
    assert messages[8] == "Model parameter is required."
    assert found.requests == []


def test_a_file_without_requests_or_with_too_many_fails_as_a_whole() -> None:
    assert [e["code"] for e in checked(b"\n", b"  \n").errors] == ["empty_file"]
    many = [(n, json.dumps(line(str(n))).encode()) for n in range(MAX_REQUESTS + 1)]
    too_many = check_input(many, CHAT, MODELS.__contains__)
    assert [(e["code"], e["line"]) for e in too_many.errors] == [("too_many_tasks", None)]


def test_a_line_over_the_bound_is_refused_unread() -> None:
    found = check_input([(1, None)], CHAT, MODELS.__contains__)
    assert found.errors[0]["code"] == "invalid_request" and "longer than the maximum" in found.errors[0]["message"]


def test_moderations_need_no_model() -> None:
    request = {"custom_id": "m", "method": "POST", "url": "/v1/moderations", "body": {"input": "hi"}}
    assert checked(request, endpoint="/v1/moderations").errors == []


def record(**changes: Any) -> dict[str, Any]:
    request = {"endpoint": CHAT, "input_file_id": "file-1", "completion_window": "24h", "metadata": {"k": "v"}}
    made = new_record("batch_1", request, 1000, checked(line("a"), line("b"), line("c")), "sk-1", None)
    made.update(changes)
    return made


def test_a_new_batch_is_validating_with_every_field_of_the_object() -> None:
    made = record()
    body = batch_object(made)
    assert body["status"] == "validating" and body["expires_at"] == 1000 + 24 * 3600
    assert body["request_counts"] == {"total": 0, "completed": 0, "failed": 0}
    assert body["metadata"] == {"k": "v"} and body["in_progress_at"] is None and body["model"] is None
    assert not any(key.startswith("_") for key in body)
    assert made["_lines"] == 3 and made["_key"] == "sk-1"


def test_requests_fall_due_one_per_line_second_after_validation() -> None:
    running = record(
        status="in_progress", in_progress_at=1005, request_counts={"total": 3, "completed": 0, "failed": 0}
    )
    assert [lines_due(running, t, 2) for t in (1004, 1005, 1006.9, 1007, 1009, 2000)] == [0, 0, 0, 1, 2, 3]
    assert lines_due(running, 1005, 0) == 3  # no time per request: all at once
    assert next_event(record(), 2) == 1005
    assert next_event(running, 2) == 1007
    assert next_event({**running, "_done": 2}, 2) == 1011
    assert next_event({**running, "status": "cancelling", "cancelling_at": 1008}, 2) == 1013
    assert next_event({**running, "status": "completed"}, 2) is None


def test_usage_sums_the_successful_answers_of_every_endpoint() -> None:
    total = empty_usage()
    chat = {"prompt_tokens": 8, "completion_tokens": 5, "total_tokens": 13}
    add_usage(total, answered_line("l1", "a", 200, "r", {"usage": chat}))
    add_usage(total, answered_line("l2", "b", 200, "r", {"usage": {"prompt_tokens": 4, "total_tokens": 4}}))
    responses = {
        "input_tokens": 3,
        "output_tokens": 7,
        "total_tokens": 10,
        "input_tokens_details": {"cached_tokens": 1},
        "output_tokens_details": {"reasoning_tokens": 2},
    }
    add_usage(total, answered_line("l3", "c", 200, "r", {"usage": responses}))
    add_usage(total, answered_line("l4", "d", 400, "r", {"usage": chat}))  # a refusal uses nothing
    assert total == {
        "input_tokens": 15,
        "input_tokens_details": {"cached_tokens": 1},
        "output_tokens": 12,
        "output_tokens_details": {"reasoning_tokens": 2},
        "total_tokens": 27,
    }


def test_the_api_lists_supported_values_with_an_oxford_and() -> None:
    assert quoted_list(["24h"]) == "'24h'"
    assert quoted_list(["a", "b"]) == "'a' and 'b'"
    assert quoted_list(["a", "b", "c"]) == "'a', 'b', and 'c'"


@pytest.mark.parametrize("kind", ["memory", "directory"])
def test_the_spool_reads_requests_in_order_and_counts_results(tmp_path: Path, kind: str) -> None:
    spool = MemorySpool() if kind == "memory" else DirectorySpool(tmp_path)
    spool.write_input("batch_a", [b"r0", b"r1", b"r2"])
    assert spool.read_input("batch_a", 0, 2) == [b"r0", b"r1"]
    assert spool.read_input("batch_a", 2, 5) == [b"r2"]
    assert spool.read_input("batch_a", 1, 1) == [b"r1"]  # out of order: read again from the start
    spool.append_results("batch_a", [b'{"n":0}', b'{"n":1}'])
    assert spool.result_count("batch_a") == 2
    assert list(spool.results("batch_a")) == [b'{"n":0}', b'{"n":1}']
    with spool.lease("batch_a") as leased:
        assert leased
    spool.remove("batch_a")
    assert spool.result_count("batch_a") == 0 and spool.read_input("batch_a", 0, 1) == []


def test_a_result_cut_by_a_crash_is_dropped_and_answered_again(tmp_path: Path) -> None:
    spool = DirectorySpool(tmp_path)
    spool.write_input("batch_a", [b"r0", b"r1"])
    (tmp_path / "batch_a.results").write_bytes(b'{"n":0}\n{"n":')
    fresh = DirectorySpool(tmp_path)
    assert fresh.result_count("batch_a") == 1
    assert (tmp_path / "batch_a.results").read_bytes() == b'{"n":0}\n'


def test_one_process_at_a_time_holds_a_batchs_lease(tmp_path: Path) -> None:
    one, other = DirectorySpool(tmp_path), DirectorySpool(tmp_path)
    with one.lease("batch_a") as first, other.lease("batch_a") as second:
        assert (first, second) == (True, False)
    with other.lease("batch_a") as again:
        assert again
