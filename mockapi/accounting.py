"""Prompt tokens of today's chat models, by the published accounting (OpenAI cookbook, "How to count tokens
with tiktoken": per message, per name, reply priming, and the per-function formula for tool definitions).

The core counts a neutral list of messages (role, text parts, images, audio, tool calls), so that both wire
formats feed it: `chat_messages` reads Chat Completions messages, `response_items` Responses API input items.
What the cookbook leaves unpublished is counted by documented rules of this module:
- every string of a message is counted once (role, text parts, refusal, name), as the cookbook does;
  tool-call ids are not counted, the model does not read them;
- an assistant's tool call (or legacy function_call) costs `per_tool_call` plus its name and arguments;
- an audio part costs `audio_tokens_per_second` per second of audio, rounded up per part;
- a file part costs its filename, and its contents when they are UTF-8 text (a PDF is not read offline).
"""

from __future__ import annotations

import base64
import binascii
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
from pydantic import ConfigDict, Field

from mockapi import audio_files
from mockapi.image_input import ASSUMED_URL_IMAGE_SIZE, Detail, ImageFacts, PatchRule, TileRule, image_tokens, url_image
from mockapi.model_base import Schema
from mockapi.tokens import Tokenizer, TokenizerName, tokenizer_for

# Where a model's catalogue entry gives no image rule: gpt-4o's numbers.
DEFAULT_IMAGE_RULE = TileRule(method="tiles", base=85, per_tile=170)


class PromptRules(Schema):
    """A model family's accounting constants (the cookbook's names in the comments)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    per_message: int = 3  # tokens_per_message
    per_name: int = 1  # tokens_per_name
    reply_priming: int = 3  # <|start|>assistant<|message|>
    function_start: int = 7  # func_init: 7 for gpt-4o and later, 10 for gpt-3.5-turbo and gpt-4
    properties_start: int = 3  # prop_init
    property_key: int = 3  # prop_key
    enum_start: int = -3  # enum_init
    enum_item: int = 3  # enum_item
    functions_end: int = 12  # func_end
    per_tool_call: int = 3  # not published: an assistant's call, besides its name and arguments
    audio_tokens_per_second: float = Field(10, gt=0)  # not published: 1 token per 100 ms of input audio


class AudioInputError(ValueError):
    """Audio data the API refuses (the router answers 400)."""

    def __init__(self, message: str, code: str = "invalid_value") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class ImagePart:
    width: int
    height: int
    detail: Detail = "auto"


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: str


@dataclass(frozen=True)
class PromptMessage:
    """One message in either wire format, reduced to what its tokens depend on."""

    role: str
    texts: tuple[str, ...] = ()
    name: str | None = None
    images: tuple[ImagePart, ...] = ()
    audio_seconds: tuple[float, ...] = ()
    tool_calls: tuple[ToolCall, ...] = ()


@dataclass(frozen=True)
class PromptTokens:
    """`total` = `text` + `images` + `audio` (`audio` is usage's prompt_tokens_details.audio_tokens)."""

    total: int
    text: int
    images: int
    audio: int


class CountingModel(Protocol):
    """What a catalogue entry gives the count: its tokenizer's name, its constants, its image rule."""

    @property
    def tokenizer(self) -> TokenizerName: ...
    @property
    def accounting(self) -> PromptRules: ...
    @property
    def image_tokens(self) -> TileRule | PatchRule | None: ...


def prompt_tokens(
    messages: Iterable[PromptMessage],
    tokenizer: Tokenizer,
    rules: PromptRules,
    image_rule: TileRule | PatchRule | None,
    functions: Sequence[Mapping[str, Any]] = (),
) -> PromptTokens:
    """Prompt tokens of a request: its messages, the reply priming, and its function definitions."""
    text = rules.reply_priming + function_tokens(functions, tokenizer, rules)
    images = audio = 0
    for message in messages:
        text += rules.per_message + tokenizer.count(message.role) + sum(map(tokenizer.count, message.texts))
        if message.name is not None:
            text += tokenizer.count(message.name) + rules.per_name
        for call in message.tool_calls:
            text += rules.per_tool_call + tokenizer.count(call.name) + tokenizer.count(call.arguments)
        rule = image_rule or DEFAULT_IMAGE_RULE
        images += sum(image_tokens(image.width, image.height, image.detail, rule) for image in message.images)
        audio += sum(math.ceil(seconds * rules.audio_tokens_per_second) for seconds in message.audio_seconds)
    return PromptTokens(text + images + audio, text, images, audio)


def model_prompt_tokens(
    model: CountingModel, messages: Iterable[PromptMessage], functions: Sequence[Mapping[str, Any]] = ()
) -> PromptTokens:
    """`prompt_tokens` with the model's tokenizer, constants and image rule."""
    return prompt_tokens(messages, tokenizer_for(model.tokenizer), model.accounting, model.image_tokens, functions)


def function_tokens(functions: Sequence[Mapping[str, Any]], tokenizer: Tokenizer, rules: PromptRules) -> int:
    """The cookbook's formula over function definitions ({name, description, parameters}): per function its
    `name:description`, per top-level property its `name:type:description` and enum items, and an end."""
    if not functions:
        return 0
    total = rules.functions_end
    for function in functions:
        total += rules.function_start
        total += tokenizer.count(f"{function.get('name', '')}:{_without_full_stop(function.get('description'))}")
        parameters = function.get("parameters")
        properties = parameters.get("properties") if isinstance(parameters, Mapping) else None
        if not isinstance(properties, Mapping) or not properties:
            continue
        total += rules.properties_start
        for key, schema in properties.items():
            prop = schema if isinstance(schema, Mapping) else {}
            total += rules.property_key
            enum = prop.get("enum")
            if isinstance(enum, list):
                total += rules.enum_start
                total += sum(rules.enum_item + tokenizer.count(_as_text(item)) for item in enum)
            kind = _type_name(prop.get("type"))
            total += tokenizer.count(f"{key}:{kind}:{_without_full_stop(prop.get('description'))}")
    return total


def _without_full_stop(description: object) -> str:
    text = description if isinstance(description, str) else ""
    return text[:-1] if text.endswith(".") else text


def _type_name(kind: object) -> str:
    """A JSON Schema type: a name, or a list of names (["string", "null"]) written with commas."""
    if isinstance(kind, list):
        return ",".join(str(item) for item in kind)
    return kind if isinstance(kind, str) else ""


def _as_text(value: object) -> str:
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def chat_functions(tools: Iterable[Mapping[str, Any]] | None, functions: Iterable[Any] | None) -> list[Any]:
    """The function definitions of a Chat Completions request: `tools` of type function, or legacy
    `functions`; a custom tool counts as a function with its name and description."""
    found: list[Any] = [dict(f) for f in functions or () if isinstance(f, Mapping)]
    for tool in tools or ():
        definition = tool.get(tool.get("type") or "function")
        if isinstance(definition, Mapping):
            found.append(definition)
    return found


def response_functions(tools: Iterable[Mapping[str, Any]] | None) -> list[Any]:
    """The function definitions of a Responses request, whose function tools are flat."""
    return [tool for tool in tools or () if tool.get("type") == "function"]


@dataclass
class _Parts:
    texts: list[str] = field(default_factory=list)
    images: list[ImagePart] = field(default_factory=list)
    audio: list[float] = field(default_factory=list)

    def add(self, kind: object, part: Mapping[str, Any]) -> None:
        if kind in ("text", "input_text", "output_text") and isinstance(part.get("text"), str):
            self.texts.append(part["text"])
        elif kind == "refusal" and isinstance(part.get("refusal"), str):
            self.texts.append(part["refusal"])
        elif kind == "image_url" and isinstance(part.get("image_url"), Mapping):
            self.image(url_image(str(part["image_url"].get("url", ""))), part["image_url"].get("detail"))
        elif kind == "input_image":
            # An uploaded file's image (file_id) is not read: it has the size assumed for an image URL.
            url = part.get("image_url")
            facts = url_image(url) if isinstance(url, str) else ImageFacts(*ASSUMED_URL_IMAGE_SIZE, "file")
            self.image(facts, part.get("detail"))
        elif kind == "input_audio" and isinstance(part.get("input_audio"), Mapping):
            self.audio.append(audio_seconds(part["input_audio"].get("data"), part["input_audio"].get("format")))
        elif kind in ("file", "input_file"):
            self.file(part.get("file") if kind == "file" else part)

    def image(self, facts: ImageFacts, detail: object) -> None:
        self.images.append(ImagePart(facts.width, facts.height, detail if detail in ("low", "high") else "auto"))

    def file(self, file: object) -> None:
        if not isinstance(file, Mapping):
            return
        if isinstance(file.get("filename"), str):
            self.texts.append(file["filename"])
        data = file.get("file_data")
        if isinstance(data, str):
            contents = _readable_text(data)
            if contents:
                self.texts.append(contents)

    def message(self, role: str, name: str | None = None, calls: Sequence[ToolCall] = ()) -> PromptMessage:
        return PromptMessage(role, tuple(self.texts), name, tuple(self.images), tuple(self.audio), tuple(calls))


def _readable_text(data: str) -> str:
    """A file part's data (a data URL or bare base64) as text, or "" when it is not UTF-8 text."""
    encoded = data.split(",", 1)[1] if data.startswith("data:") and "," in data else data
    try:
        return base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return ""


def audio_seconds(data: object, audio_format: object) -> float:
    """The duration of an `input_audio` part (base64 wav or mp3), as the transcription route measures it."""
    if audio_format not in ("wav", "mp3") or not isinstance(data, str):
        raise AudioInputError("Invalid 'input_audio.format': expected 'wav' or 'mp3'.")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as caught:
        raise AudioInputError("Invalid 'input_audio.data': expected base64-encoded audio.") from caught
    if audio_format == "wav":
        measured = audio_files.wav_duration(io.BytesIO(raw), len(raw))
        if measured is not None:
            return measured
        return len(raw) / audio_files.PCM_BYTES_PER_SECOND
    return len(raw) / audio_files.COMPRESSED_BYTES_PER_SECOND


def _content(parts: _Parts, content: object) -> None:
    if isinstance(content, str):
        parts.texts.append(content)
    elif isinstance(content, list):
        for part in content:
            if isinstance(part, Mapping):
                parts.add(part.get("type"), part)
            elif isinstance(part, str):
                parts.texts.append(part)


def chat_messages(messages: Iterable[Mapping[str, Any]]) -> list[PromptMessage]:
    """Chat Completions messages (as JSON objects): content as a string or parts, name, refusal, assistant
    tool_calls and function_call, tool and function messages. Raises ImageInputError or AudioInputError."""
    found = []
    for message in messages:
        parts = _Parts()
        _content(parts, message.get("content"))
        if isinstance(message.get("refusal"), str):
            parts.texts.append(message["refusal"])
        calls = [_chat_call(call) for call in message.get("tool_calls") or () if isinstance(call, Mapping)]
        legacy = message.get("function_call")
        if isinstance(legacy, Mapping):
            calls.append(ToolCall(str(legacy.get("name", "")), str(legacy.get("arguments", ""))))
        name = message.get("name")
        found.append(parts.message(str(message.get("role", "user")), name if isinstance(name, str) else None, calls))
    return found


def _chat_call(call: Mapping[str, Any]) -> ToolCall:
    if call.get("type") == "custom" and isinstance(call.get("custom"), Mapping):
        return ToolCall(str(call["custom"].get("name", "")), str(call["custom"].get("input", "")))
    function = call.get("function")
    if not isinstance(function, Mapping):
        return ToolCall("", "")
    return ToolCall(str(function.get("name", "")), str(function.get("arguments", "")))


def response_items(items: str | Iterable[Mapping[str, Any]]) -> list[PromptMessage]:
    """Responses API input: a string (one user message) or items: messages (with or without
    `type: message`), function_call and function_call_output items; other items (reasoning, built-in
    tool calls) carry no prompt text here."""
    if isinstance(items, str):
        return [PromptMessage("user", (items,))]
    found = []
    for item in items:
        kind = item.get("type", "message")
        parts = _Parts()
        if kind == "message":
            _content(parts, item.get("content"))
            found.append(parts.message(str(item.get("role", "user"))))
        elif kind in ("function_call", "custom_tool_call"):
            arguments = item.get("arguments", item.get("input", ""))
            found.append(PromptMessage("assistant", tool_calls=(ToolCall(str(item.get("name", "")), str(arguments)),)))
        elif kind in ("function_call_output", "custom_tool_call_output"):
            _content(parts, item.get("output"))
            found.append(parts.message("tool"))
    return found
