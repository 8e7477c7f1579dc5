"""Vector stores, their files and file batches, kept as records (`state.records`) per owner.

Four kinds of record: `vector_stores`; `vector_store_files` (one per file attached to a store, keyed
"<store id>:<file id>", as a file may be in several stores); `vector_store_chunks` (what ingestion made of
it, same key, see vector_store_ingest.py); `vector_store_file_batches`. Everything that moves with time is
worked out from the server's clock whenever an object is shown, never by a background task: a file is
`in_progress` until its `_ready_at`, a store `in_progress` while any of its files is, and `expired` once its
`expires_after` days have passed since it was last active (created, changed or searched).

Methods block (records may be SQLite, ingestion reads files and embeds): async callers run them in a worker
thread.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from mockapi import errors
from mockapi.errors import vector_stores as errors_vector_stores
from mockapi.files_store import FileNotFound
from mockapi.records import Bounds, Record, Records, UnknownCursor
from mockapi.schemas.vector_stores import ListFilesParams, ListParams
from mockapi.vector_store_ingest import ingest, strategy_object

if TYPE_CHECKING:
    from mockapi.state import AppState

STORES = "vector_stores"
FILES = "vector_store_files"
CHUNKS = "vector_store_chunks"
BATCHES = "vector_store_file_batches"
# Chunk records hold a file's text and its chunks' vectors: larger than the others, bounded on their own.
CHUNK_BOUNDS = Bounds(count=10_000, bytes=512 * 1024 * 1024)
EVERY = 10**9  # a page limit that lists them all (each kind is bounded far below)
DAY = 86_400
# The SDK's polling helpers wait this long between reads unless the answer says otherwise.
POLL_MS = 1000
STATUSES = ("in_progress", "completed", "failed", "cancelled")


def file_key(vector_store_id: str, file_id: str) -> str:
    return f"{vector_store_id}:{file_id}"


def file_status(record: Record, now: float) -> str:
    if record.get("_cancelled"):
        return "cancelled"
    if now < record["_ready_at"]:
        return "in_progress"
    return "failed" if record["_error"] else "completed"


def check_prefix(param: str, value: str, prefix: str) -> None:
    if not value.startswith(prefix):
        raise errors_vector_stores.wrong_id_prefix(param, value, prefix)


class VectorStores:
    """One owner's vector stores, on the server's records and files."""

    def __init__(self, state: AppState, owner: str) -> None:
        self.state = state
        self.owner = owner
        self.stores = state.records(STORES)
        self.files = state.records(FILES)
        self.chunks = state.records(CHUNKS, CHUNK_BOUNDS)
        self.batches = state.records(BATCHES)

    def now(self) -> float:
        return self.state.seeding.clock.time()

    # Stores.

    def create(self, fields: dict[str, Any], file_ids: Iterable[str], chunking: tuple[int, int]) -> Record:
        file_ids = list(file_ids)
        self.require_uploads([(file_id, f"file_ids[{index}]") for index, file_id in enumerate(file_ids)])
        now = int(self.now())
        store_id = self.state.seeding.next_id("vs_", 24)
        record = {
            "id": store_id,
            "created_at": now,
            "name": fields.get("name") or "",
            "description": fields.get("description"),
            "metadata": fields.get("metadata") or {},
            "expires_after": fields.get("expires_after"),
            "last_active_at": now,
        }
        self.stores.put(self.owner, store_id, record, now)
        for index, file_id in enumerate(file_ids):
            self.attach(store_id, file_id, chunking, None, param=f"file_ids[{index}]")
        return record

    def store(self, store_id: str) -> Record:
        check_prefix("vector_store_id", store_id, "vs_")
        record = self.stores.get(self.owner, store_id)
        if record is None:
            raise errors_vector_stores.vector_store_not_found(store_id)
        return record

    def usable(self, store_id: str) -> Record:
        """The store, refused once expired (it can be read and deleted, not used)."""
        record = self.store(store_id)
        expires_at = self._expires_at(record)
        if expires_at is not None and self.now() >= expires_at:
            raise errors_vector_stores.vector_store_expired(store_id)
        return record

    def touch(self, store_id: str) -> None:
        """The store was used: its expiry counts from now."""
        now = int(self.now())
        self.stores.update(self.owner, store_id, lambda record: {**record, "last_active_at": now})

    def update(self, store_id: str, changes: dict[str, Any]) -> Record:
        self.store(store_id)
        now = int(self.now())

        def change(record: Record) -> Record:
            changed = {**record, "last_active_at": now}
            for name in ("name", "expires_after"):
                if name in changes:
                    changed[name] = changes[name] if name == "expires_after" else changes[name] or ""
            if "metadata" in changes:
                changed["metadata"] = changes["metadata"] or {}
            return changed

        updated = self.stores.update(self.owner, store_id, change)
        assert updated is not None
        return updated

    def delete(self, store_id: str) -> None:
        self.store(store_id)
        for record in self.files_of(store_id):
            self._drop_file(store_id, record["id"])
        for batch in self.batches.page(self.owner, limit=EVERY, where=lambda r: r["vector_store_id"] == store_id).data:
            self.batches.delete(self.owner, batch["id"])
        self.stores.delete(self.owner, store_id)

    def store_object(self, record: Record) -> dict[str, Any]:
        now = self.now()
        files = self.files_of(record["id"])
        counts = counts_of(files, now)
        expires_at = self._expires_at(record)
        if expires_at is not None and now >= expires_at:
            status = "expired"
        else:
            status = "in_progress" if counts["in_progress"] else "completed"
        body: dict[str, Any] = {
            "id": record["id"],
            "object": "vector_store",
            "created_at": record["created_at"],
            "name": record["name"],
            "description": record["description"],
            "usage_bytes": sum(f["_usage_bytes"] for f in files if file_status(f, now) == "completed"),
            "file_counts": counts,
            "status": status,
            "expires_at": expires_at,
            "last_active_at": record["last_active_at"],
            "metadata": record["metadata"],
        }
        if record["expires_after"] is not None:
            body["expires_after"] = record["expires_after"]
        return body

    def list_stores(self, params: ListParams) -> dict[str, Any]:
        return _listing(self.stores, self.owner, params, None, self.store_object, lambda cursor: cursor, "vector store")

    @staticmethod
    def _expires_at(record: Record) -> int | None:
        policy = record["expires_after"]
        return None if policy is None else int(record["last_active_at"]) + int(policy["days"]) * DAY

    # Files.

    def attach(
        self,
        store_id: str,
        file_id: str,
        chunking: tuple[int, int],
        attributes: dict[str, Any] | None,
        *,
        param: str = "file_id",
        batch_id: str | None = None,
    ) -> Record:
        """Attach (or attach again, ingesting anew) one of the owner's uploaded files."""
        try:
            ingested = ingest(self.state, self.owner, file_id, *chunking)
        except FileNotFound as exc:
            raise errors_vector_stores.attached_file_not_found(file_id, param) from exc
        now = self.now()
        key = file_key(store_id, file_id)
        record = {
            "id": file_id,
            "vector_store_id": store_id,
            "created_at": int(now),
            "chunking_strategy": strategy_object(*chunking),
            "attributes": attributes or {},
            "_filename": ingested.filename,
            "_ready_at": now + ingested.seconds,
            "_error": ingested.error,
            "_usage_bytes": ingested.usage_bytes,
            "_batch_id": batch_id,
        }
        self.chunks.delete(self.owner, key)
        if ingested.chunks is not None:
            self.chunks.put(self.owner, key, ingested.chunks, int(now))
        self.files.put(self.owner, key, record, int(now))
        return record

    def file(self, store_id: str, file_id: str) -> Record:
        self.store(store_id)
        check_prefix("file_id", file_id, "file-")
        record = self.files.get(self.owner, file_key(store_id, file_id))
        if record is None:
            raise errors_vector_stores.vector_store_file_not_found(file_id, store_id)
        return record

    def file_object(self, record: Record) -> dict[str, Any]:
        status = file_status(record, self.now())
        return {
            "id": record["id"],
            "object": "vector_store.file",
            "usage_bytes": record["_usage_bytes"] if status == "completed" else 0,
            "created_at": record["created_at"],
            "vector_store_id": record["vector_store_id"],
            "status": status,
            "last_error": record["_error"] if status == "failed" else None,
            "chunking_strategy": record["chunking_strategy"],
            "attributes": record["attributes"],
        }

    def poll_after_ms(self, ready_at: float) -> int:
        """How long the SDK's polling helpers should wait before reading again (the `openai-poll-after-ms`
        header): until the work is done, in real time at the clock's speed; a stopped clock only moves
        when advanced, so the usual second then."""
        speed = self.state.seeding.clock.speed
        if speed <= 0:
            return POLL_MS
        return max(10, min(POLL_MS, math.ceil((ready_at - self.now()) / speed * 1000)))

    def list_files(self, store_id: str, params: ListFilesParams, batch_id: str | None = None) -> dict[str, Any]:
        self.store(store_id)
        now = self.now()

        def wanted(record: Record) -> bool:
            if record["vector_store_id"] != store_id or (batch_id is not None and record["_batch_id"] != batch_id):
                return False
            return params.filter is None or file_status(record, now) == params.filter

        return _listing(
            self.files, self.owner, params, wanted, self.file_object, lambda c: file_key(store_id, c), "file"
        )

    def update_attributes(self, store_id: str, file_id: str, attributes: dict[str, Any] | None) -> Record:
        self.file(store_id, file_id)
        updated = self.files.update(
            self.owner, file_key(store_id, file_id), lambda record: {**record, "attributes": attributes or {}}
        )
        assert updated is not None
        return updated

    def delete_file(self, store_id: str, file_id: str) -> None:
        self.file(store_id, file_id)
        self._drop_file(store_id, file_id)

    def forget_upload(self, file_id: str) -> None:
        """An upload deleted from the files store leaves every store it was attached to (as on the API)."""
        attached = self.files.page(self.owner, limit=EVERY, order="asc", where=lambda r: r["id"] == file_id).data
        for record in attached:
            self._drop_file(record["vector_store_id"], file_id)

    def content(self, store_id: str, file_id: str) -> dict[str, Any]:
        """The parsed text of a file ingested (nothing while it is in progress, or when it failed)."""
        record = self.file(store_id, file_id)
        chunks = self.chunks.get(self.owner, file_key(store_id, file_id))
        done = file_status(record, self.now()) == "completed" and chunks is not None and chunks["text"]
        data = [{"type": "text", "text": chunks["text"]}] if done and chunks is not None else []
        return {"object": "vector_store.file_content.page", "data": data, "has_more": False, "next_page": None}

    def searchable(self, store_id: str) -> list[tuple[Record, Record]]:
        """(file record, chunk record) of each file of the store ingested by now."""
        now = self.now()
        found = []
        for record in self.files_of(store_id):
            if file_status(record, now) != "completed":
                continue
            chunks = self.chunks.get(self.owner, file_key(store_id, record["id"]))
            if chunks is not None:
                found.append((record, chunks))
        return found

    def require_uploads(self, files: Iterable[tuple[str, str]]) -> None:
        """Each (file id, the param naming it) is one of the owner's uploads, or the 404 naming it."""
        for file_id, param in files:
            try:
                self.state.files.get(self.owner, file_id)
            except FileNotFound as exc:
                raise errors_vector_stores.attached_file_not_found(file_id, param) from exc

    def files_of(self, store_id: str) -> list[Record]:
        return self.files.page(
            self.owner, limit=EVERY, order="asc", where=lambda r: r["vector_store_id"] == store_id
        ).data

    def _drop_file(self, store_id: str, file_id: str) -> None:
        key = file_key(store_id, file_id)
        self.files.delete(self.owner, key)
        self.chunks.delete(self.owner, key)


def counts_of(files: Iterable[Record], now: float) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for record in files:
        counts[file_status(record, now)] += 1
    return {**counts, "total": sum(counts.values())}


def _listing(
    records: Records,
    owner: str,
    params: ListParams,
    where: Callable[[Record], bool] | None,
    shown: Callable[[Record], dict[str, Any]],
    key: Callable[[str], str],
    noun: str,
) -> dict[str, Any]:
    """A cursor page as the API lists: `after`/`before` name objects by their API id."""
    try:
        page = records.page(
            owner,
            limit=params.limit,
            order=params.order,
            after=key(params.after) if params.after else None,
            before=key(params.before) if params.before else None,
            where=where,
        )
    except UnknownCursor as exc:
        cursor = "after" if params.after and exc.args[0] == key(params.after) else "before"
        value = params.after if cursor == "after" else params.before
        raise errors.invalid_param(f"No {noun} found with id '{value}' (the '{cursor}' cursor).", cursor) from exc
    data = [shown(record) for record in page.data]
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": page.has_more,
    }
