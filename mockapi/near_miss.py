"""Replay's near miss: for a request no rule matches, the rule that came closest and what differed, in one
sentence ("Closest rule 'chat.completions-3fa9...': same endpoint and model, text differs at character
43 ..."). Pure: rules and an exchange in, words out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mockapi.fixtures import Rule
from mockapi.matching import Exchange, Match, TextPattern, contains_subset

# Characters of context either side of a difference, and at most this much of a value shown.
CONTEXT = 16
SHOWN = 60


def closest(rules: Iterable[Rule], exchange: Exchange) -> str:
    """Which rule came closest to matching the request, and what differed."""
    best: tuple[tuple[int, int, int], Rule, list[str], list[str]] | None = None
    for rule in rules:
        held, differed = compare(rule.match, exchange)
        same_endpoint = int("endpoint" in held or rule.match.endpoint is None)
        score = (same_endpoint, len(held) - len(differed), _shared_prefix(rule.match.text, exchange.text))
        if best is None or score > best[0]:
            best = (score, rule, held, differed)
    if best is None or not best[0][0]:
        return f"No rule answers endpoint '{exchange.endpoint}' at all."
    _, rule, held, differed = best
    same = [name for name in held if name in ("endpoint", "method", "path", "model", "system")]
    found = differed[0] if differed else "it matches, but its `times` budget is used up"
    prefix = f"same {_and(same)}, " if same else ""
    return f"Closest rule: '{rule.id}': {prefix}{found}."


def compare(match: Match, exchange: Exchange) -> tuple[list[str], list[str]]:
    """What of the rule's match holds for the request (by name), and a description of each thing that does not."""
    held: list[str] = []
    differed: list[str] = []

    def check(name: str, expected: Any, actual: Any) -> None:
        if expected is None:
            return
        if expected == actual:
            held.append(name)
        else:
            differed.append(f"{name} differs (the rule has {_shown(expected)}, the request {_shown(actual)})")

    check("endpoint", match.endpoint, exchange.endpoint)
    check("method", match.method, exchange.method)
    check("path", match.path, exchange.path)
    check("model", match.model, exchange.model)
    for name, pattern, actual in (("text", match, exchange.text), ("system", match.system, exchange.system)):
        if pattern is None or pattern.is_empty():
            continue
        _note(name, pattern_difference(name, pattern, actual), held, differed)
    for header, value in match.headers.items():
        got = exchange.headers.get(header.lower())
        if got != value:
            differed.append(f"header {header} differs (the rule has {_shown(value)}, the request {_shown(got)})")
    if match.body is not None:
        _note("body", body_difference(match.body, exchange.body, "body"), held, differed)
    return held, differed


def _note(name: str, problem: str | None, held: list[str], differed: list[str]) -> None:
    if problem is None:
        held.append(name)
    else:
        differed.append(problem)


def pattern_difference(name: str, pattern: TextPattern, actual: str | None) -> str | None:
    if pattern.matches(actual):
        return None
    if actual is None:
        return f"the request has no {name}"
    if pattern.text is not None and pattern.text != actual:
        return text_difference(name, pattern.text, actual)
    if pattern.contains is not None and pattern.contains not in actual:
        return f"{name} does not contain {_shown(pattern.contains)}"
    return f"{name} does not match the regular expression {_shown(pattern.regex)}"


def text_difference(name: str, expected: str, actual: str) -> str:
    """Where two texts part (1-based: character 1 is the first), with a little of each around it."""
    index = _shared_prefix(expected, actual)
    if index == len(actual):
        return f"{name} stops after character {index}, where the rule's goes on: {_shown(expected[index:][:SHOWN])}"
    if index == len(expected):
        return f"{name} goes on past the rule's end (character {index}): {_shown(actual[index:][:SHOWN])}"
    return (
        f"{name} differs at character {index + 1} (the rule has {_around(expected, index)}, "
        f"the request {_around(actual, index)})"
    )


def body_difference(expected: Any, actual: Any, where: str) -> str | None:
    """The first place the request's body leaves the rule's (a subset: keys recursively, lists item by item)."""
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return f"{where} differs (the rule has an object, the request {_shown(actual)})"
        for key, value in expected.items():
            if key not in actual:
                return f"{where}.{key} is missing from the request (the rule has {_shown(value)})"
            found = body_difference(value, actual[key], f"{where}.{key}")
            if found:
                return found
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            size = f"{len(actual)} items" if isinstance(actual, list) else _shown(actual)
            return f"{where} differs (the rule has {len(expected)} items, the request {size})"
        for index, (wanted, got) in enumerate(zip(expected, actual, strict=True)):
            found = body_difference(wanted, got, f"{where}[{index}]")
            if found:
                return found
        return None
    if contains_subset(actual, expected):
        return None
    if isinstance(expected, str) and isinstance(actual, str):
        return text_difference(where, expected, actual)
    return f"{where} differs (the rule has {_shown(expected)}, the request {_shown(actual)})"


def _shared_prefix(first: str | None, second: str | None) -> int:
    if first is None or second is None:
        return 0
    length = min(len(first), len(second))
    return next((index for index in range(length) if first[index] != second[index]), length)


def _around(text: str, index: int) -> str:
    start = max(0, index - CONTEXT)
    shown = ("..." if start else "") + text[start : index + CONTEXT] + ("..." if index + CONTEXT < len(text) else "")
    return repr(shown)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= SHOWN else text[: SHOWN - 3] + "..."


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
