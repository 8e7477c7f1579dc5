"""What a catalogue entry says about a model: its kind, limits, tokenizer, and what the real API accepts for it.

An entry names one model (`id`, listed by /v1/models) or a family (`pattern`, a glob such as `gpt-5.*` or
`gpt-4o-20??-??-??`, never listed). `extends` copies another entry (named by its id or pattern) and changes
what it gives. Request validation reads these fields, so a new model is an entry, not code.
"""

from __future__ import annotations

from functools import cached_property
from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from mockapi.accounting import PromptRules
from mockapi.image_input import ImageRule
from mockapi.model_base import Schema
from mockapi.tokens import TokenizerName

ModelKind = Literal["chat", "completion", "edit", "embedding", "audio", "image", "speech", "moderation"]

_STRICT = ConfigDict(extra="forbid", frozen=True)


class Reasoning(Schema):
    """A reasoning model: the `reasoning_effort` values it takes, and the one it uses when none is sent."""

    model_config = _STRICT

    efforts: tuple[str, ...] = Field(("low", "medium", "high"), min_length=1)
    default_effort: str = "medium"

    @model_validator(mode="after")
    def _default_is_allowed(self) -> Reasoning:
        if self.default_effort not in self.efforts:
            raise ValueError(f"default_effort {self.default_effort!r} is not one of efforts {list(self.efforts)}")
        return self


class Capabilities(Schema):
    """What a chat or completion model accepts beyond the 2023 reference (all off unless given)."""

    model_config = _STRICT

    streaming: bool = True
    tools: bool = False  # `tools`/`tool_choice`, and the legacy `functions`/`function_call`
    parallel_tool_calls: bool = False
    vision: bool = False  # image parts in messages
    json_object: bool = False  # response_format json_object
    json_schema: bool = False  # response_format json_schema (structured outputs)
    logprobs: bool = False  # chat `logprobs`/`top_logprobs`
    audio: bool = False  # input_audio parts, `modalities: [audio]`, `audio`
    predicted_outputs: bool = False  # `prediction`
    web_search: bool = False  # `web_search_options`
    verbosity: bool = False  # `verbosity`
    # The Responses API's hosted tools the model takes (web_search, file_search, code_interpreter).
    hosted_tools: tuple[str, ...] = ()
    reasoning: Reasoning | None = None  # takes `reasoning_effort`; counts hidden reasoning tokens
    # Parameters refused outright, each with the one to use instead (or null): the real 400 is
    # "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead."
    unsupported_parameters: dict[str, str | None] = Field(default_factory=dict)
    # Parameters accepted only at their default value ("Only the default (1) value is supported.").
    fixed_parameters: dict[str, float] = Field(default_factory=dict)

    @cached_property
    def beyond_reference(self) -> bool:
        """Whether any capability of today is granted (streaming and the parameter lists aside): asked on
        every chat request, worked out once per model."""
        granted = self.model_dump(exclude={"streaming", "unsupported_parameters", "fixed_parameters"})
        return any(granted.values())


class ImageGeneration(Schema):
    """What an image model accepts (defaults: one 1024x1024 standard image, so an entry extending another
    may give only what differs)."""

    model_config = _STRICT

    operations: tuple[Literal["generate", "edit", "variation"], ...] = ("generate",)
    sizes: tuple[str, ...] = ("1024x1024",)
    qualities: tuple[str, ...] = ("standard",)
    styles: tuple[str, ...] = ()  # empty: `style` is refused
    response_formats: tuple[str, ...] = ()  # url / b64_json; empty: always b64_json, `response_format` refused
    output_formats: tuple[str, ...] = ()  # png / jpeg / webp; empty: `output_format` refused
    backgrounds: tuple[str, ...] = ()  # empty: `background` refused
    moderation_levels: tuple[str, ...] = ()  # empty: `moderation` refused
    n_max: int = Field(1, ge=1)
    prompt_max_chars: int = Field(1000, ge=1)
    streaming: bool = False  # `stream` and `partial_images`
    input_fidelity: bool = False  # `input_fidelity` on edits


class Speech(Schema):
    """A text-to-speech model (defaults: what tts-1 accepts)."""

    model_config = _STRICT

    voices: tuple[str, ...] = ("alloy", "ash", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer")
    response_formats: tuple[str, ...] = ("mp3", "opus", "aac", "flac", "wav", "pcm")
    stream_formats: tuple[str, ...] = ("audio",)
    instructions: bool = False
    custom_voices: bool = False  # `voice: {"id": "voice_..."}`
    input_max_chars: int = Field(4096, ge=1)


class Transcription(Schema):
    """A speech-to-text model."""

    model_config = _STRICT

    response_formats: tuple[str, ...] = ("json",)
    translation: bool = False  # also serves /v1/audio/translations
    timestamp_granularities: bool = False  # needs response_format verbose_json
    streaming: bool = False
    logprobs: bool = False  # include: [logprobs]
    prompt: bool = True
    diarization: bool = False  # known_speaker_names/references, diarized_json
    # The `usage` an answer reports: none (whisper-1's 2023 answers), tokens, or the audio's duration.
    usage: Literal["tokens", "duration"] | None = None


class Moderation(Schema):
    """A moderation model."""

    model_config = _STRICT

    image_input: bool = False  # image_url parts in `input`


class ModelEntry(Schema):
    """One model (`id`) or family (`pattern`). Resolved for a request, `id` is the name asked for."""

    model_config = _STRICT

    id: str = ""
    pattern: str | None = Field(None, min_length=1)
    extends: str | None = Field(None, min_length=1)
    kind: ModelKind
    context_window: int | None = Field(None, ge=1)
    max_output_tokens: int | None = Field(None, ge=1)  # null: bounded by the context window only
    dimensions: int | None = Field(None, ge=1)
    tokenizer: TokenizerName = "cl100k_base"
    owned_by: str = "openai"
    created: int = 1677610602
    # The 2023 reference's model object carries `permission`, `root` and `parent`; today's has only
    # id, object, created and owned_by.
    permission: bool = True
    capabilities: Capabilities = Field(default_factory=Capabilities)
    accounting: PromptRules = Field(default_factory=PromptRules)
    image_tokens: ImageRule | None = None  # how image parts count, for a vision model
    image_generation: ImageGeneration | None = None
    speech: Speech | None = None
    transcription: Transcription | None = None
    moderation: Moderation | None = None

    @model_validator(mode="after")
    def _names_one_model_or_family(self) -> ModelEntry:
        if bool(self.id) == bool(self.pattern):
            raise ValueError("an entry gives either `id` (one model) or `pattern` (a family), not both")
        return self

    @property
    def key(self) -> str:
        """How other entries and override files name this one: its id or its pattern."""
        return self.id if self.pattern is None else self.pattern


class CatalogueFile(Schema):
    """A models file: `models` are listed by /v1/models; `families` are matched by pattern."""

    model_config = ConfigDict(extra="forbid")

    models: list[ModelEntry] = Field(default_factory=list)
    families: list[ModelEntry] = Field(default_factory=list)

    @model_validator(mode="after")
    def _sections_hold_their_kind(self) -> CatalogueFile:
        for entry in self.models:
            if entry.pattern is not None:
                raise ValueError(f"pattern {entry.pattern!r} belongs under `families`, not `models`")
        for entry in self.families:
            if entry.pattern is None:
                raise ValueError(f"id {entry.id!r} belongs under `models`, not `families`")
        return self
