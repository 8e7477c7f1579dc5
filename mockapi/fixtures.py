"""Fixture rules: a pattern plus what to answer, loaded from YAML/JSON files in fixture directories.

The highest-priority first matching rule wins (ties: load order); otherwise the generator answers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mockapi import errors
from mockapi.catalogue import CATALOGUE_FILES
from mockapi.matching import Exchange, Match

RULE_SUFFIXES = (".yaml", ".yml", ".json")

# Shortcuts for the real API's common errors: (status, type, code, message, extra headers).
NAMED_ERRORS: dict[str, tuple[int, str, str | None, str, dict[str, str]]] = {
    "rate_limit_exceeded": (
        429,
        "requests",
        "rate_limit_exceeded",
        "Rate limit reached for default-gpt-3.5-turbo in organization org-mockapi on requests per min. "
        "Limit: 3 / min. Please try again in 20s.",
        {"retry-after": "20"},
    ),
    "insufficient_quota": (
        429,
        "insufficient_quota",
        "insufficient_quota",
        "You exceeded your current quota, please check your plan and billing details.",
        {},
    ),
    "server_error": (
        500,
        "server_error",
        None,
        "The server had an error while processing your request. Sorry about that!",
        {},
    ),
    "overloaded": (
        503,
        "server_error",
        None,
        "That model is currently overloaded with other requests. You can retry your request, or contact us "
        "through our help center at help.openai.com if the error persists.",
        {},
    ),
    "context_length_exceeded": (
        400,
        "invalid_request_error",
        "context_length_exceeded",
        "This model's maximum context length is 4097 tokens, however you requested 5000 tokens "
        "(4984 in your prompt; 16 for the completion). Please reduce your prompt; or completion length.",
        {},
    ),
    "invalid_api_key": (
        401,
        "invalid_request_error",
        "invalid_api_key",
        "Incorrect API key provided: sk-mock*****************1234. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
        {},
    ),
}


class ErrorSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    status: int = Field(400, ge=400, le=599)
    type: str = "invalid_request_error"
    message: str = "Injected error"
    param: str | None = None
    code: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _expand_shortcut(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value not in NAMED_ERRORS:
                raise ValueError(f"unknown error name {value!r}; known: {', '.join(NAMED_ERRORS)}")
            status, type_, code, message, headers = NAMED_ERRORS[value]
            return {"status": status, "type": type_, "code": code, "message": message, "headers": headers}
        return value

    def to_error(self) -> errors.OpenAIError:
        return errors.OpenAIError(self.status, self.message, self.type, self.param, self.code, self.headers)


class Chaos(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rate: float = Field(ge=0, le=1)
    error: ErrorSpec = ErrorSpec.model_validate("server_error")


class Respond(BaseModel):
    """One answer. Exactly one form (content, body, error, embedding, transcript, sequence) or none
    (the generator answers, with the timing and faults applied)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    content: str | None = None
    body: Any = None
    status: int = Field(200, ge=100, le=599)
    headers: dict[str, str] = Field(default_factory=dict)
    error: ErrorSpec | None = None
    embedding: list[float] | None = None
    transcript: str | None = None
    sequence: list[Respond] | None = Field(None, min_length=1)
    # Timing and faults.
    delay_ms: float = Field(0, ge=0)
    jitter_ms: float = Field(0, ge=0)
    ttft_ms: float | None = Field(None, ge=0)
    tokens_per_second: float | None = Field(None, gt=0)
    disconnect_after_chunks: int | None = Field(None, ge=0)
    malformed_json: bool = False
    empty_response: bool = False
    chaos: Chaos | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Respond:
        forms = [
            name
            for name in ("content", "body", "error", "embedding", "transcript", "sequence")
            if getattr(self, name) is not None
        ]
        if len(forms) > 1:
            raise ValueError(f"give one of content, body, error, embedding, transcript, sequence; got {forms}")
        return self


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str | None = None
    priority: int = 0
    times: int | None = Field(None, ge=1)
    match: Match = Field(default_factory=Match)
    respond: Respond = Field(default_factory=Respond)


class RuleFileError(Exception):
    """A rule file that does not parse or fit the schema: names the file, the rule and the field."""


def load_rule_file(path: Path) -> list[Rule]:
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        raise RuleFileError(f"{path}: cannot be read as {path.suffix[1:].upper()}: {exc}") from exc
    if data is None:
        return []
    if not isinstance(data, list):
        raise RuleFileError(f"{path}: a rule file must hold a list of rules, not {type(data).__name__}")
    rules = []
    for index, item in enumerate(data):
        try:
            rules.append(Rule.model_validate(item))
        except ValidationError as exc:
            problem = exc.errors(include_url=False)[0]
            where = ".".join(str(part) for part in problem["loc"]) or "(rule)"
            name = item.get("id") if isinstance(item, dict) else None
            label = f"rule {index}" + (f" ({name})" if name else "")
            raise RuleFileError(f"{path}: {label}: field '{where}': {problem['msg']}") from exc
    return rules


def load_rules(directories: Iterable[Path]) -> list[Rule]:
    """Every rule file of every directory, in order; the catalogue files are not rule files."""
    rules: list[Rule] = []
    for directory in directories:
        if not directory.is_dir():
            raise RuleFileError(f"{directory}: fixtures directory does not exist")
        for path in sorted(directory.rglob("*")):
            if path.suffix in RULE_SUFFIXES and path.name not in CATALOGUE_FILES and path.is_file():
                rules.extend(load_rule_file(path))
    return rules


class RuleBook:
    """Rules from files plus rules added at run time, with their `times` budgets."""

    def __init__(self, file_rules: Sequence[Rule]) -> None:
        self._file_rules = list(file_rules)
        self._runtime: list[Rule] = []
        self._uses: dict[tuple[str, str], int] = {}
        self._ordered: list[tuple[str, Rule]] = []
        self._reorder()

    def _reorder(self) -> None:
        named = [(rule.id or f"rule-{i}", rule) for i, rule in enumerate([*self._file_rules, *self._runtime])]
        # Stable sort: equal priorities keep load order, runtime rules after file rules.
        self._ordered = sorted(named, key=lambda pair: -pair[1].priority)

    def match(self, exchange: Exchange, session: str = "") -> tuple[str, Rule] | None:
        """The winning rule for this request, counting one use of it against its `times` budget."""
        for rule_id, rule in self._ordered:
            if not rule.match.matches_exchange(exchange):
                continue
            uses = self._uses.get((session, rule_id), 0)
            if rule.times is not None and uses >= rule.times:
                continue
            self._uses[(session, rule_id)] = uses + 1
            return rule_id, rule
        return None

    def uses(self, rule_id: str, session: str = "") -> int:
        return self._uses.get((session, rule_id), 0)
