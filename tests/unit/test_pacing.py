"""The pacer: waits due in the same tick share one loop timer, none ends before its time, a cancelled wait
leaves the others alone. Driven by a loop whose clock the test moves (no timed assertion)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mockapi.pacing import TICK_SECONDS, Pacer, pacer


class SteppedLoop:
    """The part of a loop the pacer uses, with a clock that moves only when the test says."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.now = 100.0
        self.timers: list[tuple[float, Callable[..., Any], tuple[Any, ...]]] = []
        self._loop = loop

    def time(self) -> float:
        return self.now

    def create_future(self) -> asyncio.Future[None]:
        return self._loop.create_future()

    def call_at(self, when: float, callback: Callable[..., Any], *args: Any) -> None:
        self.timers.append((when, callback, args))

    def advance(self, seconds: float) -> None:
        """The clock on by `seconds`, and every timer due by then fired, in order."""
        self.now += seconds
        due = sorted((t for t in self.timers if t[0] <= self.now), key=lambda t: t[0])
        self.timers = [t for t in self.timers if t[0] > self.now]
        for _, callback, args in due:
            callback(*args)


@pytest.fixture
def stepped() -> Iterator[SteppedLoop]:
    loop = asyncio.new_event_loop()
    try:
        yield SteppedLoop(loop)
    finally:
        loop.close()


def make(stepped: SteppedLoop) -> Pacer:
    return Pacer(stepped)  # type: ignore[arg-type]


def test_a_time_come_needs_no_wait(stepped: SteppedLoop) -> None:
    waits = make(stepped)
    assert waits.until(stepped.now) is None
    assert waits.until(stepped.now - 1) is None
    assert stepped.timers == []


def test_waits_in_one_tick_share_one_timer(stepped: SteppedLoop) -> None:
    waits = make(stepped)
    start = stepped.now
    first = [waits.until(start + 0.0501 + index * TICK_SECONDS / 10) for index in range(5)]
    later = waits.until(start + 0.0501 + TICK_SECONDS)
    assert len(stepped.timers) == 2 and waits.ticks_pending == 2
    assert all(future is not None and not future.done() for future in [*first, later])


def test_no_wait_ends_before_its_time(stepped: SteppedLoop) -> None:
    waits = make(stepped)
    when = stepped.now + 0.0504
    future = waits.until(when)
    assert future is not None
    stepped.advance(0.0503)
    assert not future.done()
    stepped.advance(0.001)  # past `when`, and past the end of its tick
    assert future.done() and stepped.now >= when
    assert waits.ticks_pending == 0


def test_a_tick_wakes_its_waits_and_only_them(stepped: SteppedLoop) -> None:
    waits = make(stepped)
    start = stepped.now
    soon = [waits.until(start + 0.010) for _ in range(3)]
    late = waits.until(start + 0.020)
    stepped.advance(0.0105)
    assert all(future is not None and future.done() for future in soon)
    assert late is not None and not late.done()


def test_a_cancelled_wait_leaves_the_others(stepped: SteppedLoop) -> None:
    waits = make(stepped)
    gone, kept = waits.until(stepped.now + 0.01), waits.until(stepped.now + 0.01)
    assert gone is not None and kept is not None
    gone.cancel()
    stepped.advance(0.02)
    assert gone.cancelled() and kept.done() and not kept.cancelled()


def test_a_wait_after_its_tick_fired_gets_a_timer_again(stepped: SteppedLoop) -> None:
    waits = make(stepped)
    when = stepped.now + 0.0100004
    assert waits.until(when) is not None
    stepped.advance(0.0105)
    again = waits.until(stepped.now + 0.0001)
    assert again is not None and len(stepped.timers) == 1


def test_each_loop_has_its_own_pacer() -> None:
    loops = [asyncio.new_event_loop() for _ in range(2)]
    try:
        assert pacer(loops[0]) is pacer(loops[0])
        assert pacer(loops[0]) is not pacer(loops[1])
    finally:
        for loop in loops:
            loop.close()


def test_sleep_until_returns_at_once_when_due() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        await pacer(loop).sleep_until(loop.time())
        assert pacer(loop).ticks_pending == 0

    asyncio.run(main())
