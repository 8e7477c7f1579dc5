"""Request and response models of /v1/vector_stores (stores, their files, file batches, search), named after
the spec's schemas. Objects whose shape depends on a field (chunking strategies, filters) are validated
with `validated`, so that a failure names its place in the body as any other field's does."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator

from mockapi import errors
from mockapi.errors import current as errors_current
from mockapi.model_base import Schema
from mockapi.schemas.current_models import CurrentModel, param_of, validated

FileStatus = Literal["in_progress", "completed", "cancelled", "failed"]
Ranker = Literal["none", "auto", "default-2024-11-15"]

MAX_PAIRS = 16
MAX_KEY_CHARS = 64
MAX_VALUE_CHARS = 512
AUTO_CHUNKING = (800, 400)  # (max_chunk_size_tokens, chunk_overlap_tokens) of `auto`
MIN_CHUNK_TOKENS = 100
MAX_CHUNK_TOKENS = 4096


def _check_pairs(name: str, pairs: dict[str, Any]) -> None:
    """At most 16 keys of at most 64 characters, string values of at most 512 (metadata and attributes)."""
    if len(pairs) > MAX_PAIRS:
        raise errors_current.too_many_properties(name, MAX_PAIRS, len(pairs))
    for key, value in pairs.items():
        if len(key) > MAX_KEY_CHARS:
            raise errors_current.string_too_long(f"{name}.key", MAX_KEY_CHARS, len(key))
        if isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
            raise errors_current.string_too_long(f"{name}.{key}", MAX_VALUE_CHARS, len(value))


Metadata = dict[str, str]
Attributes = dict[str, str | bool | int | float]


class _Strategy(CurrentModel):
    model_config = ConfigDict(extra="allow")

    type: Literal["auto", "static"]


class AutoChunkingStrategy(CurrentModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["auto"]


class StaticChunkingStrategy(CurrentModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    max_chunk_size_tokens: int = Field(ge=MIN_CHUNK_TOKENS, le=MAX_CHUNK_TOKENS)
    chunk_overlap_tokens: int = Field(ge=0)


class StaticChunkingStrategyParam(CurrentModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["static"]
    static: dict[str, Any]


def chunking_of(value: Any, at: tuple[str | int, ...] = ("chunking_strategy",)) -> tuple[int, int]:
    """(max_chunk_size_tokens, chunk_overlap_tokens) of a chunking strategy (auto: 800 and 400); the overlap
    may be at most half the chunk, as the API requires."""
    if validated(_Strategy, value, at).type == "auto":
        validated(AutoChunkingStrategy, value, at)
        return AUTO_CHUNKING
    given = validated(StaticChunkingStrategyParam, value, at).static
    static = validated(StaticChunkingStrategy, given, (*at, "static"))
    if static.chunk_overlap_tokens > static.max_chunk_size_tokens // 2:
        param = param_of((*at, "static", "chunk_overlap_tokens"))
        raise errors.invalid_param(
            f"Invalid '{param}': chunk_overlap_tokens must not exceed half of max_chunk_size_tokens "
            f"({static.max_chunk_size_tokens // 2}), but got {static.chunk_overlap_tokens} instead.",
            param,
        )
    return static.max_chunk_size_tokens, static.chunk_overlap_tokens


class ExpiresAfter(CurrentModel):
    model_config = ConfigDict(extra="forbid")

    anchor: Literal["last_active_at"]
    days: int = Field(ge=1, le=365)


class _WithPairs(CurrentModel):
    @field_validator("metadata", "attributes", check_fields=False)
    @classmethod
    def _pairs(cls, value: dict[str, Any] | None, info: Any) -> dict[str, Any] | None:
        if value is not None:
            _check_pairs(info.field_name, value)
        return value


class CreateVectorStoreRequest(_WithPairs):
    model_config = ConfigDict(extra="forbid")

    file_ids: list[str] | None = Field(None, max_length=500)
    name: str | None = None
    description: str | None = None
    expires_after: ExpiresAfter | None = None
    chunking_strategy: dict[str, Any] | None = None
    metadata: Metadata | None = None


class UpdateVectorStoreRequest(_WithPairs):
    """Fields given as null clear (`expires_after`) or empty (`metadata`) what they set."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    expires_after: ExpiresAfter | None = None
    metadata: Metadata | None = None


class CreateVectorStoreFileRequest(_WithPairs):
    model_config = ConfigDict(extra="forbid")

    file_id: str
    chunking_strategy: dict[str, Any] | None = None
    attributes: Attributes | None = None


class UpdateVectorStoreFileAttributesRequest(_WithPairs):
    model_config = ConfigDict(extra="forbid")

    attributes: Attributes | None


class CreateVectorStoreFileBatchRequest(_WithPairs):
    model_config = ConfigDict(extra="forbid")

    file_ids: list[str] | None = Field(None, min_length=1, max_length=2000)
    files: list[CreateVectorStoreFileRequest] | None = Field(None, min_length=1, max_length=2000)
    chunking_strategy: dict[str, Any] | None = None
    attributes: Attributes | None = None


class RankingOptions(CurrentModel):
    model_config = ConfigDict(extra="forbid")

    ranker: Ranker = "auto"
    score_threshold: float = Field(0.0, ge=0, le=1)


class VectorStoreSearchRequest(CurrentModel):
    model_config = ConfigDict(extra="forbid")

    query: str | list[str]
    rewrite_query: bool = False
    max_num_results: int = Field(10, ge=1, le=50)
    filters: dict[str, Any] | None = None
    ranking_options: RankingOptions | None = None

    @field_validator("query")
    @classmethod
    def _queries(cls, value: str | list[str]) -> str | list[str]:
        if not value:
            raise errors.invalid_param(
                "Invalid 'query': empty array. Expected an array with minimum length 1, but got an empty array "
                "instead.",
                "query",
                "empty_array",
            )
        for index, query in enumerate([value] if isinstance(value, str) else value):
            if not query.strip():
                param = "query" if isinstance(value, str) else f"query[{index}]"
                raise errors.invalid_param(
                    f"Invalid '{param}': empty string. Expected a string with minimum length 1, but got an empty "
                    "string instead.",
                    param,
                    "empty_string",
                )
        return value


class ListParams(CurrentModel):
    model_config = ConfigDict(extra="ignore")

    limit: int = Field(20, ge=1, le=100)
    order: Literal["asc", "desc"] = "desc"
    after: str | None = None
    before: str | None = None


class ListFilesParams(ListParams):
    filter: FileStatus | None = None


# The answers (documentation: the bodies are built as dicts, checked against the spec in the contract tests).


class FileCounts(Schema):
    in_progress: int
    completed: int
    failed: int
    cancelled: int
    total: int


class VectorStoreObject(Schema):
    id: str
    object: Literal["vector_store"]
    created_at: int
    name: str
    description: str | None
    usage_bytes: int
    file_counts: FileCounts
    status: Literal["expired", "in_progress", "completed"]
    expires_after: ExpiresAfter | None = None
    expires_at: int | None
    last_active_at: int | None
    metadata: Metadata | None


class LastError(Schema):
    code: Literal["server_error", "unsupported_file", "invalid_file"]
    message: str


class VectorStoreFileObject(Schema):
    id: str
    object: Literal["vector_store.file"]
    usage_bytes: int
    created_at: int
    vector_store_id: str
    status: FileStatus
    last_error: LastError | None
    chunking_strategy: dict[str, Any]
    attributes: Attributes | None


class VectorStoreFileBatchObject(Schema):
    id: str
    object: Literal["vector_store.files_batch"]
    created_at: int
    vector_store_id: str
    status: FileStatus
    file_counts: FileCounts


class ListVectorStoresResponse(Schema):
    object: Literal["list"]
    data: list[VectorStoreObject]
    first_id: str | None
    last_id: str | None
    has_more: bool


class ListVectorStoreFilesResponse(Schema):
    object: Literal["list"]
    data: list[VectorStoreFileObject]
    first_id: str | None
    last_id: str | None
    has_more: bool


class DeleteVectorStoreResponse(Schema):
    id: str
    object: Literal["vector_store.deleted"]
    deleted: bool


class DeleteVectorStoreFileResponse(Schema):
    id: str
    object: Literal["vector_store.file.deleted"]
    deleted: bool


class TextContent(Schema):
    type: Literal["text"]
    text: str


class VectorStoreFileContentResponse(Schema):
    object: Literal["vector_store.file_content.page"]
    data: list[TextContent]
    has_more: bool
    next_page: str | None


class VectorStoreSearchResultItem(Schema):
    file_id: str
    filename: str
    score: float
    attributes: Attributes | None
    content: list[TextContent]


class VectorStoreSearchResultsPage(Schema):
    object: Literal["vector_store.search_results.page"]
    search_query: list[str]
    data: list[VectorStoreSearchResultItem]
    has_more: bool
    next_page: str | None
