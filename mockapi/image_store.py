"""The images behind `response_format=url` links: a bounded, expiring cache, in memory or in a directory.

Entries live for a fixed time (like the real API's pre-signed links) and the oldest are evicted first
when the count or byte budget would be exceeded, so storage cannot grow without limit. Several worker
processes share one directory store, so a link made by one is served by every other.
"""

from __future__ import annotations

import os
import re
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from mockapi.locking import exclusive_lock
from mockapi.seeding import Seeding

# Only ids of the seeded sequence ("img-" + alphanumerics) are ever paths on disk.
IMAGE_ID = re.compile(r"img-[A-Za-z0-9]{1,64}")


class ImageStore(ABC):
    def __init__(self, max_entries: int, max_bytes: int, ttl_seconds: float, clock: Callable[[], float]) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.ttl_seconds = ttl_seconds
        self._clock = clock

    @abstractmethod
    def put(self, image_id: str, data: bytes) -> None:
        """Hold `data` under `image_id`, evicting expired then oldest entries to stay within bounds; the
        newest entry is always kept, even when alone it exceeds the byte budget."""

    @abstractmethod
    def get(self, image_id: str) -> bytes | None:
        """The image's bytes, or None when unknown or expired."""

    @abstractmethod
    def clear(self) -> None: ...

    @abstractmethod
    def __len__(self) -> int: ...

    @property
    @abstractmethod
    def total_bytes(self) -> int: ...


@dataclass(frozen=True)
class _Entry:
    data: bytes
    expires_at: float


class MemoryImageStore(ImageStore):
    def __init__(
        self,
        max_entries: int = 256,
        max_bytes: int = 256 * 1024 * 1024,
        ttl_seconds: float = 3600,
        clock: Callable[[], float] = Seeding.monotonic,
    ) -> None:
        super().__init__(max_entries, max_bytes, ttl_seconds, clock)
        # Insertion order is expiry order (one TTL for all), so the head is always the next to go.
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()  # images are stored and served from worker threads

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def total_bytes(self) -> int:
        return self._bytes

    def put(self, image_id: str, data: bytes) -> None:
        with self._lock:
            self._purge_expired()
            self._drop(image_id)
            while self._entries and (
                len(self._entries) >= self.max_entries or self._bytes + len(data) > self.max_bytes
            ):
                self._drop(next(iter(self._entries)))
            self._entries[image_id] = _Entry(data, self._clock() + self.ttl_seconds)
            self._bytes += len(data)

    def get(self, image_id: str) -> bytes | None:
        with self._lock:
            self._purge_expired()
            entry = self._entries.get(image_id)
            return entry.data if entry else None

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def _purge_expired(self) -> None:
        now = self._clock()
        while self._entries:
            image_id, entry = next(iter(self._entries.items()))
            if entry.expires_at > now:
                return
            self._drop(image_id)

    def _drop(self, image_id: str) -> None:
        entry = self._entries.pop(image_id, None)
        if entry is not None:
            self._bytes -= len(entry.data)


@dataclass(frozen=True)
class _StoredImage:
    path: Path
    bytes: int
    stored_at: float


class DirectoryImageStore(ImageStore):
    """`<id>.png` per image in `root`, its modification time set to when it was stored.

    Every process reads the same files; `put` (which evicts) runs under an exclusive flock of `root/.lock`.
    Times are wall-clock seconds, the one clock all processes share.
    """

    SUFFIX = ".png"
    TEMP = ".tmp"
    LOCK = ".lock"

    def __init__(
        self,
        root: Path,
        max_entries: int = 256,
        max_bytes: int = 256 * 1024 * 1024,
        ttl_seconds: float = 3600,
        clock: Callable[[], float] = Seeding.wall_time,
    ) -> None:
        super().__init__(max_entries, max_bytes, ttl_seconds, clock)
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def __len__(self) -> int:
        return len(self._live())

    @property
    def total_bytes(self) -> int:
        return sum(image.bytes for image in self._live())

    def put(self, image_id: str, data: bytes) -> None:
        path = self._path(image_id)
        with self._locked():
            now = self._clock()
            kept = []
            for image in sorted(self._images(sweep=True), key=lambda i: (i.stored_at, i.path.name)):
                if image.path == path or self._expired(image, now):
                    image.path.unlink(missing_ok=True)
                else:
                    kept.append(image)
            held = sum(image.bytes for image in kept)
            while kept and (len(kept) >= self.max_entries or held + len(data) > self.max_bytes):
                oldest = kept.pop(0)
                oldest.path.unlink(missing_ok=True)
                held -= oldest.bytes
            # Written aside and renamed: a reader in another process sees the whole image or none.
            temp = path.with_name(path.name + self.TEMP)
            temp.write_bytes(data)
            os.utime(temp, (now, now))
            os.replace(temp, path)

    def get(self, image_id: str) -> bytes | None:
        if not IMAGE_ID.fullmatch(image_id):
            return None
        path = self._path(image_id)
        try:
            if self._expired(_StoredImage(path, 0, path.stat().st_mtime), self._clock()):
                path.unlink(missing_ok=True)  # ids are never reused: nothing else can be at this path
                return None
            return path.read_bytes()
        except FileNotFoundError:  # never stored, or evicted by another process
            return None

    def clear(self) -> None:
        with self._locked():
            for image in self._images():
                image.path.unlink(missing_ok=True)

    def _path(self, image_id: str) -> Path:
        if not IMAGE_ID.fullmatch(image_id):
            raise ValueError(f"not an image id: {image_id!r}")
        return self.root / (image_id + self.SUFFIX)

    def _expired(self, image: _StoredImage, now: float) -> bool:
        return now >= image.stored_at + self.ttl_seconds

    def _live(self) -> list[_StoredImage]:
        now = self._clock()
        return [image for image in self._images() if not self._expired(image, now)]

    def _images(self, sweep: bool = False) -> list[_StoredImage]:
        """The images on disk. Temp files exist only while `put` holds the lock, so its holder may `sweep`
        away any it sees: what a crash mid-write left."""
        images = []
        with os.scandir(self.root) as entries:
            for entry in entries:
                if sweep and entry.name.endswith(self.SUFFIX + self.TEMP):
                    Path(entry.path).unlink(missing_ok=True)
                if not entry.name.endswith(self.SUFFIX) or not IMAGE_ID.fullmatch(entry.name[: -len(self.SUFFIX)]):
                    continue
                try:
                    stat = entry.stat()
                except FileNotFoundError:
                    continue
                images.append(_StoredImage(Path(entry.path), stat.st_size, stat.st_mtime))
        return images

    def _locked(self) -> AbstractContextManager[None]:
        return exclusive_lock(self.root / self.LOCK)
