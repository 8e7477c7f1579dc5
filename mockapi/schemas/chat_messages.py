"""Chat messages of today's reference: six roles, content as a string or a list of typed parts.

Roles and part types are tagged unions, so a failure names the field of the message it is in
(`messages.2.content`, `messages.0.content.1.image_url.url`): the tags are spelled `message[<role>]` and
`part[<type>]`, which the error wording (errors_validation.py) leaves out of a location, as it does any union
member. A role or part type outside the union is checked against the values allowed, as the reference's
schema does ("'robot' is not one of [...] - 'messages.0.role'").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Discriminator, Field, Tag

from mockapi.model_base import Schema

_STRICT = ConfigDict(extra="forbid", strict=True)
# What an unknown role or part type is validated by: its tag alone, against the values allowed.
_OPEN = ConfigDict(extra="allow", strict=True)

Name = Annotated[str | None, Field(min_length=1, max_length=64, pattern=r"^[a-zA-Z0-9_-]+$")]
Role = Literal["developer", "system", "user", "assistant", "tool", "function"]
ROLES: tuple[str, ...] = ("developer", "system", "user", "assistant", "tool", "function")
USER_PARTS = ("text", "image_url", "input_audio", "file")
ASSISTANT_PARTS = ("text", "refusal")


def _tagger(field: str, prefix: str, allowed: tuple[str, ...]) -> Callable[[Any], str]:
    def tag(value: Any) -> str:
        found = value.get(field) if isinstance(value, dict) else getattr(value, field, None)
        return f"{prefix}[{found}]" if found in allowed else f"{prefix}[unknown]"

    return tag


# Content parts.


class TextPart(Schema):
    model_config = _STRICT
    type: Literal["text"]
    text: str


class ImageURL(Schema):
    model_config = _STRICT
    url: str
    detail: Literal["auto", "low", "high"] = "auto"


class ImagePart(Schema):
    model_config = _STRICT
    type: Literal["image_url"]
    image_url: ImageURL


class InputAudio(Schema):
    model_config = _STRICT
    data: str
    format: Literal["wav", "mp3"]


class AudioPart(Schema):
    model_config = _STRICT
    type: Literal["input_audio"]
    input_audio: InputAudio


class FileData(Schema):
    model_config = _STRICT
    file_data: str | None = None
    file_id: str | None = None
    filename: str | None = None


class FilePart(Schema):
    model_config = _STRICT
    type: Literal["file"]
    file: FileData


class RefusalPart(Schema):
    model_config = _STRICT
    type: Literal["refusal"]
    refusal: str


class UnknownUserPart(Schema):
    model_config = _OPEN
    type: Literal["text", "image_url", "input_audio", "file"]


class UnknownTextPart(Schema):
    model_config = _OPEN
    type: Literal["text"]


class UnknownAssistantPart(Schema):
    model_config = _OPEN
    type: Literal["text", "refusal"]


UserPart = Annotated[
    Annotated[TextPart, Tag("part[text]")]
    | Annotated[ImagePart, Tag("part[image_url]")]
    | Annotated[AudioPart, Tag("part[input_audio]")]
    | Annotated[FilePart, Tag("part[file]")]
    | Annotated[UnknownUserPart, Tag("part[unknown]")],
    Discriminator(_tagger("type", "part", USER_PARTS)),
]
OnlyTextPart = Annotated[
    Annotated[TextPart, Tag("part[text]")] | Annotated[UnknownTextPart, Tag("part[unknown]")],
    Discriminator(_tagger("type", "part", ("text",))),
]
AssistantPart = Annotated[
    Annotated[TextPart, Tag("part[text]")]
    | Annotated[RefusalPart, Tag("part[refusal]")]
    | Annotated[UnknownAssistantPart, Tag("part[unknown]")],
    Discriminator(_tagger("type", "part", ASSISTANT_PARTS)),
]
TextContent = str | Annotated[list[OnlyTextPart], Field(min_length=1)]


# Tool calls an assistant message carries.


class FunctionCall(Schema):
    model_config = _STRICT
    name: str
    arguments: str


class FunctionToolCall(Schema):
    model_config = _STRICT
    id: str
    type: Literal["function"]
    function: FunctionCall


class CustomCall(Schema):
    model_config = _STRICT
    name: str
    input: str


class CustomToolCall(Schema):
    model_config = _STRICT
    id: str
    type: Literal["custom"]
    custom: CustomCall


class UnknownToolCall(Schema):
    model_config = _OPEN
    type: Literal["function", "custom"]


MessageToolCall = Annotated[
    Annotated[FunctionToolCall, Tag("call[function]")]
    | Annotated[CustomToolCall, Tag("call[custom]")]
    | Annotated[UnknownToolCall, Tag("call[unknown]")],
    Discriminator(_tagger("type", "call", ("function", "custom"))),
]


class AudioReference(Schema):
    model_config = _STRICT
    id: str


# Messages.


class DeveloperMessage(Schema):
    model_config = _STRICT
    role: Literal["developer"]
    content: TextContent
    name: Name = None


class SystemMessage(Schema):
    model_config = _STRICT
    role: Literal["system"]
    content: TextContent
    name: Name = None


class UserMessage(Schema):
    model_config = _STRICT
    role: Literal["user"]
    content: str | Annotated[list[UserPart], Field(min_length=1)]
    name: Name = None


class AssistantMessage(Schema):
    model_config = _STRICT
    role: Literal["assistant"]
    content: str | Annotated[list[AssistantPart], Field(min_length=1)] | None = None
    name: Name = None
    refusal: str | None = None
    tool_calls: Annotated[list[MessageToolCall], Field(min_length=1)] | None = None
    function_call: FunctionCall | None = None
    audio: AudioReference | None = None
    # An answer's message sent back as it came (the SDK's message, dumped) carries its annotations.
    annotations: list[dict[str, Any]] | None = None


class ToolMessage(Schema):
    model_config = _STRICT
    role: Literal["tool"]
    content: TextContent
    tool_call_id: str


class FunctionMessage(Schema):
    model_config = _STRICT
    role: Literal["function"]
    content: str | None
    name: str


class UnknownMessage(Schema):
    model_config = _OPEN
    role: Role


Message = Annotated[
    Annotated[DeveloperMessage, Tag("message[developer]")]
    | Annotated[SystemMessage, Tag("message[system]")]
    | Annotated[UserMessage, Tag("message[user]")]
    | Annotated[AssistantMessage, Tag("message[assistant]")]
    | Annotated[ToolMessage, Tag("message[tool]")]
    | Annotated[FunctionMessage, Tag("message[function]")]
    | Annotated[UnknownMessage, Tag("message[unknown]")],
    Discriminator(_tagger("role", "message", ROLES)),
]
AnyMessage = DeveloperMessage | SystemMessage | UserMessage | AssistantMessage | ToolMessage | FunctionMessage


def text_of(content: Any) -> str:
    """A message's text: its string, or its text and refusal parts joined by new lines."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    texts = [part.text if isinstance(part, TextPart) else part.refusal for part in content if _is_text(part)]
    return "\n".join(texts)


def _is_text(part: Any) -> bool:
    return isinstance(part, TextPart | RefusalPart)
