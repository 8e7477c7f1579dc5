"""The shared board's contract, held by each implementation: SQLite, and Redis on a real server."""

from __future__ import annotations

import multiprocessing
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mockapi.settings import Settings
from mockapi.shared import Board, Slot
from mockapi.shared.redis import RedisBoard
from mockapi.shared.sqlite import TRIM_EVERY, SQLiteBoard
from mockapi.state import open_board

BoardFactory = Callable[[], Board]


def _open(where: str, prefix: str) -> Board:
    """A board on a Redis URL (under the prefix), or on an SQLite file."""
    return RedisBoard(where, prefix=prefix) if where.startswith("redis://") else SQLiteBoard(Path(where))


def _fresh_prefix() -> str:
    """Keys of one test's own on the session's Redis server."""
    return f"test-{uuid.uuid4().hex}:"


@pytest.fixture(params=["sqlite", "redis"])
def make_board(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BoardFactory]:
    """Opens boards on one shared state: each call is another process's view of it."""
    opened: list[Board] = []
    # The one state: a database file, or a prefix of this test's own on the session's Redis server.
    where = request.getfixturevalue("redis_url") if request.param == "redis" else str(tmp_path / "board.sqlite3")
    prefix = _fresh_prefix()

    def make() -> Board:
        board = _open(where, prefix)
        opened.append(board)
        return board

    yield make
    for board in opened:
        board.close()


def test_counters_are_shared_and_exact(make_board: BoardFactory) -> None:
    one, other = make_board(), make_board()
    assert one.incr("uses", "a") == 1
    assert other.incr("uses", "a") == 2
    assert other.incr("uses", "a", -1) == 1
    assert one.count("uses", "a") == 1
    assert one.count("uses", "missing") == 0
    one.incr("uses", "b", 5)
    assert other.counts("uses") == {"a": 1, "b": 5}
    other.drop("uses", "a")
    assert one.counts("uses") == {"b": 5}
    one.drop("uses")
    assert other.counts("uses") == {}


def test_a_family_keeps_its_cap_of_the_most_recently_counted_keys(make_board: BoardFactory) -> None:
    board = make_board()
    for index in range(TRIM_EVERY * 2):
        board.incr("sessions", f"s{index}", cap=10)
    kept = board.counts("sessions")
    assert len(kept) <= 10 + TRIM_EVERY
    assert f"s{TRIM_EVERY * 2 - 1}" in kept
    assert "s0" not in kept


def test_the_windows_kept_are_the_most_recently_counted(make_board: BoardFactory) -> None:
    board = make_board()
    for index in range(TRIM_EVERY * 2):
        board.window(f"k{index}", index, 1, 0, oldest=0, cap=10)
    assert board.window("k0", 0, 0, 0, oldest=0) == []
    assert board.window(f"k{TRIM_EVERY * 2 - 1}", 0, 0, 0, oldest=0) == [Slot(TRIM_EVERY * 2 - 1, 1, 0)]


def test_windows_add_expire_and_read(make_board: BoardFactory) -> None:
    one, other = make_board(), make_board()
    assert one.window("key", 10, 1, 50, oldest=0) == [Slot(10, 1, 50)]
    assert other.window("key", 10, 1, 20, oldest=0) == [Slot(10, 2, 70)]
    assert other.window("key", 12, 0, 5, oldest=0) == [Slot(10, 2, 70), Slot(12, 0, 5)]
    # A read changes nothing; the slots before `oldest` are not in the answer.
    assert one.window("key", 0, 0, 0, oldest=11) == [Slot(12, 0, 5)]
    assert one.window("key", 13, 1, 0, oldest=11) == [Slot(12, 0, 5), Slot(13, 1, 0)]
    assert one.window("other", 0, 0, 0, oldest=0) == []
    other.clear_windows()
    assert one.window("key", 0, 0, 0, oldest=0) == []


def test_maps_keep_first_put_order(make_board: BoardFactory) -> None:
    one, other = make_board(), make_board()
    one.map_put("rules", "b", b"1")
    other.map_put("rules", "a", b"2")
    one.map_put("rules", "b", b"3")  # replaced in place
    assert other.map_items("rules") == [("b", b"3"), ("a", b"2")]
    assert one.map_delete("rules", "b") is True
    assert one.map_delete("rules", "b") is False
    assert other.map_items("rules") == [("a", b"2")]
    assert other.map_items("else") == []
    assert one.map_clear("rules") == 1
    assert other.map_items("rules") == []


def test_logs_number_items_across_processes_and_clears(make_board: BoardFactory) -> None:
    one, other = make_board(), make_board()
    assert one.append("journal", b"a", cap=3) == 1
    assert other.append("journal", b"b", cap=3) == 2
    assert one.after("journal") == [(1, b"a"), (2, b"b")]
    assert other.after("journal", 1) == [(2, b"b")]
    for item in (b"c", b"d"):
        one.append("journal", item, cap=3)
    assert [item for _, item in other.after("journal")] == [b"b", b"c", b"d"]
    other.clear_log("journal")
    assert one.after("journal") == []
    assert one.append("journal", b"e", cap=3) == 5


def _count_many(where: str, prefix: str, times: int) -> None:
    board = _open(where, prefix)
    for _ in range(times):
        board.incr("uses", "shared")
        board.window("key", 1, 1, 1, oldest=0)
        board.append("journal", b"x", cap=10_000)
        board.map_put("rules", "shared", b"x")
    board.close()


def _counted_by_processes_at_once(where: str, prefix: str) -> Board:
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_count_many, args=(where, prefix, 200)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    return _open(where, prefix)


def _assert_nothing_lost(board: Board) -> None:
    assert board.count("uses", "shared") == 600
    assert board.window("key", 0, 0, 0, oldest=0) == [Slot(1, 600, 600)]
    assert [item_id for item_id, _ in board.after("journal")] == list(range(1, 601))
    assert board.map_items("rules") == [("shared", b"x")]
    board.close()


def test_processes_counting_at_once_lose_no_count(tmp_path: Path) -> None:
    path = str(tmp_path / "board.sqlite3")
    SQLiteBoard(Path(path)).close()
    _assert_nothing_lost(_counted_by_processes_at_once(path, ""))


def test_processes_counting_at_once_in_redis_lose_no_count(redis_url: str) -> None:
    _assert_nothing_lost(_counted_by_processes_at_once(redis_url, _fresh_prefix()))


def test_redis_keeps_each_family_to_its_cap_exactly(redis_url: str) -> None:
    board = RedisBoard(redis_url, prefix=_fresh_prefix())
    for index in range(25):
        board.incr("sessions", f"s{index}", cap=10)
    board.incr("sessions", "s15", cap=10)  # counted again: now the most recent
    board.incr("sessions", "s25", cap=10)
    assert set(board.counts("sessions")) == {f"s{index}" for index in (15, *range(17, 26))}
    board.close()


def test_redis_boards_apart_by_prefix_share_nothing(redis_url: str) -> None:
    one, other = RedisBoard(redis_url, prefix=_fresh_prefix()), RedisBoard(redis_url, prefix=_fresh_prefix())
    one.incr("uses", "a")
    one.window("key", 1, 1, 1, oldest=0)
    one.map_put("rules", "a", b"1")
    one.append("journal", b"a", cap=10)
    other.clear_windows()
    assert (other.counts("uses"), other.map_items("rules"), other.after("journal")) == ({}, [], [])
    assert one.window("key", 0, 0, 0, oldest=0) == [Slot(1, 1, 1)]
    one.close()
    other.close()


def test_a_state_url_opens_the_redis_board(redis_url: str, tmp_path: Path) -> None:
    board = open_board(Settings(state_url=redis_url, data_dir=tmp_path))
    assert isinstance(board, RedisBoard)
    board.close()
