"""A 2023 fine-tune (/v1/fine-tunes) at a time on the clock: its object and events, computed from its record
(see training_runs.py), and its results file. Pure.

Phases, in seconds from creation: `pending` (its cost and place in the queue told after ENQUEUED_SECONDS, or
the failure of a file that fails validation then), `running` from STARTED_SECONDS through its epochs, then
the model is uploaded and the job succeeds. Event messages are the 2023 API's: "Created fine-tune: ft-...",
"Fine-tune costs $0.21", "Fine-tune enqueued. Queue number: 0", "Fine-tune started", "Completed epoch 1/4",
"Uploaded model: curie:ft-personal-2023-...", "Uploaded result file: file-...", "Fine-tune succeeded",
"Fine-tune cancelled". The fine-tuned model is named `<base>:ft-<org>[:<suffix>]-<UTC time of upload>`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockapi.generators.training_runs import (
    MAX_RESULT_ROWS,
    LossCurve,
    sampled_steps,
    steps_per_epoch,
    training_seconds,
)

ENQUEUED_SECONDS = 10.0
STARTED_SECONDS = 30.0
UPLOAD_SECONDS = 10.0  # after the last epoch
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
# Training prices of the 2023 base models, dollars per 1,000 tokens.
PRICE_PER_1K = {"ada": 0.0004, "babbage": 0.0006, "curie": 0.003, "davinci": 0.03}
RESULTS_FILENAME = "compiled_results.csv"
Record = Mapping[str, Any]


@dataclass(frozen=True)
class Schedule:
    epochs: int
    trained: float  # seconds from creation

    @property
    def uploaded(self) -> float:
        return self.trained + UPLOAD_SECONDS

    @property
    def succeeded(self) -> float:
        return self.uploaded + 1

    def epoch_done(self, epoch: int) -> float:
        return STARTED_SECONDS + (self.trained - STARTED_SECONDS) * epoch / self.epochs


def schedule_of(epochs: int, trained_tokens: int) -> Schedule:
    return Schedule(epochs, STARTED_SECONDS + training_seconds(trained_tokens))


def schedule(record: Record) -> Schedule:
    plan = record["plan"]
    epochs = int(plan["hyperparameters"]["n_epochs"])
    return schedule_of(epochs, int(plan["epoch_tokens"]) * epochs)


def model_name(base: str, organization: str, suffix: str | None, uploaded_at: float) -> str:
    stamp = time.strftime("%Y-%m-%d-%H-%M-%S", time.gmtime(uploaded_at))
    return f"{base}:ft-{organization}{f':{suffix}' if suffix else ''}-{stamp}"


def cost(base: str, trained_tokens: int) -> str:
    return f"${trained_tokens / 1000 * PRICE_PER_1K.get(base, PRICE_PER_1K['curie']):.2f}"


def status_at(record: Record, now: float) -> str:
    cancelled = record.get("cancelled_at")
    if cancelled is not None and now >= cancelled:
        return "cancelled"
    elapsed = now - record["created_at"]
    if elapsed >= ENQUEUED_SECONDS and record["plan"]["failure"] is not None:
        return "failed"
    if elapsed < STARTED_SECONDS:
        return "pending"
    return "running" if elapsed < schedule(record).succeeded else "succeeded"


def finish_time(record: Record) -> float | None:
    if record["plan"]["failure"] is not None or record.get("cancelled_at") is not None:
        return None
    return float(record["created_at"]) + schedule(record).succeeded


def events_at(record: Record, now: float, result_file: str | None = None) -> list[dict[str, Any]]:
    """The events by `now`, oldest first (`result_file`: the results file's id, once it is uploaded)."""
    created = float(record["created_at"])
    plan = record["plan"]
    items: list[tuple[float, str, str]] = [(created, "info", f"Created fine-tune: {record['id']}")]
    enqueued = created + ENQUEUED_SECONDS
    if plan["failure"] is not None:
        items.append((enqueued, "error", plan["failure"]))
    else:
        run = schedule(record)
        items.append((enqueued, "info", f"Fine-tune costs {plan['cost']}"))
        items.append((enqueued, "info", "Fine-tune enqueued. Queue number: 0"))
        items.append((created + STARTED_SECONDS, "info", "Fine-tune started"))
        for epoch in range(1, run.epochs + 1):
            items.append((created + run.epoch_done(epoch), "info", f"Completed epoch {epoch}/{run.epochs}"))
        items.append((created + run.uploaded, "info", f"Uploaded model: {record['fine_tuned_model']}"))
        if result_file is not None:
            items.append((created + run.succeeded, "info", f"Uploaded result file: {result_file}"))
        items.append((created + run.succeeded, "info", "Fine-tune succeeded"))
    cancelled = record.get("cancelled_at")
    last = now
    if cancelled is not None:
        last = min(now, float(cancelled))
        items = [item for item in items if item[0] <= last]
        items.append((float(cancelled), "info", "Fine-tune cancelled"))
    return [
        {"object": "fine-tune-event", "level": level, "message": message, "created_at": int(when)}
        for when, level, message in items
        if when <= last
    ]


def hyperparams_at(record: Record, now: float) -> dict[str, Any]:
    """What was asked (null for what is chosen automatically) until the job starts, then what it uses."""
    started = now - record["created_at"] >= STARTED_SECONDS and record["plan"]["failure"] is None
    cancelled = record.get("cancelled_at")
    if cancelled is not None and cancelled - record["created_at"] < STARTED_SECONDS:
        started = False
    return dict(record["plan"]["hyperparameters"] if started else record["hyperparams"])


def fine_tune_object(
    record: Record, now: float, result_files: list[dict[str, Any]], with_events: bool = True
) -> dict[str, Any]:
    status = status_at(record, now)
    succeeded = status == "succeeded"
    result_id = result_files[0]["id"] if result_files else None
    events = events_at(record, now, result_id)
    body: dict[str, Any] = {
        "id": record["id"],
        "object": "fine-tune",
        "model": record["model"],
        "created_at": record["created_at"],
    }
    if with_events:
        body["events"] = events
    body.update(
        fine_tuned_model=record["fine_tuned_model"] if succeeded else None,
        hyperparams=hyperparams_at(record, now),
        organization_id=record["organization_id"],
        result_files=result_files if succeeded else [],
        status=status,
        validation_files=record["validation_files"],
        training_files=record["training_files"],
        updated_at=events[-1]["created_at"],
    )
    return body


def results_csv(record: Record) -> bytes:
    """compiled_results.csv: per step the tokens and examples seen, losses and accuracies; with a validation
    file its columns too, and with compute_classification_metrics the classification columns at each epoch's
    end."""
    plan = record["plan"]
    resolved = plan["hyperparameters"]
    batch, epochs = int(resolved["batch_size"]), int(resolved["n_epochs"])
    per_epoch = steps_per_epoch(int(plan["examples"]), batch)
    total = per_epoch * epochs
    validated = bool(record["validation_files"])
    classes = _classification_columns(record)
    columns = ["step", "elapsed_tokens", "elapsed_examples", "training_loss", "training_sequence_accuracy"]
    columns.append("training_token_accuracy")
    if validated:
        columns += ["validation_loss", "validation_sequence_accuracy", "validation_token_accuracy"]
    columns += classes
    curve = LossCurve(record["id"], total, validated)
    tokens_per_step = int(plan["epoch_tokens"]) / per_epoch
    rows = [",".join(columns)]
    for step in sampled_steps(total, MAX_RESULT_ROWS):
        metrics = curve.at(step)
        row = [str(step), str(round(step * tokens_per_step)), str(step * batch), f"{metrics.train_loss:.5f}"]
        row += [f"{metrics.train_accuracy**4:.5f}", f"{metrics.train_accuracy:.5f}"]
        if metrics.valid_loss is not None and metrics.valid_accuracy is not None:
            row += [f"{metrics.valid_loss:.5f}", f"{metrics.valid_accuracy**4:.5f}", f"{metrics.valid_accuracy:.5f}"]
        at_epoch_end = step % per_epoch == 0
        score = metrics.valid_accuracy if metrics.valid_accuracy is not None else metrics.train_accuracy
        row += [f"{score:.5f}" if at_epoch_end else "" for _ in classes]
        rows.append(",".join(row))
    return ("\n".join(rows) + "\n").encode()


def _classification_columns(record: Record) -> list[str]:
    asked = record["hyperparams"]
    if not asked.get("compute_classification_metrics"):
        return []
    if asked.get("classification_positive_class") is not None:
        columns = ["classification/accuracy", "classification/precision", "classification/recall"]
        columns += ["classification/auroc", "classification/auprc", "classification/f1.0"]
        columns += [f"classification/f{beta}" for beta in asked.get("classification_betas") or ()]
        return columns
    return ["classification/accuracy", "classification/weighted_f1_score"]
