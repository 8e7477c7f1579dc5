"""CreateEditRequest, as the 2023 reference defines it, and its answer."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from mockapi.model_base import Schema
from mockapi.schemas.common import CompletionUsage
from mockapi.schemas.sampling import Temperature, TopP


class CreateEditRequest(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    model: str
    input: str | None = ""
    instruction: str
    n: Annotated[int | None, Field(ge=1, le=20)] = 1
    temperature: Temperature = 1
    top_p: TopP = 1


class EditChoice(Schema):
    text: str
    index: int
    finish_reason: str


class CreateEditResponse(Schema):
    object: Literal["edit"] = "edit"
    created: int
    choices: list[EditChoice]
    usage: CompletionUsage
