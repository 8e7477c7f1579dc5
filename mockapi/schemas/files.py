"""Request and response models of /v1/files, named after the spec's schemas."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, field_validator

from mockapi.errors import current as errors_current
from mockapi.model_base import Schema
from mockapi.schemas.common import UploadedFile

# The purposes of the 2023 reference, then today's.
FilePurpose = Literal[
    "fine-tune", "search", "answers", "classifications", "assistants", "batch", "vision", "user_data", "evals"
]
TODAYS_PURPOSES = frozenset({"assistants", "batch", "vision", "user_data", "evals"})
# The bounds of `expires_after.seconds`: an hour to 30 days (batch files expire after 30 days by default).
EXPIRY_SECONDS_MIN = 3600
EXPIRY_SECONDS_MAX = 2_592_000

LIST_LIMIT_MAX = 10_000
_INTEGER = re.compile(r"\s*[+-]?[0-9]+\s*")


class ExpiresAfter(Schema):
    """When a file expires: `seconds` after its creation."""

    anchor: Literal["created_at"]
    seconds: int = Field(ge=EXPIRY_SECONDS_MIN, le=EXPIRY_SECONDS_MAX)


def check_expires_after(value: Any, param: str) -> dict[str, Any] | None:
    """`expires_after` as an object of today's API (form fields arrive as text), or its refusal."""
    if value is None:
        return None
    found = errors_current.expect_object(value, param, ("anchor", "seconds"), ("anchor", "seconds"))
    if found["anchor"] != "created_at":
        raise errors_current.invalid_value(found["anchor"], ["created_at"], f"{param}.anchor")
    bounds = (EXPIRY_SECONDS_MIN, EXPIRY_SECONDS_MAX)
    seconds = errors_current.expect_integer(found["seconds"], f"{param}.seconds", *bounds)
    return {"anchor": "created_at", "seconds": seconds}


class CreateFileRequest(Schema):
    """The multipart form: `file` is the uploaded part (the router checks it is a file)."""

    model_config = ConfigDict(extra="forbid")

    file: Annotated[Any, UploadedFile]
    purpose: FilePurpose
    expires_after: ExpiresAfter | None = None

    @field_validator("expires_after", mode="before")
    @classmethod
    def _todays_wording(cls, value: Any) -> Any:
        """A parameter of today's API, refused in today's words."""
        return check_expires_after(value, "expires_after")


class ListFilesParams(Schema):
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


class OpenAIFile(Schema):
    id: str
    object: Literal["file"] = "file"
    bytes: int
    created_at: int
    filename: str
    purpose: str
    # "uploaded" for the 2023 purposes, as then; "processed" for today's.
    status: str = "uploaded"
    status_details: dict[str, Any] | None = None
    # Only in the object of a file that expires.
    expires_at: int | None = None


class ListFilesResponse(Schema):
    object: Literal["list"] = "list"
    data: list[OpenAIFile]
    first_id: str | None = None
    last_id: str | None = None
    has_more: bool


class DeleteFileResponse(Schema):
    id: str
    object: Literal["file"] = "file"
    deleted: bool
