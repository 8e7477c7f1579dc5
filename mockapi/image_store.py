"""The images behind `response_format=url` links: a bounded, expiring in-memory cache.

Entries live for a fixed time (like the real API's pre-signed links) and the oldest are evicted first
when the count or byte budget would be exceeded, so memory cannot grow without limit.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from mockapi.seeding import Seeding
from mockapi.settings import Settings


@dataclass(frozen=True)
class _Entry:
    data: bytes
    expires_at: float


class ImageStore:
    def __init__(
        self,
        max_entries: int = 256,
        max_bytes: int = 256 * 1024 * 1024,
        ttl_seconds: float = 3600,
        clock: Callable[[], float] = Seeding.monotonic,
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        # Insertion order is expiry order (one TTL for all), so the head is always the next to go.
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._bytes = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> ImageStore:
        return cls(settings.image_cache_size, settings.image_cache_bytes, settings.image_url_ttl_seconds)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def total_bytes(self) -> int:
        return self._bytes

    def put(self, image_id: str, data: bytes) -> None:
        """Hold `data` under `image_id`, evicting expired then oldest entries to stay within bounds."""
        self._purge_expired()
        self._drop(image_id)
        # The newest entry is always kept, even when alone it exceeds the byte budget.
        while self._entries and (len(self._entries) >= self.max_entries or self._bytes + len(data) > self.max_bytes):
            self._drop(next(iter(self._entries)))
        self._entries[image_id] = _Entry(data, self._clock() + self.ttl_seconds)
        self._bytes += len(data)

    def get(self, image_id: str) -> bytes | None:
        """The image's bytes, or None when unknown or expired."""
        self._purge_expired()
        entry = self._entries.get(image_id)
        return entry.data if entry else None

    def clear(self) -> None:
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
