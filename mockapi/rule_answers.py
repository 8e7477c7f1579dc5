"""The answer forms of a rule that are models of their own: the tool calls it makes, a moderation verdict it pins."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from pydantic import ConfigDict, Field, field_validator

from mockapi.generators.moderations import OMNI_CATEGORIES
from mockapi.model_base import Schema

__all__ = ["ModerationPin", "RuleToolCall"]


class RuleToolCall(Schema):
    """A call a rule makes the model answer with: the function's name and its arguments (an object, or the
    JSON text of one, sent as given)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=64, pattern=r"^[a-zA-Z0-9_-]+$")
    arguments: dict[str, Any] | str = Field(default_factory=dict)

    @field_validator("arguments")
    @classmethod
    def _a_json_object(cls, value: dict[str, Any] | str) -> dict[str, Any] | str:
        if isinstance(value, str):
            try:
                parsed = orjson.loads(value)
            except orjson.JSONDecodeError as exc:
                raise ValueError(f"arguments given as text must be JSON: {exc}") from None
            if not isinstance(parsed, dict):
                raise ValueError("arguments must be a JSON object (or the text of one)")
        return value

    @property
    def arguments_text(self) -> str:
        """The arguments as the API sends them: JSON text (compact for an object)."""
        return self.arguments if isinstance(self.arguments, str) else orjson.dumps(self.arguments).decode()


Score = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


class ModerationPin(Schema):
    """A moderation result pinned by a rule: any of `flagged`, `categories` and `category_scores` (keys among
    omni-moderation's thirteen; a model answers those of its own family). The rest is generated: a category
    not pinned follows its score, `flagged` follows the categories."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    flagged: bool | None = None
    categories: dict[str, bool] = Field(default_factory=dict)
    category_scores: dict[str, Score] = Field(default_factory=dict)

    @field_validator("categories", "category_scores")
    @classmethod
    def _known_categories(cls, value: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(value) - set(OMNI_CATEGORIES))
        if unknown:
            raise ValueError(f"unknown moderation categories {unknown}; the categories are {list(OMNI_CATEGORIES)}")
        return value
