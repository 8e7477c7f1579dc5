"""The answers of /v1/models, named after the spec's schemas (the catalogue builds them: catalogue.py)."""

from __future__ import annotations

from typing import Any, Literal

from mockapi.model_base import Schema


class Model(Schema):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str
    # The 2023 reference's extras: who may use the model, and what it derives from.
    permission: list[dict[str, Any]]
    root: str
    parent: str | None


class ListModelsResponse(Schema):
    object: Literal["list"] = "list"
    data: list[Model]


class DeleteModelResponse(Schema):
    id: str
    object: Literal["model"] = "model"
    deleted: bool
