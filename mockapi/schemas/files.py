"""Request and response models of /v1/files, named after the spec's schemas."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mockapi.schemas.common import UploadedFile

# The purposes of the 2023 reference and spec; the later ones (assistants, batch, ...) are refused as then.
FilePurpose = Literal["fine-tune", "search", "answers", "classifications"]

LIST_LIMIT_MAX = 10_000
_INTEGER = re.compile(r"\s*[+-]?[0-9]+\s*")


class CreateFileRequest(BaseModel):
    """The multipart form: `file` is the uploaded part (the router checks it is a file)."""

    model_config = ConfigDict(extra="forbid")

    file: Annotated[Any, UploadedFile]
    purpose: FilePurpose


class ListFilesParams(BaseModel):
    """Query parameters of later API versions, which the current SDK sends when paging."""

    model_config = ConfigDict(extra="ignore")

    purpose: str | None = None
    limit: int = Field(LIST_LIMIT_MAX, ge=1, le=LIST_LIMIT_MAX)
    after: str | None = None
    order: Literal["asc", "desc"] = "desc"

    @field_validator("limit", mode="before")
    @classmethod
    def _integer_text(cls, value: Any) -> Any:
        """Query values are text: an integer with whitespace around it is trimmed, as for every integer
        query parameter (pydantic's lax parsing), and made an int first so that a range error quotes 0, not '0'."""
        return int(value) if isinstance(value, str) and _INTEGER.fullmatch(value) else value

    @field_validator("after", mode="before")
    @classmethod
    def _empty_is_absent(cls, value: Any) -> Any:
        """`after=` (as a form or a URL template sends for no cursor) asks for the first page."""
        return None if value == "" else value


class OpenAIFile(BaseModel):
    id: str
    object: Literal["file"] = "file"
    bytes: int
    created_at: int
    filename: str
    purpose: str
    status: str = "uploaded"
    status_details: dict[str, Any] | None = None


class ListFilesResponse(BaseModel):
    object: Literal["list"] = "list"
    data: list[OpenAIFile]
    has_more: bool


class DeleteFileResponse(BaseModel):
    id: str
    object: Literal["file"] = "file"
    deleted: bool
