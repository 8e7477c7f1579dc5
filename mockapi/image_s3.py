"""The images behind `response_format=url` links in an S3-compatible bucket (--files-url), for replicas on
any machine: the directory image store's bounds and expiry (image_store.py), with objects for files."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from mockapi.image_store import IMAGE_ID, ImageStore
from mockapi.s3_bucket import Bucket, ObjectLock
from mockapi.seeding import Seeding

SUFFIX = "png"


class _StoredImage(NamedTuple):
    key: str
    image_id: str
    bytes: int
    stored_at: float


class S3ImageStore(ImageStore):
    """`<prefix>/images/<id>.<microseconds>.png` per image, named by when it was stored (on `clock`: wall
    time by default, the one clock all replicas share), so one listing orders and ages them all. `put` (which
    evicts) runs under the bucket lock `images/.lock`; an object is written whole or not at all."""

    def __init__(
        self,
        bucket: Bucket,
        max_entries: int = 256,
        max_bytes: int = 256 * 1024 * 1024,
        ttl_seconds: float = 3600,
        clock: Callable[[], float] = Seeding.wall_time,
    ) -> None:
        super().__init__(max_entries, max_bytes, ttl_seconds, clock)
        self.bucket = bucket
        self.base = bucket.key("images/")
        bucket.verify()
        self._lock = ObjectLock(bucket, self.base + ".lock")

    def __len__(self) -> int:
        return len(self._live())

    @property
    def total_bytes(self) -> int:
        return sum(image.bytes for image in self._live())

    def put(self, image_id: str, data: bytes) -> None:
        if not IMAGE_ID.fullmatch(image_id):
            raise ValueError(f"not an image id: {image_id!r}")
        with self._lock.held():
            now = self._clock()
            kept: list[_StoredImage] = []
            gone: list[_StoredImage] = []
            for image in sorted(self._images(), key=lambda i: (i.stored_at, i.key)):
                (gone if image.image_id == image_id or self._expired(image, now) else kept).append(image)
            held = sum(image.bytes for image in kept)
            while kept and (len(kept) >= self.max_entries or held + len(data) > self.max_bytes):
                oldest = kept.pop(0)
                gone.append(oldest)
                held -= oldest.bytes
            self.bucket.delete_many([image.key for image in gone])
            self.bucket.put(f"{self.base}{image_id}.{round(now * 1_000_000)}.{SUFFIX}", data)

    def get(self, image_id: str) -> bytes | None:
        if not IMAGE_ID.fullmatch(image_id):
            return None
        now, found = self._clock(), None
        for image in self._images(image_id + "."):
            if self._expired(image, now):
                self.bucket.delete(image.key)  # ids are never reused: nothing else can be at this key
            elif found is None or image.stored_at > found.stored_at:
                found = image
        return self.bucket.get(found.key) if found else None  # None too when evicted meanwhile

    def clear(self) -> None:
        with self._lock.held():
            self.bucket.delete_many([image.key for image in self._images()])

    def _expired(self, image: _StoredImage, now: float) -> bool:
        return now >= image.stored_at + self.ttl_seconds

    def _live(self) -> list[_StoredImage]:
        now = self._clock()
        return [image for image in self._images() if not self._expired(image, now)]

    def _images(self, starting: str = "") -> list[_StoredImage]:
        images = []
        for listed in self.bucket.listing(self.base + starting):
            image_id, _, rest = listed.key[len(self.base) :].partition(".")
            micros, _, suffix = rest.partition(".")
            if IMAGE_ID.fullmatch(image_id) and micros.isdigit() and suffix == SUFFIX:
                images.append(_StoredImage(listed.key, image_id, listed.size, int(micros) / 1_000_000))
        return images
