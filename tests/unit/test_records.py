"""Stored API objects: per owner, bounded, paged like the API's lists, in memory, in SQLite or in Redis."""

from __future__ import annotations

import multiprocessing
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from redis import Redis

from mockapi.records import Bounds, Database, MemoryRecords, Records, RecordStores, SQLiteRecords, UnknownCursor
from mockapi.shared.redis_records import RedisRecords

Make = Callable[[Bounds], Records]


@pytest.fixture(params=["memory", "sqlite", "redis"])
def make(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Make]:
    """Each call another view of one kind's records (sharing them, as other processes would)."""
    if request.param == "memory":
        yield lambda bounds: MemoryRecords("things", bounds)
    elif request.param == "sqlite":
        database = Database(tmp_path / "db.sqlite3")
        yield lambda bounds: SQLiteRecords("things", bounds, database)
    else:
        redis, prefix = Redis.from_url(request.getfixturevalue("redis_url")), f"test-{uuid.uuid4().hex}:"
        yield lambda bounds: RedisRecords("things", bounds, redis, prefix)
        redis.close()


def _fill(store: Records, count: int, owner: str = "org:a") -> None:
    for index in range(count):
        store.put(owner, f"t_{index}", {"id": f"t_{index}", "n": index, "created_at": 100 + index}, 100 + index)


def test_a_record_is_its_owners_only(make: Make) -> None:
    store = make(Bounds())
    store.put("org:a", "t_1", {"id": "t_1", "x": [1, 2]}, 5)
    assert store.get("org:a", "t_1") == {"id": "t_1", "x": [1, 2]}
    assert store.get("org:b", "t_1") is None
    assert store.delete("org:b", "t_1") is False
    assert store.delete("org:a", "t_1") is True
    assert store.get("org:a", "t_1") is None


def test_pages_follow_creation_with_cursors(make: Make) -> None:
    store = make(Bounds())
    _fill(store, 5)
    first = store.page("org:a", limit=2, order="asc")
    assert [r["n"] for r in first.data] == [0, 1] and first.has_more
    second = store.page("org:a", limit=2, order="asc", after="t_1")
    assert [r["n"] for r in second.data] == [2, 3] and second.has_more
    last = store.page("org:a", limit=2, order="asc", after="t_3")
    assert [r["n"] for r in last.data] == [4] and not last.has_more
    newest = store.page("org:a", limit=2)
    assert [r["n"] for r in newest.data] == [4, 3]
    assert [r["n"] for r in store.page("org:a", limit=2, order="asc", before="t_3").data] == [1, 2]


def test_an_unknown_cursor_is_refused(make: Make) -> None:
    store = make(Bounds())
    _fill(store, 2)
    with pytest.raises(UnknownCursor):
        store.page("org:a", after="t_99")
    with pytest.raises(UnknownCursor):
        store.page("org:b", after="t_0")


def test_a_filter_selects_records(make: Make) -> None:
    store = make(Bounds())
    _fill(store, 6)
    page = store.page("org:a", order="asc", where=lambda r: r["n"] % 2 == 0)
    assert [r["n"] for r in page.data] == [0, 2, 4]


def test_the_oldest_leave_first_past_the_count_and_byte_bounds(make: Make) -> None:
    store = make(Bounds(count=3))
    _fill(store, 5)
    assert [r["n"] for r in store.page("org:a", order="asc").data] == [2, 3, 4]
    small = make(Bounds(bytes=200))
    small.clear()
    for index in range(10):
        small.put("o", f"s_{index}", {"pad": "x" * 50}, index)
    kept = small.page("o", order="asc").data
    assert 1 <= len(kept) <= 3


def test_an_update_keeps_the_record_in_its_place(make: Make) -> None:
    store = make(Bounds())
    _fill(store, 3)
    store.update("org:a", "t_0", lambda r: {**r, "status": "done"})
    assert [r["n"] for r in store.page("org:a", order="asc").data] == [0, 1, 2]
    assert store.get("org:a", "t_0") == {"id": "t_0", "n": 0, "created_at": 100, "status": "done"}
    assert store.update("org:a", "missing", lambda r: r) is None


def test_all_lists_every_owner_with_the_owner(make: Make) -> None:
    store = make(Bounds())
    _fill(store, 1, "org:a")
    store.put("org:b", "u", {"id": "u"}, 200)
    assert [(rid, rec["_owner"]) for rid, rec in store.all()] == [("t_0", "org:a"), ("u", "org:b")]


def test_clear_empties_the_kind(make: Make) -> None:
    store = make(Bounds())
    _fill(store, 3)
    store.clear()
    assert store.page("org:a").data == []


def _write_in_another_process(path: str) -> None:
    store = SQLiteRecords("things", Bounds(), Database(Path(path)))
    store.put("org:a", "from-child", {"id": "from-child"}, 1)


def test_the_sqlite_store_is_shared_between_processes(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    store = SQLiteRecords("things", Bounds(), Database(path))
    child = multiprocessing.get_context("spawn").Process(target=_write_in_another_process, args=(str(path),))
    child.start()
    child.join(30)
    assert child.exitcode == 0
    assert store.get("org:a", "from-child") == {"id": "from-child"}


def _write_in_redis_from_another_process(url: str, prefix: str) -> None:
    redis = Redis.from_url(url)
    store = RedisRecords("things", Bounds(count=50), redis, prefix)
    for index in range(100):
        store.put("org:a", f"c_{index}", {"id": f"c_{index}"}, index)
    redis.close()


def test_the_redis_store_is_shared_between_processes_and_stays_in_bounds(redis_url: str) -> None:
    prefix = f"test-{uuid.uuid4().hex}:"
    context = multiprocessing.get_context("spawn")
    children = [context.Process(target=_write_in_redis_from_another_process, args=(redis_url, prefix)) for _ in "ab"]
    for child in children:
        child.start()
    for child in children:
        child.join(30)
        assert child.exitcode == 0
    redis = Redis.from_url(redis_url)
    store = RedisRecords("things", Bounds(count=50), redis, prefix)
    assert [record["id"] for record in store.page("org:a", limit=100, order="asc").data] == [
        f"c_{index}" for index in range(50, 100)
    ]
    redis.close()


def test_a_replaced_record_keeps_its_creation_and_a_clear_leaves_no_bytes(redis_url: str) -> None:
    redis, prefix = Redis.from_url(redis_url), f"test-{uuid.uuid4().hex}:"
    store = RedisRecords("things", Bounds(bytes=100), redis, prefix)
    store.put("org:a", "a", {"pad": "x" * 40}, 1)
    store.put("org:a", "b", {"pad": "y"}, 2)
    store.put("org:b", "a", {"pad": "z"}, 9)  # replaced, by another owner: its place is kept
    assert [rid for rid, _ in store.all()] == ["a", "b"]
    assert store.get("org:a", "a") is None and store.get("org:b", "a") == {"pad": "z"}
    store.clear()
    assert redis.keys(prefix + "*") == [prefix.encode() + b"r:things:next"]
    redis.close()


def test_record_stores_with_a_state_url_keep_records_in_redis(redis_url: str, tmp_path: Path) -> None:
    url = redis_url.rsplit("/", 1)[0] + "/1"  # a database of the test's own: the stores' keys are not prefixed
    Redis.from_url(url).flushdb()
    RecordStores(tmp_path, state_url=url)("things").put("org:a", "r", {"id": "r"}, 1)
    again = RecordStores(None, state_url=url)("things")
    assert isinstance(again, RedisRecords) and again.get("org:a", "r") == {"id": "r"}
    assert not (tmp_path / "mockapi.sqlite3").exists()


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_a_clear_empties_kinds_only_another_process_opened(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = None
    if backend == "redis":
        url = request.getfixturevalue("redis_url").rsplit("/", 1)[0] + "/2"
        Redis.from_url(url).flushdb()
    writer, resetter = RecordStores(tmp_path, state_url=url), RecordStores(tmp_path, state_url=url)
    writer("vector_stores").put("org:a", "vs_1", {"id": "vs_1"}, 1)
    resetter("responses").put("org:a", "resp_1", {"id": "resp_1"}, 1)
    resetter.clear()  # it never opened vector_stores
    assert writer("vector_stores").get("org:a", "vs_1") is None
    assert writer("responses").get("org:a", "resp_1") is None
