"""Small composable patterns: each answers whether one aspect of a request matches."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


@dataclass(frozen=True)
class Exchange:
    """What a rule can look at: the endpoint, the request's main text, body and headers."""

    endpoint: str
    method: str
    path: str
    body: Mapping[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)
    model: str | None = None
    text: str | None = None
    system: str | None = None


class TextPattern(BaseModel):
    """Exact, substring or regular-expression search on a piece of text; all given must hold."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str | None = None
    contains: str | None = None
    regex: str | None = None

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:  # not a ValueError: pydantic would let it escape as a crash
                raise ValueError(f"invalid regular expression: {exc}") from exc
        return value

    @cached_property
    def _compiled(self) -> re.Pattern[str] | None:
        return re.compile(self.regex) if self.regex is not None else None

    def is_empty(self) -> bool:
        return self.text is None and self.contains is None and self.regex is None

    def matches(self, value: str | None) -> bool:
        if self.is_empty():
            return True
        if value is None:
            return False
        if self.text is not None and value != self.text:
            return False
        if self.contains is not None and self.contains not in value:
            return False
        return self._compiled is None or self._compiled.search(value) is not None


class Match(TextPattern):
    """Every key optional; all given must hold."""

    endpoint: str | None = None
    path: str | None = None
    method: str | None = None
    model: str | None = None
    system: TextPattern | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    body: dict[str, Any] | None = None

    def matches_exchange(self, exchange: Exchange) -> bool:
        return (
            (self.endpoint is None or self.endpoint == exchange.endpoint)
            and (self.path is None or self.path == exchange.path)
            and (self.method is None or self.method.upper() == exchange.method)
            and (self.model is None or self.model == exchange.model)
            and self.matches(exchange.text)
            and (self.system is None or self.system.matches(exchange.system))
            and all(exchange.headers.get(k.lower()) == v for k, v in self.headers.items())
            and (self.body is None or contains_subset(exchange.body, self.body))
        )


def contains_subset(actual: Any, expected: Any) -> bool:
    """Whether `expected` is a JSON subset of `actual`: dict keys recursively, lists element-wise."""
    if isinstance(expected, Mapping):
        return isinstance(actual, Mapping) and all(
            key in actual and contains_subset(actual[key], value) for key, value in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(contains_subset(a, e) for a, e in zip(actual, expected, strict=True))
        )
    return bool(actual == expected and type(actual) is type(expected)) or (
        isinstance(actual, int | float) and isinstance(expected, int | float) and actual == expected
    )
