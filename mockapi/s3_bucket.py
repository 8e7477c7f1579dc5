"""One S3-compatible bucket under a key prefix (--files-url s3://bucket/prefix), and a lock kept in it.

boto3 is imported here, when a bucket is opened: a server without --files-url never loads it. Credentials and
the region come from where boto3 finds them (AWS_* variables, ~/.aws, an instance role), never the settings.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, BinaryIO, NamedTuple, cast

from mockapi.files_store import CHUNK_BYTES
from mockapi.seeding import Seeding

# A file over this size is sent in parts of this size (S3 takes at least 5 MiB a part, at most 10,000 parts):
# an upload holds one part in memory, not the file.
PART_BYTES = 8 * 1024 * 1024
# Held longer than this, the lock is a dead holder's and another process may take it over.
LOCK_LEASE_SECONDS = 60.0
# Metadata read at once by a listing (one connection each).
PARALLEL_READS = 8
# Error codes of an object that is not there, and of a condition (If-None-Match, If-Match) that failed.
MISSING = {"NoSuchKey", "404", "NotFound"}
CONFLICT = {"PreconditionFailed", "412", "ConditionalRequestConflict", "409"}


class BucketError(RuntimeError):
    """The bucket cannot hold the stores: unreachable, missing, or without conditional writes."""


class Listed(NamedTuple):
    key: str
    size: int
    # Epoch seconds, on the object store's clock.
    modified: float


def split_url(url: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix` -> ("bucket", "some/prefix/"); the prefix is "" for the bucket's root."""
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    prefix = prefix.strip("/")
    return bucket, prefix + "/" if prefix else ""


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


class Bucket:
    """The few object operations the stores need, each one request (a listing one per 1000 keys)."""

    def __init__(self, url: str, endpoint_url: str | None = None) -> None:
        import boto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError

        self.url = url
        self.name, self.prefix = split_url(url)
        options: dict[str, Any] = {"max_pool_connections": 32, "retries": {"mode": "standard"}}
        if endpoint_url is not None:
            options["s3"] = {"addressing_style": "path"}  # MinIO, Ceph, moto...: no bucket-named hosts
        # Checksums only where S3 requires them: many S3-compatible servers refuse the trailers newer SDKs add.
        for name in ("request_checksum_calculation", "response_checksum_validation"):
            if name in Config.OPTION_DEFAULTS:
                options[name] = "when_required"
        # A session of its own: boto3's default one is not safe to create from several threads.
        self.client = boto3.session.Session().client("s3", endpoint_url=endpoint_url, config=Config(**options))
        self.errors: tuple[type[Exception], ...] = (ClientError, BotoCoreError)
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def key(self, path: str) -> str:
        return self.prefix + path

    def verify(self) -> None:
        """Fail at start-up rather than at the first upload: the bucket answers and honours If-None-Match,
        on which ObjectLock relies."""
        probe = self.key(f".probe-{uuid.uuid4().hex}")
        try:
            self.client.head_bucket(Bucket=self.name)
            self.create(probe, b"")
            again = self.create(probe, b"")
            self.delete(probe)
        except self.errors as exc:
            raise BucketError(f"{self.url} cannot be used: {exc}") from exc
        if again is not None:
            raise BucketError(f"{self.url}: the object store ignores conditional writes (If-None-Match)")

    # Reading.

    def get(self, key: str) -> bytes | None:
        stream = self.open(key)
        if stream is None:
            return None
        with stream:
            return stream.read()

    def get_many(self, keys: list[str]) -> list[bytes | None]:
        if len(keys) < 2:
            return [self.get(key) for key in keys]
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(PARALLEL_READS, thread_name_prefix="mockapi-s3")
        return list(self._pool.map(self.get, keys))

    def open(self, key: str) -> BinaryIO | None:
        """The object's bytes as a stream (the caller closes it), or None when there is none."""
        try:
            return cast(BinaryIO, self.client.get_object(Bucket=self.name, Key=key)["Body"])
        except self.errors as exc:
            if _code(exc) in MISSING:
                return None
            raise

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.name, Key=key)
            return True
        except self.errors as exc:
            if _code(exc) in MISSING:
                return False
            raise

    def listing(self, prefix: str) -> list[Listed]:
        found = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=prefix):
            for item in page.get("Contents", ()):
                found.append(Listed(item["Key"], int(item["Size"]), item["LastModified"].timestamp()))
        return found

    # Writing.

    def put(self, key: str, data: bytes) -> str:
        """Answers the new object's ETag."""
        return str(self.client.put_object(Bucket=self.name, Key=key, Body=data)["ETag"])

    def create(self, key: str, data: bytes) -> str | None:
        """Write the object only if there is none (If-None-Match: *): its ETag, or None when one exists."""
        try:
            return str(self.client.put_object(Bucket=self.name, Key=key, Body=data, IfNoneMatch="*")["ETag"])
        except self.errors as exc:
            if _code(exc) in CONFLICT:
                return None
            raise

    def delete(self, key: str, etag: str | None = None) -> bool:
        """Remove the object, only if it still has `etag` when one is given; False when that did not hold.
        (A store that ignores If-Match on deletes removes it anyway.)"""
        try:
            if etag is None:
                self.client.delete_object(Bucket=self.name, Key=key)
            else:
                self.client.delete_object(Bucket=self.name, Key=key, IfMatch=etag)
            return True
        except self.errors as exc:
            if _code(exc) in CONFLICT | MISSING:
                return False
            raise

    def delete_many(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):  # the most one request takes
            batch = [{"Key": key} for key in keys[start : start + 1000]]
            self.client.delete_objects(Bucket=self.name, Delete={"Objects": batch, "Quiet": True})

    def upload(self, key: str, source: BinaryIO, size: int, between_parts: Callable[[], None]) -> None:
        """Copy exactly `size` bytes of `source` to `key`, else ValueError and nothing written: in one request
        up to PART_BYTES, else as a multipart upload, which S3 shows only once completed."""
        part = _read(source, PART_BYTES)
        if len(part) < PART_BYTES:
            _check_size(size, len(part))
            self.put(key, part)
            return
        upload_id = self.client.create_multipart_upload(Bucket=self.name, Key=key)["UploadId"]
        try:
            parts: list[dict[str, Any]] = []
            copied = 0
            while part:
                copied += len(part)
                if copied <= size:  # past it, only counted: the refusal below says how long the source was
                    sent = self.client.upload_part(
                        Bucket=self.name, Key=key, UploadId=upload_id, PartNumber=len(parts) + 1, Body=part
                    )
                    parts.append({"ETag": sent["ETag"], "PartNumber": len(parts) + 1})
                    between_parts()
                part = _read(source, PART_BYTES)
            _check_size(size, copied)
            self.client.complete_multipart_upload(
                Bucket=self.name, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        except BaseException:
            with contextlib.suppress(*self.errors):
                self.client.abort_multipart_upload(Bucket=self.name, Key=key, UploadId=upload_id)
            raise


def _read(source: BinaryIO, size: int) -> bytes:
    """Up to `size` bytes: fewer only at the end of the source."""
    chunks, got = [], 0
    while got < size and (chunk := source.read(min(CHUNK_BYTES, size - got))):
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _check_size(expected: int, read: int) -> None:
    if read != expected:
        raise ValueError(f"expected {expected} bytes, read {read}")


class ObjectLock:
    """An exclusive lock across threads, processes and machines: an object created only while absent
    (If-None-Match: *) and deleted to release it. A holder that dies leaves it behind; once older than
    LOCK_LEASE_SECONDS (by its modification time on the store's clock, against this machine's), another
    process deletes it, by its ETag, so that two doing so at once cannot both remove a newer holder's."""

    def __init__(self, bucket: Bucket, key: str, lease_seconds: float = LOCK_LEASE_SECONDS) -> None:
        self.bucket, self.key, self.lease_seconds = bucket, key, lease_seconds
        # Threads of one process queue here rather than polling the store.
        self._threads = threading.Lock()

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        with self._threads:
            etag = self._acquire()
            try:
                yield
            finally:
                # By its ETag: after a lapsed lease the object may be another holder's.
                self.bucket.delete(self.key, etag)

    def _acquire(self) -> str:
        delay = 0.002
        while True:
            etag = self.bucket.create(self.key, uuid.uuid4().hex.encode())
            if etag is not None:
                return etag
            self._break_if_stale()
            time.sleep(delay * random.uniform(0.5, 1.5))  # jittered: waiters do not retry in step
            delay = min(delay * 2, 0.1)

    def _break_if_stale(self) -> None:
        try:
            head = self.bucket.client.head_object(Bucket=self.bucket.name, Key=self.key)
        except self.bucket.errors as exc:
            if _code(exc) in MISSING:
                return  # released meanwhile
            raise
        if head["LastModified"].timestamp() < Seeding.wall_time() - self.lease_seconds:
            self.bucket.delete(self.key, str(head["ETag"]))
