"""The served-image caches, in memory, in a directory shared by processes and in an S3-compatible bucket:
bounded by count and bytes, expiring after their TTL, oldest evicted first."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from mockapi.image_s3 import S3ImageStore
from mockapi.image_store import DirectoryImageStore, ImageStore, MemoryImageStore
from mockapi.s3_bucket import Bucket
from mockapi.settings import Settings
from mockapi.state import open_image_store


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


StoreFactory = Callable[..., ImageStore]


@pytest.fixture(params=["memory", "directory", "s3"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> StoreFactory:
    url = request.getfixturevalue("s3_url") if request.param == "s3" else ""

    def make(**bounds: float) -> ImageStore:
        if request.param == "memory":
            return MemoryImageStore(**bounds)  # type: ignore[arg-type]
        if request.param == "s3":
            bucket = Bucket(url, request.getfixturevalue("s3_endpoint"))
            return S3ImageStore(bucket, **bounds)  # type: ignore[arg-type]
        return DirectoryImageStore(tmp_path / "images", **bounds)  # type: ignore[arg-type]

    return make


def test_count_bound_evicts_the_oldest(make_store: StoreFactory) -> None:
    clock = Clock()
    store = make_store(max_entries=3, clock=clock)
    for number in range(10):
        clock.now += 1
        store.put(f"img-{number}", bytes([number]) * 10)
        assert len(store) <= 3
    assert [store.get(f"img-{n}") for n in range(6, 10)] == [None, b"\x07" * 10, b"\x08" * 10, b"\x09" * 10]
    assert store.total_bytes == 30


def test_byte_bound_evicts_the_oldest_but_keeps_the_newest(make_store: StoreFactory) -> None:
    clock = Clock()
    store = make_store(max_bytes=100, clock=clock)
    for number in range(5):
        clock.now += 1
        store.put(f"img-{number}", b"x" * 40)
        assert store.total_bytes <= 100
    assert len(store) == 2 and store.get("img-4") is not None and store.get("img-2") is None
    store.put("img-huge", b"y" * 500)
    assert len(store) == 1 and store.get("img-huge") == b"y" * 500


def test_entries_expire_after_the_ttl(make_store: StoreFactory) -> None:
    clock = Clock()
    store = make_store(ttl_seconds=60, clock=clock)
    store.put("img-early", b"a")
    clock.now += 30
    store.put("img-late", b"b")
    clock.now += 29.9
    assert store.get("img-early") == b"a"
    clock.now += 0.2
    assert store.get("img-early") is None and store.get("img-late") == b"b"
    assert len(store) == 1 and store.total_bytes == 1
    clock.now += 60
    assert store.get("img-late") is None and len(store) == 0 and store.total_bytes == 0


def test_putting_an_id_again_replaces_it_and_clear_empties(make_store: StoreFactory) -> None:
    store = make_store(clock=Clock())
    store.put("img-same", b"1234")
    store.put("img-same", b"12")
    assert len(store) == 1 and store.total_bytes == 2 and store.get("img-same") == b"12"
    store.clear()
    assert len(store) == 0 and store.total_bytes == 0 and store.get("img-same") is None


def test_built_from_settings(tmp_path: Path) -> None:
    settings = Settings(image_cache_size=7, image_cache_bytes=1234, image_url_ttl_seconds=9.5)
    store = open_image_store(settings)
    assert isinstance(store, MemoryImageStore)
    assert (store.max_entries, store.max_bytes, store.ttl_seconds) == (7, 1234, 9.5)
    defaults = open_image_store(Settings())
    assert defaults.ttl_seconds == 3600 and defaults.max_entries == 256
    # One process keeps its images in memory even with a data directory; workers share a directory.
    assert isinstance(open_image_store(Settings(data_dir=tmp_path)), MemoryImageStore)
    shared = open_image_store(settings.model_copy(update={"workers": 2, "shared_dir": tmp_path / "shared"}))
    assert isinstance(shared, DirectoryImageStore) and shared.root == tmp_path / "shared" / "images"
    in_data_dir = open_image_store(Settings(workers=2, data_dir=tmp_path / "data"))
    assert isinstance(in_data_dir, DirectoryImageStore) and in_data_dir.root == tmp_path / "data" / "images"


# The directory store as the worker processes use it.


def _share_images_and_bounds(one: ImageStore, other: ImageStore, clock: Clock) -> None:
    """Two stores on one place (at most two images): each reads what the other stored, and a put evicts the
    oldest whoever stored it."""
    one.put("img-a", b"from one")
    clock.now += 1
    other.put("img-b", b"from other")
    assert (other.get("img-a"), one.get("img-b")) == (b"from one", b"from other")
    clock.now += 1
    one.put("img-c", b"third")  # evicts the oldest, stored by the other
    assert other.get("img-a") is None and len(other) == 2


def test_directory_stores_on_one_root_share_images_and_bounds(tmp_path: Path) -> None:
    clock = Clock()
    one, other = (DirectoryImageStore(tmp_path, max_entries=2, clock=clock) for _ in range(2))
    _share_images_and_bounds(one, other, clock)
    other.clear()
    assert one.get("img-c") is None and len(one) == 0


def test_directory_store_never_serves_paths_outside_its_root(tmp_path: Path) -> None:
    store = DirectoryImageStore(tmp_path / "images")
    (tmp_path / "secret.png").write_bytes(b"not an image of ours")
    for image_id in ("../secret", "img-../../secret", "", "img-a/b"):
        assert store.get(image_id) is None
    with pytest.raises(ValueError, match="not an image id"):
        store.put("../escape", b"x")


def test_directory_store_sweeps_what_a_crashed_write_left(tmp_path: Path) -> None:
    store = DirectoryImageStore(tmp_path)
    (tmp_path / "img-half.png.tmp").write_bytes(b"half")
    store.put("img-whole", b"whole")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lock", "img-whole.png"]


# Processes putting at once: every one evicts under the lock, so together they stay within the bounds.
PUTTING_PROCESS = """
import sys
from pathlib import Path
from mockapi.image_store import DirectoryImageStore

store = DirectoryImageStore(Path(sys.argv[1]), max_entries=10, max_bytes=10 * 5000)
for number in range(60):
    store.put(f"img-{sys.argv[2]}x{number}", bytes([number]) * (1000 + 100 * number % 4000))
"""


def test_processes_sharing_a_directory_stay_within_its_bounds(tmp_path: Path) -> None:
    processes = [
        subprocess.Popen([sys.executable, "-c", PUTTING_PROCESS, str(tmp_path), str(n)], stderr=subprocess.PIPE)
        for n in range(4)
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 0, stderr.decode()
    store = DirectoryImageStore(tmp_path, max_entries=10, max_bytes=10 * 5000)
    images = sorted(tmp_path.glob("img-*.png"))
    assert 1 <= len(images) <= 10 and store.total_bytes <= 10 * 5000
    for path in images:
        number = int(path.stem.split("x")[1])
        assert store.get(path.stem) == bytes([number]) * (1000 + 100 * number % 4000)
    assert not list(tmp_path.glob("*.tmp"))


# The bucket store as replicas use it: one prefix, any number of stores, each with a lock object of its own.


def test_bucket_stores_on_one_prefix_share_images_and_bounds(s3_endpoint: str, s3_url: str) -> None:
    clock = Clock()
    one, other = (S3ImageStore(Bucket(s3_url, s3_endpoint), max_entries=2, clock=clock) for _ in range(2))
    _share_images_and_bounds(one, other, clock)
    for image_id in ("../secret", "img-../../secret", "", "img-a/b", "img-c.0"):
        assert other.get(image_id) is None
    with pytest.raises(ValueError, match="not an image id"):
        other.put("../escape", b"x")
    other.clear()
    assert one.get("img-c") is None and len(one) == 0


def test_bucket_stores_putting_at_once_stay_within_the_bounds(s3_endpoint: str, s3_url: str) -> None:
    stores = [S3ImageStore(Bucket(s3_url, s3_endpoint), max_entries=5, max_bytes=5 * 300) for _ in range(4)]

    def put_many(number: int) -> None:
        for n in range(8):
            stores[number].put(f"img-{number}x{n}", bytes([n]) * (100 + 50 * n))

    threads = [threading.Thread(target=put_many, args=(number,)) for number in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert 1 <= len(stores[0]) <= 5 and stores[0].total_bytes <= 5 * 300
