"""What the journal keeps of a request body: a copy with strings, lists and depth capped, the whole within
BODY_BUDGET bytes of JSON, each cut saying what it left out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

# How much of a body an entry keeps: strings, lists and depth are capped, and so is the whole, by size.
MAX_STRING = 2_000
MAX_ITEMS = 100
MAX_DEPTH = 12
MAX_KEY = 200
BODY_BUDGET = 16 * 1024  # bytes of JSON per entry, after summarising
# Room the cut markers may take beyond what the summary counts (one per container cut, MAX_DEPTH at most).
_MARKER_ROOM = 1024


class _Budget:
    """Bytes of JSON a summary may still take."""

    __slots__ = ("left",)

    def __init__(self, left: int) -> None:
        self.left = left


def summarise(value: Any, budget: int = BODY_BUDGET - _MARKER_ROOM) -> Any:
    """A copy of a JSON-like value small enough to keep: strings, lists and depth are capped, and once the
    copy would take `budget` bytes of JSON the rest is cut, a marker saying so."""
    return _summary(value, 0, _Budget(budget))


def _summary(value: Any, depth: int, budget: _Budget) -> Any:
    if isinstance(value, str):
        return _text(value, budget)
    if value is None or isinstance(value, bool | int | float):
        budget.left -= len(orjson.dumps(value))
        return value
    if depth >= MAX_DEPTH:
        budget.left -= 5
        return "..."
    if isinstance(value, Mapping):
        return _mapping(value, depth, budget)
    if isinstance(value, list | tuple):
        return _sequence(value, depth, budget)
    return _text(str(value), budget)


def _mapping(value: Mapping[Any, Any], depth: int, budget: _Budget) -> dict[str, Any]:
    budget.left -= 2
    kept: dict[str, Any] = {}
    for key, item in value.items():
        if len(kept) >= MAX_ITEMS or budget.left <= 0:
            kept["..."] = f"{len(value) - len(kept)} more keys" + ("" if len(kept) >= MAX_ITEMS else _BUDGET_NOTE)
            break
        name = str(key)[:MAX_KEY]
        budget.left -= len(orjson.dumps(name)) + 2
        kept[name] = _summary(item, depth + 1, budget)
    return kept


def _sequence(value: list[Any] | tuple[Any, ...], depth: int, budget: _Budget) -> list[Any]:
    budget.left -= 2
    kept: list[Any] = []
    for item in value:
        if len(kept) >= MAX_ITEMS or budget.left <= 0:
            note = "" if len(kept) >= MAX_ITEMS else _BUDGET_NOTE
            kept.append(f"... [{len(value) - len(kept)} more items{note}]")
            break
        budget.left -= 1
        kept.append(_summary(item, depth + 1, budget))
    return kept


_BUDGET_NOTE = f"; cut: the journal keeps {BODY_BUDGET} bytes of a body"


def _text(value: str, budget: _Budget) -> str:
    """The string, cut to MAX_STRING characters and to what the budget has left, saying how much more."""
    kept = value[:MAX_STRING]
    size = len(orjson.dumps(kept))
    while size > max(budget.left, 0) and kept:
        kept = kept[: len(kept) * max(budget.left, 0) // size]
        size = len(orjson.dumps(kept))
    budget.left -= size
    return kept if len(kept) == len(value) else f"{kept}... [{len(value) - len(kept)} more]"
