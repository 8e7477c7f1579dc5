"""The bucket store: uploaded files as objects of an S3-compatible bucket, shared by replicas on any machine.

The directory store's layout (files_directory.py), under `<prefix>/files/`:
  owner-<digest>/<id>.json              the metadata, written last: the file exists once it does
  owner-<digest>/<id>.content           the bytes
  owner-<digest>/<id>.<bytes>.upload    an upload in flight, holding its bytes of the quotas
  owner-<digest>/<id>.swept             a dead upload's id, kept from reuse (see SWEPT_KEPT_SECONDS)
  deleted/<id>.<microseconds>.json      a recent deletion's metadata, for cursors (named by when it was deleted)
  .lock, .sequence                      the store's lock (ObjectLock) and its insertion counter
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
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
    counter_ids,
)
from mockapi.s3_bucket import Bucket, Listed, ObjectLock
from mockapi.seeding import Seeding

META = "json"
CONTENT = "content"
UPLOAD = re.compile(r"([0-9]{1,20})\.upload")
SWEPT = "swept"
OWNER_PREFIX = "owner-"
DELETED = "deleted"
# An upload renews its marker while it copies; one not renewed for this long is a dead process's (its bytes
# leave the quotas, and the next reservation removes it with its content). Generous: the clocks of the
# replicas and of the object store need only agree within it.
UPLOAD_LEASE_SECONDS = 600.0
UPLOAD_RENEW_SECONDS = 60.0
# A swept upload may only have stalled: its id is not given to another file for this long, so that the
# stalled copy, if it resumes, writes over nothing but its own leftovers (swept in turn; its commit is refused).
SWEPT_KEPT_SECONDS = 86_400.0


class ReservationLapsed(RuntimeError):
    """An upload stalled past UPLOAD_LEASE_SECONDS, and its reservation was removed as a dead one's."""


@dataclass
class _Held:
    """What the bucket holds of one file id in one owner's folder."""

    meta: Listed | None = None
    content: Listed | None = None
    upload: Listed | None = None
    swept: Listed | None = None
    reserved: int = 0

    def live_upload(self, now: float) -> bool:
        return self.upload is not None and self.swept is None and self.upload.modified > now - UPLOAD_LEASE_SECONDS

    def bytes(self, now: float) -> int:
        """As the directory store counts: a stored file's content, or all the bytes of an upload in flight."""
        if self.meta is not None and self.content is not None:
            return self.content.size
        return self.reserved if self.live_upload(now) else 0

    def drop(self, gone: list[Listed]) -> bool:
        """Forget the objects removed; answers whether any is left."""
        kept = [None if x in gone else x for x in (self.meta, self.content, self.upload, self.swept)]
        self.meta, self.content, self.upload, self.swept = kept
        return any(x is not None for x in kept)

    def leftovers(self, now: float) -> list[Listed]:
        """What neither a stored file nor a live upload accounts for: a dead upload (its marker, maybe its
        content), an interrupted delete's content, metadata without content, a committed upload's marker."""
        if self.meta is not None:
            return [x for x in (self.upload, None if self.content else self.meta) if x is not None]
        if self.live_upload(now):
            return []
        old = self.swept is not None and self.swept.modified < now - SWEPT_KEPT_SECONDS
        return [x for x in (self.content, self.upload, self.swept if old else None) if x is not None]


class S3FileStore(FileStore):
    """No index in memory: the bucket is the index, so every replica sees every file.

    Bookkeeping that must not interleave, across processes and machines (quotas, ids, the sequence, an upload's
    commit, deletes, recovery), runs under the bucket lock `.lock`. Bytes are copied outside it, so uploads
    proceed in parallel; each holds its share of the quotas through its `.upload` marker until committed.
    """

    def __init__(
        self,
        bucket: Bucket,
        limits: Limits | None = None,
        new_id: Callable[[], str] | None = None,
        now: Callable[[], int] | None = None,
    ) -> None:
        super().__init__(limits or Limits(), now)
        self._new_id = new_id or counter_ids()
        self.bucket = bucket
        self.base = bucket.key("files/")
        bucket.verify()
        self._lock = ObjectLock(bucket, self.base + ".lock")
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
        stored, marker = self._reserve(owner, filename, purpose, created_at, size, expires_at)
        content = self._key(owner, stored.id, CONTENT)
        renewed = Seeding.monotonic()

        def renew() -> None:
            nonlocal renewed
            if Seeding.monotonic() - renewed > UPLOAD_RENEW_SECONDS:
                with self._lock.held():  # never bringing back a marker swept meanwhile
                    self._check_reserved(stored, marker)
                    self.bucket.put(marker, b"")
                renewed = Seeding.monotonic()

        try:
            self.bucket.upload(content, source, size, renew)
            self._commit(stored, marker)
        except BaseException:
            with contextlib.suppress(*self.bucket.errors):
                self.bucket.delete(content)  # before the marker: content is never left unaccounted for
                self.bucket.delete(marker)
            raise
        self._will_expire(stored)
        return stored

    def get(self, owner: str, file_id: str) -> StoredFile:
        if not FILE_ID.fullmatch(file_id):
            raise FileNotFound(file_id)
        meta = self._key(owner, file_id, META)
        stored = _parse(self.bucket.get(meta), meta)
        if stored is None or stored.owner != owner:
            raise FileNotFound(file_id)
        if stored.expired(self.now()):
            self._expire(stored)
            raise FileNotFound(file_id)
        return stored

    def files_of(self, owner: str) -> list[StoredFile]:
        held, _ = self._scan(self._folder(owner))
        metas = [entry.meta.key for entry in held.values() if entry.meta is not None]
        found, now = [], self.now()
        for meta, raw in zip(metas, self.bucket.get_many(metas), strict=True):
            stored = _parse(raw, meta)
            if stored is not None and stored.owner == owner:
                if stored.expired(now):
                    self._expire(stored)
                else:
                    found.append(stored)
        return sorted(found, key=lambda f: f.position)

    def open_content(self, owner: str, file_id: str) -> tuple[StoredFile, BinaryIO]:
        stored = self.get(owner, file_id)
        # A GET under way reads to its end even if the object is deleted meanwhile.
        stream = self.bucket.open(self._key(owner, file_id, CONTENT))
        if stream is None:  # deleted meanwhile
            raise FileNotFound(file_id)
        return stored, stream

    def delete(self, owner: str, file_id: str) -> StoredFile:
        self.get(owner, file_id)  # an expired file is as missing as a deleted one
        return self._delete(owner, file_id)

    def position(self, owner: str, file_id: str) -> Position:
        if FILE_ID.fullmatch(file_id):
            meta = self._key(owner, file_id, META)
            stored = _parse(self.bucket.get(meta), meta)
            if stored is None:
                remembered = sorted(self.bucket.listing(f"{self.base}{DELETED}/{file_id}."))
                if remembered:
                    stored = _parse(self.bucket.get(remembered[-1].key), remembered[-1].key)
            if stored is not None and stored.owner == owner:
                return stored.position
        raise FileNotFound(file_id)

    def used_bytes(self, owner: str) -> int:
        held, _ = self._scan(self._folder(owner))
        now = Seeding.wall_time()
        return sum(entry.bytes(now) for entry in held.values())

    def clear(self) -> None:
        with self._lock.held():
            held, deleted = self._scan(self.base, sweep=True)
            gone = [listed.key for listed in deleted]
            for entry in held.values():
                if entry.meta is not None:  # a stored file; uploads in flight finish and stay
                    gone += [x.key for x in (entry.meta, entry.content) if x is not None]
            self.bucket.delete_many(gone)
        self._forget_expiring()

    # Keys.

    def _folder(self, owner: str) -> str:
        """Named after a digest of the owner: owners are header values, never key material."""
        return f"{self.base}{OWNER_PREFIX}{hashlib.sha256(owner.encode()).hexdigest()[:32]}/"

    def _key(self, owner: str, file_id: str, suffix: str) -> str:
        return f"{self._folder(owner)}{file_id}.{suffix}"

    def _scan(self, prefix: str, sweep: bool = False) -> tuple[dict[tuple[str, str], _Held], list[Listed]]:
        """What the bucket holds under `prefix`: each file's objects by (folder, id), and the remembered
        deletions. `sweep` (under the lock) removes the leftovers of dead uploads, crashes and interrupted
        deletes; only the lock's holder may, as it sees no commit or delete half done."""
        held: dict[tuple[str, str], _Held] = {}
        deleted: list[Listed] = []
        for listed in self.bucket.listing(prefix):
            folder, _, name = listed.key[len(self.base) :].rpartition("/")
            file_id, _, suffix = name.partition(".")
            if not FILE_ID.fullmatch(file_id):
                continue  # not ours: left alone
            if folder == DELETED:
                deleted.append(listed)
            elif folder.startswith(OWNER_PREFIX) and "/" not in folder:
                entry = held.setdefault((folder, file_id), _Held())
                if suffix == META:
                    entry.meta = listed
                elif suffix == CONTENT:
                    entry.content = listed
                elif suffix == SWEPT:
                    entry.swept = listed
                elif upload := UPLOAD.fullmatch(suffix):
                    entry.upload, entry.reserved = listed, int(upload[1])
        if sweep:
            self._sweep(held)
        return held, deleted

    def _sweep(self, held: dict[tuple[str, str], _Held]) -> None:
        now = Seeding.wall_time()
        leftovers = {key: entry.leftovers(now) for key, entry in held.items()}
        for (folder, file_id), gone in leftovers.items():
            entry = held[(folder, file_id)]
            if entry.meta is None and entry.upload in gone and entry.swept is None:  # a dead (or stalled) upload
                swept = f"{self.base}{folder}/{file_id}.{SWEPT}"
                self.bucket.put(swept, b"")
                entry.swept = Listed(swept, 0, now)
        self.bucket.delete_many([listed.key for gone in leftovers.values() for listed in gone])
        for key, gone in leftovers.items():
            if gone and not held[key].drop(gone):
                del held[key]

    # Writing.

    def _reserve(
        self, owner: str, filename: str, purpose: str, created_at: int, size: int, expires_at: int | None
    ) -> tuple[StoredFile, str]:
        """Under the lock: check the quotas against every file and upload in the bucket, take an id and a
        sequence number, and write the upload's marker, so that parallel uploads on any replica count it."""
        folder = self._folder(owner)[len(self.base) : -1]
        with self._lock.held():
            held, deleted = self._scan(self.base, sweep=True)
            now = Seeding.wall_time()
            total_used = sum(entry.bytes(now) for entry in held.values())
            owner_used = sum(entry.bytes(now) for (each, _), entry in held.items() if each == folder)
            self._check_room(owner_used, total_used, size)
            taken = {file_id for _, file_id in held} | {_id_of(listed.key) for listed in deleted}
            file_id = self._new_id()
            while file_id in taken:
                file_id = self._new_id()  # the seeded sequence repeats after a restart
            marker = self._key(owner, file_id, f"{size}.upload")
            self.bucket.put(marker, b"")
            sequence = self._next_sequence()
        return StoredFile(file_id, owner, filename, purpose, size, created_at, sequence, expires_at), marker

    def _commit(self, stored: StoredFile, marker: str) -> None:
        """Under the lock: the metadata, then the marker's removal; refused if the marker was swept as a dead
        upload's meanwhile (its bytes left the quotas, which other uploads may have taken)."""
        with self._lock.held():
            self._check_reserved(stored, marker)
            self.bucket.put(self._key(stored.owner, stored.id, META), orjson.dumps(asdict(stored)))
            with contextlib.suppress(*self.bucket.errors):  # the file is whole; a marker left is swept
                self.bucket.delete(marker)

    def _check_reserved(self, stored: StoredFile, marker: str) -> None:
        if not self.bucket.exists(marker):
            raise ReservationLapsed(f"the upload of {stored.id} stalled past its reservation")

    def _next_sequence(self, at_least: int = 0) -> int:
        """The store's insertion counter, shared by every replica (under the lock)."""
        key = self.base + ".sequence"
        raw = (self.bucket.get(key) or b"").strip()
        sequence = max(int(raw) if raw.isdigit() else 0, at_least) + 1
        self.bucket.put(key, b"%d" % sequence)
        return sequence

    def _expire(self, stored: StoredFile) -> None:
        with contextlib.suppress(FileNotFound):  # another replica removed it first
            self._delete(stored.owner, stored.id)

    def _delete(self, owner: str, file_id: str) -> StoredFile:
        with self._lock.held():
            meta = self._key(owner, file_id, META)
            raw = self.bucket.get(meta)
            stored = _parse(raw, meta)
            if raw is None or stored is None or stored.owner != owner:
                raise FileNotFound(file_id)
            # Named by when: the oldest deletions are forgotten first.
            micros = round(Seeding.wall_time() * 1_000_000)
            self.bucket.put(f"{self.base}{DELETED}/{file_id}.{micros:020d}.{META}", raw)
            # Metadata first: an interruption in between leaves content alone, which the next reservation sweeps.
            self.bucket.delete(meta)
            self.bucket.delete(self._key(owner, file_id, CONTENT))
            remembered = self.bucket.listing(f"{self.base}{DELETED}/")
            if len(remembered) > REMEMBERED_DELETIONS:
                remembered.sort(key=lambda listed: listed.key.rsplit(".", 2)[-2])
                self.bucket.delete_many([listed.key for listed in remembered[: len(remembered) - REMEMBERED_DELETIONS]])
        return stored

    # Recovering.

    def _recover(self) -> None:
        """Sweep what dead uploads and crashes left, drop files whose metadata does not parse or whose content
        is not its size, learn when the files expire, and move the sequence past every file's."""
        with self._lock.held():
            held, _ = self._scan(self.base, sweep=True)
        whole = {e.meta.key: e.content for e in held.values() if e.meta is not None and e.content is not None}
        broken, highest = [], 0
        for meta, raw in zip(whole, self.bucket.get_many(list(whole)), strict=True):
            stored = _parse(raw, meta)
            if stored is None or stored.bytes != whole[meta].size:
                broken += [meta, whole[meta].key]
                continue
            highest = max(highest, stored.sequence)
            self._will_expire(stored)
        with self._lock.held():
            self.bucket.delete_many(broken)
            if highest:
                self._next_sequence(at_least=highest)


def _id_of(key: str) -> str:
    return key.rpartition("/")[2].partition(".")[0]


def _parse(raw: bytes | None, key: str) -> StoredFile | None:
    """The metadata at `key`, unless missing, damaged or not the file the key names."""
    if raw is None:
        return None
    try:
        stored = StoredFile(**orjson.loads(raw))
    except (orjson.JSONDecodeError, TypeError):
        return None
    well_typed = all(isinstance(getattr(stored, name), kind) for name, kind in FIELD_TYPES.items())
    well_typed = well_typed and not isinstance(stored.expires_at, bool)
    return stored if well_typed and _id_of(key) == stored.id else None
