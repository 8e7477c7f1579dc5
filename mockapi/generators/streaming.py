"""Stream helpers shared by the text endpoints."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def interleave(streams: Iterable[Iterator[T]]) -> Iterator[T]:
    """One item of each stream in turn (choices interleave by index, as the real API sends them)."""
    active = list(streams)
    while active:
        still = []
        for stream in active:
            item = next(stream, _END)
            if item is not _END:
                still.append(stream)
                yield item  # type: ignore[misc]
        active = still


_END = object()
