"""The Conversations API's requests and answers (CreateConversationBody, ConversationResource, ...), checked
in the Responses API's wording: items as `input` items are (responses_input.py), metadata as metadata."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

from pydantic import ConfigDict, model_validator

from mockapi import errors
from mockapi.errors import responses as refuse
from mockapi.model_base import Schema
from mockapi.schemas.responses_input import check_item
from mockapi.schemas.responses_shape import array, index, keys, string_map

JSON = dict[str, Any]
MAX_ITEMS = 20


def _checked(data: Any, allowed: tuple[str, ...], required: tuple[str, ...], check: Callable[..., None]) -> Any:
    if isinstance(data, Mapping):
        try:
            keys(data, "", allowed, required)
            check(data)
        except errors.OpenAIError as failure:
            raise errors.refused_input(failure) from None
    return data


def _items(data: Mapping[str, Any]) -> None:
    if data.get("items") is not None:
        for position, item in enumerate(array(data["items"], "items", most=MAX_ITEMS)):
            check_item(item, index("items", position))


def _metadata(data: Mapping[str, Any]) -> None:
    if data.get("metadata") is not None:
        string_map(data["metadata"], "metadata")


class CreateConversationBody(Schema):
    model_config = ConfigDict(extra="forbid")

    metadata: dict[str, str] | None = None
    items: list[JSON] | None = None

    @model_validator(mode="before")
    @classmethod
    def _check(cls, data: Any) -> Any:
        def check(given: Mapping[str, Any]) -> None:
            _metadata(given)
            _items(given)

        return _checked(data, ("metadata", "items"), (), check)


class UpdateConversationBody(Schema):
    model_config = ConfigDict(extra="forbid")

    metadata: dict[str, str]

    @model_validator(mode="before")
    @classmethod
    def _check(cls, data: Any) -> Any:
        return _checked(data, ("metadata",), ("metadata",), _metadata)


class AddItemsBody(Schema):
    model_config = ConfigDict(extra="forbid")

    items: list[JSON]

    @model_validator(mode="before")
    @classmethod
    def _check(cls, data: Any) -> Any:
        def check(given: Mapping[str, Any]) -> None:
            _items(given)
            if not given["items"]:
                raise refuse.empty_array("items")

        return _checked(data, ("items",), ("items",), check)


class ConversationResource(Schema):
    id: str
    object: Literal["conversation"] = "conversation"
    created_at: int
    metadata: dict[str, str]


class DeletedConversationResource(Schema):
    id: str
    object: Literal["conversation.deleted"] = "conversation.deleted"
    deleted: bool


class ConversationItemList(Schema):
    object: Literal["list"] = "list"
    data: list[JSON]
    has_more: bool
    first_id: str | None
    last_id: str | None
