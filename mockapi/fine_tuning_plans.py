"""What a new fine-tuning job (/v1/fine_tuning/jobs) is made of: the base model a name stands for and the
methods it trains with, the hyperparameters chosen for "auto", and why validating its files will fail it.

All is decided when the job is created (its files read then) and kept in its record, so the job's progress
is a function of that record and the clock alone.
"""

from __future__ import annotations

from typing import Any

from mockapi.catalogue import ModelEntry
from mockapi.context import Caller
from mockapi.generators.training_data import Dataset
from mockapi.generators.training_runs import auto_batch_size, auto_epochs
from mockapi.schemas.fine_tuning import CreateFineTuningJobRequest, MethodType
from mockapi.seeding import Seeding
from mockapi.state import AppState
from mockapi.training_jobs import organization_id, organization_name

MIN_EXAMPLES = 10
# The learning rate multiplier and DPO beta chosen for "auto".
AUTO_LEARNING_RATE = 1.8
AUTO_BETA = 0.1

_SUPERVISED_AND_DPO = frozenset({"supervised", "dpo"})
# The snapshots fine-tuning takes, with their methods, and the names that stand for them.
SNAPSHOTS: dict[str, frozenset[str]] = {
    "gpt-4o-mini-2024-07-18": _SUPERVISED_AND_DPO,
    "gpt-4o-2024-08-06": _SUPERVISED_AND_DPO,
    "gpt-4.1-2025-04-14": _SUPERVISED_AND_DPO,
    "gpt-4.1-mini-2025-04-14": _SUPERVISED_AND_DPO,
    "gpt-4.1-nano-2025-04-14": _SUPERVISED_AND_DPO,
    "gpt-3.5-turbo-0125": frozenset({"supervised"}),
    "gpt-3.5-turbo-1106": frozenset({"supervised"}),
    "gpt-3.5-turbo-0613": frozenset({"supervised"}),
    "babbage-002": frozenset({"supervised"}),
    "davinci-002": frozenset({"supervised"}),
    "o4-mini-2025-04-16": frozenset({"reinforcement"}),
}
ALIASES = {
    "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
    "gpt-4o": "gpt-4o-2024-08-06",
    "gpt-4.1": "gpt-4.1-2025-04-14",
    "gpt-4.1-mini": "gpt-4.1-mini-2025-04-14",
    "gpt-4.1-nano": "gpt-4.1-nano-2025-04-14",
    "gpt-3.5-turbo": "gpt-3.5-turbo-0125",
    "o4-mini": "o4-mini-2025-04-16",
}
# Catalogue entries for snapshots the catalogue does not list itself.
BEHAVES_AS = {snapshot: alias for alias, snapshot in ALIASES.items()}


def base_model(state: AppState, owner: str, model: str) -> tuple[str, ModelEntry] | None:
    """The snapshot a job on `model` trains, and the catalogue entry it behaves as: a snapshot, its alias,
    or one of the owner's fine-tuned models (trained further)."""
    if model.startswith("ft:"):
        entry = state.fine_tuned.find(owner, model)
        snapshot = model.split(":")[1]
        return (snapshot, entry) if entry is not None and snapshot in SNAPSHOTS else None
    snapshot = ALIASES.get(model, model)
    if snapshot not in SNAPSHOTS:
        return None
    entry = state.catalogue.find(snapshot) or state.catalogue.find(BEHAVES_AS.get(snapshot, snapshot))
    return (snapshot, entry) if entry is not None else None


def new_record(
    seeding: Seeding, caller: Caller, body: CreateFineTuningJobRequest, snapshot: str, entry: ModelEntry,
    training: Dataset, validation: Dataset | None,
) -> dict[str, Any]:  # fmt: skip
    job_id = seeding.next_id("ftjob-", 24)
    method = body.method_type()
    requested = body.requested()
    settings: dict[str, Any] = {"hyperparameters": requested}
    if method == "reinforcement" and body.method is not None and body.method.reinforcement is not None:
        settings["grader"] = body.method.reinforcement.grader.model_dump(exclude_none=True)
    suffix = body.suffix or ""
    model_id = seeding.next_id("", 8)
    return {
        "id": job_id,
        "created_at": seeding.now(),
        "organization_id": organization_id(caller),
        "model": body.model if body.model.startswith("ft:") else snapshot,
        "base": entry.id,
        "training_file": body.training_file,
        "validation_file": body.validation_file,
        "suffix": body.suffix,
        "seed": body.seed if body.seed is not None else Seeding.derived(job_id, "seed").randrange(2**31),
        "integrations": [item.model_dump() for item in body.integrations] if body.integrations else [],
        "metadata": body.metadata,
        "method": {"type": method, method: settings},
        "fine_tuned_model": f"ft:{snapshot}:{organization_name(caller)}:{suffix}:{model_id}",
        "plan": {
            "examples": training.examples,
            "epoch_tokens": training.tokens,
            "hyperparameters": _resolved(requested, training.examples),
            "failure": _failure(body, snapshot, entry, method, training, validation),
        },
        "pauses": [],
        "cancelled_at": None,
        "result_file": None,
    }


def _resolved(requested: dict[str, Any], examples: int) -> dict[str, Any]:
    """The hyperparameters the job uses: those asked for, and for each "auto" what the API chooses."""
    chosen = {
        "n_epochs": auto_epochs(examples),
        "batch_size": auto_batch_size(examples),
        "learning_rate_multiplier": AUTO_LEARNING_RATE,
        "beta": AUTO_BETA,
        "compute_multiplier": 1.0,
        "eval_interval": 1,
        "eval_samples": 1,
    }
    resolved = {key: chosen[key] if value == "auto" else value for key, value in requested.items()}
    if resolved.get("reasoning_effort") == "default":
        resolved["reasoning_effort"] = "medium"
    return resolved


def _failure(
    body: CreateFineTuningJobRequest, snapshot: str, entry: ModelEntry, method: MethodType, training: Dataset,
    validation: Dataset | None,
) -> dict[str, Any] | None:  # fmt: skip
    """Why validating the files fails the job, as its `error` object (None: they pass)."""
    for param, file_id, dataset in (
        ("training_file", body.training_file, training),
        ("validation_file", body.validation_file, validation),
    ):
        if dataset is None or file_id is None:
            continue
        what = param.split("_")[0]
        problem = dataset.problem or _format_problem(file_id, dataset, snapshot, entry, method)
        if problem is not None:
            return {
                "code": f"invalid_{param}",
                "message": f"The job failed due to an invalid {what} file. {problem}",
                "param": param,
            }
    if training.examples < MIN_EXAMPLES:
        message = f"Training file has {training.examples} example(s), but must have at least {MIN_EXAMPLES} examples"
        return {"code": "invalid_n_examples", "message": message, "param": "training_file"}
    return None


def _format_problem(file_id: str, dataset: Dataset, snapshot: str, entry: ModelEntry, method: MethodType) -> str | None:
    """A file in another format than the model and method train on."""
    found = dataset.format
    if found is None:
        return None
    lead = f"Invalid file format. Input file {file_id} is in the {found} format, but"
    if entry.kind == "completion":
        if found != "prompt-completion":
            wants = "requires prompt-completion formatted data."
            return f"{lead} the specified model {snapshot} is a completion model and {wants}"
        return None
    if found == "prompt-completion":
        return f"{lead} the specified model {snapshot} is a chat model and requires chat-formatted data."
    wanted = {"supervised": "fine-tune-chat", "dpo": "preference", "reinforcement": "fine-tune-chat"}[method]
    if found != wanted:
        trained_by = "dpo" if found == "preference" else "supervised"
        return (
            f"{lead} the specified fine-tuning job is not using '{trained_by}' as the training method "
            f"(provided method={method}). "
        )
    return None
