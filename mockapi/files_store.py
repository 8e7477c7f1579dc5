"""Uploaded files, scoped per owner, behind one small interface: in memory or in a directory.

The memory store keeps an index in the process. The directory store keeps none: the disk is the index, so
several worker processes sharing one directory see the same files. Methods block (the directory store does
disk I/O), so async callers run them in a worker thread.
"""

from __future__ import annotations

import heapq
import io
import re
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

# Ids come from the seeded sequence: "file-" + 24 alphanumerics. Only such names are ever paths on disk.
FILE_ID = re.compile(r"file-[A-Za-z0-9]{1,64}")
CHUNK_BYTES = 1024 * 1024
# Deleted files whose place in the list is remembered, so that a client paging with one of them as its
# `after` cursor resumes where it was (see FileStore.position).
REMEMBERED_DELETIONS = 1000

# Where a file sorts in its owner's list: created_at, then the store's insertion sequence.
Position = tuple[int, int]


@dataclass(frozen=True)
class StoredFile:
    id: str
    owner: str
    filename: str
    purpose: str
    bytes: int
    created_at: int
    # Insertion order, to break ties between files created in the same second.
    sequence: int
    # On the server's clock; None for a file kept until deleted.
    expires_at: int | None = None

    @property
    def position(self) -> Position:
        return self.created_at, self.sequence

    def expired(self, now: int) -> bool:
        return self.expires_at is not None and self.expires_at <= now


FIELD_TYPES: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "owner": str,
    "filename": str,
    "purpose": str,
    "bytes": int,
    "created_at": int,
    "sequence": int,
    "expires_at": (int, type(None)),
}


@dataclass(frozen=True)
class Limits:
    per_file_bytes: int = 512_000_000
    per_owner_bytes: int = 1_000_000_000
    total_bytes: int = 4_000_000_000


class FileNotFound(LookupError):
    """No such file for this owner: missing, deleted, or someone else's (indistinguishable on purpose)."""


class FileTooLarge(ValueError):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"File is too large: {size} bytes. The maximum file size is {limit} bytes.")


class StorageFull(ValueError):
    """Storing the file would go over the owner's quota or the whole store's limit."""


class FileStore(ABC):
    """Files past their `expires_at` on the clock (`now`) are gone: missing to every method, and removed
    (when next touched, or by `expire_due`, which the job runner calls as the clock moves)."""

    def __init__(self, limits: Limits, now: Callable[[], int] | None = None) -> None:
        self.limits = limits
        self.now = now or (lambda: 0)
        # (expires_at, owner, id) of the files this process stored or found, soonest first.
        self._expiring: list[tuple[int, str, str]] = []
        self._expiring_lock = threading.Lock()

    def _will_expire(self, stored: StoredFile) -> None:
        if stored.expires_at is not None:
            with self._expiring_lock:
                heapq.heappush(self._expiring, (stored.expires_at, stored.owner, stored.id))

    def _forget_expiring(self) -> None:
        with self._expiring_lock:
            self._expiring.clear()

    def next_expiry(self) -> int | None:
        """When the soonest known file expires (None: no file expires)."""
        with self._expiring_lock:
            return self._expiring[0][0] if self._expiring else None

    def expire_due(self) -> int:
        """Remove the files whose time has come; answers how many."""
        now, removed = self.now(), 0
        while True:
            with self._expiring_lock:
                if not self._expiring or self._expiring[0][0] > now:
                    return removed
                _, owner, file_id = heapq.heappop(self._expiring)
            try:
                self.delete(owner, file_id)
                removed += 1
            except FileNotFound:
                pass  # deleted already

    def check_size(self, size: int) -> None:
        """Raise FileTooLarge before any work is done on an upload over the per-file limit."""
        if size > self.limits.per_file_bytes:
            raise FileTooLarge(size, self.limits.per_file_bytes)

    @abstractmethod
    def add(
        self,
        owner: str,
        filename: str,
        purpose: str,
        created_at: int,
        source: BinaryIO,
        size: int,
        expires_at: int | None = None,
    ) -> StoredFile:
        """Copy `size` bytes from `source` (read from its start); listed only once completely stored."""

    @abstractmethod
    def get(self, owner: str, file_id: str) -> StoredFile: ...

    @abstractmethod
    def files_of(self, owner: str) -> list[StoredFile]:
        """The owner's files in insertion order."""

    @abstractmethod
    def open_content(self, owner: str, file_id: str) -> tuple[StoredFile, BinaryIO]:
        """The file and its bytes as a stream to read in chunks; the caller closes it. A stream once open
        reads to its end even if the file is deleted meanwhile."""

    @abstractmethod
    def delete(self, owner: str, file_id: str) -> StoredFile: ...

    @abstractmethod
    def position(self, owner: str, file_id: str) -> Position:
        """Where the owner's file sorts in their list, or where it sorted if it was deleted recently."""

    @abstractmethod
    def used_bytes(self, owner: str) -> int:
        """Bytes stored or being stored for the owner."""

    @abstractmethod
    def clear(self) -> None:
        """Forget and remove every file (uploads still in flight finish and stay)."""

    def _check_room(self, owner_used: int, total_used: int, size: int) -> None:
        if owner_used + size > self.limits.per_owner_bytes:
            raise StorageFull(
                f"Uploading this file ({size} bytes) would exceed your organization's file storage limit of "
                f"{self.limits.per_owner_bytes} bytes ({owner_used} bytes already used). Delete files to make room."
            )
        if total_used + size > self.limits.total_bytes:
            raise StorageFull(
                f"Uploading this file ({size} bytes) would exceed the server's file storage limit of "
                f"{self.limits.total_bytes} bytes for all organizations. Delete files to make room."
            )


def copy_exactly(source: BinaryIO, write: Callable[[bytes], object], size: int) -> None:
    copied = 0
    while chunk := source.read(CHUNK_BYTES):
        copied += len(chunk)
        write(chunk)
    if copied != size:
        raise ValueError(f"expected {size} bytes, read {copied}")


class MemoryFileStore(FileStore):
    """One bytes object per file and an index, in this process; gone when it ends.

    The lock is held only for bookkeeping, never while bytes are copied, so uploads proceed in parallel.
    """

    def __init__(
        self,
        limits: Limits | None = None,
        new_id: Callable[[], str] | None = None,
        now: Callable[[], int] | None = None,
    ) -> None:
        super().__init__(limits or Limits(), now)
        self._new_id = new_id or counter_ids()
        self._lock = threading.Lock()
        self._files: dict[str, StoredFile] = {}
        self._blobs: dict[str, bytes] = {}
        self._reserved: set[str] = set()
        self._deleted: OrderedDict[str, StoredFile] = OrderedDict()
        self._used: dict[str, int] = {}
        self._total = 0
        self._sequence = 0

    def add(
        self,
        owner: str,
        filename: str,
        purpose: str,
        created_at: int,
        source: BinaryIO,
        size: int,
        expires_at: int | None = None,
    ) -> StoredFile:
        self.check_size(size)
        self.expire_due()  # room made by expired files counts
        stored = self._reserve(owner, filename, purpose, created_at, size, expires_at)
        try:
            source.seek(0)
            data = source.read()
            if len(data) != size:
                raise ValueError(f"expected {size} bytes, read {len(data)}")
        except BaseException:
            with self._lock:
                self._reserved.discard(stored.id)
                self._account(owner, -size)
            raise
        with self._lock:
            self._reserved.discard(stored.id)
            self._files[stored.id] = stored
            self._blobs[stored.id] = data
        self._will_expire(stored)
        return stored

    def get(self, owner: str, file_id: str) -> StoredFile:
        with self._lock:
            return self._owned(owner, file_id)

    def files_of(self, owner: str) -> list[StoredFile]:
        now = self.now()
        with self._lock:
            owned = [f for f in self._files.values() if f.owner == owner]
            for gone in [f for f in owned if f.expired(now)]:
                self._remove(gone)
            return [f for f in owned if not f.expired(now)]

    def open_content(self, owner: str, file_id: str) -> tuple[StoredFile, BinaryIO]:
        with self._lock:
            stored = self._owned(owner, file_id)
            # BytesIO shares the bytes object until written to: no copy.
            return stored, io.BytesIO(self._blobs[file_id])

    def delete(self, owner: str, file_id: str) -> StoredFile:
        with self._lock:
            stored = self._owned(owner, file_id)
            self._remove(stored)
        return stored

    def _remove(self, stored: StoredFile) -> None:
        """Under the lock: forget the file, remembering its place for cursors."""
        del self._files[stored.id]
        del self._blobs[stored.id]
        self._account(stored.owner, -stored.bytes)
        self._deleted[stored.id] = stored
        if len(self._deleted) > REMEMBERED_DELETIONS:
            self._deleted.popitem(last=False)

    def position(self, owner: str, file_id: str) -> Position:
        with self._lock:
            stored = self._files.get(file_id) or self._deleted.get(file_id)
            if stored is None or stored.owner != owner:
                raise FileNotFound(file_id)
            return stored.position

    def used_bytes(self, owner: str) -> int:
        with self._lock:
            return self._used.get(owner, 0)

    def clear(self) -> None:
        with self._lock:
            for stored in self._files.values():
                self._account(stored.owner, -stored.bytes)
            self._files.clear()
            self._blobs.clear()
            self._deleted.clear()
        self._forget_expiring()

    def _owned(self, owner: str, file_id: str) -> StoredFile:
        """Under the lock: the owner's file, unless it is missing or has expired (then removed)."""
        stored = self._files.get(file_id)
        if stored is None or stored.owner != owner:
            raise FileNotFound(file_id)
        if stored.expired(self.now()):
            self._remove(stored)
            raise FileNotFound(file_id)
        return stored

    def _reserve(
        self, owner: str, filename: str, purpose: str, created_at: int, size: int, expires_at: int | None
    ) -> StoredFile:
        """Take an id and the bytes from the quotas before copying, so parallel uploads cannot overshoot."""
        with self._lock:
            self._check_room(self._used.get(owner, 0), self._total, size)
            file_id = self._new_id()
            while file_id in self._files or file_id in self._reserved or file_id in self._deleted:
                file_id = self._new_id()
            self._reserved.add(file_id)
            self._account(owner, size)
            self._sequence += 1
            return StoredFile(file_id, owner, filename, purpose, size, created_at, self._sequence, expires_at)

    def _account(self, owner: str, delta: int) -> None:
        used = self._used.get(owner, 0) + delta
        if used:
            self._used[owner] = used
        else:
            self._used.pop(owner, None)
        self._total += delta


def counter_ids() -> Callable[[], str]:
    """Plain sequential ids, for stores built without the server's seeded sequence (unit tests)."""
    lock = threading.Lock()
    count = 0

    def new_id() -> str:
        nonlocal count
        with lock:
            count += 1
            return f"file-{count:024d}"

    return new_id
