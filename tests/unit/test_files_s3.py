"""The bucket stores (--files-url) against a real S3-compatible server (moto's, on 127.0.0.1): what is their
own beyond the contract tests they share with the other stores (test_files_store.py, test_image_store.py):
the layout of the keys, replicas sharing one prefix, the bucket lock, uploads in flight and what dead ones
leave, multipart uploads, expiry, and the settings that choose them (their validation: test_settings.py)."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import orjson
import pytest

from mockapi import files_s3
from mockapi.files_s3 import ReservationLapsed, S3FileStore
from mockapi.files_store import FileNotFound, Limits, StorageFull
from mockapi.image_s3 import S3ImageStore
from mockapi.s3_bucket import PART_BYTES, Bucket, BucketError, ObjectLock
from mockapi.settings import Settings
from mockapi.state import open_file_store, open_image_store
from tests.s3_support import BUCKET, keys

OWNER_KEY = re.compile(r"files/owner-[0-9a-f]{32}/(file-[0-9]{24})\.(content|json)")


@pytest.fixture
def bucket(s3_endpoint: str, s3_url: str) -> Bucket:
    return Bucket(s3_url, s3_endpoint)


def store_on(bucket: Bucket, limits: Limits | None = None, now: Callable[[], int] | None = None) -> S3FileStore:
    """Another store on the same prefix: what another replica opens."""
    return S3FileStore(Bucket(bucket.url, bucket.client.meta.endpoint_url), limits, now=now)


def add(store: S3FileStore, owner: str, data: bytes, filename: str = "f.bin", **options: int) -> str:
    return store.add(owner, filename, "answers", 1000, io.BytesIO(data), len(data), **options).id


def content(store: S3FileStore, owner: str, file_id: str) -> bytes:
    _, stream = store.open_content(owner, file_id)
    with stream:
        return stream.read()


def file_keys(bucket: Bucket) -> list[str]:
    return [key for key in keys(bucket.client.meta.endpoint_url, bucket.url) if key.startswith("files/owner-")]


def test_keys_are_named_after_ids_and_owner_digests_never_filenames(bucket: Bucket) -> None:
    store = store_on(bucket)
    ids = [add(store, "org-a", b"x", "../../escape.txt"), add(store, "../../org", b"y", "also.txt")]
    named = [OWNER_KEY.fullmatch(key) for key in file_keys(bucket)]
    assert all(named) and sorted(m[1] for m in named if m) == sorted(ids * 2)
    assert {key for key in keys(bucket.client.meta.endpoint_url, bucket.url) if not key.startswith("files/owner-")} == {
        "files/.sequence"
    }


def test_replicas_on_one_prefix_share_files_quotas_deletes_and_positions(bucket: Bucket) -> None:
    limits = Limits(per_owner_bytes=100)
    one, other = store_on(bucket, limits), store_on(bucket, limits)
    first = add(one, "org-a", b"a" * 60, "first.bin")
    assert other.get("org-a", first).filename == "first.bin"
    assert content(other, "org-a", first) == b"a" * 60
    assert other.used_bytes("org-a") == 60
    with pytest.raises(StorageFull, match=r"\(60 bytes already used\)"):
        add(other, "org-a", b"b" * 41)
    second = add(other, "org-a", b"b" * 40, "second.bin")
    assert [f.id for f in one.files_of("org-a")] == [first, second]
    assert one.get("org-a", second).sequence > one.get("org-a", first).sequence
    one.delete("org-a", second)
    for attempt in (other.get, other.open_content, other.delete):
        with pytest.raises(FileNotFound):
            attempt("org-a", second)
    assert other.position("org-a", second) == one.position("org-a", second)
    assert other.used_bytes("org-a") == 60
    # A replica started later sees the same files in the same order, and the sequence goes on.
    third = store_on(bucket, limits)
    assert [f.id for f in third.files_of("org-a")] == [first]
    assert third.get("org-a", add(third, "org-a", b"c", "third.bin")).sequence > 2


# Processes that upload at once: the quota check and the sequence are under the bucket lock for all of them.
UPLOADING_PROCESS = """
import io, sys, time
from mockapi.files_s3 import S3FileStore
from mockapi.files_store import Limits, StorageFull
from mockapi.s3_bucket import Bucket

url, endpoint, name, start = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
ids = iter(f"file-{name}{n:04d}" for n in range(10_000))
store = S3FileStore(Bucket(url, endpoint), Limits(per_owner_bytes=10_000), lambda: next(ids))
time.sleep(max(0.0, start - time.time()))
stored = 0
for n in range(6):
    try:
        store.add("org-a", f"{name}-{n}.bin", "answers", 1, io.BytesIO(name.encode() * 1000), 1000)
        stored += 1
    except StorageFull:
        pass
print(stored)
"""


def test_processes_sharing_a_prefix_never_overshoot_the_quota(bucket: Bucket) -> None:
    endpoint, start = bucket.client.meta.endpoint_url, time.time() + 3
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", UPLOADING_PROCESS, bucket.url, endpoint, name, str(start)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in "abcd"
    ]
    stored = [int(process.communicate(timeout=120)[0]) for process in processes]
    assert sum(stored) == 10
    store = store_on(bucket)
    files = store.files_of("org-a")
    assert len(files) == 10 and store.used_bytes("org-a") == 10_000
    assert len({f.sequence for f in files}) == 10
    for stored_file in files:
        assert content(store, "org-a", stored_file.id) == stored_file.filename[0].encode() * 1000


class WaitingSource(io.BytesIO):
    """A source whose copy waits, after its first read, for `go`."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reading, self.go = threading.Event(), threading.Event()

    def read(self, size: int | None = -1) -> bytes:
        if self.tell() > 0:
            self.reading.set()
            assert self.go.wait(30)
        return super().read(size)


def test_an_upload_in_flight_holds_its_bytes_and_a_starting_replica_leaves_it_alone(bucket: Bucket) -> None:
    store = store_on(bucket, Limits(per_owner_bytes=1000))
    source = WaitingSource(b"s" * 600)
    uploading = threading.Thread(target=store.add, args=("org-a", "slow.bin", "answers", 1, source, 600))
    uploading.start()
    assert source.reading.wait(30)
    starting = store_on(bucket, Limits(per_owner_bytes=1000))  # sweeps what dead uploads left: not this one
    assert starting.used_bytes("org-a") == 600 and starting.files_of("org-a") == []
    with pytest.raises(StorageFull, match=r"\(600 bytes already used\)"):
        add(starting, "org-a", b"x" * 401)
    source.go.set()
    uploading.join(30)
    (stored,) = starting.files_of("org-a")
    assert content(starting, "org-a", stored.id) == b"s" * 600
    assert sorted(key.rpartition(".")[2] for key in file_keys(bucket)) == ["content", "json"]


def test_an_upload_stalled_past_its_lease_is_swept_and_refused(bucket: Bucket, monkeypatch: pytest.MonkeyPatch) -> None:
    store, other = store_on(bucket, Limits(per_owner_bytes=1000)), store_on(bucket, Limits(per_owner_bytes=1000))
    source = WaitingSource(b"s" * 600)
    failures: list[BaseException] = []

    def upload() -> None:
        try:
            store.add("org-a", "stalled.bin", "answers", 1, source, 600)
        except ReservationLapsed as exc:
            failures.append(exc)

    uploading = threading.Thread(target=upload)
    uploading.start()
    assert source.reading.wait(30)
    monkeypatch.setattr(files_s3, "UPLOAD_LEASE_SECONDS", -1.0)  # every marker now looks a dead upload's
    assert other.used_bytes("org-a") == 0
    kept = add(other, "org-a", b"k" * 900, "kept.bin")  # its reservation sweeps the stalled one
    monkeypatch.undo()
    source.go.set()
    uploading.join(30)
    assert len(failures) == 1
    assert [f.id for f in other.files_of("org-a")] == [kept] and other.used_bytes("org-a") == 900
    # The stalled upload's id was not given again: what it wrote when it resumed was its own, and is gone.
    stalled = "file-" + "1".zfill(24)
    names = sorted(key.rpartition("/")[2] for key in file_keys(bucket))
    assert names == sorted([f"{kept}.content", f"{kept}.json", f"{stalled}.swept"])


def test_a_start_sweeps_what_crashes_left_and_only_that(bucket: Bucket, monkeypatch: pytest.MonkeyPatch) -> None:
    kept = add(store_on(bucket), "org-a", b"complete", "kept.txt")
    (meta,) = [key for key in file_keys(bucket) if key.endswith(".json")]
    folder = bucket.key(meta.rpartition("/")[0] + "/")
    metadata = orjson.loads(bucket.get(bucket.key(meta)) or b"")
    dead = {
        # A dead upload: its marker, and content copied before it died; a marker of a committed file.
        "file-AAAAAAAAAAAAAAAAAAAAAAAA.100.upload": b"",
        "file-AAAAAAAAAAAAAAAAAAAAAAAA.content": b"half",
        f"{kept}.8.upload": b"",
        # An interrupted delete's content; metadata without content; damaged metadata; short content.
        "file-CCCCCCCCCCCCCCCCCCCCCCCC.content": b"no metadata",
        "file-EEEEEEEEEEEEEEEEEEEEEEEE.json": orjson.dumps(dict(metadata, id="file-EEEEEEEEEEEEEEEEEEEEEEEE")),
        "file-FFFFFFFFFFFFFFFFFFFFFFFF.json": b"not json",
        "file-FFFFFFFFFFFFFFFFFFFFFFFF.content": b"complete",
        "file-DDDDDDDDDDDDDDDDDDDDDDDD.json": orjson.dumps(dict(metadata, id="file-DDDDDDDDDDDDDDDDDDDDDDDD")),
        "file-DDDDDDDDDDDDDDDDDDDDDDDD.content": b"compl",
        "notes.txt": b"not ours: left alone",
    }
    for name, data in dead.items():
        bucket.put(folder + name, data)
    monkeypatch.setattr(files_s3, "UPLOAD_LEASE_SECONDS", -1.0)  # the markers are old
    reopened = store_on(bucket)
    assert [f.id for f in reopened.files_of("org-a")] == [kept]
    assert content(reopened, "org-a", kept) == b"complete" and reopened.used_bytes("org-a") == 8
    names = sorted(key.rpartition("/")[2] for key in file_keys(bucket))
    # The dead upload's id stays taken for a while (it may only have stalled), then is forgotten too.
    assert names == sorted([f"{kept}.content", f"{kept}.json", "file-AAAAAAAAAAAAAAAAAAAAAAAA.swept", "notes.txt"])
    monkeypatch.setattr(files_s3, "SWEPT_KEPT_SECONDS", -1.0)
    store_on(bucket)
    assert sorted(key.rpartition("/")[2] for key in file_keys(bucket)) == sorted([*names[:2], "notes.txt"])


def test_a_file_over_one_part_goes_in_parts_and_a_short_one_leaves_nothing(bucket: Bucket) -> None:
    store = store_on(bucket, Limits(per_file_bytes=64 * 1024 * 1024))
    data = bytes(range(256)) * (2 * PART_BYTES // 256) + b"tail"
    file_id = add(store, "org-a", data, "big.bin")
    assert content(store, "org-a", file_id) == data and store.get("org-a", file_id).bytes == len(data)
    with pytest.raises(ValueError, match=f"expected {len(data) + 10} bytes, read {len(data)}"):
        store.add("org-a", "short.bin", "answers", 1, io.BytesIO(data), len(data) + 10)
    with pytest.raises(ValueError, match=f"expected {PART_BYTES} bytes, read {len(data)}"):
        store.add("org-a", "long.bin", "answers", 1, io.BytesIO(data), PART_BYTES)
    assert [f.id for f in store.files_of("org-a")] == [file_id] and store.used_bytes("org-a") == len(data)
    assert len(file_keys(bucket)) == 2
    assert bucket.client.list_multipart_uploads(Bucket=bucket.name).get("Uploads", []) == []


def test_files_expire_on_the_clock_for_every_replica(bucket: Bucket) -> None:
    clock = [1000]
    store = store_on(bucket, now=lambda: clock[0])
    brief = add(store, "org-a", b"brief", expires_at=1060)
    lasting = add(store, "org-a", b"lasting")
    starting = store_on(bucket, now=lambda: clock[0])
    assert starting.next_expiry() == 1060  # learnt from the bucket at start
    clock[0] = 1060
    with pytest.raises(FileNotFound):
        starting.get("org-a", brief)
    assert [f.id for f in store.files_of("org-a")] == [lasting]
    assert store.expire_due() == 0  # removed already, by the other replica
    assert store.used_bytes("org-a") == len(b"lasting") and len(file_keys(bucket)) == 2


def test_the_bucket_lock_excludes_other_holders_and_is_taken_over_once_stale(bucket: Bucket) -> None:
    key = bucket.key("files/.lock")
    one, other = ObjectLock(bucket, key), ObjectLock(Bucket(bucket.url, bucket.client.meta.endpoint_url), key)
    order: list[str] = []
    with one.held():
        waiter = threading.Thread(target=lambda: _hold(other, order))
        waiter.start()
        time.sleep(0.5)
        order.append("first released")
    waiter.join(30)
    assert order == ["first released", "second held"] and not bucket.exists(key)
    bucket.put(key, b"a dead holder's")  # never released
    with ObjectLock(bucket, key, lease_seconds=-1.0).held():
        assert bucket.exists(key)
    assert not bucket.exists(key)


def _hold(lock: ObjectLock, order: list[str]) -> None:
    with lock.held():
        order.append("second held")


def test_a_missing_bucket_stops_the_start(s3_endpoint: str) -> None:
    with pytest.raises(BucketError, match="s3://no-such-bucket-here/x cannot be used"):
        S3FileStore(Bucket("s3://no-such-bucket-here/x", s3_endpoint))


def test_the_settings_choose_the_bucket_stores(s3_endpoint: str, s3_url: str) -> None:
    settings = Settings(files_url=s3_url + "/", s3_endpoint_url=s3_endpoint + "/", image_cache_size=7)
    assert (settings.files_url, settings.s3_endpoint_url) == (s3_url, s3_endpoint)
    files = open_file_store(settings, lambda: "file-" + "1" * 24, lambda: 0)
    assert isinstance(files, S3FileStore) and files.base == s3_url.removeprefix(f"s3://{BUCKET}/") + "/files/"
    images = open_image_store(settings.model_copy(update={"workers": 2, "shared_dir": None}))
    assert isinstance(images, S3ImageStore) and images.max_entries == 7


def test_a_server_without_a_files_url_never_loads_boto3() -> None:
    script = (
        "import sys\nfrom mockapi.app import create_app\nfrom mockapi.settings import Settings\n"
        "create_app(Settings(workers=1))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')))"
    )
    answer = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.strip() == "[]"
