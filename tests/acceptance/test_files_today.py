"""/v1/files as today's API has it, through the official SDK against a real server: today's purposes and
their checks, `expires_after` (on the server's clock), `status` and `expires_at` in the object.

The module's server stands still at a fixed time; the tests that move its clock use keys of their own, so
only their files are affected.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import openai
import pytest
from PIL import Image

from tests.support import ServerProcess, error_of, sdk_client

START = 1_750_000_000
CHAT_EXAMPLE = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}
BATCH_LINE = {"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-4o-mini"}}


def jsonl(*records: object) -> bytes:
    return b"".join(json.dumps(record).encode() + b"\n" for record in records)


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), "teal").save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def still() -> Iterator[ServerProcess]:
    with ServerProcess(["--fixed-time", str(START)]) as process:
        yield process


@pytest.fixture
def key(request: pytest.FixtureRequest) -> str:
    return "sk-today-" + hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:24]


@pytest.fixture
def sdk(still: ServerProcess, key: str) -> openai.OpenAI:
    return sdk_client(still, key)


@pytest.fixture
def raw(still: ServerProcess, key: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=still.url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as client:
        yield client


def advance(process: ServerProcess, seconds: float) -> float:
    now: float = httpx.post(process.url + "/__mockapi/clock/advance", json={"seconds": seconds}).json()["now"]
    return now


def now_of(process: ServerProcess) -> int:
    return int(httpx.get(process.url + "/__mockapi/clock").json()["now"])


# Purposes and their checks.


@pytest.mark.parametrize(
    ("purpose", "name", "content", "status"),
    [
        ("assistants", "notes.md", b"# Notes\n", "processed"),
        ("user_data", "data.bin", bytes(range(256)), "processed"),
        ("evals", "cases.jsonl", jsonl({"item": {"input": "2+2", "expected": "4"}}), "processed"),
        ("batch", "requests.jsonl", jsonl(BATCH_LINE), "processed"),
        ("vision", "picture.png", png(), "processed"),
        ("fine-tune", "chat.jsonl", jsonl(CHAT_EXAMPLE, CHAT_EXAMPLE), "uploaded"),
    ],
)
def test_todays_purposes_are_stored_with_their_status(
    sdk: openai.OpenAI, purpose: str, name: str, content: bytes, status: str
) -> None:
    created = sdk.files.create(file=(name, content), purpose=purpose)  # type: ignore[arg-type]
    assert (created.purpose, created.filename, created.bytes, created.status) == (purpose, name, len(content), status)
    assert sdk.files.retrieve(created.id) == created
    assert sdk.files.content(created.id).read() == content
    assert [f.id for f in sdk.files.list(purpose=purpose)] == [created.id]


def test_a_batch_file_expires_after_thirty_days_and_others_never(sdk: openai.OpenAI, raw: httpx.Client) -> None:
    batch = sdk.files.create(file=("requests.jsonl", jsonl(BATCH_LINE)), purpose="batch")
    assert batch.expires_at == batch.created_at + 30 * 24 * 3600
    kept = raw.post("/v1/files", data={"purpose": "user_data"}, files={"file": ("k.txt", b"k")}).json()
    assert "expires_at" not in kept and kept["status"] == "processed"


def test_expires_after_sets_expires_at_and_the_file_is_gone_once_the_clock_passes_it(
    still: ServerProcess, sdk: openai.OpenAI, raw: httpx.Client
) -> None:
    policy = {"anchor": "created_at", "seconds": 3600}
    doomed = sdk.files.create(file=("soon.txt", b"soon"), purpose="user_data", expires_after=policy)  # type: ignore[arg-type]
    kept = sdk.files.create(file=("kept.txt", b"kept"), purpose="user_data")
    assert doomed.created_at == now_of(still) and doomed.expires_at == doomed.created_at + 3600
    advance(still, doomed.expires_at - now_of(still) - 1)
    assert sdk.files.retrieve(doomed.id).expires_at == doomed.expires_at
    advance(still, 1)
    missing = {
        "message": f"No such File object: {doomed.id}",
        "type": "invalid_request_error",
        "param": "id",
        "code": None,
    }
    for method, path in (("GET", ""), ("GET", "/content"), ("DELETE", "")):
        response = raw.request(method, f"/v1/files/{doomed.id}{path}")
        assert (response.status_code, error_of(response)) == (404, missing)
    assert [f.id for f in sdk.files.list()] == [kept.id]
    with pytest.raises(openai.NotFoundError):
        sdk.files.retrieve(doomed.id)


@pytest.mark.parametrize(
    ("fields", "param", "code", "message"),
    [
        (
            {"expires_after[anchor]": "created_at", "expires_after[seconds]": "60"},
            "expires_after.seconds",
            "integer_below_min_value",
            "Invalid 'expires_after.seconds': integer below minimum value. Expected a value >= 3600, but got 60 "
            "instead.",
        ),
        (
            {"expires_after[anchor]": "created_at", "expires_after[seconds]": "2592001"},
            "expires_after.seconds",
            "integer_above_max_value",
            "Invalid 'expires_after.seconds': integer above maximum value. Expected a value <= 2592000, but got "
            "2592001 instead.",
        ),
        (
            {"expires_after[anchor]": "last_used_at", "expires_after[seconds]": "3600"},
            "expires_after.anchor",
            "invalid_value",
            "Invalid value: 'last_used_at'. Supported values are: 'created_at'.",
        ),
        (
            {"expires_after[anchor]": "created_at"},
            "expires_after.seconds",
            "missing_required_parameter",
            "Missing required parameter: 'expires_after.seconds'.",
        ),
        (
            {"expires_after[anchor]": "created_at", "expires_after[seconds]": "soon"},
            "expires_after.seconds",
            "invalid_type",
            "Invalid type for 'expires_after.seconds': expected an integer, but got a string instead.",
        ),
        (
            {"expires_after[anchor]": "created_at", "expires_after[seconds]": "3600", "expires_after[days]": "1"},
            "expires_after.days",
            "unknown_parameter",
            "Unknown parameter: 'expires_after.days'.",
        ),
    ],
)
def test_expires_after_is_refused_in_todays_words(
    raw: httpx.Client, fields: dict[str, str], param: str, code: str, message: str
) -> None:
    response = raw.post("/v1/files", data={"purpose": "user_data", **fields}, files={"file": ("a.txt", b"a")})
    assert response.status_code == 400
    assert error_of(response) == {"message": message, "type": "invalid_request_error", "param": param, "code": code}
    assert raw.get("/v1/files").json()["data"] == []


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("requests.txt", jsonl(BATCH_LINE)),  # the name decides first
        ("requests.jsonl", b"{malformed json\n"),  # then the first line
        ("requests.jsonl", b"\n\n"),
    ],
)
def test_a_batch_file_that_is_not_jsonl_is_refused(sdk: openai.OpenAI, name: str, content: bytes) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        sdk.files.create(file=(name, content), purpose="batch")
    assert caught.value.body == {
        "message": "Invalid file format for Batch API. Must be .jsonl",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
    assert sdk.files.list().data == []


def test_a_batch_files_later_lines_are_checked_when_a_batch_is_made(sdk: openai.OpenAI) -> None:
    created = sdk.files.create(file=("r.jsonl", jsonl(BATCH_LINE) + b"{broken\n"), purpose="batch")
    assert created.status == "processed"


def test_fine_tune_files_in_the_chat_and_preference_formats_are_accepted(sdk: openai.OpenAI) -> None:
    tools = {**CHAT_EXAMPLE, "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]}
    call = {"role": "assistant", "content": None, "tool_calls": [{"id": "c", "type": "function"}]}
    calling = {"messages": [{"role": "user", "content": "Go"}, call]}
    preference = {
        "input": {"messages": [{"role": "user", "content": "Hi"}]},
        "preferred_output": [{"role": "assistant", "content": "Hello!"}],
        "non_preferred_output": [{"role": "assistant", "content": "Go away."}],
    }
    for name, content in (("chat.jsonl", jsonl(CHAT_EXAMPLE, tools, calling)), ("dpo.jsonl", jsonl(preference))):
        assert sdk.files.create(file=(name, content), purpose="fine-tune").bytes == len(content)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            jsonl(CHAT_EXAMPLE, {"prompt": "a", "completion": "b"}),
            "Expected file to have JSONL format with chat messages. Missing `messages` key on line 2.",
        ),
        (
            jsonl(CHAT_EXAMPLE, {"messages": []}),
            "Expected file to have JSONL format with chat messages. The `messages` value on line 2 is not a "
            "non-empty list of messages.",
        ),
        (
            jsonl({"messages": [{"role": "robot", "content": "beep"}]}),
            "Expected file to have JSONL format with chat messages. Message 1 on line 1 has no valid `role` (one of "
            "system, developer, user, assistant, tool, function).",
        ),
        (
            jsonl({"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant"}]}),
            "Expected file to have JSONL format with chat messages. Message 2 on line 1 has no `content` (a string "
            "or a list of parts).",
        ),
        (
            jsonl({"input": {"messages": [{"role": "user", "content": "Hi"}]}, "preferred_output": []}),
            "Expected file to have JSONL format with input, preferred_output and non_preferred_output keys. Missing "
            "`non_preferred_output` key on line 1.",
        ),
    ],
)
def test_chat_format_fine_tune_files_are_checked_line_by_line(sdk: openai.OpenAI, content: bytes, message: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        sdk.files.create(file=("train.jsonl", content), purpose="fine-tune")
    assert caught.value.body == {"message": message, "type": "invalid_request_error", "param": None, "code": None}


def test_a_fine_tune_file_named_other_than_jsonl_is_refused(sdk: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        sdk.files.create(file=("train.txt", jsonl(CHAT_EXAMPLE)), purpose="fine-tune")
    assert caught.value.message.endswith("Invalid file format for Fine-Tuning API. Must be .jsonl")
    # A name without an extension (openai 0.28 names every upload "file") is judged by its content, as in 2023.
    assert sdk.files.create(file=("file", jsonl(CHAT_EXAMPLE)), purpose="fine-tune").filename == "file"


def test_a_vision_file_must_be_an_image(sdk: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        sdk.files.create(file=("picture.png", b"not an image"), purpose="vision")
    assert (caught.value.code, caught.value.param) == ("invalid_image_format", "file")
    assert "['png', 'jpeg', 'gif', 'webp']" in caught.value.message


# With a data directory, and with worker processes.


def test_an_expiring_file_outlives_a_restart_and_expires_on_the_clock(
    start_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    flags = ("--fixed-time", str(START), "--data-dir", str(tmp_path))
    first = start_server(*flags)
    created = sdk_client(first, "sk-restart").files.create(
        file=("soon.txt", b"soon"),
        purpose="user_data",
        expires_after={"anchor": "created_at", "seconds": 7200},  # type: ignore[arg-type]
    )
    first.stop()
    second = start_server(*flags)
    client = sdk_client(second, "sk-restart")
    assert client.files.retrieve(created.id).expires_at == START + 7200
    advance(second, 7200)
    deadline = time.monotonic() + 10
    while list((tmp_path / "files").glob("*/file-*.content")) and time.monotonic() < deadline:
        time.sleep(0.05)  # the server removes it as its clock passes the time, before anyone asks
    assert list((tmp_path / "files").glob("*/file-*.content")) == []
    assert client.files.list().data == []


def test_workers_agree_an_expired_file_is_gone(start_server: Callable[..., ServerProcess]) -> None:
    # Ten minutes of the clock a second: the file expires about six seconds after it is made. (Each worker's
    # clock starts when the worker does, so theirs differ by the gap between their starts, sped up.)
    process = start_server("--workers", "2", "--job-speed", "600")
    client = sdk_client(process, "sk-workers-expiry", default_headers={"Connection": "close"})
    created = client.files.create(
        file=("soon.txt", b"soon"),
        purpose="user_data",
        expires_after={"anchor": "created_at", "seconds": 3600},  # type: ignore[arg-type]
    )
    assert client.files.retrieve(created.id).id == created.id
    deadline = time.monotonic() + 30
    answers: list[int] = []
    while time.monotonic() < deadline:
        answers = [
            httpx.get(f"{process.base_url}/files/{created.id}", headers=_auth("sk-workers-expiry")).status_code
            for _ in range(6)
        ]
        if set(answers) == {404}:
            break
        time.sleep(0.2)
    assert set(answers) == {404}


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Connection": "close"}
