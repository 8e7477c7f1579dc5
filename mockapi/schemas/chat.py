"""CreateChatCompletionRequest of today's reference, and the answers' models (documentation of what the route
sends). Messages are in chat_messages.py, tools and options in chat_tools.py.

What each model accepts of this (tools, vision, reasoning, ...) is its catalogue entry's to say, checked by
chat_checks.py: the 2023 snapshots answer a parameter they never had as the 2023 API did.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, ConfigDict, Field

from mockapi.model_base import Schema
from mockapi.schemas.chat_messages import Message
from mockapi.schemas.chat_tools import (
    AudioOutput,
    LegacyFunction,
    Metadata,
    Prediction,
    ReasoningEffort,
    ResponseFormat,
    ServiceTier,
    StreamOptions,
    Tool,
    ToolChoice,
    Verbosity,
    WebSearchOptions,
)
from mockapi.schemas.chat_tools import FunctionCallOption as FunctionCallOption
from mockapi.schemas.common import CompletionUsage
from mockapi.schemas.sampling import Penalty, Stop, Temperature, TopP, check_bias_entries

# The request's fields the 2023 reference defines; the rest came later (see chat_checks.py).
REFERENCE_FIELDS = frozenset(
    {"model", "messages", "temperature", "top_p", "n", "stream", "stop", "max_tokens", "presence_penalty",
     "frequency_penalty", "logit_bias", "user"}
)  # fmt: skip
INT64 = 2**63

# The ids are checked against the model's own tokenizer once it is known (chat_checks.py).
ChatLogitBias = Annotated[dict[str, float] | None, AfterValidator(check_bias_entries)]


class CreateChatCompletionRequest(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    model: str
    messages: Annotated[list[Message], Field(min_length=1)]
    temperature: Temperature = 1
    top_p: TopP = 1
    n: Annotated[int | None, Field(ge=1, le=128)] = 1
    stream: bool | None = False
    stop: Stop = None
    max_tokens: Annotated[int | None, Field(ge=1)] = None
    presence_penalty: Penalty = 0
    frequency_penalty: Penalty = 0
    logit_bias: ChatLogitBias = None
    user: str | None = None
    # Since the 2023 reference.
    max_completion_tokens: Annotated[int | None, Field(ge=1)] = None
    seed: Annotated[int | None, Field(ge=-INT64, lt=INT64)] = None
    logprobs: bool | None = None
    top_logprobs: Annotated[int | None, Field(ge=0, le=20)] = None
    tools: list[Tool] | None = None
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    functions: list[LegacyFunction] | None = None
    function_call: Literal["none", "auto"] | FunctionCallOption | None = None
    response_format: ResponseFormat | None = None
    stream_options: StreamOptions | None = None
    store: bool | None = None
    metadata: Metadata | None = None
    service_tier: ServiceTier | None = None
    prediction: Prediction | None = None
    modalities: list[Literal["text", "audio"]] | None = None
    audio: AudioOutput | None = None
    reasoning_effort: ReasoningEffort | None = None
    verbosity: Verbosity | None = None
    web_search_options: WebSearchOptions | None = None
    prompt_cache_key: str | None = None
    prompt_cache_retention: Literal["in_memory", "24h"] | None = None
    safety_identifier: Annotated[str | None, Field(max_length=64)] = None

    @property
    def include_usage(self) -> bool:
        return bool(self.stream_options and self.stream_options.include_usage)


class ReferenceMessage(Schema):
    role: Literal["system", "user", "assistant"]
    content: str
    name: str | None = None


class ReferenceChatRequest(Schema):
    """A request in the 2023 reference's own shape: what such a request's answer is seeded from, so that the
    2023 requests answer exactly as they always have (seeding.py)."""

    model: str
    messages: list[ReferenceMessage]
    temperature: float | None = 1
    top_p: float | None = 1
    n: int | None = 1
    stream: bool | None = False
    stop: Any = None
    max_tokens: int | None = None
    presence_penalty: float | None = 0
    frequency_penalty: float | None = 0
    logit_bias: dict[str, float] | None = None
    user: str | None = None


# Answers.


class ToolCallFunction(Schema):
    name: str
    arguments: str


class ChatCompletionMessageToolCall(Schema):
    id: str
    type: Literal["function"] = "function"
    function: ToolCallFunction


class ChatCompletionResponseMessage(Schema):
    role: Literal["assistant"]
    content: str | None
    refusal: str | None = None
    tool_calls: list[ChatCompletionMessageToolCall] | None = None
    function_call: ToolCallFunction | None = None
    annotations: list[dict[str, Any]] | None = None
    audio: dict[str, Any] | None = None


class TopLogprob(Schema):
    token: str
    logprob: float
    bytes: list[int] | None


class ChatCompletionTokenLogprob(TopLogprob):
    top_logprobs: list[TopLogprob]


class ChoiceLogprobs(Schema):
    content: list[ChatCompletionTokenLogprob] | None
    refusal: list[ChatCompletionTokenLogprob] | None


class ChatCompletionChoice(Schema):
    index: int
    message: ChatCompletionResponseMessage
    finish_reason: Literal["stop", "length", "tool_calls", "content_filter", "function_call"]
    logprobs: ChoiceLogprobs | None = None


class CreateChatCompletionResponse(Schema):
    """Today's models answer every field; the 2023 models the 2023 ones (plus what the request asked for)."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatCompletionChoice]
    usage: CompletionUsage
    service_tier: str | None = None
    system_fingerprint: str | None = None


class ToolCallChunkFunction(Schema):
    name: str | None = None
    arguments: str | None = None


class ChatCompletionMessageToolCallChunk(Schema):
    index: int
    id: str | None = None
    type: Literal["function"] | None = None
    function: ToolCallChunkFunction | None = None


class ChatCompletionStreamResponseDelta(Schema):
    role: Literal["assistant"] | None = None
    content: str | None = None
    refusal: str | None = None
    tool_calls: list[ChatCompletionMessageToolCallChunk] | None = None
    function_call: ToolCallChunkFunction | None = None


class ChatCompletionStreamChoice(Schema):
    index: int
    delta: ChatCompletionStreamResponseDelta
    finish_reason: str | None
    logprobs: ChoiceLogprobs | None = None


class CreateChatCompletionStreamResponse(Schema):
    """One event of a streamed answer (`stream: true`); the stream ends with `data: [DONE]`. With
    `stream_options.include_usage` every event has `usage: null` but the last, whose `choices` is empty."""

    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChatCompletionStreamChoice]
    usage: CompletionUsage | None = None
    service_tier: str | None = None
    system_fingerprint: str | None = None
