"""Audio requests (multipart form fields) and responses, named after the spec's schemas."""

from __future__ import annotations

import json
import reprlib
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from mockapi import languages
from mockapi.audio_files import AUDIO_FORMATS, MIN_AUDIO_SECONDS, audio_too_short, extension, invalid_file_format
from mockapi.catalogue_schema import Transcription
from mockapi.errors import from_validation_errors, invalid_param
from mockapi.model_base import Schema
from mockapi.schemas.common import UploadedFile

ResponseFormat = Literal["json", "text", "srt", "verbose_json", "vtt", "diarized_json"]
# Translations' formats (and the 2023 reference's); transcriptions add the diarizing model's own.
RESPONSE_FORMATS: tuple[ResponseFormat, ...] = ("json", "text", "srt", "verbose_json", "vtt")
TRANSCRIPTION_FORMATS: tuple[ResponseFormat, ...] = (*RESPONSE_FORMATS, "diarized_json")

Task = Literal["transcribe", "translate"]
Granularity = Literal["word", "segment"]
MAX_KNOWN_SPEAKERS = 4
# gpt-4o-transcribe-diarize transcribes audio longer than this only in chunks (chunking_strategy).
DIARIZE_UNCHUNKED_SECONDS = 30


class AudioUpload(Schema):
    """What the server keeps of an uploaded file: never its bytes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    filename: str
    size: int
    sha256: str
    duration: float
    spoken: str | None = None  # the text mockapi speech carries, when the file is that

    @model_validator(mode="before")
    @classmethod
    def _is_upload(cls, value: Any) -> Any:
        if not isinstance(value, dict | AudioUpload):
            raise ValueError("'file' must be an uploaded file (a multipart/form-data file part), not a text field")
        return value

    @model_validator(mode="after")
    def _is_audio(self) -> AudioUpload:
        if self.size == 0 or extension(self.filename) not in AUDIO_FORMATS:
            raise ValueError(invalid_file_format().message)
        # Read from a WAV header or estimated from the size: either way, too little audio to transcribe.
        if self.duration < MIN_AUDIO_SECONDS:
            raise audio_too_short()
        return self

    def describe(self) -> dict[str, Any]:
        """The file as rules and the journal see it."""
        return {"filename": self.filename, "size": self.size, "sha256": self.sha256}


class CreateTranslationRequest(Schema):
    model_config = ConfigDict(extra="forbid", frozen=True)

    file: Annotated[AudioUpload, UploadedFile]
    model: str
    prompt: str | None = None
    response_format: ResponseFormat = "json"
    temperature: float = Field(0, ge=0, le=1)

    @field_validator("response_format", mode="before")
    @classmethod
    def _known_format(cls, value: Any) -> Any:
        formats = TRANSCRIPTION_FORMATS if issubclass(cls, CreateTranscriptionRequest) else RESPONSE_FORMATS
        if value not in formats:
            raise ValueError(f"{value!r} is not one of {list(formats)} - 'response_format'")
        return value

    @field_validator("temperature", mode="before")
    @classmethod
    def _form_number(cls, value: Any) -> Any:
        return _number(value)


def _number(value: Any) -> Any:
    """Form fields are text: '0.2' is a number, so a range error quotes 1.5, not '1.5'."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _either(values: tuple[str, ...]) -> str:
    quoted = [f"'{value}'" for value in values]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


class VadConfig(Schema):
    """`chunking_strategy` set by hand: the server's voice activity detection with these values."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["server_vad"]
    prefix_padding_ms: int = Field(300, ge=0)
    silence_duration_ms: int = Field(200, ge=0)
    threshold: float = Field(0.5, ge=0, le=1)

    @field_validator("prefix_padding_ms", "silence_duration_ms", "threshold", mode="before")
    @classmethod
    def _form_number(cls, value: Any) -> Any:
        return _number(value)


class CreateTranscriptionRequest(CreateTranslationRequest):
    language: str | None = None
    # Added to the API in 2024; the current SDKs send it as repeated `timestamp_granularities[]` fields.
    timestamp_granularities: list[Granularity] | None = None
    # Today's models: token logprobs, a stream of text events, how the audio is cut, known speakers.
    include: list[Literal["logprobs"]] | None = None
    stream: bool | None = None
    chunking_strategy: Literal["auto"] | VadConfig | None = None
    known_speaker_names: list[str] | None = Field(None, max_length=MAX_KNOWN_SPEAKERS)
    known_speaker_references: list[str] | None = Field(None, max_length=MAX_KNOWN_SPEAKERS)

    @field_validator("stream", mode="before")
    @classmethod
    def _form_boolean(cls, value: Any) -> Any:
        """Form fields are text: "true" or "false" (the SDKs' spelling), nothing else."""
        if isinstance(value, str):
            spelled = {"true": True, "false": False}.get(value.strip().lower())
            if spelled is None:
                raise ValueError(f"{value!r} is not of type 'boolean' - 'stream'")
            return spelled
        return value

    @field_validator("include", "known_speaker_names", "known_speaker_references", mode="before")
    @classmethod
    def _one_or_more(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("chunking_strategy", mode="before")
    @classmethod
    def _strategy(cls, value: Any) -> Any:
        """ "auto", an object (the SDKs send `chunking_strategy[type]=server_vad`...), or one as JSON text."""
        if isinstance(value, str) and value.lstrip().startswith("{"):
            try:
                value = json.loads(value)
            except ValueError:
                return value
        if isinstance(value, dict):
            try:
                return VadConfig.model_validate(value)
            except ValidationError as exc:
                problems = exc.errors(include_url=False)
                raise from_validation_errors(
                    [{**e, "loc": ("chunking_strategy", *e["loc"])} for e in problems]
                ) from exc
        return value

    @field_validator("known_speaker_references")
    @classmethod
    def _data_urls(cls, value: list[str] | None) -> list[str] | None:
        for reference in value or ():
            if not reference.startswith("data:"):
                raise ValueError(
                    "known_speaker_references must be data URLs of audio (data:audio/wav;base64,...), "
                    f"got {reprlib.repr(reference)}"
                )
        return value

    def check_for(self, model: str, accepts: Transcription) -> None:
        """What this model accepts, from its catalogue entry (whisper-1 takes what it always took)."""
        if self.response_format not in accepts.response_formats:
            listed = _either(accepts.response_formats)
            raise invalid_param(
                f"response_format '{self.response_format}' is not compatible with model '{model}'. "
                f"Use {listed} instead.",
                "response_format",
                "unsupported_value",
            )
        if self.prompt is not None and not accepts.prompt:
            raise invalid_param(f"prompt is not supported with the model '{model}'.", "prompt", "unsupported_parameter")
        if self.include and not accepts.logprobs:
            raise invalid_param(
                f"include[] 'logprobs' is not supported with the model '{model}'.", "include", "unsupported_value"
            )
        if self.include and self.response_format != "json":
            raise invalid_param(
                "include[] 'logprobs' is only supported with response_format 'json'.", "include", "unsupported_value"
            )
        if not accepts.diarization and (self.known_speaker_names or self.known_speaker_references):
            param = "known_speaker_names" if self.known_speaker_names else "known_speaker_references"
            raise invalid_param(f"{param} is only supported with gpt-4o-transcribe-diarize.", param)
        if len(self.known_speaker_names or ()) != len(self.known_speaker_references or ()):
            raise invalid_param(
                "known_speaker_names and known_speaker_references must have the same number of entries.",
                "known_speaker_references",
            )
        seconds = self.file.duration
        if accepts.diarization and self.chunking_strategy is None and seconds > DIARIZE_UNCHUNKED_SECONDS:
            raise invalid_param(
                f"chunking_strategy is required with the model '{model}' for audio longer than "
                f"{DIARIZE_UNCHUNKED_SECONDS} seconds (this file is {seconds:.1f} seconds).",
                "chunking_strategy",
            )

    def streams(self, accepts: Transcription) -> bool:
        """`stream: true` with a model that streams (whisper-1 ignores it, as the real API does)."""
        return bool(self.stream) and accepts.streaming

    @field_validator("timestamp_granularities", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("timestamp_granularities")
    @classmethod
    def _verbose_only(cls, value: list[Granularity] | None, info: ValidationInfo) -> list[Granularity] | None:
        if value and info.data.get("response_format") != "verbose_json":
            raise ValueError("timestamp_granularities is only supported when response_format is verbose_json")
        return value

    @field_validator("language")
    @classmethod
    def _iso_639_1(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = value.strip().lower()
        if not languages.is_language_code(code):
            raise ValueError(f"Invalid language '{value}'. Language parameter must be specified in ISO-639-1 format.")
        return code


class CreateTranscriptionResponse(Schema):
    text: str


class CreateTranslationResponse(Schema):
    text: str


class TranscriptionSegment(Schema):
    id: int
    seek: int
    start: float
    end: float
    text: str
    tokens: list[int]
    temperature: float
    avg_logprob: float
    compression_ratio: float
    no_speech_prob: float


class TranscriptionWord(Schema):
    word: str
    start: float
    end: float


class CreateTranscriptionVerboseResponse(Schema):
    """`verbose_json`: the current SDKs' types require `language`, `duration` and `segments`.

    `words` only when word timestamps were asked for; `segments` is then left out unless asked too."""

    task: Task
    language: str
    duration: float
    text: str
    segments: list[TranscriptionSegment] | None = None
    words: list[TranscriptionWord] | None = None


class TranscriptTextDeltaEvent(Schema):
    """`stream: true` with today's models: the text as it comes, then a `transcript.text.done` event."""

    type: Literal["transcript.text.delta"]
    delta: str
    logprobs: list[dict[str, Any]] | None = None
    segment_id: str | None = None
