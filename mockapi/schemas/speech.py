"""The text-to-speech request (CreateSpeechRequest) and its refusals, worded as the real speech service words
them: the list of its validation failures, in Python's notation (`[{'type': 'string_too_long', 'loc':
('body', 'input'), 'msg': 'String should have at most 4096 characters', 'ctx': {'max_length': 4096}}]`).
What a model accepts (voices, formats, instructions, SSE, the input's length) comes from its catalogue entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import ConfigDict, Field, ValidationError, ValidatorFunctionWrapHandler, model_validator

from mockapi import errors
from mockapi.audio_codecs import SpeechFormat
from mockapi.catalogue_schema import Speech
from mockapi.generators.speech import MAX_SPEED, MIN_SPEED
from mockapi.model_base import Schema

StreamFormat = Literal["audio", "sse"]
# Strings longer than this are left out of a refusal's message (the real service leaves out long inputs).
_QUOTED_INPUT_CHARS = 200


class CustomVoice(Schema):
    """A custom voice, by its id (`{"id": "voice_..."}`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str


def refusal(problems: Sequence[Mapping[str, Any]]) -> errors.OpenAIError:
    """The 400 for validation failures (pydantic's, or made alike): all of them in the message, the first's
    field as `param` (the real service leaves it null)."""
    listed = []
    for problem in problems:
        shown: dict[str, Any] = {"type": problem["type"], "loc": ("body", *problem["loc"]), "msg": problem["msg"]}
        value = problem.get("input")
        if problem["type"] not in ("missing", "string_too_long") and _quotable(value):
            shown["input"] = value
        if problem.get("ctx"):
            shown["ctx"] = {
                key: str(item) if isinstance(item, Exception) else item for key, item in problem["ctx"].items()
            }
        listed.append(shown)
    # The request's fields are flat: the first failure's field (its location may go on into a union's members).
    loc = problems[0]["loc"] if problems else ()
    return errors.invalid_param(str(listed), str(loc[0]) if loc else None)


def _quotable(value: Any) -> bool:
    """Short strings and numbers are quoted in a refusal; long strings and containers are left out."""
    if isinstance(value, str):
        return len(value) <= _QUOTED_INPUT_CHARS
    return value is None or isinstance(value, int | float | bool)


def _choices(values: Sequence[str]) -> str:
    quoted = [repr(value) for value in values]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def not_one_of(field: str, value: Any, allowed: Sequence[str]) -> dict[str, Any]:
    """A failure of a value outside a set, as the service reports its enums."""
    expected = _choices(allowed)
    return {
        "type": "enum",
        "loc": (field,),
        "msg": f"Input should be {expected}",
        "input": value,
        "ctx": {"expected": expected},
    }


class CreateSpeechRequest(Schema):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str
    input: str
    voice: str | CustomVoice
    instructions: str | None = None
    response_format: SpeechFormat = "mp3"
    speed: float = Field(1.0, ge=MIN_SPEED, le=MAX_SPEED)
    stream_format: StreamFormat = "audio"

    @model_validator(mode="wrap")
    @classmethod
    def _worded_as_the_service(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> CreateSpeechRequest:
        try:
            request: CreateSpeechRequest = handler(data)
        except ValidationError as exc:
            raise refusal([_as_enum(problem) for problem in exc.errors(include_url=False)]) from exc
        return request

    def check_for(self, model: str, speech: Speech) -> None:
        """What this model accepts, from its catalogue entry."""
        problems = []
        if len(self.input) > speech.input_max_chars:
            limit = speech.input_max_chars
            msg = f"String should have at most {limit} characters"
            problems.append({"type": "string_too_long", "loc": ("input",), "msg": msg, "ctx": {"max_length": limit}})
        if isinstance(self.voice, CustomVoice):
            if not speech.custom_voices:
                problems.append(not_one_of("voice", self.voice.model_dump(), speech.voices))
        elif self.voice not in speech.voices:
            problems.append(not_one_of("voice", self.voice, speech.voices))
        if self.response_format not in speech.response_formats:
            problems.append(not_one_of("response_format", self.response_format, speech.response_formats))
        if problems:
            raise refusal(problems)
        if self.instructions is not None and not speech.instructions:
            raise errors.invalid_param(
                f"Instructions are not supported with the model '{model}': use gpt-4o-mini-tts to give them.",
                "instructions",
            )
        if self.stream_format not in speech.stream_formats:
            listed = " or ".join(repr(value) for value in speech.stream_formats)
            raise errors.invalid_param(
                f"stream_format '{self.stream_format}' is not supported with the model '{model}'. Use {listed}.",
                "stream_format",
                "unsupported_value",
            )

    @property
    def voice_name(self) -> str:
        return self.voice.id if isinstance(self.voice, CustomVoice) else self.voice


def _as_enum(problem: Mapping[str, Any]) -> Mapping[str, Any]:
    """The service's choices are enums, not literals: the same message under the enum's type."""
    return {**problem, "type": "enum"} if problem["type"] == "literal_error" else problem


# Answers (documentation of what the route sends): with `stream_format: sse`, base64 audio deltas then done.


class SpeechUsage(Schema):
    input_tokens: int
    output_tokens: int
    total_tokens: int


class SpeechAudioDeltaEvent(Schema):
    type: Literal["speech.audio.delta"]
    audio: str


class SpeechAudioDoneEvent(Schema):
    type: Literal["speech.audio.done"]
    usage: SpeechUsage
