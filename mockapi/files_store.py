"""Uploaded files, scoped per owner, behind one small interface: in memory or in a directory.

The base class keeps the index, the quotas and the lock; a subclass only keeps the bytes. Its methods
block (the directory store does disk I/O), so async callers run them in a worker thread. The lock is
held only for index bookkeeping, never while bytes are copied, so uploads proceed in parallel.
"""

from __future__ import annotations

import os
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO

import orjson

from mockapi.settings import Settings

# Ids come from the seeded sequence: "file-" + 24 alphanumerics. Only such names are ever paths on disk.
FILE_ID = re.compile(r"file-[A-Za-z0-9]{1,64}")
CHUNK_BYTES = 1024 * 1024


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


_FIELD_TYPES = {
    "id": str,
    "owner": str,
    "filename": str,
    "purpose": str,
    "bytes": int,
    "created_at": int,
    "sequence": int,
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
    def __init__(self, limits: Limits, new_id: Callable[[], str]) -> None:
        self.limits = limits
        self._new_id = new_id
        self._lock = threading.Lock()
        self._files: dict[str, StoredFile] = {}
        self._reserved: set[str] = set()
        self._used: dict[str, int] = {}
        self._total = 0
        self._sequence = 0

    # The interface.

    def check_size(self, size: int) -> None:
        """Raise FileTooLarge before any work is done on an upload over the per-file limit."""
        if size > self.limits.per_file_bytes:
            raise FileTooLarge(size, self.limits.per_file_bytes)

    def add(self, owner: str, filename: str, purpose: str, created_at: int, source: BinaryIO, size: int) -> StoredFile:
        """Copy `size` bytes from `source` (read from its start); listed only once completely stored."""
        self.check_size(size)
        stored = self._reserve(owner, filename, purpose, created_at, size)
        try:
            source.seek(0)
            self._write(stored, source)
        except BaseException:
            self._unreserve(stored)
            raise
        with self._lock:
            self._reserved.discard(stored.id)
            self._files[stored.id] = stored
        return stored

    def get(self, owner: str, file_id: str) -> StoredFile:
        with self._lock:
            return self._owned(owner, file_id)

    def files_of(self, owner: str) -> list[StoredFile]:
        """The owner's files in insertion order."""
        with self._lock:
            return [f for f in self._files.values() if f.owner == owner]

    def content(self, owner: str, file_id: str) -> bytes:
        stored = self.get(owner, file_id)
        try:
            return self._read(stored)
        except (FileNotFoundError, KeyError) as exc:  # deleted meanwhile
            raise FileNotFound(file_id) from exc

    def delete(self, owner: str, file_id: str) -> StoredFile:
        with self._lock:
            stored = self._owned(owner, file_id)
            del self._files[file_id]
            self._account(stored.owner, -stored.bytes)
        self._remove(stored)
        return stored

    def used_bytes(self, owner: str) -> int:
        with self._lock:
            return self._used.get(owner, 0)

    def clear(self) -> None:
        """Forget and remove every file (uploads still in flight finish and stay)."""
        with self._lock:
            files = list(self._files.values())
            self._files.clear()
            for stored in files:
                self._account(stored.owner, -stored.bytes)
        for stored in files:
            self._remove(stored)

    # Bookkeeping, under the lock.

    def _owned(self, owner: str, file_id: str) -> StoredFile:
        stored = self._files.get(file_id)
        if stored is None or stored.owner != owner:
            raise FileNotFound(file_id)
        return stored

    def _reserve(self, owner: str, filename: str, purpose: str, created_at: int, size: int) -> StoredFile:
        """Take an id and the bytes from the quotas before copying, so parallel uploads cannot overshoot."""
        with self._lock:
            used = self._used.get(owner, 0)
            if used + size > self.limits.per_owner_bytes:
                raise StorageFull(
                    f"Uploading this file ({size} bytes) would exceed your organization's file storage limit of "
                    f"{self.limits.per_owner_bytes} bytes ({used} bytes already used). Delete files to make room."
                )
            if self._total + size > self.limits.total_bytes:
                raise StorageFull(
                    f"Uploading this file ({size} bytes) would exceed the server's file storage limit of "
                    f"{self.limits.total_bytes} bytes for all organizations. Delete files to make room."
                )
            file_id = self._new_id()
            while file_id in self._files or file_id in self._reserved or self._exists(file_id):
                file_id = self._new_id()  # the seeded sequence repeats after a restart
            self._reserved.add(file_id)
            self._account(owner, size)
            self._sequence += 1
            return StoredFile(file_id, owner, filename, purpose, size, created_at, self._sequence)

    def _unreserve(self, stored: StoredFile) -> None:
        with self._lock:
            self._reserved.discard(stored.id)
            self._account(stored.owner, -stored.bytes)

    def _account(self, owner: str, delta: int) -> None:
        used = self._used.get(owner, 0) + delta
        if used:
            self._used[owner] = used
        else:
            self._used.pop(owner, None)
        self._total += delta

    def _restore(self, files: list[StoredFile]) -> None:
        """Index files found at start, in their original order."""
        for stored in sorted(files, key=lambda f: (f.created_at, f.sequence)):
            self._files[stored.id] = stored
            self._account(stored.owner, stored.bytes)
            self._sequence = max(self._sequence, stored.sequence)

    # What a store implements.

    @abstractmethod
    def _write(self, stored: StoredFile, source: BinaryIO) -> None:
        """Keep exactly `stored.bytes` bytes from `source`, or raise and keep nothing."""

    @abstractmethod
    def _read(self, stored: StoredFile) -> bytes: ...

    @abstractmethod
    def _remove(self, stored: StoredFile) -> None: ...

    def _exists(self, file_id: str) -> bool:
        """Whether the id is taken by something the index does not show (files being removed)."""
        return False


def _copy_exactly(source: BinaryIO, write: Callable[[bytes], object], size: int) -> None:
    copied = 0
    while chunk := source.read(CHUNK_BYTES):
        copied += len(chunk)
        write(chunk)
    if copied != size:
        raise ValueError(f"expected {size} bytes, read {copied}")


class MemoryFileStore(FileStore):
    """One bytes object per file; gone when the process ends."""

    def __init__(self, limits: Limits | None = None, new_id: Callable[[], str] | None = None) -> None:
        super().__init__(limits or Limits(), new_id or _counter_ids())
        self._blobs: dict[str, bytes] = {}

    def _write(self, stored: StoredFile, source: BinaryIO) -> None:
        data = source.read()
        if len(data) != stored.bytes:
            raise ValueError(f"expected {stored.bytes} bytes, read {len(data)}")
        with self._lock:
            self._blobs[stored.id] = data

    def _read(self, stored: StoredFile) -> bytes:
        with self._lock:
            return self._blobs[stored.id]

    def _remove(self, stored: StoredFile) -> None:
        with self._lock:
            self._blobs.pop(stored.id, None)


class DirectoryFileStore(FileStore):
    """`<id>.content` and `<id>.json` per file in `root`.

    Each is written to a `.tmp` file, fsynced and renamed into place; the metadata only after the content.
    So a file is complete once its metadata exists, and a start after a crash lists exactly those.
    """

    CONTENT = ".content"
    META = ".json"
    TEMP = ".tmp"

    def __init__(self, root: Path, limits: Limits | None = None, new_id: Callable[[], str] | None = None) -> None:
        super().__init__(limits or Limits(), new_id or _counter_ids())
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self._restore(self._recover())

    def _path(self, file_id: str, suffix: str) -> Path:
        return self.root / (file_id + suffix)

    def _write(self, stored: StoredFile, source: BinaryIO) -> None:
        content = self._path(stored.id, self.CONTENT)
        try:
            self._write_atomically(content, lambda out: _copy_exactly(source, out.write, stored.bytes))
            metadata = orjson.dumps(asdict(stored))
            self._write_atomically(self._path(stored.id, self.META), lambda out: out.write(metadata))
        except BaseException:
            content.unlink(missing_ok=True)
            raise

    def _write_atomically(self, path: Path, fill: Callable[[BinaryIO], object]) -> None:
        temp = path.with_name(path.name + self.TEMP)
        try:
            with temp.open("wb") as out:
                fill(out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, path)
        finally:
            temp.unlink(missing_ok=True)
        self._sync_directory()

    def _sync_directory(self) -> None:
        """Make the rename itself durable."""
        fd = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _read(self, stored: StoredFile) -> bytes:
        return self._path(stored.id, self.CONTENT).read_bytes()

    def _remove(self, stored: StoredFile) -> None:
        # Metadata first: a crash in between leaves an orphan content file, which the next start removes.
        self._path(stored.id, self.META).unlink(missing_ok=True)
        self._path(stored.id, self.CONTENT).unlink(missing_ok=True)

    def _exists(self, file_id: str) -> bool:
        return self._path(file_id, self.CONTENT).exists() or self._path(file_id, self.META).exists()

    def _recover(self) -> list[StoredFile]:
        """The complete files on disk; temp files, orphans and mismatched pairs are removed."""
        complete: list[StoredFile] = []
        for path in self.root.iterdir():
            if path.name.endswith(self.TEMP) and FILE_ID.fullmatch(path.name.split(".", 1)[0]):
                path.unlink(missing_ok=True)
        for meta in self.root.glob("*" + self.META):
            stored = self._load_metadata(meta)
            content = self._path(meta.stem, self.CONTENT)
            if stored is not None and content.is_file() and content.stat().st_size == stored.bytes:
                complete.append(stored)
            elif FILE_ID.fullmatch(meta.stem):
                meta.unlink(missing_ok=True)
                content.unlink(missing_ok=True)
        known = {stored.id for stored in complete}
        for content in self.root.glob("*" + self.CONTENT):
            if FILE_ID.fullmatch(content.stem) and content.stem not in known:
                content.unlink(missing_ok=True)
        return complete

    @staticmethod
    def _load_metadata(meta: Path) -> StoredFile | None:
        if not FILE_ID.fullmatch(meta.stem):
            return None
        try:
            stored = StoredFile(**orjson.loads(meta.read_bytes()))
        except (OSError, orjson.JSONDecodeError, TypeError):
            return None
        well_typed = all(isinstance(getattr(stored, name), kind) for name, kind in _FIELD_TYPES.items())
        return stored if well_typed and stored.id == meta.stem else None


def _counter_ids() -> Callable[[], str]:
    """Plain sequential ids, for stores built without the server's seeded sequence (unit tests)."""
    lock = threading.Lock()
    count = 0

    def new_id() -> str:
        nonlocal count
        with lock:
            count += 1
            return f"file-{count:024d}"

    return new_id


def open_file_store(settings: Settings, new_id: Callable[[], str]) -> FileStore:
    limits = Limits(settings.max_file_bytes, settings.org_storage_bytes, settings.total_storage_bytes)
    if settings.data_dir is None:
        return MemoryFileStore(limits, new_id)
    return DirectoryFileStore(settings.data_dir / "files", limits, new_id)
