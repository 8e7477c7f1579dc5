"""Parameters the text endpoints share: stop sequences and logit_bias, validated as the real API does."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from mockapi import tokens
from mockapi.tokens import Tokenizer

# Every id the cl100k vocabulary can hold, special tokens included (o200k_base's is tokenizer.max_token).
MAX_TOKEN_ID = 100276


def check_logit_bias(bias: dict[str, float] | None, tokenizer: Tokenizer | None) -> dict[str, float] | None:
    """The real API's checks of `logit_bias`, key by key: an id, of the model's tokenizer (unless None: the
    model is not known yet), with a value between -100 and 100."""
    if bias is None:
        return None
    for key, value in bias.items():
        if not key.isascii() or not key.isdigit():
            raise ValueError(
                f"Invalid key in 'logit_bias': {key}. You should only be submitting non-negative integers."
            )
        if tokenizer is not None and not tokenizer.token_exists(int(key)):
            raise ValueError(f"Invalid key in 'logit_bias': {key}. Maximum value is {tokenizer.max_token}.")
        if not -100 <= value <= 100:
            raise ValueError(f"Invalid value for 'logit_bias': {value}. Values must be between -100 and 100.")
    return bias


def check_bias_entries(bias: dict[str, float] | None) -> dict[str, float] | None:
    """What can be checked of `logit_bias` before the model is known: its keys are ids, its values in range."""
    return check_logit_bias(bias, None)


def _check_logit_bias(bias: dict[str, float] | None) -> dict[str, float] | None:
    # At parse time the model is not resolved yet: the 2023 models' cl100k_base.
    return check_logit_bias(bias, tokens.tokenizer_for("cl100k_base"))


Stop = str | Annotated[list[str], Field(min_length=1, max_length=4)] | None
LogitBias = Annotated[dict[str, float] | None, AfterValidator(_check_logit_bias)]
Temperature = Annotated[float | None, Field(ge=0, le=2)]
TopP = Annotated[float | None, Field(ge=0, le=1)]
Penalty = Annotated[float | None, Field(ge=-2, le=2)]


def stop_sequences(stop: Stop) -> tuple[str, ...]:
    """The stop sequences as a tuple; empty strings never stop anything."""
    if stop is None:
        return ()
    items = [stop] if isinstance(stop, str) else stop
    return tuple(item for item in items if item)


def banned_tokens(bias: dict[str, float] | None) -> frozenset[int]:
    """Token ids biased by -100: the model never produces them."""
    return frozenset(int(k) for k, v in (bias or {}).items() if v <= -100)


def forced_tokens(bias: dict[str, float] | None) -> tuple[int, ...]:
    """Token ids biased by +100: the model produces only them."""
    return tuple(sorted(int(k) for k, v in (bias or {}).items() if v >= 100))
