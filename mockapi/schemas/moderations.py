"""Moderation requests and answers, named after the spec's schemas.

`input` is a string, a list of strings, or (omni-moderation) a list of `text` and `image_url` parts; shapes
that are none of those are refused as jsonschema words it.
"""

from __future__ import annotations

import reprlib
from collections.abc import Mapping
from typing import Any

from pydantic import ConfigDict, Field, field_validator

from mockapi import errors
from mockapi.generators.moderations import DEFAULT_MODEL
from mockapi.model_base import Schema

# Our bounds: the real API documents none for text; it takes one image (the real 400 beyond it).
MAX_INPUTS = 2048
MAX_IMAGES = 1
PART_TYPES = ("text", "image_url")


def _not_valid(value: Any, param: str) -> ValueError:
    return ValueError(f"{reprlib.repr(value)} is not valid under any of the given schemas - '{param}'")


def _check_part(index: int, part: Mapping[str, Any]) -> None:
    where = f"input.{index}"
    kind = part.get("type")
    if kind not in PART_TYPES:
        raise errors.invalid_param(f"{kind!r} is not one of {list(PART_TYPES)} - '{where}.type'", f"{where}.type")
    field = "text" if kind == "text" else "image_url"
    if field not in part:
        raise errors.invalid_param(f"'{field}' is a required property - '{where}'", f"{where}.{field}")
    extra = sorted(set(part) - {"type", field})
    if extra:
        listed = ", ".join(repr(name) for name in extra)
        verb = "was" if len(extra) == 1 else "were"
        raise errors.invalid_param(f"Additional properties are not allowed ({listed} {verb} unexpected)", where)
    value = part[field]
    if kind == "text" and not isinstance(value, str):
        raise errors.invalid_param(f"{reprlib.repr(value)} is not of type 'string' - '{where}.text'", f"{where}.text")
    if kind == "image_url" and not (isinstance(value, Mapping) and isinstance(value.get("url"), str)):
        param = f"{where}.image_url.url"
        raise errors.invalid_param(f"'url' is a required property of a string - '{where}.image_url'", param)


class CreateModerationRequest(Schema):
    model_config = ConfigDict(extra="forbid", frozen=True)

    input: str | list[Any]
    model: str = DEFAULT_MODEL

    @field_validator("input", mode="before")
    @classmethod
    def _one_of_the_shapes(cls, value: Any) -> Any:
        if isinstance(value, str):
            return value
        if not isinstance(value, list):
            raise _not_valid(value, "input")
        if not value:
            raise ValueError("[] should be non-empty - 'input'")
        if len(value) > MAX_INPUTS:
            raise ValueError(f"[...] is too long ({len(value)} items; at most {MAX_INPUTS}) - 'input'")
        if all(isinstance(item, str) for item in value):
            return value
        if not all(isinstance(item, Mapping) for item in value):
            raise _not_valid(value, "input")
        for index, part in enumerate(value):
            _check_part(index, part)
        images = sum(1 for part in value if part["type"] == "image_url")
        if images > MAX_IMAGES:
            raise errors.invalid_param(
                f"Number of images ({images}) exceeds maximum of {MAX_IMAGES}", "input", "too_many_images"
            )
        return value

    @property
    def has_images(self) -> bool:
        items = self.input if isinstance(self.input, list) else []
        return any(isinstance(item, Mapping) and item["type"] == "image_url" for item in items)

    def text(self) -> str:
        """What rules match as the request's text: the strings, or the text parts, one a line."""
        if isinstance(self.input, str):
            return self.input
        return "\n".join(item if isinstance(item, str) else str(item.get("text", "")) for item in self.input)


# Answers (documentation of what the route sends).


class ModerationResult(Schema):
    flagged: bool
    categories: dict[str, bool]
    category_scores: dict[str, float]
    # omni-moderation only: which of the request's input types each category's score covers.
    category_applied_input_types: dict[str, list[str]] | None = None


class CreateModerationResponse(Schema):
    id: str
    model: str
    results: list[ModerationResult] = Field(min_length=1)
