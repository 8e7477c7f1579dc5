"""Fixture rules: a pattern plus what to answer, loaded from YAML/JSON files in fixture directories.

The highest-priority first matching rule wins (ties: load order); otherwise the generator answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path, PurePath
from typing import Annotated, Any, get_args

import yaml
from pydantic import (
    ConfigDict,
    Field,
    FiniteFloat,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

from mockapi.catalogue import CATALOGUE_FILES, data_of
from mockapi.endpoints import Form, endpoints_taking
from mockapi.faults import (
    MAX_DELAY_MS,
    MIN_TOKENS_PER_SECOND,
    NAMED_ERRORS,
    Chaos,
    Delay,
    Disconnect,
    EmptyResponse,
    ErrorSpec,
    Fault,
    FaultBase,
    InjectedError,
    MalformedJSON,
    Pace,
    journal_name,
)
from mockapi.matching import Headers, Match, ShallowJSON
from mockapi.model_base import Schema
from mockapi.rule_answers import ModerationPin, RuleToolCall
from mockapi.rule_checks import stream_problem, structured_problem

__all__ = [
    "NAMED_ERRORS",
    "ErrorSpec",
    "ModerationPin",
    "Respond",
    "Rule",
    "RuleFileError",
    "load_rule_file",
    "load_rules",
]

RULE_SUFFIXES = (".yaml", ".yml", ".json")
# The validation context a rule file's rules get: its folder, which `files` are read from.
RULE_DIR = "rule_dir"
RuleFileName = Annotated[str, Field(min_length=1, max_length=500)]
# The endpoints each answer form can shape; `body`, `error` and the timing and faults apply anywhere.
FORM_ENDPOINTS: dict[Form, frozenset[str]] = {form: endpoints_taking(form) for form in get_args(Form)}


class Respond(Schema):
    """One answer. Exactly one form (content, tool_calls, body, error, embedding, transcript, moderation, files,
    sequence) or none (the generator answers, with the timing and faults applied)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    content: str | None = None
    tool_calls: list[RuleToolCall] | None = Field(None, min_length=1)
    body: ShallowJSON = None
    status: int = Field(200, ge=200, le=599)  # of `body` or `empty_response`; an error has its own
    headers: Headers = Field(default_factory=dict)
    error: ErrorSpec | None = None
    embedding: list[FiniteFloat] | None = Field(None, min_length=1)
    transcript: str | None = None
    moderation: ModerationPin | None = None
    # Paths relative to the rule file's folder (and inside it): the answer's bytes, one file per item.
    files: list[RuleFileName] | None = Field(None, min_length=1, max_length=128)
    sequence: list[Respond] | None = Field(None, min_length=1)
    # Timing and faults.
    delay_ms: float = Field(0, ge=0, le=MAX_DELAY_MS, allow_inf_nan=False)
    jitter_ms: float = Field(0, ge=0, le=MAX_DELAY_MS, allow_inf_nan=False)
    ttft_ms: float | None = Field(None, ge=0, le=MAX_DELAY_MS, allow_inf_nan=False)
    tokens_per_second: float | None = Field(None, ge=MIN_TOKENS_PER_SECOND, allow_inf_nan=False)
    disconnect_after_chunks: int | None = Field(None, ge=0)
    malformed_json: bool = False
    empty_response: bool = False
    chaos: Chaos | None = None
    # Faults of any kind, after those the keys above give (see faults.py).
    faults: list[Fault] = Field(default_factory=list)

    # Set when loaded: the faults as values, in the order they apply, the journal's name for them, and a
    # sequence's steps with what they inherit.
    _faults: tuple[FaultBase, ...] = PrivateAttr(())
    _fault_name: str | None = PrivateAttr(None)
    _steps: tuple[Respond, ...] = PrivateAttr(())
    _file_paths: tuple[Path, ...] = PrivateAttr(())

    @model_validator(mode="after")
    def _one_form(self, info: ValidationInfo) -> Respond:
        forms = [name for name in ANSWER_FORMS if getattr(self, name) is not None]
        if len(forms) > 1:
            raise ValueError(f"give one of {', '.join(ANSWER_FORMS)}; got {forms}")
        if any(step.sequence is not None for step in self.sequence or ()):
            raise ValueError("a sequence step cannot itself be a sequence")
        if "status" in self.model_fields_set and self.body is None and not self.empty_response:
            raise field_error(
                ("status",),
                "status applies to a `body` (or an `empty_response`); an error's status goes in `error.status`",
                self.status,
            )
        if self.files is not None:
            self._file_paths = _rule_files(self.files, info.context)
        self._settle()
        self._steps = tuple(self._inherited_by(step) for step in self.sequence or ())
        return self

    def file_bytes(self, index: int = 0) -> bytes:
        """The bytes of the `index`-th item from the rule's `files` (repeating when it gives fewer)."""
        return self._file_paths[index % len(self._file_paths)].read_bytes()

    def _settle(self) -> None:
        self._faults = (*self._flat_faults(), *self.faults)
        self._fault_name = journal_name(self._faults)

    def _flat_faults(self) -> list[FaultBase]:
        """The flat keys as fault values, in the order they act: chaos draws first, then the delay; an
        error or an empty body answers before anything is made; the others bend the answer made."""
        found: list[FaultBase] = []
        if self.chaos is not None:
            found.append(self.chaos)
        if self.delay_ms or self.jitter_ms:
            found.append(Delay(delay_ms=self.delay_ms, jitter_ms=self.jitter_ms))
        if self.error is not None:
            found.append(InjectedError(error=self.error))
        if self.empty_response:
            found.append(EmptyResponse(status=self.status))
        if self.ttft_ms is not None or self.tokens_per_second:
            found.append(Pace(ttft_ms=self.ttft_ms, tokens_per_second=self.tokens_per_second))
        if self.malformed_json:
            found.append(MalformedJSON())
        if self.disconnect_after_chunks is not None:
            found.append(Disconnect(after_chunks=self.disconnect_after_chunks))
        return found

    def _inherited_by(self, step: Respond) -> Respond:
        inherited = {name: getattr(self, name) for name in TIMING_AND_FAULTS if name in self.model_fields_set}
        own = {name: getattr(step, name) for name in step.model_fields_set}
        chosen = step.model_copy(update={**inherited, **own})
        chosen._settle()
        return chosen

    @property
    def calls(self) -> tuple[tuple[str, str], ...] | None:
        """The `tool_calls` form as (name, arguments as JSON text), or None."""
        if self.tool_calls is None:
            return None
        return tuple((call.name, call.arguments_text) for call in self.tool_calls)

    def steps(self) -> list[tuple[tuple[str | int, ...], Respond]]:
        """(where, answer) of this answer, or of each step of its sequence."""
        if not self._steps:
            return [((), self)]
        return [(("sequence", index), step) for index, step in enumerate(self._steps)]

    @property
    def applied_faults(self) -> tuple[FaultBase, ...]:
        """Every fault of this answer, as values, in the order they apply."""
        return self._faults

    @property
    def fault_name(self) -> str | None:
        """How the journal names what the faults do to this answer (chaos only once it fires)."""
        return self._fault_name

    def forms(self) -> list[tuple[tuple[str | int, ...], Form]]:
        """(where, form name) of this answer's form and of each sequence step's."""
        found: list[tuple[tuple[str | int, ...], Form]] = [
            ((name,), name) for name in FORM_ENDPOINTS if getattr(self, name) is not None
        ]
        for index, step in enumerate(self.sequence or ()):
            found += [(("sequence", index, name), name) for name in FORM_ENDPOINTS if getattr(step, name) is not None]
        return found

    def step(self, use: int) -> Respond:
        """The answer for the `use`-th (1-based) matching request: a sequence answers in order, its last
        step repeating; timing and faults given beside the sequence apply to steps that leave them unset."""
        if not self._steps:
            return self
        return self._steps[min(use, len(self._steps)) - 1]


ANSWER_FORMS = (
    "content", "tool_calls", "body", "error", "embedding", "transcript", "moderation", "files", "sequence"
)  # fmt: skip

TIMING_AND_FAULTS = (
    "headers",
    "delay_ms",
    "jitter_ms",
    "ttft_ms",
    "tokens_per_second",
    "disconnect_after_chunks",
    "malformed_json",
    "empty_response",
    "chaos",
    "faults",
)


class Rule(Schema):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str | None = Field(None, min_length=1, max_length=200, pattern=r"^[^/?#\s]+$")
    priority: int = 0
    times: int | None = Field(None, ge=1)
    # Rate limits of their own for the requests this rule answers, per API key (beside --rpm/--tpm).
    rpm: int | None = Field(None, ge=1)
    tpm: int | None = Field(None, ge=1)
    match: Match = Field(default_factory=Match)
    respond: Respond = Field(default_factory=Respond)

    @model_validator(mode="after")
    def _forms_fit_the_endpoint(self) -> Rule:
        """A form the matched endpoint cannot use would be silently ignored: refused instead."""
        endpoint = self.match.endpoint
        if endpoint is None:
            return self
        for where, form in self.respond.forms():
            if endpoint not in FORM_ENDPOINTS[form]:
                field = ".".join(map(str, ("respond", *where)))
                fits = ", ".join(sorted(FORM_ENDPOINTS[form]))
                raise field_error(
                    ("respond", *where),
                    f"{field} cannot apply to endpoint '{endpoint}' ({form} answers {fits} only)",
                    getattr(self.respond, form) if len(where) == 1 else None,
                )
        return self

    @model_validator(mode="after")
    def _answers_fit_the_request(self) -> Rule:
        """What the rule's own match says of the request binds its answers: content valid against the
        json_schema it names, and a body that can be streamed to the streamed requests it matches."""
        for where, step in self.respond.steps():
            if step.content is not None:
                problem = structured_problem(self.match.body, step.content)
                if problem is not None:
                    raise field_error(("respond", *where, "content"), problem, step.content)
            if step.body is not None:
                problem = stream_problem(self.match.body, step.body, step.headers, step.status)
                if problem is not None:
                    raise field_error(("respond", *where, "body"), problem, None)
        return self

    def public(self) -> dict[str, Any]:
        """The rule as the control API lists it: only what was given, plus its id."""
        return {"id": self.id, **self.model_dump(mode="json", exclude_unset=True, exclude={"id"})}


def field_error(loc: tuple[str | int, ...], message: str, value: Any) -> ValidationError:
    """A validation failure located at `loc` (relative to the model validated), so the control API's `param`
    and the rule file's message name the field rather than the whole rule."""
    problem = PydanticCustomError("value_error", "{reason}", {"reason": message})
    return ValidationError.from_exception_data("Rule", [{"type": problem, "loc": loc, "input": value}])


def _rule_files(names: list[str], context: Any) -> tuple[Path, ...]:
    """The files an answer reads, each inside its rule file's folder (a rule cannot name any other file)."""
    folder = context.get(RULE_DIR) if isinstance(context, dict) else None
    if not isinstance(folder, Path):
        reason = "files are read beside a rule file: a rule added at run time cannot give them"
        raise field_error(("files",), reason, names)
    root = folder.resolve()
    paths = []
    for index, name in enumerate(names):
        path = (root / name).resolve()
        if PurePath(name).is_absolute() or not path.is_relative_to(root):
            raise field_error(("files", index), f"{name!r} is outside the rule file's folder", name)
        if not path.is_file():
            raise field_error(("files", index), f"{name!r}: no such file beside the rule file", name)
        paths.append(path)
    return tuple(paths)


class RuleFileError(Exception):
    """A rule file that does not parse or fit the schema: names the file, the rule and the field."""


def read_rule_file(path: Path) -> tuple[list[Rule], list[str]]:
    """The rules of a file that fit the schema, and a problem (naming the file, the rule and the field) for
    each one that does not, or for the file itself."""
    try:
        data = data_of(path, path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        return [], [f"{path}: cannot be read as {path.suffix[1:].upper()}: {exc}"]
    if data is None:
        return [], []
    if not isinstance(data, list):
        return [], [f"{path}: a rule file must hold a list of rules, not {type(data).__name__}"]
    rules, problems = [], []
    context = {RULE_DIR: path.parent}
    for index, item in enumerate(data):
        try:
            rule = Rule.model_validate(item, context=context)
            rules.append(rule if rule.id else rule.model_copy(update={"id": f"{path.stem}-{index}"}))
        except ValidationError as exc:
            problem = exc.errors(include_url=False)[0]
            where = ".".join(str(part) for part in problem["loc"] if part != "[key]") or "(rule)"
            name = item.get("id") if isinstance(item, dict) else None
            label = f"rule {index}" + (f" ({name})" if name else "")
            problems.append(f"{path}: {label}: field '{where}': {problem['msg']}")
    return rules, problems


def load_rule_file(path: Path) -> list[Rule]:
    rules, problems = read_rule_file(path)
    if problems:
        raise RuleFileError(problems[0])
    return rules


def rule_paths(directories: Iterable[Path]) -> Iterator[Path]:
    """Every rule file of every directory, in order; the catalogue files are not rule files."""
    for directory in directories:
        if directory.is_file():
            paths = [directory]
        elif directory.is_dir():
            paths = sorted(directory.rglob("*"))
        else:
            raise RuleFileError(f"{directory}: fixtures directory does not exist")
        for path in paths:
            if path.suffix in RULE_SUFFIXES and path.name not in CATALOGUE_FILES and path.is_file():
                yield path


def reused_id(path: Path, index: int, rule: Rule, seen: dict[str, Path]) -> str | None:
    """The problem of a rule whose id an earlier rule has (else its id is noted as seen)."""
    assert rule.id is not None
    if rule.id in seen:
        return f"{path}: rule {index} ({rule.id}): field 'id': already used by a rule in {seen[rule.id]}"
    seen[rule.id] = path
    return None


def load_rules(directories: Iterable[Path]) -> list[Rule]:
    """Every rule file of every directory, in order; the first problem found is raised."""
    rules: list[Rule] = []
    seen: dict[str, Path] = {}
    for path in rule_paths(directories):
        for index, rule in enumerate(load_rule_file(path)):
            problem = reused_id(path, index, rule, seen)
            if problem:
                raise RuleFileError(problem)
            rules.append(rule)
    return rules
