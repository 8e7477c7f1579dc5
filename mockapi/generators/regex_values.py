"""A string that a regular expression matches, drawn from a seeded generator.

The pattern is parsed by the standard library's own regex parser and walked: literals, classes, `.`,
alternation, groups and back-references, bounded and unbounded repeats (an unbounded one repeats a few
times, so strings stay short and within a maxLength). Lookarounds and conditionals cannot be generated
and raise `Unsupported`, as does a pattern Python cannot parse (JavaScript-only syntax such as \\p{L}).
rstr's xeger walks the same tree but repeats unbounded parts up to a hundred times, which breaks
length limits; this walk is small enough to own.
"""

from __future__ import annotations

import importlib
import random
import string
from typing import Any

_parser: Any = importlib.import_module(
    "re._parser" if hasattr(importlib.import_module("re"), "_parser") else "sre_parse"
)
_constants: Any = importlib.import_module(
    "re._constants" if hasattr(importlib.import_module("re"), "_constants") else "sre_constants"
)

# What `.` and negated classes draw from: printable and unremarkable.
_POOL = string.ascii_letters + string.digits + "_-"
_CATEGORIES = {
    "CATEGORY_DIGIT": string.digits,
    "CATEGORY_NOT_DIGIT": string.ascii_letters + "_-",
    "CATEGORY_WORD": string.ascii_letters + string.digits + "_",
    "CATEGORY_NOT_WORD": " -.,:;!?",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": _POOL,
}


class Unsupported(ValueError):
    """The pattern has a construct no string can be generated for here."""


def parse(pattern: str) -> Any:
    try:
        return _parser.parse(pattern)
    except Exception as exc:  # re.error, or an overflow in a repeat count
        raise Unsupported(str(exc)) from exc


class _Walk:
    def __init__(self, rng: random.Random, extra: int) -> None:
        self.rng = rng
        self.extra = extra  # how far past its minimum an unbounded repeat may go
        self.groups: dict[int, str] = {}

    def sequence(self, items: Any) -> str:
        return "".join(self.item(op, av) for op, av in items)

    def item(self, op: Any, av: Any) -> str:
        name = str(op)
        if name == "LITERAL":
            return chr(av)
        if name == "NOT_LITERAL":
            return self.rng.choice([c for c in _POOL if ord(c) != av])
        if name == "ANY":
            return self.rng.choice(_POOL)
        if name == "IN":
            return self.rng.choice(self.charset(av))
        if name == "BRANCH":
            return self.sequence(self.rng.choice(av[1]))
        if name == "SUBPATTERN":
            group, _, _, items = av
            text = self.sequence(items)
            if group is not None:
                self.groups[group] = text
            return text
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, items = av
            top = low + self.extra if high == _constants.MAXREPEAT else min(high, low + max(self.extra, 1))
            return "".join(self.sequence(items) for _ in range(self.rng.randint(low, max(low, top))))
        if name == "ATOMIC_GROUP":
            return self.sequence(av)
        if name == "GROUPREF":
            return self.groups.get(av, "")
        if name == "AT":
            return ""
        if name == "CATEGORY":
            return self.rng.choice(_CATEGORIES.get(str(av), _POOL))
        raise Unsupported(f"cannot generate {name}")

    def charset(self, items: Any) -> str:
        chosen: list[str] = []
        negate = False
        for op, av in items:
            name = str(op)
            if name == "NEGATE":
                negate = True
            elif name == "LITERAL":
                chosen.append(chr(av))
            elif name == "RANGE":
                low, high = av
                chosen.extend(chr(c) for c in range(low, min(high, low + 255) + 1))
            elif name == "CATEGORY":
                chosen.extend(_CATEGORIES.get(str(av), ""))
            else:
                raise Unsupported(f"cannot generate {name} in a class")
        if negate:
            excluded = set(chosen)
            allowed = [c for c in _POOL + " .,:;" if c not in excluded]
            if not allowed:
                raise Unsupported("a negated class excludes every character")
            return "".join(allowed)
        if not chosen:
            raise Unsupported("an empty class")
        return "".join(chosen)


def generate(pattern: str, rng: random.Random, extra: int = 3) -> str:
    """One string the pattern matches in full (so it also matches as JSON Schema's unanchored search)."""
    return _Walk(rng, extra).sequence(parse(pattern))
