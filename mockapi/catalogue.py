"""The models catalogue: which models exist, what kind each is, and their limits.

Loaded from `models.yaml` in each fixtures directory; later directories add or replace models.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import orjson
import yaml
from pydantic import BaseModel, ConfigDict, Field

from mockapi import errors
from mockapi.caches import kept_bytes
from mockapi.seeding import Seeding

ModelKind = Literal["chat", "completion", "edit", "embedding", "audio", "image"]

CATALOGUE_FILES = ("models.yaml", "models.yml", "models.json")


class ModelEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    kind: ModelKind
    context_window: int | None = Field(None, ge=1)
    dimensions: int | None = Field(None, ge=1)
    owned_by: str = "openai"
    created: int = 1677610602


class CatalogueFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    models: list[ModelEntry]


class Catalogue:
    def __init__(self, entries: Iterable[ModelEntry], seeding: Seeding) -> None:
        self._entries: dict[str, ModelEntry] = {}
        for entry in entries:
            self._entries[entry.id] = entry
        # The public objects are built and serialised once: listing models is the hottest read-only route.
        objects = {mid: _model_object(entry, seeding) for mid, entry in self._entries.items()}
        self._objects = {mid: orjson.Fragment(kept_bytes(orjson.dumps(obj))) for mid, obj in objects.items()}
        self._list_body = orjson.Fragment(kept_bytes(orjson.dumps({"object": "list", "data": list(objects.values())})))

    @classmethod
    def load(cls, directories: Iterable[Path], seeding: Seeding) -> Catalogue:
        entries: list[ModelEntry] = []
        for directory in directories:
            for name in CATALOGUE_FILES:
                path = directory / name
                if path.is_file():
                    entries.extend(CatalogueFile.model_validate(yaml.safe_load(path.read_text())).models)
        return cls(entries, seeding)

    def __contains__(self, model_id: str) -> bool:
        return model_id in self._entries

    def get(self, model_id: str) -> ModelEntry:
        """The entry, or the real API's 404 `model_not_found`."""
        entry = self._entries.get(model_id)
        if entry is None:
            raise errors.model_not_found(model_id)
        return entry

    def object(self, model_id: str) -> orjson.Fragment:
        """The model object, already serialised (orjson embeds a Fragment as is)."""
        self.get(model_id)
        return self._objects[model_id]

    def list_body(self) -> orjson.Fragment:
        return self._list_body


def _model_object(entry: ModelEntry, seeding: Seeding) -> dict[str, Any]:
    """The reference's model shape, with its permission object."""
    rng = seeding.rng_for("models", entry.id)
    return {
        "id": entry.id,
        "object": "model",
        "created": entry.created,
        "owned_by": entry.owned_by,
        "permission": [
            {
                "id": seeding.answer_id("modelperm-", rng, 24),
                "object": "model_permission",
                "created": entry.created,
                "allow_create_engine": False,
                "allow_sampling": True,
                "allow_logprobs": True,
                "allow_search_indices": entry.kind == "embedding",
                "allow_view": True,
                "allow_fine_tuning": False,
                "organization": "*",
                "group": None,
                "is_blocking": False,
            }
        ],
        "root": entry.id,
        "parent": None,
    }
