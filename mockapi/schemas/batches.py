"""Request and response models of /v1/batches, named after the current spec's schemas.

The request is checked in today's words (errors_current) before its fields are read: batches are an API of
today, whose refusals read "Missing required parameter: 'endpoint'." rather than 2023's jsonschema sentences.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from mockapi.errors import current as errors_current
from mockapi.model_base import Schema
from mockapi.schemas.files import ExpiresAfter, check_expires_after

REQUEST_KEYS = ("input_file_id", "endpoint", "completion_window", "metadata", "output_expires_after")
REQUIRED_KEYS = ("input_file_id", "endpoint", "completion_window")
COMPLETION_WINDOWS = ("24h",)
LIST_LIMIT_MAX = 100
BatchStatus = Literal[
    "validating", "failed", "in_progress", "finalizing", "completed", "expired", "cancelling", "cancelled"
]


class CreateBatchRequest(Schema):
    """The endpoint is checked against the routes served when the batch is made (routers/batches.py)."""

    model_config = ConfigDict(extra="forbid")

    input_file_id: str
    endpoint: str
    completion_window: Literal["24h"]
    metadata: dict[str, str] | None = None
    output_expires_after: ExpiresAfter | None = None

    @model_validator(mode="before")
    @classmethod
    def _todays_wording(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        for key in value:
            if key not in REQUEST_KEYS:
                raise errors_current.unknown_parameter(str(key))
        for key in REQUIRED_KEYS:
            if key not in value:
                raise errors_current.missing_parameter(key)
        for key in ("input_file_id", "endpoint", "completion_window"):
            if not isinstance(value[key], str):
                raise errors_current.invalid_type(key, "a string", value[key])
        if value["completion_window"] not in COMPLETION_WINDOWS:
            raise errors_current.invalid_value(value["completion_window"], COMPLETION_WINDOWS, "completion_window")
        checked = dict(value)
        checked["metadata"] = errors_current.expect_metadata(value.get("metadata"))
        checked["output_expires_after"] = check_expires_after(value.get("output_expires_after"), "output_expires_after")
        return checked


class ListBatchesParams(Schema):
    model_config = ConfigDict(extra="ignore")

    after: str | None = None
    limit: int = Field(20, ge=1, le=LIST_LIMIT_MAX)

    @model_validator(mode="before")
    @classmethod
    def _query_text(cls, value: Any) -> Any:
        """Query values are text: `limit` is an integer in today's words, `after=` is no cursor."""
        if not isinstance(value, dict):
            return value
        checked = dict(value)
        if "limit" in checked:
            checked["limit"] = errors_current.expect_integer(checked["limit"], "limit", 1, LIST_LIMIT_MAX)
        if checked.get("after") == "":
            checked["after"] = None
        return checked


class BatchError(Schema):
    code: str
    message: str
    param: str | None = None
    line: int | None = None


class BatchErrors(Schema):
    object: Literal["list"] = "list"
    data: list[BatchError]


class BatchRequestCounts(Schema):
    total: int = 0
    completed: int = 0
    failed: int = 0


class InputTokensDetails(Schema):
    cached_tokens: int = 0


class OutputTokensDetails(Schema):
    reasoning_tokens: int = 0


class BatchUsage(Schema):
    input_tokens: int = 0
    input_tokens_details: InputTokensDetails = Field(default_factory=InputTokensDetails)
    output_tokens: int = 0
    output_tokens_details: OutputTokensDetails = Field(default_factory=OutputTokensDetails)
    total_tokens: int = 0


class Batch(Schema):
    """Every field the API sends, unset ones as null (as the API sends them)."""

    id: str
    object: Literal["batch"] = "batch"
    endpoint: str
    model: str | None = None
    errors: BatchErrors | None = None
    input_file_id: str
    completion_window: str
    status: BatchStatus
    output_file_id: str | None = None
    error_file_id: str | None = None
    created_at: int
    in_progress_at: int | None = None
    expires_at: int | None = None
    finalizing_at: int | None = None
    completed_at: int | None = None
    failed_at: int | None = None
    expired_at: int | None = None
    cancelling_at: int | None = None
    cancelled_at: int | None = None
    request_counts: BatchRequestCounts = Field(default_factory=BatchRequestCounts)
    usage: BatchUsage = Field(default_factory=BatchUsage)
    metadata: dict[str, str] | None = None


class ListBatchesResponse(Schema):
    object: Literal["list"] = "list"
    data: list[Batch]
    first_id: str | None = None
    last_id: str | None = None
    has_more: bool
