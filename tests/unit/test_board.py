"""The shared board's contract, held by each implementation (SQLite here; Redis where a server can start)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mockapi.shared import Board, Slot
from mockapi.shared.sqlite import TRIM_EVERY, SQLiteBoard

BoardFactory = Callable[[], Board]


@pytest.fixture(params=["sqlite"])
def make_board(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BoardFactory]:
    """Opens boards on one shared state: each call is another process's view of it."""
    opened: list[Board] = []

    def make() -> Board:
        board = SQLiteBoard(tmp_path / "board.sqlite3")
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


def _count_many(path: str, times: int) -> None:
    board = SQLiteBoard(Path(path))
    for _ in range(times):
        board.incr("uses", "shared")
        board.window("key", 1, 1, 1, oldest=0)
        board.append("journal", b"x", cap=10_000)
    board.close()


def test_processes_counting_at_once_lose_no_count(tmp_path: Path) -> None:
    path = str(tmp_path / "board.sqlite3")
    SQLiteBoard(Path(path)).close()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_count_many, args=(path, 200)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    board = SQLiteBoard(Path(path))
    assert board.count("uses", "shared") == 600
    assert board.window("key", 0, 0, 0, oldest=0) == [Slot(1, 600, 600)]
    assert [item_id for item_id, _ in board.after("journal")] == list(range(1, 601))
