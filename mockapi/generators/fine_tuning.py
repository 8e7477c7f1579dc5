"""Today's fine-tuning job (/v1/fine_tuning/jobs) at a time on the clock: its object, events, checkpoints and
results file, computed from its record (see training_runs.py). Pure.

Phases, in work seconds from creation: validating_files for VALIDATION_SECONDS (a file that fails
validation fails the job then), queued for QUEUE_SECONDS, running while the steps are trained, then the
model is written and the job succeeds FINISHING_SECONDS after its last step. A pause (running jobs only)
shows `paused` until resumed, then `queued` again; a cancellation is `cancelled` from then on.

Event messages are the API's: "Created fine-tuning job: ...", "Validating training file: ...", "Files
validated, moving job to queued state", "Fine-tuning job started", "Step 3/30: training loss=1.23",
"Checkpoint created at step 10 with Snapshot ID: ...", "New fine-tuned model created: ...", "The job has
successfully completed".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockapi.generators.training_runs import (
    KEPT_CHECKPOINTS,
    MAX_RESULT_ROWS,
    MAX_STEP_EVENTS,
    LossCurve,
    Pause,
    derived_id,
    interruption,
    pauses_of,
    sampled_steps,
    steps_per_epoch,
    training_seconds,
    wall_time,
    work_time,
)

VALIDATION_SECONDS = 20.0
QUEUE_SECONDS = 20.0
FINISHING_SECONDS = 10.0
# The model is written this long before the job succeeds.
MODEL_WRITTEN_BEFORE = 2.0
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
Record = Mapping[str, Any]
Event = dict[str, Any]


@dataclass(frozen=True)
class Schedule:
    """A job's phases in work seconds, and its steps."""

    epochs: int
    steps_per_epoch: int
    started: float
    trained: float

    @property
    def total_steps(self) -> int:
        return self.epochs * self.steps_per_epoch

    @property
    def finished(self) -> float:
        return self.trained + FINISHING_SECONDS

    def at_step(self, step: int) -> float:
        return self.started + (self.trained - self.started) * step / self.total_steps


def schedule(record: Record) -> Schedule:
    plan = record["plan"]
    resolved = plan["hyperparameters"]
    epochs, batch = int(resolved["n_epochs"]), int(resolved["batch_size"])
    started = VALIDATION_SECONDS + QUEUE_SECONDS
    return Schedule(
        epochs, steps_per_epoch(plan["examples"], batch), started, started + training_seconds(trained_tokens(record))
    )


def trained_tokens(record: Record) -> int:
    plan = record["plan"]
    return int(plan["epoch_tokens"]) * int(plan["hyperparameters"]["n_epochs"])


def status_at(record: Record, now: float) -> str:
    cancelled = record.get("cancelled_at")
    if cancelled is not None and now >= cancelled:
        return "cancelled"
    pauses = pauses_of(record)
    done = work_time(record["created_at"], now, pauses)
    if done < VALIDATION_SECONDS:
        return "validating_files"
    if record["plan"]["failure"] is not None:
        return "failed"
    interrupted = interruption(now, pauses)
    if interrupted is not None:
        return interrupted
    plan = schedule(record)
    if done < plan.started:
        return "queued"
    return "running" if done < plan.finished else "succeeded"


def validated_by(record: Record, now: float) -> bool:
    """Whether the files were validated by `now` (then the hyperparameters chosen for "auto" show)."""
    cancelled = record.get("cancelled_at")
    moment = now if cancelled is None else min(now, float(cancelled))
    done = work_time(record["created_at"], moment, pauses_of(record))
    return record["plan"]["failure"] is None and done >= VALIDATION_SECONDS


def finish_time(record: Record) -> float | None:
    """When the job succeeds (None: failing, cancelled or paused)."""
    if record["plan"]["failure"] is not None or record.get("cancelled_at") is not None:
        return None
    return wall_time(record["created_at"], schedule(record).finished, pauses_of(record))


def job_object(record: Record, now: float) -> dict[str, Any]:
    status = status_at(record, now)
    validated = validated_by(record, now)
    succeeded = status == "succeeded"
    finish = finish_time(record)
    method = record["method"]
    kind = method["type"]
    shown = {**method[kind]["hyperparameters"], **(record["plan"]["hyperparameters"] if validated else {})}
    method_shown = {key: value for key, value in method[kind].items() if key != "hyperparameters"}
    return {
        "object": "fine_tuning.job",
        "id": record["id"],
        "model": record["model"],
        "created_at": record["created_at"],
        "finished_at": int(finish) if succeeded and finish is not None else None,
        "fine_tuned_model": record["fine_tuned_model"] if succeeded else None,
        "organization_id": record["organization_id"],
        "result_files": [record["result_file"]] if succeeded and record.get("result_file") else [],
        "status": status,
        "validation_file": record["validation_file"],
        "training_file": record["training_file"],
        "hyperparameters": {key: shown[key] for key in ("batch_size", "learning_rate_multiplier", "n_epochs")},
        "trained_tokens": trained_tokens(record) if succeeded else None,
        "error": dict(record["plan"]["failure"]) if status == "failed" else None,
        "user_provided_suffix": record["suffix"],
        "seed": record["seed"],
        "estimated_finish": int(finish) if finish is not None and status in ("queued", "running") else None,
        "integrations": record["integrations"],
        "method": {"type": kind, kind: {**method_shown, "hyperparameters": shown}},
        "metadata": record["metadata"],
    }


class _Timeline:
    """Events as they are scheduled: (clock time or None while a pause lasts before it, name, event)."""

    def __init__(self, record: Record) -> None:
        self.record = record
        self.pauses = pauses_of(record)
        self.items: list[tuple[float | None, str, str, str, dict[str, Any]]] = []

    def at_work(self, work: float) -> float | None:
        return wall_time(self.record["created_at"], work, self.pauses)

    def add(
        self, when: float | None, name: str, message: str, level: str = "info", data: dict[str, Any] | None = None
    ) -> None:
        self.items.append((when, name, level, message, data or {}))


def events_at(record: Record, now: float) -> list[Event]:
    """The job's events by `now`, oldest first."""
    job_id, created = record["id"], float(record["created_at"])
    cancelled = record.get("cancelled_at")
    timeline = _Timeline(record)
    timeline.add(created, "created", f"Created fine-tuning job: {job_id}")
    validating = f"Validating training file: {record['training_file']}"
    if record["validation_file"]:
        validating += f" and validation file: {record['validation_file']}"
    timeline.add(created, "validating", validating)
    failure = record["plan"]["failure"]
    if failure is not None:
        timeline.add(timeline.at_work(VALIDATION_SECONDS), "failed", failure["message"], "error")
    else:
        _training_events(record, timeline)
    for index, pause in enumerate(timeline.pauses):
        timeline.add(pause.at, f"paused-{index}", "Fine-tuning job paused")
        if pause.resumed is not None:
            timeline.add(pause.resumed, f"resumed-{index}", "Fine-tuning job resumed")
    if cancelled is not None:
        timeline.add(float(cancelled), "cancelled", "Fine-tuning job cancelled")
    last = now if cancelled is None else min(now, float(cancelled))
    due = [
        (when, order, item)
        for order, item in enumerate(timeline.items)
        if (when := item[0]) is not None and when <= last
    ]
    due.sort(key=lambda entry: (entry[0], entry[1]))
    return [
        {
            "object": "fine_tuning.job.event",
            "id": derived_id("ftevent-", 24, job_id, name),
            "created_at": int(when),
            "level": level,
            "message": message,
            "data": data,
            "type": "metrics" if data else "message",
        }
        for when, _, (_, name, level, message, data) in due
    ]


def _training_events(record: Record, timeline: _Timeline) -> None:
    plan = schedule(record)
    total = plan.total_steps
    timeline.add(timeline.at_work(VALIDATION_SECONDS), "validated", "Files validated, moving job to queued state")
    timeline.add(timeline.at_work(plan.started), "started", "Fine-tuning job started")
    curve = _curve(record, plan)
    for step in sampled_steps(total, MAX_STEP_EVENTS):
        metrics = curve.at(step)
        data: dict[str, Any] = {"step": step, "train_loss": metrics.train_loss, "total_steps": total}
        data["train_mean_token_accuracy"] = metrics.train_accuracy
        message = f"Step {step}/{total}: training loss={metrics.train_loss:.2f}"
        if metrics.valid_loss is not None:
            data.update(valid_loss=metrics.valid_loss, valid_mean_token_accuracy=metrics.valid_accuracy)
            message += f", validation loss={metrics.valid_loss:.2f}"
            if step == total:
                full_loss, full_accuracy = curve.full_validation()
                data.update(full_valid_loss=full_loss, full_valid_mean_token_accuracy=full_accuracy)
                message += f", full validation loss={full_loss:.2f}"
        timeline.add(timeline.at_work(plan.at_step(step)), f"step-{step}", message, data=data)
    written = timeline.at_work(plan.finished - MODEL_WRITTEN_BEFORE)
    for step, name in _snapshots(record, plan)[:-1]:
        timeline.add(written, f"checkpoint-{step}", f"Checkpoint created at step {step} with Snapshot ID: {name}")
    timeline.add(written, "model", f"New fine-tuned model created: {record['fine_tuned_model']}")
    timeline.add(timeline.at_work(plan.finished), "succeeded", "The job has successfully completed")


def _curve(record: Record, plan: Schedule) -> LossCurve:
    return LossCurve(record["id"], plan.total_steps, bool(record["validation_file"]))


def _snapshots(record: Record, plan: Schedule) -> list[tuple[int, str]]:
    """(step, model name) of the checkpoints kept: the last epochs', the final one the job's model."""
    model = record["fine_tuned_model"]
    prefix = model.rsplit(":", 1)[0]
    first = max(1, plan.epochs - KEPT_CHECKPOINTS + 1)
    kept = []
    for epoch in range(first, plan.epochs + 1):
        step = epoch * plan.steps_per_epoch
        name = (
            model
            if epoch == plan.epochs
            else f"{prefix}:{derived_id('', 8, record['id'], 'snapshot', step)}:ckpt-step-{step}"
        )
        kept.append((step, name))
    return kept


def checkpoints_at(record: Record, now: float) -> list[dict[str, Any]]:
    """The checkpoints written by `now` (each at the end of its epoch), newest first."""
    if record["plan"]["failure"] is not None:
        return []
    plan = schedule(record)
    pauses: list[Pause] = pauses_of(record)
    cancelled = record.get("cancelled_at")
    curve = _curve(record, plan)
    found = []
    for step, name in _snapshots(record, plan):
        when = wall_time(record["created_at"], plan.at_step(step), pauses)
        if when is None or when > now or (cancelled is not None and when > cancelled):
            continue
        metrics = curve.at(step)
        measured: dict[str, float] = {
            "step": float(step),
            "train_loss": metrics.train_loss,
            "train_mean_token_accuracy": metrics.train_accuracy,
        }
        if metrics.valid_loss is not None and metrics.valid_accuracy is not None:
            full_loss, full_accuracy = curve.full_validation()
            measured.update(valid_loss=metrics.valid_loss, valid_mean_token_accuracy=metrics.valid_accuracy)
            measured.update(full_valid_loss=full_loss, full_valid_mean_token_accuracy=full_accuracy)
        found.append({
            "object": "fine_tuning.job.checkpoint",
            "id": derived_id("ftckpt_", 24, record["id"], "checkpoint", step),
            "created_at": int(when),
            "fine_tuned_model_checkpoint": name,
            "fine_tuning_job_id": record["id"],
            "metrics": measured,
            "step_number": step,
        })  # fmt: skip
    found.reverse()
    return found


RESULTS_FILENAME = "step_metrics.csv"


def results_csv(record: Record) -> bytes:
    """The results file of a job that succeeded: one row per step (MAX_RESULT_ROWS of them at most)."""
    plan = schedule(record)
    curve = _curve(record, plan)
    rows = ["step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy"]
    for step in sampled_steps(plan.total_steps, MAX_RESULT_ROWS):
        metrics = curve.at(step)
        valid = "" if metrics.valid_loss is None else f"{metrics.valid_loss:.5f}"
        valid_accuracy = "" if metrics.valid_accuracy is None else f"{metrics.valid_accuracy:.5f}"
        rows.append(f"{step},{metrics.train_loss:.5f},{metrics.train_accuracy:.5f},{valid},{valid_accuracy}")
    return ("\n".join(rows) + "\n").encode()
