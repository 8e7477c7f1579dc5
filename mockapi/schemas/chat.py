"""CreateChatCompletionRequest and its messages, as the 2023 reference defines them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mockapi.schemas.common import CompletionUsage
from mockapi.schemas.sampling import LogitBias, Penalty, Stop, Temperature, TopP


class ChatCompletionRequestMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    role: Literal["system", "user", "assistant"]
    content: str
    name: Annotated[str | None, Field(min_length=1, max_length=64, pattern=r"^[a-zA-Z0-9_-]+$")] = None

    def for_accounting(self) -> dict[str, Any]:
        """The fields the prompt's tokens are counted over (`name` only when given)."""
        fields: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.name is not None:
            fields["name"] = self.name
        return fields


class CreateChatCompletionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    model: str
    messages: Annotated[list[ChatCompletionRequestMessage], Field(min_length=1)]
    temperature: Temperature = 1
    top_p: TopP = 1
    n: Annotated[int | None, Field(ge=1, le=128)] = 1
    stream: bool | None = False
    stop: Stop = None
    max_tokens: Annotated[int | None, Field(ge=1)] = None
    presence_penalty: Penalty = 0
    frequency_penalty: Penalty = 0
    logit_bias: LogitBias = None
    user: str | None = None

    def last_user_message(self) -> str | None:
        return next((m.content for m in reversed(self.messages) if m.role == "user"), None)

    def system_message(self) -> str | None:
        return next((m.content for m in self.messages if m.role == "system"), None)


# Answers (documentation of what the routes send).


class ChatCompletionResponseMessage(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str


class ChatCompletionChoice(BaseModel):
    index: int
    message: ChatCompletionResponseMessage
    finish_reason: str


class CreateChatCompletionResponse(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatCompletionChoice]
    usage: CompletionUsage


class ChatCompletionStreamResponseDelta(BaseModel):
    role: Literal["system", "user", "assistant"] | None = None
    content: str | None = None


class ChatCompletionStreamChoice(BaseModel):
    index: int
    delta: ChatCompletionStreamResponseDelta
    finish_reason: str | None


class CreateChatCompletionStreamResponse(BaseModel):
    """One event of a streamed answer (`stream: true`); the stream ends with `data: [DONE]`."""

    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChatCompletionStreamChoice]
