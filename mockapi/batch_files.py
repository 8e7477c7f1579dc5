"""A batch's files: its input file read and checked when the batch is made, and its output and error files
written when it ends (purpose `batch_output`, in the owner's file store). Blocking: called in a thread."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any, BinaryIO

import orjson

from mockapi.files_store import FileNotFound, StorageFull
from mockapi.generators.batches import MAX_LINE_BYTES, CheckedInput, check_input, expired_line, succeeded

if TYPE_CHECKING:
    from mockapi.batch_spool import BatchSpool
    from mockapi.records import Record
    from mockapi.state import AppState

# Output written past this many bytes goes to a temporary file rather than memory.
IN_MEMORY_BYTES = 1024 * 1024
EXPIRED_CHUNK = 1000


class BatchFiles:
    def __init__(self, state: AppState, spool: BatchSpool) -> None:
        self.state = state
        self.spool = spool

    def check(self, owner: str, organization: str | None, file_id: str, endpoint: str) -> CheckedInput:
        """The input file's requests, or what makes the batch fail when its validation ends."""
        checked = CheckedInput()
        try:
            stored, stream = self.state.files.open_content(owner, file_id)
        except FileNotFound:
            checked.refuse(
                "invalid_request",
                f"Cannot find file {file_id}, or organization {organization or 'org-mockapi'} does not have access "
                "to it.",
                "file_id",
            )
            return checked
        with stream:
            if stored.purpose != "batch":
                checked.refuse(
                    "invalid_request",
                    f"The input file {file_id} was uploaded with purpose '{stored.purpose}': a batch's input file "
                    "must be uploaded with purpose 'batch'.",
                    "input_file_id",
                )
                return checked
            catalogue = self.state.catalogue
            return check_input(_lines(stream), endpoint, lambda model: catalogue.find(model) is not None)

    def write(self, owner: str, record: Record, at: float, expired: bool) -> bool:
        """The output and error files of a batch that ends at `at`; with `expired`, the requests never
        answered are in the error file as expired (and counted as failed). False (with the batch's `errors`
        saying why) if the store is too full for them."""
        batch_id = record["id"]
        with _buffer() as output, _buffer() as failures:
            for raw in self.spool.results(batch_id):
                (output if succeeded(orjson.loads(raw)) else failures).write(raw + b"\n")
            if expired:
                for line in self._expired_lines(record):
                    failures.write(orjson.dumps(line) + b"\n")
                    record["request_counts"]["failed"] += 1
            seconds = record["_output_seconds"]
            expires_at = int(at) + seconds if seconds is not None else None
            try:
                for key, name, content in (("output_file_id", "output", output), ("error_file_id", "error", failures)):
                    size = content.tell()
                    if size:
                        filename = f"{batch_id}_{name}.jsonl"
                        stored = self.state.files.add(
                            owner, filename, "batch_output", int(at), _rewound(content), size, expires_at
                        )
                        record[key] = stored.id
            except StorageFull as exc:
                record["errors"] = {
                    "object": "list",
                    "data": [{"code": "file_storage_full", "message": str(exc), "param": None, "line": None}],
                }
                return False
        return True

    def _expired_lines(self, record: Record) -> Iterator[dict[str, Any]]:
        start, total = record["_done"], record["request_counts"]["total"]
        while start < total:
            requests = self.spool.read_input(record["id"], start, min(EXPIRED_CHUNK, total - start))
            if not requests:
                return
            for raw in requests:
                yield expired_line(self.state.seeding.next_id("batch_req_", 24), orjson.loads(raw)["custom_id"])
            start += len(requests)


def _buffer() -> tempfile.SpooledTemporaryFile[bytes]:
    return tempfile.SpooledTemporaryFile(max_size=IN_MEMORY_BYTES)


def _rewound(content: IO[bytes]) -> BinaryIO:
    content.seek(0)
    return content  # type: ignore[return-value]


def _lines(stream: BinaryIO) -> Iterator[tuple[int, bytes | None]]:
    """(number, line) of a file, each read with a bound: None for a line over it (the rest of it skipped)."""
    number = 0
    while line := stream.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            yield number, None
            while (rest := stream.readline(MAX_LINE_BYTES + 1)) and not rest.endswith(b"\n"):
                pass
            continue
        yield number, line
