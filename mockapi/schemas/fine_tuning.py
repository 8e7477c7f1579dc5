"""Requests of /v1/fine_tuning/jobs, named after the current spec's schemas (the answers are built by
generators/fine_tuning.py and validated against the spec by the contract tests)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from mockapi import errors
from mockapi.model_base import Schema

_STRICT = ConfigDict(extra="forbid", strict=True)
_INTEGER = re.compile(r"\s*[+-]?[0-9]+\s*")
METADATA_PAIRS = 16
METADATA_KEY_CHARS = 64
METADATA_VALUE_CHARS = 512

Auto = Literal["auto"]
BatchSize = Auto | Annotated[int, Field(ge=1, le=256)]
LearningRate = Auto | Annotated[float, Field(gt=0)]
Epochs = Auto | Annotated[int, Field(ge=1, le=50)]


class FineTuneSupervisedHyperparameters(Schema):
    model_config = _STRICT

    batch_size: BatchSize = "auto"
    learning_rate_multiplier: LearningRate = "auto"
    n_epochs: Epochs = "auto"


class FineTuneDPOHyperparameters(FineTuneSupervisedHyperparameters):
    beta: Auto | Annotated[float, Field(gt=0, le=2)] = "auto"


class FineTuneReinforcementHyperparameters(FineTuneSupervisedHyperparameters):
    reasoning_effort: Literal["default", "low", "medium", "high"] = "default"
    compute_multiplier: Auto | Annotated[float, Field(gt=0.00001, le=10)] = "auto"
    eval_interval: Auto | Annotated[int, Field(ge=1)] = "auto"
    eval_samples: Auto | Annotated[int, Field(ge=1)] = "auto"


class _Grader(Schema):
    model_config = _STRICT

    name: str


class GraderStringCheck(_Grader):
    type: Literal["string_check"]
    input: str
    reference: str
    operation: Literal["eq", "ne", "like", "ilike"]


class GraderTextSimilarity(_Grader):
    type: Literal["text_similarity"]
    input: str
    reference: str
    evaluation_metric: Literal[
        "cosine", "fuzzy_match", "bleu", "gleu", "meteor", "rouge_1", "rouge_2", "rouge_3", "rouge_4", "rouge_5",
        "rouge_l",
    ]  # fmt: skip


class GraderPython(_Grader):
    type: Literal["python"]
    source: str
    image_tag: str | None = None


class GraderScoreModel(_Grader):
    type: Literal["score_model"]
    model: str
    input: list[dict[str, Any]]
    range: Annotated[list[float], Field(min_length=2, max_length=2)] | None = None
    sampling_params: dict[str, Any] | None = None


class GraderLabelModel(_Grader):
    type: Literal["label_model"]
    model: str
    input: list[dict[str, Any]]
    labels: list[str]
    passing_labels: list[str]


SingleGrader = Annotated[
    GraderStringCheck | GraderTextSimilarity | GraderPython | GraderScoreModel | GraderLabelModel,
    Field(discriminator="type"),
]


class GraderMulti(_Grader):
    type: Literal["multi"]
    graders: SingleGrader | dict[str, SingleGrader]
    calculate_output: str


Grader = Annotated[
    GraderStringCheck | GraderTextSimilarity | GraderPython | GraderScoreModel | GraderMulti,
    Field(discriminator="type"),
]


class FineTuneSupervisedMethod(Schema):
    model_config = _STRICT

    hyperparameters: FineTuneSupervisedHyperparameters | None = None


class FineTuneDPOMethod(Schema):
    model_config = _STRICT

    hyperparameters: FineTuneDPOHyperparameters | None = None


class FineTuneReinforcementMethod(Schema):
    model_config = _STRICT

    grader: Grader
    hyperparameters: FineTuneReinforcementHyperparameters | None = None


MethodType = Literal["supervised", "dpo", "reinforcement"]


class FineTuneMethod(Schema):
    model_config = _STRICT

    type: MethodType
    supervised: FineTuneSupervisedMethod | None = None
    dpo: FineTuneDPOMethod | None = None
    reinforcement: FineTuneReinforcementMethod | None = None

    @model_validator(mode="after")
    def _settings_of_its_type(self) -> FineTuneMethod:
        for kind in ("supervised", "dpo", "reinforcement"):
            if kind != self.type and getattr(self, kind) is not None:
                raise errors.invalid_param(
                    f"method.{kind} is given, but method.type is '{self.type}'.", f"method.{kind}"
                )
        if self.type == "reinforcement" and self.reinforcement is None:
            raise errors.invalid_param("method.reinforcement (with its grader) is required.", "method.reinforcement")
        return self

    def hyperparameters(self) -> FineTuneSupervisedHyperparameters | None:
        settings = getattr(self, self.type)
        return None if settings is None else settings.hyperparameters


class WandbIntegration(Schema):
    model_config = _STRICT

    project: str
    name: str | None = None
    entity: str | None = None
    tags: list[str] | None = None


class FineTuningIntegration(Schema):
    model_config = _STRICT

    type: Literal["wandb"]
    wandb: WandbIntegration


def check_metadata(value: dict[str, str] | None, param: str = "metadata") -> dict[str, str] | None:
    """At most 16 pairs, keys of at most 64 characters, values of at most 512."""
    if value is None:
        return None
    if len(value) > METADATA_PAIRS:
        raise errors.invalid_param(
            f"Invalid '{param}': too many properties. Expected an object with at most {METADATA_PAIRS} properties, "
            f"but got an object with {len(value)} properties instead.",
            param,
        )
    for key, text in value.items():
        if len(key) > METADATA_KEY_CHARS:
            raise errors.invalid_param(
                f"Invalid '{param}': keys must be at most {METADATA_KEY_CHARS} characters; "
                f"'{key[:80]}' has {len(key)}.",
                param,
            )
        if len(text) > METADATA_VALUE_CHARS:
            raise errors.invalid_param(
                f"Invalid '{param}.{key}': string too long. Expected a string with maximum length "
                f"{METADATA_VALUE_CHARS}, but got a string with length {len(text)} instead.",
                f"{param}.{key}",
            )
    return value


class CreateFineTuningJobRequest(Schema):
    model_config = _STRICT

    model: str
    training_file: str
    hyperparameters: FineTuneSupervisedHyperparameters | None = None
    suffix: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    validation_file: str | None = None
    integrations: Annotated[list[FineTuningIntegration], Field(max_length=5)] | None = None
    seed: Annotated[int, Field(ge=0, le=2147483647)] | None = None
    method: FineTuneMethod | None = None
    metadata: dict[str, str] | None = None

    @field_validator("metadata")
    @classmethod
    def _metadata(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        return check_metadata(value)

    def method_type(self) -> MethodType:
        return self.method.type if self.method is not None else "supervised"

    def requested(self) -> dict[str, Any]:
        """The hyperparameters asked for, "auto" for any not given: the method's, else the deprecated
        top-level ones."""
        kinds: dict[MethodType, type[FineTuneSupervisedHyperparameters]] = {
            "supervised": FineTuneSupervisedHyperparameters,
            "dpo": FineTuneDPOHyperparameters,
            "reinforcement": FineTuneReinforcementHyperparameters,
        }
        given = self.method.hyperparameters() if self.method is not None else None
        if given is None:
            given = self.hyperparameters
        fields = given.model_dump() if given is not None else {}
        shape = kinds[self.method_type()]
        return shape.model_validate(
            {key: value for key, value in fields.items() if key in shape.model_fields}
        ).model_dump()


def _integer_text(value: Any) -> Any:
    """Query values are text: an integer (with spaces around it) is taken as one."""
    return int(value) if isinstance(value, str) and _INTEGER.fullmatch(value) else value


class ListFineTuningJobsParams(Schema):
    """`after`, `limit`, and `metadata[key]=value` filters (or `metadata=null`: jobs without metadata)."""

    model_config = ConfigDict(extra="allow")

    after: str | None = None
    limit: int = Field(20, ge=1, le=100)

    @field_validator("limit", mode="before")
    @classmethod
    def _limit_text(cls, value: Any) -> Any:
        return _integer_text(value)

    def metadata_filter(self) -> dict[str, str] | Literal[False] | None:
        """The pairs a job's metadata must hold; None for "no metadata"; False for no filter."""
        extra = self.model_extra or {}
        if extra.get("metadata") == "null":
            return None
        pairs = {
            key[len("metadata[") : -1]: str(value)
            for key, value in extra.items()
            if key.startswith("metadata[") and key.endswith("]")
        }
        return pairs or False


class ListPageParams(Schema):
    """`after` and `limit` of a job's events (20 by default) and checkpoints (10)."""

    model_config = ConfigDict(extra="ignore")

    after: str | None = None
    limit: int | None = Field(None, ge=1, le=100)

    @field_validator("limit", mode="before")
    @classmethod
    def _limit_text(cls, value: Any) -> Any:
        return _integer_text(value)


# Answers.


class FineTuningJobError(Schema):
    code: str
    message: str
    param: str | None


class FineTuningJobHyperparameters(Schema):
    batch_size: int | Auto | None = None
    learning_rate_multiplier: float | Auto | None = None
    n_epochs: int | Auto | None = None


class FineTuningJob(Schema):
    object: Literal["fine_tuning.job"] = "fine_tuning.job"
    id: str
    model: str
    created_at: int
    finished_at: int | None
    fine_tuned_model: str | None
    organization_id: str
    result_files: list[str]
    status: Literal["validating_files", "queued", "running", "paused", "succeeded", "failed", "cancelled"]
    validation_file: str | None
    training_file: str
    hyperparameters: FineTuningJobHyperparameters
    trained_tokens: int | None
    error: FineTuningJobError | None
    user_provided_suffix: str | None
    seed: int
    estimated_finish: int | None
    integrations: list[FineTuningIntegration] | None
    method: dict[str, Any]
    metadata: dict[str, str] | None


class ListPaginatedFineTuningJobsResponse(Schema):
    object: Literal["list"] = "list"
    data: list[FineTuningJob]
    has_more: bool


class FineTuningJobEvent(Schema):
    object: Literal["fine_tuning.job.event"] = "fine_tuning.job.event"
    id: str
    created_at: int
    level: Literal["info", "warn", "error"]
    message: str
    data: dict[str, Any]
    type: Literal["message", "metrics"]


class ListFineTuningJobEventsResponse(Schema):
    object: Literal["list"] = "list"
    data: list[FineTuningJobEvent]
    has_more: bool


class FineTuningJobCheckpoint(Schema):
    object: Literal["fine_tuning.job.checkpoint"] = "fine_tuning.job.checkpoint"
    id: str
    created_at: int
    fine_tuned_model_checkpoint: str
    fine_tuning_job_id: str
    metrics: dict[str, float]
    step_number: int


class ListFineTuningJobCheckpointsResponse(Schema):
    object: Literal["list"] = "list"
    data: list[FineTuningJobCheckpoint]
    first_id: str | None
    last_id: str | None
    has_more: bool
