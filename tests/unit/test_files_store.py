"""The file stores behind the one interface: scoping, limits, concurrency, and crash recovery on disk;
the directory store also as several processes share it. The bucket store passes the same tests against a real
S3-compatible server (its own tests: test_files_s3.py)."""

from __future__ import annotations

import io
import itertools
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from mockapi import files_directory, files_s3, files_store
from mockapi.files_directory import DirectoryFileStore
from mockapi.files_s3 import S3FileStore
from mockapi.files_store import (
    FileNotFound,
    FileStore,
    FileTooLarge,
    Limits,
    MemoryFileStore,
    StorageFull,
)
from mockapi.s3_bucket import Bucket

StoreFactory = Callable[..., FileStore]


@pytest.fixture(params=["memory", "directory", "s3"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> StoreFactory:
    url = request.getfixturevalue("s3_url") if request.param == "s3" else ""

    def make(limits: Limits | None = None, new_id: Callable[[], str] | None = None) -> FileStore:
        if request.param == "memory":
            return MemoryFileStore(limits, new_id)
        if request.param == "s3":
            return S3FileStore(Bucket(url, request.getfixturevalue("s3_endpoint")), limits, new_id)
        return DirectoryFileStore(tmp_path / "files", limits, new_id)

    return make


def add(store: FileStore, owner: str, data: bytes, filename: str = "f.bin", created_at: int = 1000) -> str:
    return store.add(owner, filename, "answers", created_at, io.BytesIO(data), len(data)).id


def content(store: FileStore, owner: str, file_id: str) -> bytes:
    stored, stream = store.open_content(owner, file_id)
    with stream:
        data = stream.read()
    assert len(data) == stored.bytes
    return data


def owner_folder(root: Path, file_id: str) -> Path:
    """The folder the directory store keeps an owner's files in, found by one of them."""
    (meta,) = root.glob(f"*/{file_id}.json")
    return meta.parent


def test_round_trip_keeps_every_byte_and_the_metadata(make_store: StoreFactory) -> None:
    store = make_store()
    data = bytes(range(256)) * 9 + b"\r\n\x00tail"
    file_id = add(store, "org-a", data, "weird/../name\x00.bin", created_at=1234)
    stored = store.get("org-a", file_id)
    assert (stored.filename, stored.purpose, stored.bytes, stored.created_at) == (
        "weird/../name\x00.bin",
        "answers",
        len(data),
        1234,
    )
    assert content(store, "org-a", file_id) == data
    assert [f.id for f in store.files_of("org-a")] == [file_id]
    assert store.used_bytes("org-a") == len(data)


def test_another_owner_sees_nothing_and_cannot_delete(make_store: StoreFactory) -> None:
    store = make_store()
    file_id = add(store, "org-a", b"secret")
    assert store.files_of("org-b") == []
    for attempt in (store.get, store.open_content, store.delete, store.position):
        with pytest.raises(FileNotFound):
            attempt("org-b", file_id)
    assert content(store, "org-a", file_id) == b"secret"


def test_delete_frees_the_quota_and_forgets_the_file(make_store: StoreFactory) -> None:
    store = make_store()
    file_id = add(store, "org-a", b"12345")
    assert store.delete("org-a", file_id).id == file_id
    assert store.used_bytes("org-a") == 0
    for attempt in (store.get, store.open_content, store.delete):
        with pytest.raises(FileNotFound):
            attempt("org-a", file_id)


def test_limits_refuse_and_store_nothing(make_store: StoreFactory) -> None:
    store = make_store(Limits(per_file_bytes=100, per_owner_bytes=150, total_bytes=250))
    first = add(store, "org-a", b"x" * 100)
    with pytest.raises(FileTooLarge, match=r"101 bytes\. The maximum file size is 100 bytes"):
        add(store, "org-a", b"x" * 101)
    with pytest.raises(StorageFull, match=r"storage limit of 150 bytes \(100 bytes already used\)"):
        add(store, "org-a", b"x" * 51)
    add(store, "org-a", b"x" * 50)  # exactly at the quota
    add(store, "org-b", b"y" * 100)
    with pytest.raises(StorageFull, match="250 bytes for all organizations"):
        add(store, "org-c", b"z" * 1)
    assert [f.bytes for f in store.files_of("org-a")] == [100, 50]
    assert store.used_bytes("org-a") == 150 and store.used_bytes("org-c") == 0
    store.delete("org-a", first)
    add(store, "org-c", b"z" * 100)


def test_a_short_source_is_refused_and_leaves_no_trace(make_store: StoreFactory) -> None:
    store = make_store()
    with pytest.raises(ValueError, match="expected 10 bytes"):
        store.add("org-a", "f", "answers", 1, io.BytesIO(b"only5"), 10)
    assert store.files_of("org-a") == [] and store.used_bytes("org-a") == 0


def test_parallel_adds_and_deletes_lose_and_corrupt_nothing(make_store: StoreFactory) -> None:
    store = make_store(Limits(per_owner_bytes=10_000_000))
    payloads = {f"f{i}": bytes([i]) * (1000 + 37 * i) for i in range(40)}
    doomed = [add(store, "org-a", b"old" * i, f"old{i}") for i in range(1, 21)]
    barrier = threading.Barrier(60)

    def upload(name: str) -> None:
        barrier.wait()
        add(store, "org-a", payloads[name], name)

    def remove(file_id: str) -> None:
        barrier.wait()
        store.delete("org-a", file_id)

    threads = [threading.Thread(target=upload, args=(n,)) for n in payloads]
    threads += [threading.Thread(target=remove, args=(i,)) for i in doomed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    files = store.files_of("org-a")
    assert sorted(f.filename for f in files) == sorted(payloads)
    assert len({f.id for f in files}) == 40
    for stored in files:
        assert content(store, "org-a", stored.id) == payloads[stored.filename]
    assert store.used_bytes("org-a") == sum(map(len, payloads.values()))


def test_clear_forgets_everything(make_store: StoreFactory) -> None:
    store = make_store()
    add(store, "org-a", b"a")
    add(store, "org-b", b"b")
    store.clear()
    assert store.files_of("org-a") == store.files_of("org-b") == []
    assert store.used_bytes("org-a") == 0


def test_a_repeating_id_sequence_never_reuses_a_taken_id(make_store: StoreFactory) -> None:
    ids = itertools.cycle(
        ["file-aaaaaaaaaaaaaaaaaaaaaaaa", "file-bbbbbbbbbbbbbbbbbbbbbbbb", "file-cccccccccccccccccccccccc"]
    )
    store = make_store(new_id=lambda: next(ids))
    made = [add(store, "org-a", b"1"), add(store, "org-a", b"2"), add(store, "org-b", b"3")]
    assert len(set(made)) == 3


# The directory store across restarts and crashes.


def test_directory_store_reopens_with_the_same_files_in_order(tmp_path: Path) -> None:
    root = tmp_path / "files"
    store = DirectoryFileStore(root)
    first = add(store, "org-a", b"one", "1.txt", created_at=50)
    second = add(store, "org-a", b"two", "2.txt", created_at=50)
    gone = add(store, "org-a", b"gone", "3.txt", created_at=51)
    store.delete("org-a", gone)
    reopened = DirectoryFileStore(root)
    assert [(f.id, f.filename) for f in reopened.files_of("org-a")] == [(first, "1.txt"), (second, "2.txt")]
    assert content(reopened, "org-a", second) == b"two"
    assert reopened.used_bytes("org-a") == 6
    with pytest.raises(FileNotFound):
        reopened.get("org-a", gone)


def test_directory_store_start_drops_every_crash_leftover(tmp_path: Path) -> None:
    store = DirectoryFileStore(tmp_path / "files")
    kept = add(store, "org-a", b"complete", "kept.txt")
    root = owner_folder(tmp_path / "files", kept)
    # What a kill -9 can leave: a half-written temp of either kind, content renamed before its metadata.
    (root / "file-AAAAAAAAAAAAAAAAAAAAAAAA.content.tmp").write_bytes(b"half")
    (root / "file-BBBBBBBBBBBBBBBBBBBBBBBB.json.tmp").write_bytes(b'{"id": "fi')
    (root / "file-CCCCCCCCCCCCCCCCCCCCCCCC.content").write_bytes(b"no metadata yet")
    # And damage: metadata whose content is short, missing, or that does not parse.
    short = dict(orjson.loads((root / f"{kept}.json").read_bytes()), id="file-DDDDDDDDDDDDDDDDDDDDDDDD")
    (root / "file-DDDDDDDDDDDDDDDDDDDDDDDD.json").write_bytes(orjson.dumps(short))
    (root / "file-DDDDDDDDDDDDDDDDDDDDDDDD.content").write_bytes(b"compl")
    missing = dict(short, id="file-EEEEEEEEEEEEEEEEEEEEEEEE")
    (root / "file-EEEEEEEEEEEEEEEEEEEEEEEE.json").write_bytes(orjson.dumps(missing))
    (root / "file-FFFFFFFFFFFFFFFFFFFFFFFF.json").write_bytes(b"not json")
    (root / "notes.txt").write_bytes(b"not ours: left alone")

    reopened = DirectoryFileStore(tmp_path / "files")
    assert [f.id for f in reopened.files_of("org-a")] == [kept]
    assert content(reopened, "org-a", kept) == b"complete"
    assert sorted(p.name for p in root.iterdir()) == sorted([f"{kept}.content", f"{kept}.json", "notes.txt"])


def test_directory_store_names_paths_after_ids_never_filenames(tmp_path: Path) -> None:
    root = tmp_path / "files"
    store = DirectoryFileStore(root)
    ids = [add(store, "org-a", b"x", "../../escape.txt"), add(store, "../../org", b"y", "also.txt")]
    names = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
    expected = {f"{owner_folder(root, i).name}/{i}.{end}" for i in ids for end in ("content", "json")}
    assert names == {".lock", ".sequence", *expected}
    # Owners name folders only through a digest.
    assert all(re.fullmatch(r"owner-[0-9a-f]{32}/file-[0-9]{24}\.(content|json)", name) for name in expected)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["files"]


# A process that dies (os._exit: no cleanup, like kill -9) at chosen moments of a write.
CRASHING_WRITER = """
import io, os, sys
from pathlib import Path
from mockapi.files_directory import DirectoryFileStore

moment = sys.argv[2]

class DyingSource(io.BytesIO):
    def read(self, size=-1):
        chunk = super().read(size)
        if moment == "copying" and self.tell() > 1_000_000:
            os._exit(9)
        return chunk

class DyingStore(DirectoryFileStore):
    syncs = 0
    def _sync_directory(self, folder):
        super()._sync_directory(folder)
        self.syncs += 1
        if (moment, self.syncs) in {("content renamed", 1), ("metadata renamed", 2)}:
            os._exit(9)

store = DyingStore(Path(sys.argv[1]))
data = bytes(range(256)) * 10_000
store.add("org-a", "dying.bin", "answers", 1, DyingSource(data), len(data))
"""


@pytest.mark.parametrize(
    ("moment", "survives"), [("copying", False), ("content renamed", False), ("metadata renamed", True)]
)
def test_a_process_killed_mid_write_leaves_a_complete_file_or_none(tmp_path: Path, moment: str, survives: bool) -> None:
    root = tmp_path / "files"
    kept = add(DirectoryFileStore(root), "org-a", b"complete", "kept.txt", created_at=1)
    died = subprocess.run([sys.executable, "-c", CRASHING_WRITER, str(root), moment], capture_output=True, timeout=60)
    assert died.returncode == 9, died.stderr
    reopened = DirectoryFileStore(root)
    files = reopened.files_of("org-a")
    assert [f.filename for f in files] == (["kept.txt", "dying.bin"] if survives else ["kept.txt"])
    for stored in files:
        assert content(reopened, "org-a", stored.id) == (
            b"complete" if stored.id == kept else bytes(range(256)) * 10_000
        )
    assert len(list(owner_folder(root, kept).iterdir())) == 2 * len(files)


# Deleted files keep their place in the list for a while, so a client paging past one resumes.


def test_a_deleted_files_position_is_remembered_for_a_while(
    make_store: StoreFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files_store, "REMEMBERED_DELETIONS", 3)
    monkeypatch.setattr(files_directory, "REMEMBERED_DELETIONS", 3)
    monkeypatch.setattr(files_s3, "REMEMBERED_DELETIONS", 3)
    store = make_store()
    made = [add(store, "org-a", b"x", f"{n}.bin", created_at=n) for n in range(6)]
    positions = [store.position("org-a", file_id) for file_id in made]
    assert positions == sorted(positions) and len(set(positions)) == 6
    store.delete("org-a", made[0])
    assert store.position("org-a", made[0]) == positions[0]
    with pytest.raises(FileNotFound):
        store.position("org-b", made[0])
    with pytest.raises(FileNotFound):
        store.position("org-a", "file-never")
    for file_id in made[1:4]:
        time.sleep(0.002)  # distinct deletion times on disk
        store.delete("org-a", file_id)
    with pytest.raises(FileNotFound):  # the oldest deletion is forgotten first
        store.position("org-a", made[0])
    assert [store.position("org-a", i) for i in made[1:]] == positions[1:]
    store.clear()
    with pytest.raises(FileNotFound):
        store.position("org-a", made[3])


def test_a_download_stream_reads_to_its_end_after_a_delete(make_store: StoreFactory) -> None:
    store = make_store()
    data = bytes(range(256)) * 8192
    file_id = add(store, "org-a", data)
    stored, stream = store.open_content("org-a", file_id)
    with stream:
        head = stream.read(1000)
        store.delete("org-a", file_id)
        assert head + stream.read() == data and stored.bytes == len(data)
    with pytest.raises(FileNotFound):
        store.open_content("org-a", file_id)


# Several directory stores on one root: what worker processes do.


def test_directory_stores_on_one_root_share_files_quotas_and_deletes(tmp_path: Path) -> None:
    limits = Limits(per_owner_bytes=100)
    one, other = DirectoryFileStore(tmp_path, limits), DirectoryFileStore(tmp_path, limits)
    first = add(one, "org-a", b"a" * 60, "first.bin")
    assert other.get("org-a", first).filename == "first.bin"
    assert content(other, "org-a", first) == b"a" * 60
    assert other.used_bytes("org-a") == 60
    with pytest.raises(StorageFull, match=r"\(60 bytes already used\)"):
        add(other, "org-a", b"b" * 41)
    second = add(other, "org-a", b"b" * 40, "second.bin")
    assert [f.id for f in one.files_of("org-a")] == [first, second]
    one.delete("org-a", second)
    for attempt in (other.get, other.open_content, other.delete):
        with pytest.raises(FileNotFound):
            attempt("org-a", second)
    assert other.position("org-a", second) == one.position("org-a", second)
    assert other.used_bytes("org-a") == 60


# Processes that upload at once: the quota check and the sequence are under one flock for all of them.
UPLOADING_PROCESS = """
import io, sys, time
from pathlib import Path
from mockapi.files_directory import DirectoryFileStore
from mockapi.files_store import Limits, StorageFull

root, name = Path(sys.argv[1]), sys.argv[2]
store = DirectoryFileStore(root, Limits(per_owner_bytes=10_000), lambda: next(ids))
ids = iter(f"file-{name}{n:04d}" for n in range(10_000))
while not (root / "go").exists():
    time.sleep(0.005)
stored = 0
for n in range(8):
    try:
        store.add("org-a", f"{name}-{n}.bin", "answers", 1, io.BytesIO(name.encode() * 1000), 1000)
        stored += 1
    except StorageFull:
        pass
print(stored)
"""


def test_processes_sharing_a_root_never_overshoot_the_quota(tmp_path: Path) -> None:
    DirectoryFileStore(tmp_path)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", UPLOADING_PROCESS, str(tmp_path), name], stdout=subprocess.PIPE, text=True
        )
        for name in "abcd"
    ]
    time.sleep(1)
    (tmp_path / "go").touch()
    stored = [int(process.communicate(timeout=60)[0]) for process in processes]
    assert sum(stored) == 10
    store = DirectoryFileStore(tmp_path)
    files = store.files_of("org-a")
    assert len(files) == 10 and store.used_bytes("org-a") == 10_000
    assert len({f.sequence for f in files}) == 10
    for stored_file in files:
        assert content(store, "org-a", stored_file.id) == stored_file.filename[0].encode() * 1000


# An upload that waits, mid-copy, for a file to appear; a new store (a worker starting) recovers meanwhile.
WAITING_UPLOAD = """
import io, sys, time
from pathlib import Path
from mockapi.files_directory import DirectoryFileStore

root = Path(sys.argv[1])

class WaitingSource(io.BytesIO):
    def read(self, size=-1):
        if self.tell() > 0:
            while not (root / "go").exists():
                time.sleep(0.01)
        return super().read(size)

data = bytes(range(256)) * 10_000
DirectoryFileStore(root).add("org-a", "slow.bin", "answers", 1, WaitingSource(data), len(data))
"""


@pytest.mark.parametrize("killed", [False, True])
def test_recovery_leaves_a_live_upload_alone_and_clears_a_dead_ones(tmp_path: Path, killed: bool) -> None:
    DirectoryFileStore(tmp_path)
    upload = subprocess.Popen([sys.executable, "-c", WAITING_UPLOAD, str(tmp_path)])
    deadline = time.monotonic() + 30
    while not list(tmp_path.glob("*/*.content.tmp")) and time.monotonic() < deadline:
        time.sleep(0.01)
    if killed:
        upload.kill()
        upload.wait(timeout=30)
    else:
        assert upload.poll() is None  # still copying
    starting = DirectoryFileStore(tmp_path)  # recovers while the upload is in flight (or dead)
    (tmp_path / "go").touch()
    upload.wait(timeout=30)
    if killed:
        assert starting.files_of("org-a") == [] and starting.used_bytes("org-a") == 0
        assert not list(tmp_path.glob("owner-*"))
    else:
        (stored,) = starting.files_of("org-a")
        assert content(starting, "org-a", stored.id) == bytes(range(256)) * 10_000
