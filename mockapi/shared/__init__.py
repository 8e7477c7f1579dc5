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

from mockapi.shared.board import Board, Slot

__all__ = ["Board", "Slot"]
