"""Pure functions of /v1/files: the file object, a page of the list, the fine-tune format check."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO

import orjson

from mockapi.files_store import Position, StoredFile
from mockapi.schemas.files import DeleteFileResponse, ListFilesParams, ListFilesResponse, OpenAIFile

FINE_TUNE_KEYS = ("prompt", "completion")
# A fine-tune example is a prompt and a completion of a few thousand tokens; a longer line is refused
# rather than read whole, so a file that is one huge line cannot take its size in memory.
MAX_LINE_BYTES = 4 * 1024 * 1024


def file_object(stored: StoredFile) -> dict[str, Any]:
    return _file_model(stored).model_dump()


def _file_model(stored: StoredFile) -> OpenAIFile:
    return OpenAIFile(
        id=stored.id,
        bytes=stored.bytes,
        created_at=stored.created_at,
        filename=stored.filename,
        purpose=stored.purpose,
    )


def deleted_object(stored: StoredFile) -> dict[str, Any]:
    return DeleteFileResponse(id=stored.id, deleted=True).model_dump()


def list_page(files: Sequence[StoredFile], params: ListFilesParams, after: Position | None = None) -> dict[str, Any]:
    """Ordered by created_at then insertion; the page starts past `after`, the position of the `after`
    file in the caller's whole list (which holds even once that file is deleted)."""
    descending = params.order == "desc"
    ordered = sorted(files, key=lambda f: f.position, reverse=descending)
    if after is not None:
        ordered = [f for f in ordered if (f.position < after if descending else f.position > after)]
    selected = [f for f in ordered if params.purpose is None or f.purpose == params.purpose]
    page = selected[: params.limit]
    body = ListFilesResponse(data=[_file_model(f) for f in page], has_more=len(selected) > len(page))
    return body.model_dump()


def fine_tune_problem(source: BinaryIO) -> str | None:
    """What is wrong with a fine-tune file, naming the first bad line (1-based) as the real API does.

    Every line must be an example; only the end of the file may be blank (trailing newlines)."""
    examples = 0
    blank: int | None = None
    for number, raw in _lines(source):
        if raw is None:
            return (
                "Expected file to have JSONL format, where every line is a valid JSON dictionary. "
                f"Line {number} is longer than the maximum of {MAX_LINE_BYTES} bytes."
            )
        line = raw.strip()
        if not line:
            blank = blank or number
            continue
        if blank is not None:
            return (
                "Expected file to have JSONL format, where every line is a valid JSON dictionary. "
                f"Line {blank} is empty (only the end of the file may have blank lines)."
            )
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            record = None
        if not isinstance(record, dict):
            start = line[:3].decode("utf-8", "replace")
            return (
                "Expected file to have JSONL format, where every line is a valid JSON dictionary. "
                f'Line {number} is not a dictionary (HINT: line starts with: "{start}...").'
            )
        for key in FINE_TUNE_KEYS:
            if key not in record:
                return (
                    "Expected file to have JSONL format with prompt/completion keys. "
                    f"Missing `{key}` key on line {number}."
                )
            if not isinstance(record[key], str):
                return (
                    "Expected file to have JSONL format with prompt/completion keys. "
                    f"The `{key}` value on line {number} is not a string."
                )
        examples += 1
    if not examples:
        return "Expected file to have JSONL format with prompt/completion keys. The file has no examples."
    return None


def _lines(source: BinaryIO) -> Iterator[tuple[int, bytes | None]]:
    """(number, line) from the start of `source`, each read with a bound: None for a line over it."""
    number = 0
    while line := source.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            yield number, None
            return
        yield number, line
