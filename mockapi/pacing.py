"""One clock for the paced parts of every stream an event loop sends (wire.Rendered waits on it).

`asyncio.sleep` costs each wait a timer of its own: a TimerHandle pushed on, and popped off, the loop's heap
(its order compared in Python), for every event of every stream. Thousands of streams at 20 events a second
make that heap hold thousands of timers and turn over a hundred thousand a second. Here the waits due in the
same tick (TICK_SECONDS, rounded up, so a part never leaves early) share one timer: streams opened together
keep to schedules within a tick of each other, so a tick's timer wakes many waiters at once. Each waiter is a
plain future of its own, so a waiter cancelled (its client gone) is skipped and the others are not touched.
"""

from __future__ import annotations

import asyncio
import math

from mockapi.loop_local import PerLoop

__all__ = ["TICK_SECONDS", "Pacer", "pacer"]

# Lateness the rounding adds at most; well inside what a paced stream is allowed (bench/RESULTS.md).
TICK_SECONDS = 0.001


class Pacer:
    """The waits of one event loop, by the tick they are due in; one loop timer per tick that has any."""

    __slots__ = ("_due", "_loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._due: dict[int, list[asyncio.Future[None]]] = {}

    def until(self, when: float) -> asyncio.Future[None] | None:
        """A future done once the loop's clock reaches `when` (rounded up to its tick); None if it has."""
        loop = self._loop
        if when <= loop.time():  # due (an unpaced stream's parts always are): no wait, not even to a tick
            return None
        tick = math.ceil(when / TICK_SECONDS)
        at = tick * TICK_SECONDS
        future: asyncio.Future[None] = loop.create_future()
        waiters = self._due.get(tick)
        if waiters is None:
            self._due[tick] = [future]
            loop.call_at(at, self._wake, tick)
        else:
            waiters.append(future)
        return future

    async def sleep_until(self, when: float) -> None:
        future = self.until(when)
        if future is not None:
            await future

    def _wake(self, tick: int) -> None:
        for future in self._due.pop(tick, ()):
            if not future.done():  # cancelled: its stream has stopped waiting
                future.set_result(None)

    @property
    def ticks_pending(self) -> int:
        return len(self._due)


# The loop's pacer (each loop has its own: the tests run several, one after another).
pacer: PerLoop[Pacer] = PerLoop(Pacer)
