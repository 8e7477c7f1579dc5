"""CreateEmbeddingRequest, and the checks of its `input` that need the tokenizer.

The spec's input is a string, an array of strings, an array of token ids or an array of token-id arrays.
`encoding_format` and `dimensions` are not in the 2023 spec but the current SDKs send them, so they are
accepted as the real API accepts them.
"""

from __future__ import annotations

import reprlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import (
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)

from mockapi import errors, tokens
from mockapi.model_base import Schema

MAX_INPUTS = 2048
DEFAULT_CONTEXT_WINDOW = 8191
SHORT_TEXT = 256  # characters

# The real API's words for an input it cannot use (empty, or too many items).
INVALID_INPUT = "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference."


# Quotes the offending value the way the real API does, without printing a 2048-item batch in full.
_REPR = reprlib.Repr()
_REPR.maxlist = _REPR.maxdict = 8
_REPR.maxstring = _REPR.maxother = 80


def _valid_input(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    try:
        parsed = handler(value)
    except ValidationError:
        raise ValueError(f"{_REPR.repr(value)} is not valid under any of the given schemas - 'input'") from None
    if not parsed:
        raise ValueError(INVALID_INPUT)
    items = _inputs_of(parsed)
    if len(items) > MAX_INPUTS or any(len(item) == 0 for item in items):
        raise ValueError(INVALID_INPUT)
    return parsed


def _inputs_of(given: str | list[str] | list[int] | list[list[int]]) -> Sequence[str | Sequence[int]]:
    """The inputs of a (non-empty) `input`: one string or one flat token-id array is a batch of one,
    so the 2048 limit counts inputs, never the ids of one array."""
    if isinstance(given, str) or isinstance(given[0], int):
        return [given]
    return given


EmbeddingInput = Annotated[
    StrictStr | list[StrictStr] | list[StrictInt] | list[list[StrictInt]],
    WrapValidator(_valid_input),
]


class CreateEmbeddingRequest(Schema):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model: StrictStr
    input: EmbeddingInput
    user: StrictStr | None = None
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: StrictInt | None = Field(None, ge=1)


@lru_cache(maxsize=1)
def _vocabulary_gaps() -> frozenset[int]:
    """Ids below the largest token id that are no token (cl100k_base has a few near its special tokens)."""
    return frozenset(i for i in range(_max_token() + 1) if not tokens.token_exists(i))


def _max_token() -> int:
    return int(tokens.encoding().max_token_value)


def _count(text: str) -> int:
    # Short texts go through tokens' cache (repeated texts are common); long ones bypass it, which would
    # otherwise keep up to 2048 inputs of 8191 tokens from each request.
    if len(text) <= SHORT_TEXT:
        return tokens.count(text)
    return len(tokens.encoding().encode_ordinary(text))


def _check_token_ids(ids: Sequence[int]) -> None:
    top = _max_token()
    if min(ids) < 0 or max(ids) > top or not _vocabulary_gaps().isdisjoint(ids):
        bad = next(t for t in ids if not tokens.token_exists(t))
        raise errors.invalid_param(
            f"Invalid token id {bad} in 'input': token ids must be ids of the cl100k_base vocabulary (0 to {top}).",
            "input",
        )


def context_length_exceeded(limit: int, requested: int) -> errors.OpenAIError:
    return errors.invalid_param(
        f"This model's maximum context length is {limit} tokens, however you requested {requested} tokens "
        f"({requested} in your prompt; 0 for the completion). Please reduce your prompt; or completion length.",
        "input",
    )


@dataclass(frozen=True)
class MeasuredInput:
    """One input as the generator needs it: its text (token ids decoded) and its true token count."""

    text: str
    tokens: int


def measure_inputs(request: CreateEmbeddingRequest, context_window: int | None) -> list[MeasuredInput]:
    """Each input's text and true token count; 400 for a token id outside the vocabulary or an input
    longer than the model's context window."""
    items = _inputs_of(request.input)
    limit = context_window or DEFAULT_CONTEXT_WINDOW
    measured = []
    for item in items:
        if isinstance(item, str):
            count = _count(item)
            text = item
        else:
            _check_token_ids(item)
            count = len(item)
            text = tokens.decode(item)
        if count > limit:
            raise context_length_exceeded(limit, count)
        measured.append(MeasuredInput(text, count))
    return measured


# Answers (documentation of what the route sends).


class Embedding(Schema):
    object: Literal["embedding"] = "embedding"
    index: int
    # A list of floats, or with `encoding_format: base64` their little-endian float32 bytes in base64.
    embedding: list[float] | str


class EmbeddingUsage(Schema):
    prompt_tokens: int
    total_tokens: int


class CreateEmbeddingResponse(Schema):
    object: Literal["list"] = "list"
    data: list[Embedding]
    model: str
    usage: EmbeddingUsage
