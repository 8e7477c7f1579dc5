"""What a chat request gives beyond its messages: tools and how one is chosen, the output format, and the
options of today's reference (stream options, predicted outputs, audio output, web search).

Shapes only: what a model takes, and the rules across fields, are checked by chat_checks.py with the real
API's words.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Discriminator, Field, Tag

from mockapi.model_base import Schema
from mockapi.schemas.chat_messages import OnlyTextPart

_STRICT = ConfigDict(extra="forbid", strict=True)
_OPEN = ConfigDict(extra="allow", strict=True)


def _tagger(field: str, prefix: str, allowed: tuple[str, ...]) -> Any:
    def tag(value: Any) -> str:
        found = value.get(field) if isinstance(value, dict) else getattr(value, field, None)
        return f"{prefix}[{found}]" if found in allowed else f"{prefix}[unknown]"

    return tag


# Tools.


class FunctionDefinition(Schema):
    model_config = _STRICT
    name: str
    description: str | None = None
    # A JSON Schema object; strict mode's subset is checked by strict_schema.py.
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class FunctionTool(Schema):
    model_config = _STRICT
    type: Literal["function"]
    function: FunctionDefinition


class CustomDefinition(Schema):
    model_config = _STRICT
    name: str
    description: str | None = None
    format: dict[str, Any] | None = None


class CustomTool(Schema):
    model_config = _STRICT
    type: Literal["custom"]
    custom: CustomDefinition


class UnknownTool(Schema):
    model_config = _OPEN
    type: Literal["function", "custom"]


Tool = Annotated[
    Annotated[FunctionTool, Tag("tool[function]")]
    | Annotated[CustomTool, Tag("tool[custom]")]
    | Annotated[UnknownTool, Tag("tool[unknown]")],
    Discriminator(_tagger("type", "tool", ("function", "custom"))),
]


class NamedFunction(Schema):
    model_config = _STRICT
    name: str


class NamedToolChoice(Schema):
    model_config = _STRICT
    type: Literal["function"]
    function: NamedFunction


class NamedCustomChoice(Schema):
    model_config = _STRICT
    type: Literal["custom"]
    custom: NamedFunction


class AllowedTools(Schema):
    model_config = _STRICT
    mode: Literal["auto", "required"]
    tools: Annotated[list[dict[str, Any]], Field(min_length=1)]


class AllowedToolsChoice(Schema):
    model_config = _STRICT
    type: Literal["allowed_tools"]
    allowed_tools: AllowedTools


class UnknownChoice(Schema):
    model_config = _OPEN
    type: Literal["function", "custom", "allowed_tools"]


ToolChoiceObject = Annotated[
    Annotated[NamedToolChoice, Tag("choice[function]")]
    | Annotated[NamedCustomChoice, Tag("choice[custom]")]
    | Annotated[AllowedToolsChoice, Tag("choice[allowed_tools]")]
    | Annotated[UnknownChoice, Tag("choice[unknown]")],
    Discriminator(_tagger("type", "choice", ("function", "custom", "allowed_tools"))),
]
ToolChoice = Literal["none", "auto", "required"] | ToolChoiceObject


class LegacyFunction(Schema):
    """A legacy `functions` entry (the 2023 function calling)."""

    model_config = _STRICT
    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None


class FunctionCallOption(Schema):
    model_config = _STRICT
    name: str


# The output format.


class TextFormat(Schema):
    model_config = _STRICT
    type: Literal["text"]


class JsonObjectFormat(Schema):
    model_config = _STRICT
    type: Literal["json_object"]


class JsonSchemaSpec(Schema):
    model_config = _STRICT
    name: str
    description: str | None = None
    schema_: dict[str, Any] | None = Field(None, alias="schema")
    strict: bool | None = None


class JsonSchemaFormat(Schema):
    model_config = _STRICT
    type: Literal["json_schema"]
    json_schema: JsonSchemaSpec


class UnknownFormat(Schema):
    model_config = _OPEN
    type: Literal["text", "json_object", "json_schema"]


ResponseFormat = Annotated[
    Annotated[TextFormat, Tag("format[text]")]
    | Annotated[JsonObjectFormat, Tag("format[json_object]")]
    | Annotated[JsonSchemaFormat, Tag("format[json_schema]")]
    | Annotated[UnknownFormat, Tag("format[unknown]")],
    Discriminator(_tagger("type", "format", ("text", "json_object", "json_schema"))),
]


# Options.


class StreamOptions(Schema):
    model_config = _STRICT
    include_usage: bool | None = None
    include_obfuscation: bool | None = None


class Prediction(Schema):
    """Predicted output: text the answer is expected to repeat."""

    model_config = _STRICT
    type: Literal["content"]
    content: str | Annotated[list[OnlyTextPart], Field(min_length=1)]


AudioVoice = Annotated[str, Field(min_length=1)]


class AudioOutput(Schema):
    model_config = _STRICT
    voice: AudioVoice | dict[str, Any]
    format: Literal["wav", "aac", "mp3", "flac", "opus", "pcm16"]


class ApproximateLocation(Schema):
    model_config = _STRICT
    city: str | None = None
    country: str | None = None
    region: str | None = None
    timezone: str | None = None


class UserLocation(Schema):
    model_config = _STRICT
    type: Literal["approximate"]
    approximate: ApproximateLocation


class WebSearchOptions(Schema):
    model_config = _STRICT
    search_context_size: Literal["low", "medium", "high"] | None = None
    user_location: UserLocation | None = None


ServiceTier = Literal["auto", "default", "flex", "scale", "priority", "fast"]
ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"]
Verbosity = Literal["low", "medium", "high"]
Metadata = dict[str, str]
