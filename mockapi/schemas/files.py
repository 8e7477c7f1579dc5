"""Request and response models of /v1/files, named after the spec's schemas."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# The purposes of the 2023 reference and spec; the later ones (assistants, batch, ...) are refused as then.
FilePurpose = Literal["fine-tune", "search", "answers", "classifications"]

LIST_LIMIT_MAX = 10_000


class CreateFileRequest(BaseModel):
    """The multipart form: `file` is the uploaded part (the router checks it is a file)."""

    model_config = ConfigDict(extra="forbid")

    file: Any
    purpose: FilePurpose


class ListFilesParams(BaseModel):
    """Query parameters of later API versions, which the current SDK sends when paging."""

    model_config = ConfigDict(extra="ignore")

    purpose: str | None = None
    limit: int = Field(LIST_LIMIT_MAX, ge=1, le=LIST_LIMIT_MAX)
    after: str | None = None
    order: Literal["asc", "desc"] = "desc"


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
