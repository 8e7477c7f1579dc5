"""Stream helpers shared by the text endpoints."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def interleave(streams: Iterable[Iterator[T]]) -> Iterator[T]:
    """One item of each stream in turn (choices interleave by index, as the real API sends them)."""
    given = list(streams)
    if len(given) == 1:  # one choice, the usual stream: its items as they come, without the turn-taking
        yield from given[0]
        return
    active = deque(given)
    while active:
        stream = active.popleft()
        for item in stream:
            yield item
            active.append(stream)
            break
