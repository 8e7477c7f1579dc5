"""Requests of the 2023 /v1/fine-tunes, named after the 2023 spec's schemas (the answers are built by
generators/fine_tunes.py and validated against that spec by the contract tests)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field

from mockapi.model_base import Schema
from mockapi.schemas.files import OpenAIFile

_STRICT = ConfigDict(extra="forbid", strict=True)


class CreateFineTuneRequest(Schema):
    """Every parameter of the 2023 reference; `model` null is curie, as its default."""

    model_config = _STRICT

    training_file: str
    validation_file: str | None = None
    model: str | None = "curie"
    n_epochs: Annotated[int, Field(ge=1, le=50)] | None = 4
    batch_size: Annotated[int, Field(ge=1, le=256)] | None = None
    learning_rate_multiplier: Annotated[float, Field(gt=0)] | None = None
    prompt_loss_weight: Annotated[float, Field(ge=0)] | None = 0.01
    compute_classification_metrics: bool | None = False
    classification_n_classes: Annotated[int, Field(ge=2)] | None = None
    classification_positive_class: str | None = None
    classification_betas: list[Annotated[float, Field(gt=0)]] | None = None
    suffix: Annotated[str, Field(min_length=1, max_length=40)] | None = None

    def hyperparams(self) -> dict[str, Any]:
        """As the fine-tune shows them before it starts: what was asked, null for what it chooses itself."""
        shown: dict[str, Any] = {
            "batch_size": self.batch_size,
            "learning_rate_multiplier": self.learning_rate_multiplier,
            "n_epochs": self.n_epochs if self.n_epochs is not None else 4,
            "prompt_loss_weight": self.prompt_loss_weight if self.prompt_loss_weight is not None else 0.01,
        }
        if self.compute_classification_metrics:
            shown["compute_classification_metrics"] = True
            for name in ("classification_n_classes", "classification_positive_class", "classification_betas"):
                if getattr(self, name) is not None:
                    shown[name] = getattr(self, name)
        return shown


class ListFineTuneEventsParams(Schema):
    model_config = ConfigDict(extra="ignore")

    stream: bool = False


# Answers.


class FineTuneEvent(Schema):
    object: str = "fine-tune-event"
    created_at: int
    level: str
    message: str


class FineTune(Schema):
    id: str
    object: str = "fine-tune"
    created_at: int
    updated_at: int
    model: str
    fine_tuned_model: str | None
    organization_id: str
    status: str
    hyperparams: dict[str, Any]
    training_files: list[OpenAIFile]
    validation_files: list[OpenAIFile]
    result_files: list[OpenAIFile]
    events: list[FineTuneEvent] | None = None


class ListFineTunesResponse(Schema):
    object: str = "list"
    data: list[FineTune]


class ListFineTuneEventsResponse(Schema):
    object: str = "list"
    data: list[FineTuneEvent]
