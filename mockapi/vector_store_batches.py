"""File batches of a vector store: many files attached in one request, followed (and cancelled) together.

A batch is a record of kind `vector_store_file_batches`; its files are the store's files attached by it
(they name it). Its status and counts are worked out from theirs on the server's clock, as a store's are.
"""

from __future__ import annotations

from typing import Any

from mockapi import errors
from mockapi.errors import vector_stores as errors_vector_stores
from mockapi.records import Record
from mockapi.vector_stores import BATCHES, VectorStores, check_prefix, counts_of, file_key, file_status

# A file of a batch: its id, the param naming it (for errors), its chunking (max, overlap) and attributes.
BatchFile = tuple[str, str, tuple[int, int], dict[str, Any] | None]


class FileBatches:
    """One owner's file batches, beside (and through) their vector stores."""

    def __init__(self, library: VectorStores) -> None:
        self.library = library
        self.records = library.state.records(BATCHES)

    def create(self, store_id: str, files: list[BatchFile]) -> Record:
        """Every file is checked before any is attached: a batch naming a missing file attaches nothing."""
        self.library.usable(store_id)
        self.library.require_uploads([(file_id, param) for file_id, param, _, _ in files])
        now = int(self.library.now())
        batch_id = self.library.state.seeding.next_id("vsfb_", 24)
        record = {"id": batch_id, "vector_store_id": store_id, "created_at": now, "_cancelled": False}
        self.records.put(self.library.owner, batch_id, record, now)
        for file_id, param, chunking, attributes in files:
            self.library.attach(store_id, file_id, chunking, attributes, param=param, batch_id=batch_id)
        return record

    def get(self, store_id: str, batch_id: str) -> Record:
        self.library.store(store_id)
        check_prefix("batch_id", batch_id, "vsfb_")
        record = self.records.get(self.library.owner, batch_id)
        if record is None or record["vector_store_id"] != store_id:
            raise errors_vector_stores.file_batch_not_found(batch_id, store_id)
        return record

    def files(self, record: Record) -> list[Record]:
        store_id, batch_id = record["vector_store_id"], record["id"]
        return [f for f in self.library.files_of(store_id) if f["_batch_id"] == batch_id]

    def batch_object(self, record: Record) -> dict[str, Any]:
        counts = counts_of(self.files(record), self.library.now())
        if record["_cancelled"]:
            status = "cancelled"
        elif counts["in_progress"]:
            status = "in_progress"
        else:
            status = "failed" if counts["total"] and counts["failed"] == counts["total"] else "completed"
        return {
            "id": record["id"],
            "object": "vector_store.files_batch",
            "created_at": record["created_at"],
            "vector_store_id": record["vector_store_id"],
            "status": status,
            "file_counts": counts,
        }

    def cancel(self, store_id: str, batch_id: str) -> Record:
        """Files of the batch still in progress are cancelled (and hold nothing); those done stay."""
        record = self.get(store_id, batch_id)
        status = self.batch_object(record)["status"]
        if status != "in_progress":
            raise errors.invalid_param(f"Cannot cancel a vector store file batch with status '{status}'.", None)
        now = self.library.now()
        for file in self.files(record):
            if file_status(file, now) == "in_progress":
                key = file_key(store_id, file["id"])
                self.library.files.update(self.library.owner, key, lambda f: {**f, "_cancelled": True})
                self.library.chunks.delete(self.library.owner, key)
        updated = self.records.update(self.library.owner, batch_id, lambda r: {**r, "_cancelled": True})
        assert updated is not None
        return updated
