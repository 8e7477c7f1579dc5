"""Batches on servers of their own: a window that runs out (expired), a restart with --data-dir resuming a
running batch, worker processes sharing batches, and the pytest plugin's server."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import openai
import pytest

from tests.acceptance.test_batches import CHAT, FINALIZING, START, VALIDATING, chat_line, jsonl, lines_of
from tests.support import ServerProcess, sdk_client


def advance(process: ServerProcess, seconds: float) -> None:
    httpx.post(process.url + "/__mockapi/clock/advance", json={"seconds": seconds}).raise_for_status()


def make_batch(sdk: openai.OpenAI, count: int) -> str:
    lines = [chat_line(f"r{i}", f"Say {i}") for i in range(count)]
    uploaded = sdk.files.create(file=("requests.jsonl", jsonl(lines)), purpose="batch")
    return sdk.batches.create(input_file_id=uploaded.id, endpoint=CHAT, completion_window="24h").id


def test_a_batch_not_done_within_its_window_expires(start_server: Callable[..., ServerProcess]) -> None:
    # Ten hours a request: the third would be answered 30 hours in, past the 24-hour window.
    process = start_server("--fixed-time", str(START), "--batch-line-seconds", "36000")
    sdk = sdk_client(process, "sk-expiry")
    batch_id = make_batch(sdk, 3)
    advance(process, VALIDATING + 36000)
    assert sdk.batches.retrieve(batch_id).request_counts.model_dump() == {"total": 3, "completed": 1, "failed": 0}  # type: ignore[union-attr]
    advance(process, 24 * 3600)
    expired = sdk.batches.retrieve(batch_id)
    assert (expired.status, expired.expired_at) == ("expired", START + 24 * 3600)
    assert expired.request_counts.model_dump() == {"total": 3, "completed": 2, "failed": 1}  # type: ignore[union-attr]
    assert [line["custom_id"] for line in lines_of(sdk, expired.output_file_id)] == ["r0", "r1"]
    [unanswered] = lines_of(sdk, expired.error_file_id)
    assert unanswered["custom_id"] == "r2" and unanswered["response"] is None
    assert unanswered["error"] == {
        "code": "batch_expired",
        "message": "This request could not be executed before the completion window expired.",
    }


def test_a_restart_with_a_data_dir_resumes_a_running_batch(
    start_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    flags = ("--fixed-time", str(START), "--data-dir", str(tmp_path), "--batch-line-seconds", "10")
    first = start_server(*flags)
    batch_id = make_batch(sdk_client(first, "sk-resume"), 4)
    advance(first, VALIDATING + 20)
    running = sdk_client(first, "sk-resume").batches.retrieve(batch_id)
    assert running.request_counts.model_dump() == {"total": 4, "completed": 2, "failed": 0}  # type: ignore[union-attr]
    first.stop(signal.SIGTERM)

    second = start_server(*flags)  # its clock starts at START again: the answered requests stay answered
    sdk = sdk_client(second, "sk-resume")
    resumed = sdk.batches.retrieve(batch_id)
    assert resumed.model_dump() == running.model_dump()
    advance(second, VALIDATING + 40 + FINALIZING)
    done = sdk.batches.retrieve(batch_id)
    assert done.status == "completed"
    assert done.request_counts.model_dump() == {"total": 4, "completed": 4, "failed": 0}  # type: ignore[union-attr]
    output = lines_of(sdk, done.output_file_id)
    assert [line["custom_id"] for line in output] == ["r0", "r1", "r2", "r3"]
    assert len({line["id"] for line in output}) == 4
    assert sdk.batches.retrieve(batch_id).status == "completed"  # read again once ended: nothing made anew
    assert list((tmp_path / "batches").glob("batch_*")) == []  # what a running batch keeps is gone once it ends


def test_a_batch_killed_mid_chunk_is_answered_once_per_request_after_a_restart(
    start_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    flags = ("--fixed-time", str(START), "--data-dir", str(tmp_path), "--batch-line-seconds", "0")
    first = start_server(*flags)
    batch_id = make_batch(sdk_client(first, "sk-crash"), 40)
    first.stop(signal.SIGKILL)  # no request answered yet (the clock stands at the batch's creation)
    results = tmp_path / "batches" / f"{batch_id}.results"
    results.write_bytes(b'{"id": "batch_req_cut", "custom_id": "r0", "resp')  # a line a crash cut short
    second = start_server(*flags)
    sdk = sdk_client(second, "sk-crash")
    advance(second, VALIDATING + FINALIZING)
    done = sdk.batches.retrieve(batch_id)
    assert done.status == "completed"
    assert [line["custom_id"] for line in lines_of(sdk, done.output_file_id)] == [f"r{i}" for i in range(40)]


def test_worker_processes_share_batches(start_server: Callable[..., ServerProcess]) -> None:
    # A hundred seconds of the clock a second: the batch ends well within a second or two.
    process = start_server("--workers", "2", "--job-speed", "100")
    sdk = sdk_client(process, "sk-workers-batch", default_headers={"Connection": "close"})
    batch_id = make_batch(sdk, 3)
    deadline = time.monotonic() + 30
    seen = sdk.batches.retrieve(batch_id)
    while seen.status != "completed" and time.monotonic() < deadline:
        time.sleep(0.1)
        seen = sdk.batches.retrieve(batch_id)
    assert seen.status == "completed"
    output = lines_of(sdk, seen.output_file_id)
    assert [line["custom_id"] for line in output] == ["r0", "r1", "r2"]
    for _ in range(4):  # whichever worker answers
        assert sdk.batches.retrieve(batch_id).model_dump() == seen.model_dump()
        assert [b.id for b in sdk.batches.list()] == [batch_id]


def test_the_pytest_plugin_moves_batches_with_mockapi_advance(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_plugin_batch=f"""
        import json

        LINE = {json.dumps(chat_line("a", "Hi"))!r}

        def test_batch(mockapi):
            client = mockapi.openai_client()
            uploaded = client.files.create(file=("in.jsonl", LINE.encode()), purpose="batch")
            batch = client.batches.create(input_file_id=uploaded.id, endpoint="{CHAT}", completion_window="24h")
            mockapi.advance({VALIDATING + 1 + FINALIZING})
            done = client.batches.retrieve(batch.id)
            assert done.status == "completed", done
            [line] = client.files.content(done.output_file_id).text.splitlines()
            assert json.loads(line)["response"]["status_code"] == 200
        """
    )
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "-p", "no:asyncio", "-p", "no:randomly")
    result.assert_outcomes(passed=1)
