"""The served-image cache: bounded by count and bytes, expiring after its TTL, oldest evicted first."""

from __future__ import annotations

from mockapi.image_store import ImageStore
from mockapi.settings import Settings


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_count_bound_evicts_the_oldest() -> None:
    store = ImageStore(max_entries=3, clock=Clock())
    for number in range(10):
        store.put(f"img-{number}", bytes([number]) * 10)
        assert len(store) <= 3
    assert [store.get(f"img-{n}") for n in range(6, 10)] == [None, b"\x07" * 10, b"\x08" * 10, b"\x09" * 10]
    assert store.total_bytes == 30


def test_byte_bound_evicts_the_oldest_but_keeps_the_newest() -> None:
    store = ImageStore(max_bytes=100, clock=Clock())
    for number in range(5):
        store.put(f"img-{number}", b"x" * 40)
        assert store.total_bytes <= 100
    assert len(store) == 2 and store.get("img-4") is not None and store.get("img-2") is None
    store.put("huge", b"y" * 500)
    assert len(store) == 1 and store.get("huge") == b"y" * 500


def test_entries_expire_after_the_ttl() -> None:
    clock = Clock()
    store = ImageStore(ttl_seconds=60, clock=clock)
    store.put("early", b"a")
    clock.now += 30
    store.put("late", b"b")
    clock.now += 29.9
    assert store.get("early") == b"a"
    clock.now += 0.2
    assert store.get("early") is None and store.get("late") == b"b"
    assert len(store) == 1 and store.total_bytes == 1
    clock.now += 60
    assert store.get("late") is None and len(store) == 0 and store.total_bytes == 0


def test_putting_an_id_again_replaces_it_and_clear_empties() -> None:
    store = ImageStore(clock=Clock())
    store.put("same", b"1234")
    store.put("same", b"12")
    assert len(store) == 1 and store.total_bytes == 2 and store.get("same") == b"12"
    store.clear()
    assert len(store) == 0 and store.total_bytes == 0 and store.get("same") is None


def test_built_from_settings() -> None:
    settings = Settings(image_cache_size=7, image_cache_bytes=1234, image_url_ttl_seconds=9.5)
    store = ImageStore.from_settings(settings)
    assert (store.max_entries, store.max_bytes, store.ttl_seconds) == (7, 1234, 9.5)
    defaults = ImageStore.from_settings(Settings())
    assert defaults.ttl_seconds == 3600 and defaults.max_entries == 256
