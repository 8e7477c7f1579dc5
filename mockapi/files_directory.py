"""The directory store: uploaded files on disk, the disk their only index, shared safely by processes.

`<id>.content` and `<id>.json` per file, in one folder per owner; see DirectoryFileStore.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import BinaryIO

import orjson

from mockapi.files_store import (
    FIELD_TYPES,
    FILE_ID,
    REMEMBERED_DELETIONS,
    FileNotFound,
    FileStore,
    Limits,
    Position,
    StoredFile,
    copy_exactly,
    counter_ids,
)
from mockapi.locking import exclusive_lock
from mockapi.seeding import Seeding


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

    def __init__(
        self,
        root: Path,
        limits: Limits | None = None,
        new_id: Callable[[], str] | None = None,
        now: Callable[[], int] | None = None,
    ) -> None:
        super().__init__(limits or Limits(), now)
        self._new_id = new_id or counter_ids()
        self.root = root
        (root / self.DELETED).mkdir(parents=True, exist_ok=True)
        with self._locked():
            self._recover()

    # The interface.

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
        source.seek(0)
        stored, out = self._reserve(owner, filename, purpose, created_at, size, expires_at)
        content = self._path(owner, stored.id, self.CONTENT)
        temp = content.with_name(content.name + self.TEMP)
        try:
            copy_exactly(source, out.write, size)
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
        self._will_expire(stored)
        return stored

    def get(self, owner: str, file_id: str) -> StoredFile:
        if not FILE_ID.fullmatch(file_id):
            raise FileNotFound(file_id)
        stored = self._load_metadata(self._path(owner, file_id, self.META))
        if stored is None or stored.owner != owner:
            raise FileNotFound(file_id)
        if stored.expired(self.now()):
            self._expire(stored)
            raise FileNotFound(file_id)
        return stored

    def files_of(self, owner: str) -> list[StoredFile]:
        found = []
        now = self.now()
        for entry in self._entries(self._folder(owner)):
            stored = self._load_metadata(Path(entry.path)) if entry.name.endswith(self.META) else None
            if stored is not None and stored.owner == owner:
                if stored.expired(now):
                    self._expire(stored)
                else:
                    found.append(stored)
        return sorted(found, key=lambda f: f.position)

    def _expire(self, stored: StoredFile) -> None:
        with contextlib.suppress(FileNotFound):  # another process removed it first
            self._delete(stored.owner, stored.id)

    def open_content(self, owner: str, file_id: str) -> tuple[StoredFile, BinaryIO]:
        stored = self.get(owner, file_id)
        try:
            return stored, self._path(owner, file_id, self.CONTENT).open("rb")
        except FileNotFoundError as exc:  # deleted meanwhile
            raise FileNotFound(file_id) from exc

    def delete(self, owner: str, file_id: str) -> StoredFile:
        self.get(owner, file_id)  # an expired file is as missing as a deleted one
        return self._delete(owner, file_id)

    def _delete(self, owner: str, file_id: str) -> StoredFile:
        with self._locked():
            stored = self._load_metadata(self._path(owner, file_id, self.META))
            if stored is None or stored.owner != owner:
                raise FileNotFound(file_id)
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
        self._forget_expiring()

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
        self, owner: str, filename: str, purpose: str, created_at: int, size: int, expires_at: int | None
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
        return StoredFile(file_id, owner, filename, purpose, size, created_at, sequence, expires_at), out

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
                        self._will_expire(stored)
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
        well_typed = all(isinstance(getattr(stored, name), kind) for name, kind in FIELD_TYPES.items())
        well_typed = well_typed and not isinstance(stored.expires_at, bool)
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
