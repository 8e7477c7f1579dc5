"""Small composable patterns: each answers whether one aspect of a request matches."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, field_validator

from mockapi.conversation import Conversation, ToolResult
from mockapi.endpoints import Endpoint
from mockapi.model_base import Schema

__all__ = ["Endpoint", "Exchange", "Match", "TextPattern", "ToolResultPattern", "contains_subset"]

Method = Literal["GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS"]

# RFC 7230: a header name is a token; a value is visible latin-1 characters, spaces and tabs. Anything else
# (CR/LF above all) would let a rule inject headers, or make the server fail to send the answer at all.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FIELD_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")


def _header_name(name: str) -> str:
    if not _TOKEN.fullmatch(name):
        raise ValueError(f"{name!r} is not a valid header name (letters, digits and !#$%&'*+-.^_`|~ only)")
    return name


def _scalar_text(value: Any) -> Any:
    """Numbers and booleans as text: YAML reads `retry-after: 0` as the number 0."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def _header_value(value: str) -> str:
    if not _FIELD_VALUE.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a valid header value (latin-1 text without CR, LF, NUL or other control characters)"
        )
    return value


# JSON a rule holds (a body to answer, a body subset to match) is sent back as JSON: it must stay well
# within what the serializers accept (orjson stops at 255 levels).
MAX_JSON_DEPTH = 64


def _shallow(value: Any) -> Any:
    """The value, if its lists and objects nest at most MAX_JSON_DEPTH levels (checked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return value


ShallowJSON = Annotated[Any, AfterValidator(_shallow)]
HeaderName = Annotated[str, AfterValidator(_header_name)]
HeaderValue = Annotated[str, BeforeValidator(_scalar_text), AfterValidator(_header_value)]
Headers = dict[HeaderName, HeaderValue]


@dataclass(slots=True)
class Exchange:
    """What a rule can look at: the endpoint, the request's main text, body and headers. (Made for every
    request and never changed; not frozen, as a frozen dataclass is four times as slow to make.)"""

    endpoint: str
    method: str
    path: str
    body: Mapping[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)
    model: str | None = None
    text: str | None = None
    system: str | None = None
    # The conversation of a chat or Responses request, for the agent keys (tools, turn, tool results).
    conversation: Conversation | None = None


class TextPattern(Schema):
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


class ToolResultPattern(TextPattern):
    """A tool result being answered: the function it came from (`name`) and a pattern on its content."""

    name: str | None = None

    def matches_result(self, result: ToolResult, conversation: Conversation) -> bool:
        name = result.name
        if name is None:
            call = conversation.call(result.call_id)
            name = call.name if call is not None else None
        return (self.name is None or self.name == name) and self.matches(result.output)


class Match(TextPattern):
    """Every key optional; all given must hold. The agent keys (tools, tool_choice, has_tool_result,
    tool_result, turn) read the request's conversation: a request without one never matches them."""

    endpoint: Endpoint | None = None
    path: str | None = None
    method: Annotated[Method, BeforeValidator(lambda v: v.upper() if isinstance(v, str) else v)] | None = None
    model: str | None = None
    system: TextPattern | None = None
    headers: Headers = Field(default_factory=dict)
    body: Annotated[dict[str, Any], AfterValidator(_shallow)] | None = None
    # Agent keys.
    tools: list[str] | None = None  # these function tools are among those offered
    tool_choice: str | None = None  # none | auto | required | the name of the function forced
    has_tool_result: bool | None = None  # the request ends with tool results (the model answers them)
    tool_result: ToolResultPattern | None = None  # one of the results being answered
    turn: int | None = Field(None, ge=0)  # how many assistant messages came before

    def matches_exchange(self, exchange: Exchange) -> bool:
        return (
            (self.endpoint is None or self.endpoint == exchange.endpoint)
            and (self.path is None or self.path == exchange.path)
            and (self.method is None or self.method == exchange.method)
            and (self.model is None or self.model == exchange.model)
            and self.matches(exchange.text)
            and (self.system is None or self.system.matches(exchange.system))
            and all(exchange.headers.get(k.lower()) == v for k, v in self.headers.items())
            and (self.body is None or contains_subset(exchange.body, self.body))
            and (not self._agent_keys or self._matches_conversation(exchange.conversation))
        )

    @cached_property
    def _agent_keys(self) -> bool:
        keys = (self.tools, self.tool_choice, self.has_tool_result, self.tool_result, self.turn)
        return any(key is not None for key in keys)

    def _matches_conversation(self, conversation: Conversation | None) -> bool:
        if conversation is None:
            return False
        if self.tools is not None:
            offered = {tool.name for tool in conversation.tools}
            if not set(self.tools) <= offered:
                return False
        if self.tool_choice is not None and self.tool_choice != _choice_name(conversation):
            return False
        if self.has_tool_result is not None and self.has_tool_result != conversation.last_is_tool_result():
            return False
        if self.turn is not None and self.turn != conversation.turn():
            return False
        pattern = self.tool_result
        if pattern is None:
            return True
        return any(pattern.matches_result(r, conversation) for r in conversation.results_since_last_assistant())


def _choice_name(conversation: Conversation) -> str:
    """How a rule names the request's tool_choice: its mode, or the name of the function it forces."""
    choice = conversation.tool_choice
    if choice.mode in ("function", "builtin"):
        return choice.name or ""
    return choice.mode


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
    if isinstance(actual, bool) or isinstance(expected, bool):
        return actual is expected  # JSON's true and false are no numbers (Python's bool is an int)
    return bool(actual == expected and type(actual) is type(expected)) or (
        isinstance(actual, int | float) and isinstance(expected, int | float) and actual == expected
    )
