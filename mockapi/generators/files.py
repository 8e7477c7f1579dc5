"""Pure functions of /v1/files: the file object, a page of the list, the checks of an upload's content
(fine-tune files in the 2023 prompt/completion format or today's chat and preference formats; batch input
files; vision images)."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any, BinaryIO

import orjson
from PIL import Image, UnidentifiedImageError

from mockapi.files_store import Position, StoredFile
from mockapi.image_input import IMAGE_FORMATS
from mockapi.schemas.files import TODAYS_PURPOSES, DeleteFileResponse, ListFilesParams, ListFilesResponse, OpenAIFile

FINE_TUNE_KEYS = ("prompt", "completion")
# Files the server writes (a batch's output) are of today's API too.
PROCESSED_PURPOSES = TODAYS_PURPOSES | {"batch_output"}
# A fine-tune example is a prompt and a completion of a few thousand tokens; a longer line is refused
# rather than read whole, so a file that is one huge line cannot take its size in memory.
MAX_LINE_BYTES = 4 * 1024 * 1024


def file_object(stored: StoredFile) -> dict[str, Any]:
    return _file_body(_file_model(stored))


def _file_model(stored: StoredFile) -> OpenAIFile:
    return OpenAIFile(
        id=stored.id,
        bytes=stored.bytes,
        created_at=stored.created_at,
        filename=stored.filename,
        purpose=stored.purpose,
        status="processed" if stored.purpose in PROCESSED_PURPOSES else "uploaded",
        expires_at=stored.expires_at,
    )


def _file_body(model: OpenAIFile) -> dict[str, Any]:
    """The object; `expires_at` only for a file that expires (the 2023 object has none)."""
    body = model.model_dump()
    if body["expires_at"] is None:
        del body["expires_at"]
    return body


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
    body = ListFilesResponse(
        data=[],
        first_id=page[0].id if page else None,
        last_id=page[-1].id if page else None,
        has_more=len(selected) > len(page),
    ).model_dump()
    body["data"] = [_file_body(_file_model(f)) for f in page]
    return body


JSONL_PROBLEM = "Expected file to have JSONL format, where every line is a valid JSON dictionary."
CHAT_PROBLEM = "Expected file to have JSONL format with chat messages."
PREFERENCE_PROBLEM = "Expected file to have JSONL format with input, preferred_output and non_preferred_output keys."
ROLES = ("system", "developer", "user", "assistant", "tool", "function")


def fine_tune_problem(source: BinaryIO) -> str | None:
    """What is wrong with a fine-tune file, naming the first bad line (1-based) as the real API does.

    Every line must be an example; only the end of the file may be blank (trailing newlines). The first
    example sets the format of all: chat (`messages`), preference (`input` and preferred outputs, for DPO)
    or the 2023 prompt/completion pairs."""
    examples = 0
    blank: int | None = None
    check: Callable[[dict[str, Any], int], str | None] | None = None
    for number, raw in _lines(source):
        if raw is None:
            return f"{JSONL_PROBLEM} Line {number} is longer than the maximum of {MAX_LINE_BYTES} bytes."
        line = raw.strip()
        if not line:
            blank = blank or number
            continue
        if blank is not None:
            return f"{JSONL_PROBLEM} Line {blank} is empty (only the end of the file may have blank lines)."
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            record = None
        if not isinstance(record, dict):
            start = line[:3].decode("utf-8", "replace")
            return f'{JSONL_PROBLEM} Line {number} is not a dictionary (HINT: line starts with: "{start}...").'
        if check is None:
            check = _format_of(record)
        problem = check(record, number)
        if problem is not None:
            return problem
        examples += 1
    if not examples:
        return "Expected file to have JSONL format with prompt/completion keys. The file has no examples."
    return None


def _format_of(first: dict[str, Any]) -> Callable[[dict[str, Any], int], str | None]:
    if "messages" in first:
        return _chat_problem
    if "input" in first and "preferred_output" in first:
        return _preference_problem
    return _prompt_completion_problem


def _prompt_completion_problem(record: dict[str, Any], number: int) -> str | None:
    for key in FINE_TUNE_KEYS:
        if key not in record:
            return (
                f"Expected file to have JSONL format with prompt/completion keys. Missing `{key}` key on line {number}."
            )
        if not isinstance(record[key], str):
            return (
                "Expected file to have JSONL format with prompt/completion keys. "
                f"The `{key}` value on line {number} is not a string."
            )
    return None


def _chat_problem(record: dict[str, Any], number: int) -> str | None:
    if "messages" not in record:
        return f"{CHAT_PROBLEM} Missing `messages` key on line {number}."
    return _messages_problem(record["messages"], f"line {number}", CHAT_PROBLEM)


def _messages_problem(messages: Any, where: str, problem: str) -> str | None:
    if not isinstance(messages, list) or not messages:
        return f"{problem} The `messages` value on {where} is not a non-empty list of messages."
    for index, message in enumerate(messages, 1):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            return f"{problem} Message {index} on {where} has no valid `role` (one of {', '.join(ROLES)})."
        content = message.get("content")
        calls = message.get("role") == "assistant" and (message.get("tool_calls") or message.get("function_call"))
        if not (isinstance(content, str | list) or (content is None and calls)):
            return f"{problem} Message {index} on {where} has no `content` (a string or a list of parts)."
    return None


def _preference_problem(record: dict[str, Any], number: int) -> str | None:
    for key in ("input", "preferred_output", "non_preferred_output"):
        if key not in record:
            return f"{PREFERENCE_PROBLEM} Missing `{key}` key on line {number}."
    given = record["input"]
    if not isinstance(given, dict):
        return f"{PREFERENCE_PROBLEM} The `input` value on line {number} is not an object with `messages`."
    problem = _messages_problem(given.get("messages"), f"line {number} (input)", PREFERENCE_PROBLEM)
    for key in ("preferred_output", "non_preferred_output"):
        problem = problem or _messages_problem(record[key], f"line {number} ({key})", PREFERENCE_PROBLEM)
    return problem


def is_image(source: BinaryIO) -> bool:
    """Whether a vision file is an image of a format the API reads (PNG, JPEG, GIF or WEBP), from its header."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(source) as image:
                found = (image.format or "").lower()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError, SyntaxError):
        return False
    return found in IMAGE_FORMATS or found == "mpo"  # Pillow's name of a camera's multi-picture JPEG


def batch_file_problem(source: BinaryIO) -> bool:
    """Whether a batch input file is not JSONL at all (its first line is not a JSON object); the lines
    themselves are checked when a batch is made of the file, as the real API checks them."""
    for _, raw in _lines(source):
        if raw is None:
            return True
        line = raw.strip()
        if not line:
            continue
        try:
            return not isinstance(orjson.loads(line), dict)
        except orjson.JSONDecodeError:
            return True
    return True


def _lines(source: BinaryIO) -> Iterator[tuple[int, bytes | None]]:
    """(number, line) from the start of `source`, each read with a bound: None for a line over it."""
    number = 0
    while line := source.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            yield number, None
            return
        yield number, line
