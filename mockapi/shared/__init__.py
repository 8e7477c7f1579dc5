"""State that several server processes share: worker processes (--workers N) on one machine, or replicas
behind a load balancer (--state-url redis://...). Every process sees the same runtime rules, `times`
budgets and sequence counters, journal, rate-limit windows, seed and clock, so an answer never depends on
which process took the request.

`Board` (`board.py`) is the one interface, in primitives the state is made of (exact counters, slotted
windows, ordered maps, bounded logs); SQLite in WAL mode in the workers' shared directory (`sqlite.py`) and
Redis (`redis.py`) implement it. Without a board (one process) the state stays in the process, as it always was.
Every family of counters, window set, map and log is bounded, so nothing grows with traffic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mockapi.shared.board import Board, Slot

if TYPE_CHECKING:
    from mockapi.settings import Settings

__all__ = ["Board", "Slot", "open_board"]

BOARD_NAME = "board.sqlite3"


def open_board(settings: Settings) -> Board | None:
    """Redis for --state-url; SQLite in the shared directory for several workers; else None (one process)."""
    if settings.state_url is not None:
        from mockapi.shared.redis import RedisBoard

        return RedisBoard(settings.state_url)
    shared = settings.shared_store_dir
    if shared is None:
        return None
    from mockapi.shared.sqlite import SQLiteBoard

    return SQLiteBoard(shared / BOARD_NAME)
