"""Uploaded files, scoped per owner, behind one small interface: in memory or in a directory.

The memory store keeps an index in the process. The directory store keeps none: the disk is the index, so
several worker processes sharing one directory see the same files. Methods block (the directory store does
disk I/O), so async callers run them in a worker thread.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import os
import re
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO

import orjson

from mockapi.locking import exclusive_lock
from mockapi.seeding import Seeding
from mockapi.settings import Settings

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

    @property
    def position(self) -> Position:
        return self.created_at, self.sequence


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
    def __init__(self, limits: Limits) -> None:
        self.limits = limits

    def check_size(self, size: int) -> None:
        """Raise FileTooLarge before any work is done on an upload over the per-file limit."""
        if size > self.limits.per_file_bytes:
            raise FileTooLarge(size, self.limits.per_file_bytes)

    @abstractmethod
    def add(self, owner: str, filename: str, purpose: str, created_at: int, source: BinaryIO, size: int) -> StoredFile:
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


def _copy_exactly(source: BinaryIO, write: Callable[[bytes], object], size: int) -> None:
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

    def __init__(self, limits: Limits | None = None, new_id: Callable[[], str] | None = None) -> None:
        super().__init__(limits or Limits())
        self._new_id = new_id or _counter_ids()
        self._lock = threading.Lock()
        self._files: dict[str, StoredFile] = {}
        self._blobs: dict[str, bytes] = {}
        self._reserved: set[str] = set()
        self._deleted: OrderedDict[str, StoredFile] = OrderedDict()
        self._used: dict[str, int] = {}
        self._total = 0
        self._sequence = 0

    def add(self, owner: str, filename: str, purpose: str, created_at: int, source: BinaryIO, size: int) -> StoredFile:
        self.check_size(size)
        stored = self._reserve(owner, filename, purpose, created_at, size)
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
        return stored

    def get(self, owner: str, file_id: str) -> StoredFile:
        with self._lock:
            return self._owned(owner, file_id)

    def files_of(self, owner: str) -> list[StoredFile]:
        with self._lock:
            return [f for f in self._files.values() if f.owner == owner]

    def open_content(self, owner: str, file_id: str) -> tuple[StoredFile, BinaryIO]:
        with self._lock:
            stored = self._owned(owner, file_id)
            # BytesIO shares the bytes object until written to: no copy.
            return stored, io.BytesIO(self._blobs[file_id])

    def delete(self, owner: str, file_id: str) -> StoredFile:
        with self._lock:
            stored = self._owned(owner, file_id)
            del self._files[file_id]
            del self._blobs[file_id]
            self._account(owner, -stored.bytes)
            self._deleted[file_id] = stored
            if len(self._deleted) > REMEMBERED_DELETIONS:
                self._deleted.popitem(last=False)
        return stored

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

    def _owned(self, owner: str, file_id: str) -> StoredFile:
        stored = self._files.get(file_id)
        if stored is None or stored.owner != owner:
            raise FileNotFound(file_id)
        return stored

    def _reserve(self, owner: str, filename: str, purpose: str, created_at: int, size: int) -> StoredFile:
        """Take an id and the bytes from the quotas before copying, so parallel uploads cannot overshoot."""
        with self._lock:
            self._check_room(self._used.get(owner, 0), self._total, size)
            file_id = self._new_id()
            while file_id in self._files or file_id in self._reserved or file_id in self._deleted:
                file_id = self._new_id()
            self._reserved.add(file_id)
            self._account(owner, size)
            self._sequence += 1
            return StoredFile(file_id, owner, filename, purpose, size, created_at, self._sequence)

    def _account(self, owner: str, delta: int) -> None:
        used = self._used.get(owner, 0) + delta
        if used:
            self._used[owner] = used
        else:
            self._used.pop(owner, None)
        self._total += delta


class DirectoryFileStore(FileStore):
    """`<id>.content` and `<id>.json` per file, in one folder per owner under `root`; no index in memory.

    Each is written to a `.tmp` file, fsynced and renamed into place; the metadata only after the content.
    So a file is complete once its metadata exists, and a start after a crash lists exactly those.
    Bookkeeping that must not interleave, even across processes (quotas, ids, deletes, recovery), runs
    under an exclusive flock of `root/.lock`. An upload holds a flock on its own content file until its
    metadata is written: that tells a recovering process the upload is alive, not a crash's leftover.
    """

    CONTENT = ".content"
    META = ".json"
    TEMP = ".tmp"
    LOCK = ".lock"
    SEQUENCE = ".sequence"
    OWNER_PREFIX = "owner-"
    # The metadata of recently deleted files, moved here on delete (see REMEMBERED_DELETIONS).
    DELETED = "deleted"

    def __init__(self, root: Path, limits: Limits | None = None, new_id: Callable[[], str] | None = None) -> None:
        super().__init__(limits or Limits())
        self._new_id = new_id or _counter_ids()
        self.root = root
        (root / self.DELETED).mkdir(parents=True, exist_ok=True)
        with self._locked():
            self._recover()

    # The interface.

    def add(self, owner: str, filename: str, purpose: str, created_at: int, source: BinaryIO, size: int) -> StoredFile:
        self.check_size(size)
        source.seek(0)
        stored, out = self._reserve(owner, filename, purpose, created_at, size)
        content = self._path(owner, stored.id, self.CONTENT)
        temp = content.with_name(content.name + self.TEMP)
        try:
            _copy_exactly(source, out.write, size)
            out.flush()
            os.fsync(out.fileno())
            with self._locked():  # a reservation's scan must never see the file between its two names
                os.replace(temp, content)
            self._sync_directory(content.parent)
            metadata = orjson.dumps(asdict(stored))
            self._write_atomically(self._path(owner, stored.id, self.META), metadata)
        except BaseException:
            for leftover in (self._path(owner, stored.id, self.META), content, temp):
                leftover.unlink(missing_ok=True)
            raise
        finally:
            out.close()  # releases the upload's lock
        return stored

    def get(self, owner: str, file_id: str) -> StoredFile:
        if not FILE_ID.fullmatch(file_id):
            raise FileNotFound(file_id)
        stored = self._load_metadata(self._path(owner, file_id, self.META))
        if stored is None or stored.owner != owner:
            raise FileNotFound(file_id)
        return stored

    def files_of(self, owner: str) -> list[StoredFile]:
        found = []
        for entry in self._entries(self._folder(owner)):
            stored = self._load_metadata(Path(entry.path)) if entry.name.endswith(self.META) else None
            if stored is not None and stored.owner == owner:
                found.append(stored)
        return sorted(found, key=lambda f: f.position)

    def open_content(self, owner: str, file_id: str) -> tuple[StoredFile, BinaryIO]:
        stored = self.get(owner, file_id)
        try:
            return stored, self._path(owner, file_id, self.CONTENT).open("rb")
        except FileNotFoundError as exc:  # deleted meanwhile
            raise FileNotFound(file_id) from exc

    def delete(self, owner: str, file_id: str) -> StoredFile:
        with self._locked():
            stored = self.get(owner, file_id)
            # Metadata first: a crash in between leaves an orphan content file, which the next start removes.
            remembered = self.root / self.DELETED / (file_id + self.META)
            os.replace(self._path(owner, file_id, self.META), remembered)
            now = Seeding.wall_time()
            os.utime(remembered, (now, now))  # when deleted: the oldest deletions are forgotten first
            self._path(owner, file_id, self.CONTENT).unlink(missing_ok=True)
            _remove_if_empty(self._folder(owner))
            self._forget_old_deletions()
        return stored

    def position(self, owner: str, file_id: str) -> Position:
        if FILE_ID.fullmatch(file_id):
            for meta in (self._path(owner, file_id, self.META), self.root / self.DELETED / (file_id + self.META)):
                stored = self._load_metadata(meta)
                if stored is not None and stored.owner == owner:
                    return stored.position
        raise FileNotFound(file_id)

    def used_bytes(self, owner: str) -> int:
        return sum(self._content_bytes(entry) for entry in self._entries(self._folder(owner)))

    def clear(self) -> None:
        with self._locked():
            for folder in self._owner_folders():
                for entry in self._entries(folder):
                    if entry.name.endswith(self.META) and FILE_ID.fullmatch(entry.name[: -len(self.META)]):
                        Path(entry.path).unlink(missing_ok=True)
                        (folder / (entry.name[: -len(self.META)] + self.CONTENT)).unlink(missing_ok=True)
                _remove_if_empty(folder)
            for entry in self._entries(self.root / self.DELETED):
                Path(entry.path).unlink(missing_ok=True)

    # Paths.

    def _folder(self, owner: str) -> Path:
        """Named after a digest of the owner: owners are header values, never path material."""
        return self.root / (self.OWNER_PREFIX + hashlib.sha256(owner.encode()).hexdigest()[:32])

    def _path(self, owner: str, file_id: str, suffix: str) -> Path:
        return self._folder(owner) / (file_id + suffix)

    def _owner_folders(self) -> list[Path]:
        return [Path(e.path) for e in self._entries(self.root) if e.name.startswith(self.OWNER_PREFIX) and e.is_dir()]

    @staticmethod
    def _entries(folder: Path) -> list[os.DirEntry[str]]:
        try:
            with os.scandir(folder) as entries:
                return list(entries)
        except FileNotFoundError:
            return []

    def _content_bytes(self, entry: os.DirEntry[str]) -> int:
        """The size of a content file, complete or being written (sized in full when its upload starts)."""
        if not entry.name.endswith((self.CONTENT, self.CONTENT + self.TEMP)):
            return 0
        try:
            return entry.stat().st_size
        except FileNotFoundError:
            return 0

    # Writing.

    def _locked(self) -> contextlib.AbstractContextManager[None]:
        """The store's exclusive lock, across threads and processes."""
        return exclusive_lock(self.root / self.LOCK)

    def _reserve(
        self, owner: str, filename: str, purpose: str, created_at: int, size: int
    ) -> tuple[StoredFile, BinaryIO]:
        """Under the lock: check the quotas, take an id and a sequence number, and create the content's
        temp file at its full size, so that parallel uploads, in any process, count it and cannot overshoot."""
        folder = self._folder(owner)
        with self._locked():
            taken = {e.name.split(".", 1)[0] for e in self._entries(self.root / self.DELETED)}
            owner_used = total_used = 0
            for each in self._owner_folders():
                for entry in self._entries(each):
                    taken.add(entry.name.split(".", 1)[0])
                    used = self._content_bytes(entry)
                    total_used += used
                    owner_used += used if each == folder else 0
            self._check_room(owner_used, total_used, size)
            file_id = self._new_id()
            while file_id in taken:
                file_id = self._new_id()  # the seeded sequence repeats after a restart
            if not folder.is_dir():
                folder.mkdir()
                self._sync_directory(self.root)
            fd = os.open(folder / (file_id + self.CONTENT + self.TEMP), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            out = os.fdopen(fd, "wb")
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                os.ftruncate(fd, size)
                sequence = self._next_sequence()
            except BaseException:
                out.close()
                (folder / (file_id + self.CONTENT + self.TEMP)).unlink(missing_ok=True)
                raise
        return StoredFile(file_id, owner, filename, purpose, size, created_at, sequence), out

    def _next_sequence(self, at_least: int = 0) -> int:
        """The store's insertion counter, shared by every process (under the lock)."""
        fd = os.open(self.root / self.SEQUENCE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            raw = os.pread(fd, 32, 0).strip()
            sequence = max(int(raw) if raw.isdigit() else 0, at_least) + 1
            os.pwrite(fd, b"%020d" % sequence, 0)  # fixed width: never a shorter write over a longer one
            return sequence
        finally:
            os.close(fd)

    def _write_atomically(self, path: Path, data: bytes) -> None:
        temp = path.with_name(path.name + self.TEMP)
        try:
            with temp.open("wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, path)
        finally:
            temp.unlink(missing_ok=True)
        self._sync_directory(path.parent)

    def _sync_directory(self, folder: Path) -> None:
        """Make a rename (or a new folder) itself durable."""
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _forget_old_deletions(self) -> None:
        entries = self._entries(self.root / self.DELETED)
        if len(entries) <= REMEMBERED_DELETIONS:
            return
        entries.sort(key=lambda e: e.stat().st_mtime_ns)
        for entry in entries[: len(entries) - REMEMBERED_DELETIONS]:
            Path(entry.path).unlink(missing_ok=True)

    # Reading and recovering.

    def _recover(self) -> None:
        """Under the lock: remove what a crash left (temp files, orphans, mismatched pairs), but nothing an
        upload of a live process still holds; then move the sequence past every file's."""
        highest = 0
        for folder in self._owner_folders():
            for entry in self._entries(folder):
                file_id, _, suffix = entry.name.partition(".")
                if not FILE_ID.fullmatch(file_id):
                    continue
                content = folder / (file_id + self.CONTENT)
                if "." + suffix == self.META:
                    stored = self._load_metadata(Path(entry.path))
                    if stored is not None and content.is_file() and content.stat().st_size == stored.bytes:
                        highest = max(highest, stored.sequence)
                        continue
                    Path(entry.path).unlink(missing_ok=True)
                    content.unlink(missing_ok=True)
                elif not (folder / (file_id + self.META)).exists() and not _held(content, Path(entry.path)):
                    Path(entry.path).unlink(missing_ok=True)  # a temp or an orphan content of a dead upload
            _remove_if_empty(folder)
        if highest:
            self._next_sequence(at_least=highest)

    @staticmethod
    def _load_metadata(meta: Path) -> StoredFile | None:
        if not FILE_ID.fullmatch(meta.name.removesuffix(DirectoryFileStore.META)):
            return None
        try:
            stored = StoredFile(**orjson.loads(meta.read_bytes()))
        except (OSError, orjson.JSONDecodeError, TypeError):
            return None
        well_typed = all(isinstance(getattr(stored, name), kind) for name, kind in _FIELD_TYPES.items())
        return stored if well_typed and stored.id + DirectoryFileStore.META == meta.name else None


def _held(*paths: Path) -> bool:
    """Whether a live upload holds the flock of any of these files (a dead process holds none)."""
    for path in paths:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
    return False


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not empty, or gone already
        folder.rmdir()


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
    """In memory, unless files must outlive the process (--data-dir) or be shared by its workers."""
    limits = Limits(settings.max_file_bytes, settings.org_storage_bytes, settings.total_storage_bytes)
    root = settings.data_dir or settings.shared_store_dir
    if root is None:
        return MemoryFileStore(limits, new_id)
    return DirectoryFileStore(root / "files", limits, new_id)
