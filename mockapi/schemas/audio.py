"""Audio requests (multipart form fields) and responses, named after the spec's schemas."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from mockapi import languages
from mockapi.audio_files import AUDIO_FORMATS, MIN_AUDIO_SECONDS, audio_too_short, extension, invalid_file_format
from mockapi.schemas.common import UploadedFile

ResponseFormat = Literal["json", "text", "srt", "verbose_json", "vtt"]
RESPONSE_FORMATS: tuple[ResponseFormat, ...] = ("json", "text", "srt", "verbose_json", "vtt")

Task = Literal["transcribe", "translate"]
Granularity = Literal["word", "segment"]


class AudioUpload(BaseModel):
    """What the server keeps of an uploaded file: never its bytes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    filename: str
    size: int
    sha256: str
    duration: float

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


class CreateTranslationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    file: Annotated[AudioUpload, UploadedFile]
    model: str
    prompt: str | None = None
    response_format: ResponseFormat = "json"
    temperature: float = Field(0, ge=0, le=1)

    @field_validator("response_format", mode="before")
    @classmethod
    def _known_format(cls, value: Any) -> Any:
        if value not in RESPONSE_FORMATS:
            raise ValueError(f"{value!r} is not one of {list(RESPONSE_FORMATS)} - 'response_format'")
        return value

    @field_validator("temperature", mode="before")
    @classmethod
    def _form_number(cls, value: Any) -> Any:
        """Form fields are text: '0.2' is a number, so a range error quotes 1.5, not '1.5'."""
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                return value
        return value


class CreateTranscriptionRequest(CreateTranslationRequest):
    language: str | None = None
    # Added to the API in 2024; the current SDKs send it as repeated `timestamp_granularities[]` fields.
    timestamp_granularities: list[Granularity] | None = None

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


class CreateTranscriptionResponse(BaseModel):
    text: str


class CreateTranslationResponse(BaseModel):
    text: str


class TranscriptionSegment(BaseModel):
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


class TranscriptionWord(BaseModel):
    word: str
    start: float
    end: float


class CreateTranscriptionVerboseResponse(BaseModel):
    """`verbose_json`: the current SDKs' types require `language`, `duration` and `segments`.

    `words` only when word timestamps were asked for; `segments` is then left out unless asked too."""

    task: Task
    language: str
    duration: float
    text: str
    segments: list[TranscriptionSegment] | None = None
    words: list[TranscriptionWord] | None = None
