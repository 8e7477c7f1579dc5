"""Models every resource's answers share: token usage and the error body, named after the spec's schemas."""

from __future__ import annotations

from pydantic import BaseModel, WithJsonSchema


class CompletionUsage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class Error(BaseModel):
    message: str
    type: str
    param: str | None
    code: str | None


class ErrorResponse(BaseModel):
    """Every failure: the real status code and this body."""

    error: Error


# How a multipart file part is documented (the models hold what the server reads of it, never the bytes).
UploadedFile = WithJsonSchema({"type": "string", "format": "binary"})
