"""Models every resource's answers share: token usage and the error body, named after the spec's schemas."""

from __future__ import annotations

from pydantic import WithJsonSchema

from mockapi.model_base import Schema


class PromptTokensDetails(Schema):
    cached_tokens: int = 0
    audio_tokens: int = 0


class CompletionTokensDetails(Schema):
    reasoning_tokens: int = 0
    audio_tokens: int = 0
    accepted_prediction_tokens: int = 0
    rejected_prediction_tokens: int = 0


class CompletionUsage(Schema):
    """The 2023 models answer the three counts; today's models their details too."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    prompt_tokens_details: PromptTokensDetails | None = None
    completion_tokens_details: CompletionTokensDetails | None = None


class Error(Schema):
    message: str
    type: str
    param: str | None
    code: str | None


class ErrorResponse(Schema):
    """Every failure: the real status code and this body."""

    error: Error


# How a multipart file part is documented (the models hold what the server reads of it, never the bytes).
UploadedFile = WithJsonSchema({"type": "string", "format": "binary"})
