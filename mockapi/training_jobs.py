"""What both fine-tuning APIs' routers share: the caller's organization as jobs name it, a training file read
into a Dataset (in a worker thread: the files store may do disk I/O), and the results file of a job that has
succeeded, written to the files store (purpose fine-tune-results) the first time the job is seen succeeded.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO

from starlette.concurrency import run_in_threadpool

from mockapi import accounting
from mockapi.context import Caller
from mockapi.files_store import FileNotFound, FileStore, StorageFull, StoredFile
from mockapi.generators.files import file_object
from mockapi.generators.training_data import MAX_LINE_BYTES, Counters, Dataset, read_dataset
from mockapi.tokens import tokenizer_for

if TYPE_CHECKING:
    from mockapi.catalogue import ModelEntry
    from mockapi.state import AppState

RESULTS_PURPOSE = "fine-tune-results"
TRAINING_PURPOSE = "fine-tune"
# The organization of a caller that names none, and the name its models carry.
DEFAULT_ORGANIZATION = "org-mockapi"
PERSONAL = "personal"
# Tokens of one example trained at most (longer ones are truncated): a model's window, up to this.
MAX_TRAINING_CONTEXT = 65_536
_NOT_A_NAME = re.compile(r"[^a-z0-9-]+")


def organization_id(caller: Caller) -> str:
    return caller.organization or DEFAULT_ORGANIZATION


def organization_name(caller: Caller) -> str:
    """How model names show the organization: `personal` for a caller without one."""
    if not caller.organization:
        return PERSONAL
    name = caller.organization.lower().removeprefix("org-")
    return _NOT_A_NAME.sub("-", name).strip("-") or PERSONAL


def counters_for(entry: ModelEntry) -> Counters:
    """The base model's counts: a conversation as its chat prompt, a text with its tokenizer."""
    tokenizer = tokenizer_for(entry.tokenizer)

    def chat(messages: Sequence[Mapping[str, Any]]) -> int:
        try:
            return accounting.model_prompt_tokens(entry, accounting.chat_messages(messages)).total
        except ValueError:  # an image or audio part the accounting cannot read: its text alone
            texts = [content for m in messages if isinstance(content := m.get("content"), str)]
            return sum(tokenizer.count(text) for text in texts)

    return Counters(chat, tokenizer.count, min(entry.context_window or 4096, MAX_TRAINING_CONTEXT))


def lines_of(stream: BinaryIO) -> Iterator[bytes | None]:
    """The lines of a file, each read with a bound: None for one over MAX_LINE_BYTES (the last read)."""
    while line := stream.readline(MAX_LINE_BYTES + 1):
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            yield None
            return
        yield line


async def find_file(store: FileStore, owner: str, file_id: str) -> StoredFile | None:
    try:
        return await run_in_threadpool(store.get, owner, file_id)
    except FileNotFound:
        return None


async def read_training_file(
    store: FileStore, owner: str, file_id: str, entry: ModelEntry, answers: bool = True
) -> Dataset | None:
    """The file's examples and tokens (None if it is gone)."""
    counters = counters_for(entry)

    def read() -> Dataset | None:
        try:
            _, stream = store.open_content(owner, file_id)
        except FileNotFound:
            return None
        with stream:
            return read_dataset(lines_of(stream), counters, answers)

    return await run_in_threadpool(read)


async def with_results_file(
    state: AppState, kind: str, owner: str, record: dict[str, Any], finished: float, filename: str,
    content: Callable[[dict[str, Any]], bytes],
) -> dict[str, Any]:  # fmt: skip
    """The job's record with its results file (`result_file`: its id, `result_object`: the file object),
    written now if it was not yet: once, even if two requests (or two workers) see the job succeed at once."""
    if record.get("result_file"):
        return record
    data = content(record)
    store = state.files
    try:
        stored = await run_in_threadpool(
            store.add, owner, filename, RESULTS_PURPOSE, int(finished), io.BytesIO(data), len(data)
        )
    except StorageFull:
        return record  # no room for it: the job shows no results file, as a job whose upload failed
    written = {"result_file": stored.id, "result_object": file_object(stored)}
    kept = state.records(kind).update(
        owner, record["id"], lambda current: None if current.get("result_file") else {**current, **written}
    )
    if kept is None or kept.get("result_file") != stored.id:
        await run_in_threadpool(_forget, store, owner, stored.id)
    return kept or {**record, **written}


def _forget(store: FileStore, owner: str, file_id: str) -> None:
    with contextlib.suppress(FileNotFound):
        store.delete(owner, file_id)
