"""The Responses API's requests and answers, named after the spec's schemas (CreateResponse, Response, ...).

A request is checked field by field by responses_check.py, in the API's own wording, before pydantic reads
it; the models then hold the fields typed (nested values stay JSON: the conversation model reads them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from mockapi import errors
from mockapi.model_base import Schema
from mockapi.schemas.responses_check import check_count, check_create

JSON = dict[str, Any]


def _checked(data: Any, check: Any) -> Any:
    if isinstance(data, Mapping):
        try:
            check(data)
        except errors.OpenAIError as failure:
            raise errors.refused_input(failure) from None
    return data


class ResponseInputFields(Schema):
    """What a request's input is made of (shared by create and input_tokens)."""

    model_config = ConfigDict(extra="forbid")

    input: str | list[JSON] | None = None
    instructions: str | None = None
    previous_response_id: str | None = None
    conversation: str | JSON | None = None
    tools: list[JSON] | None = None
    tool_choice: str | JSON | None = None
    parallel_tool_calls: bool | None = None
    text: JSON | None = None
    reasoning: JSON | None = None
    truncation: Literal["auto", "disabled"] | None = None

    def conversation_id(self) -> str | None:
        if isinstance(self.conversation, dict):
            return str(self.conversation.get("id"))
        return self.conversation

    def input_items(self) -> list[JSON]:
        """The input as items: a string is one user message."""
        if isinstance(self.input, str):
            return [{"type": "message", "role": "user", "content": self.input}]
        return list(self.input or ())


class CreateResponse(ResponseInputFields):
    model: str
    max_output_tokens: int | None = None
    max_tool_calls: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_logprobs: int | None = None
    store: bool | None = None
    metadata: dict[str, str] | None = None
    include: list[str] | None = None
    stream: bool | None = None
    stream_options: JSON | None = None
    background: bool | None = None
    service_tier: str | None = None
    user: str | None = None
    safety_identifier: str | None = None
    prompt_cache_key: str | None = None
    prompt_cache_retention: str | None = None
    prompt_cache_options: JSON | None = None
    prompt: JSON | None = None
    moderation: Any = None
    context_management: list[JSON] | None = None

    @model_validator(mode="before")
    @classmethod
    def _check(cls, data: Any) -> Any:
        return _checked(data, check_create)

    @property
    def stored(self) -> bool:
        return self.store is not False


class TokenCountsBody(ResponseInputFields):
    model: str | None = None
    personality: Any = None

    @model_validator(mode="before")
    @classmethod
    def _check(cls, data: Any) -> Any:
        return _checked(data, check_count)


class RetrieveResponseParams(Schema):
    """The query of `GET /v1/responses/{id}` (`include[]` repeated, read from the raw query)."""

    model_config = ConfigDict(extra="allow")

    stream: Literal["true", "false"] | None = None
    starting_after: int | None = Field(None, ge=-1)
    include_obfuscation: Literal["true", "false"] | None = None


class ListInputItemsParams(Schema):
    model_config = ConfigDict(extra="allow")

    limit: int = Field(20, ge=1, le=100)
    order: Literal["asc", "desc"] = "desc"
    after: str | None = None


# Answers (documentation of what the routes send; the contract tests hold them to the spec).


class ResponseUsage(Schema):
    input_tokens: int
    input_tokens_details: JSON
    output_tokens: int
    output_tokens_details: JSON
    total_tokens: int


class Response(Schema):
    model_config = ConfigDict(extra="allow")

    id: str
    object: Literal["response"] = "response"
    created_at: int
    status: Literal["completed", "failed", "in_progress", "cancelled", "queued", "incomplete"]
    model: str
    output: list[JSON]
    usage: ResponseUsage | None = None


class ResponseStreamEvent(Schema):
    """One event of a streamed response: `event: <type>` and its data, sequence numbers rising from 0."""

    model_config = ConfigDict(extra="allow")

    type: str
    sequence_number: int


class ResponseItemList(Schema):
    object: Literal["list"] = "list"
    data: list[JSON]
    has_more: bool
    first_id: str | None
    last_id: str | None


class DeletedResponse(Schema):
    id: str
    object: Literal["response.deleted"] = "response.deleted"
    deleted: bool


class TokenCountsResource(Schema):
    object: Literal["response.input_tokens"] = "response.input_tokens"
    input_tokens: int
