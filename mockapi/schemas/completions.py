"""CreateCompletionRequest, as the 2023 reference defines it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, field_validator

from mockapi import errors, tokens
from mockapi.model_base import Schema
from mockapi.schemas.common import CompletionUsage
from mockapi.schemas.sampling import LogitBias, Penalty, Stop, Temperature, TopP

# The document separator: what the model sees when no prompt is given.
ENDOFTEXT = "<|endoftext|>"
ENDOFTEXT_ID = tokens.ENDOFTEXT_ID

TokenIds = Annotated[list[int], Field(min_length=1)]


class CompletionStreamOptions(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    include_usage: bool | None = None
    include_obfuscation: bool | None = None


Prompt = str | list[str] | TokenIds | Annotated[list[TokenIds], Field(min_length=1)] | None


class CreateCompletionRequest(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    model: str
    prompt: Prompt = ENDOFTEXT
    suffix: str | None = None
    max_tokens: Annotated[int | None, Field(ge=0)] = 16
    temperature: Temperature = 1
    top_p: TopP = 1
    n: Annotated[int | None, Field(ge=1, le=128)] = 1
    stream: bool | None = False
    logprobs: Annotated[int | None, Field(ge=0, le=5)] = None
    echo: bool | None = False
    stop: Stop = None
    presence_penalty: Penalty = 0
    frequency_penalty: Penalty = 0
    best_of: Annotated[int | None, Field(ge=0, le=20)] = 1
    logit_bias: LogitBias = None
    user: str | None = None
    # Since the 2023 reference (last, so that a 2023 request is seeded as it always was).
    seed: Annotated[int | None, Field(ge=-(2**63), lt=2**63)] = None
    stream_options: CompletionStreamOptions | None = None

    @field_validator("prompt")
    @classmethod
    def _not_empty(cls, prompt: Prompt) -> Prompt:
        if isinstance(prompt, list) and not prompt:
            raise ValueError("[] is too short - 'prompt'")
        return prompt

    @property
    def choices_per_prompt(self) -> int:
        return self.n or 1

    @property
    def candidates_per_prompt(self) -> int:
        """best_of candidates are generated; at least n."""
        return max(self.best_of or 1, self.choices_per_prompt)

    def check(self) -> None:
        """Rules across fields, each naming the field the real API names."""
        # Without an explicit best_of, every one of the n choices is a candidate.
        best_of = self.best_of if self.best_of is not None else 1
        if "best_of" in self.model_fields_set and self.best_of is not None and best_of < self.choices_per_prompt:
            raise errors.invalid_param("best_of must be greater than or equal to n.", "best_of")
        if self.stream and best_of > 1:
            raise errors.invalid_param("Cannot stream results with best_of > 1.", "best_of")
        if self.stream_options is not None and not self.stream:
            raise errors.invalid_param(
                "The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options"
            )

    @property
    def include_usage(self) -> bool:
        return bool(self.stream and self.stream_options and self.stream_options.include_usage)


class PromptText(Schema):
    """One prompt as text and as the token ids the model reads."""

    model_config = ConfigDict(frozen=True)

    text: str
    ids: tuple[int, ...]


def prompts_of(request: CreateCompletionRequest) -> list[PromptText]:
    """Every prompt of the request; token-id prompts are decoded so rules and echo see their text."""
    prompt = request.prompt
    if prompt is None or prompt == ENDOFTEXT:
        return [PromptText(text=ENDOFTEXT, ids=(ENDOFTEXT_ID,))]
    if isinstance(prompt, str):
        return [PromptText(text=prompt, ids=tokens.encode(prompt))]
    if all(isinstance(item, str) for item in prompt):
        return [PromptText(text=str(item), ids=tokens.encode(str(item))) for item in prompt]
    if all(isinstance(item, int) for item in prompt):
        return [_decoded(prompt)]  # type: ignore[arg-type]
    return [_decoded(item) for item in prompt]  # type: ignore[arg-type]


def _decoded(ids: list[int]) -> PromptText:
    for token in ids:
        if not tokens.token_exists(token):
            raise errors.invalid_param(f"Invalid token in prompt: {token}.", "prompt")
    return PromptText(text=tokens.decode(ids), ids=tuple(ids))


# Answers (documentation of what the route sends).


class Logprobs(Schema):
    tokens: list[str]
    token_logprobs: list[float | None]
    top_logprobs: list[dict[str, float] | None]
    text_offset: list[int]


class CompletionChoice(Schema):
    text: str
    index: int
    logprobs: Logprobs | None
    finish_reason: str | None


class CreateCompletionResponse(Schema):
    """The whole answer, or (`stream: true`) each event of the stream, which ends with `data: [DONE]`."""

    id: str
    object: Literal["text_completion"] = "text_completion"
    created: int
    model: str
    choices: list[CompletionChoice]
    usage: CompletionUsage | None = None
