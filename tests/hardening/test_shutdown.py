"""Graceful shutdown: SIGTERM lets in-flight requests finish (streams and uploads included), then the server
exits 0; with --data-dir an upload in flight at SIGTERM is stored whole, and nothing is left half-written."""

from __future__ import annotations

import hashlib
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.hardening.routes import sse_payloads
from tests.support import API_KEY, ServerProcess

pytestmark = pytest.mark.slow

HEADERS = {"Authorization": f"Bearer {API_KEY}"}
STREAM = {"model": "gpt-4", "stream": True, "messages": [{"role": "user", "content": "Say something"}]}


def _read_stream_after_sigterm(process: ServerProcess) -> tuple[str, list[str]]:
    """Open a stream, send SIGTERM once its first event has arrived, read the rest."""
    assert process.process is not None
    with (
        httpx.Client(base_url=process.url, headers=HEADERS, timeout=30) as client,
        client.stream("POST", "/v1/chat/completions", json=STREAM) as response,
    ):
        lines = response.iter_lines()
        first = next(line for line in lines if line)
        process.process.send_signal(signal.SIGTERM)
        return first, [line for line in lines if line]


def _deltas(lines: Iterable[str]) -> list[Any]:
    return [orjson.loads(line[6:])["choices"] for line in lines if line != "data: [DONE]"]


def test_sigterm_finishes_an_in_flight_stream_then_exits_0(start_server: Callable[..., ServerProcess]) -> None:
    # 50 ms between chunks: the stream is still going for a second or more after SIGTERM.
    process = start_server("--stream-delay-ms", "50")
    expected = httpx.post(process.url + "/v1/chat/completions", json=STREAM, headers=HEADERS, timeout=30)
    first, rest = _read_stream_after_sigterm(process)
    assert rest[-1] == "data: [DONE]"
    # Every piece the same stream sends when left alone, in order: nothing was cut.
    assert _deltas([first, *rest]) == _deltas(line for line in expected.text.split("\n") if line)
    assert len(sse_payloads(expected)) > 3
    assert process.process is not None and process.process.wait(timeout=30) == 0


def test_after_sigterm_new_connections_are_refused(start_server: Callable[..., ServerProcess]) -> None:
    process = start_server("--stream-delay-ms", "50")
    _read_stream_after_sigterm(process)
    assert process.process is not None and process.process.wait(timeout=30) == 0
    try:
        httpx.get(process.url + "/health", timeout=5)
    except httpx.ConnectError:
        return
    raise AssertionError("the server still accepted connections after SIGTERM")


BOUNDARY = "mockapi-slow-upload"
CHUNKS = 20
CHUNK_SECONDS = 0.1  # 2 s in all: well past SIGTERM, well within the 10 s grace period


def _multipart(content: bytes) -> bytes:
    """A multipart body holding `purpose` and `file`."""
    return (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nfine-tune\r\n'
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="slow.jsonl"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


def _paced(body: bytes, sent: list[int], started: threading.Event) -> Iterator[bytes]:
    """The body in CHUNKS pieces, one every CHUNK_SECONDS, counted in `sent`; `started` once one has gone."""
    size = -(-len(body) // CHUNKS)
    for index in range(0, len(body), size):
        yield body[index : index + size]
        sent.append(index)
        started.set()
        time.sleep(CHUNK_SECONDS)


def test_sigterm_mid_upload_stores_the_file_whole_with_data_dir(
    start_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    process = start_server("--data-dir", str(data_dir))
    assert process.process is not None
    lines = [orjson.dumps({"prompt": f"question {i}?", "completion": f" answer {i}." * 20}) for i in range(400)]
    content = b"\n".join(lines) + b"\n"
    body = _multipart(content)
    sent: list[int] = []
    started = threading.Event()
    answer: list[httpx.Response] = []

    def upload() -> None:
        headers = {
            **HEADERS,
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "Content-Length": str(len(body)),
        }
        answer.append(
            httpx.post(process.base_url + "/files", content=_paced(body, sent, started), headers=headers, timeout=30)
        )

    uploading = threading.Thread(target=upload)
    uploading.start()
    assert started.wait(10)
    time.sleep(CHUNK_SECONDS * 3)  # a few pieces in: the server is reading the body
    process.process.send_signal(signal.SIGTERM)
    pieces_before_sigterm = len(sent)
    uploading.join(30)
    assert not uploading.is_alive()
    response = answer[0]
    assert response.status_code == 200, response.text  # finished within the grace period
    stored = response.json()
    assert stored["bytes"] == len(content) and stored["filename"] == "slow.jsonl"
    assert pieces_before_sigterm < CHUNKS // 2 < len(sent)  # most of the body went after SIGTERM
    assert process.process.wait(timeout=30) == 0

    # Only the complete file is on disk: its content and its metadata, nothing temporary or partial (the
    # rest is the store's own bookkeeping: its lock and id sequence).
    on_disk = [path for path in data_dir.rglob("*") if path.is_file()]
    assert not [path for path in on_disk if path.name.endswith(".tmp")]
    stored_files = {path.name: path for path in on_disk if path.name.startswith("file-")}
    assert sorted(stored_files) == [f"{stored['id']}.content", f"{stored['id']}.json"]
    assert stored_files[f"{stored['id']}.content"].read_bytes() == content

    again = start_server("--data-dir", str(data_dir))
    with httpx.Client(base_url=again.base_url, headers=HEADERS, timeout=30) as client:
        listed = client.get("/files").json()["data"]
        assert [(f["id"], f["bytes"]) for f in listed] == [(stored["id"], len(content))]
        downloaded = client.get(f"/files/{stored['id']}/content").content
    assert hashlib.sha256(downloaded).digest() == hashlib.sha256(content).digest()
    assert downloaded == content
