"""Training runs as pure functions of their record and the clock: the "auto" rules, pauses mapped between work
and clock time, and today's and the 2023 jobs' status, events, checkpoints and results at any time."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from mockapi.generators import fine_tunes, fine_tuning
from mockapi.generators.training_runs import (
    MAX_STEP_EVENTS,
    REQUEUE_SECONDS,
    Pause,
    auto_batch_size,
    auto_epochs,
    interruption,
    sampled_steps,
    wall_time,
    work_time,
)

T0 = 1_700_000_000


def test_auto_epochs_follow_the_fine_tuning_guide() -> None:
    assert [auto_epochs(n) for n in (1, 5, 10, 33, 34, 100, 8333, 8334, 25_000, 100_000)] == [
        25, 20, 10, 3, 3, 3, 3, 2, 1, 1,
    ]  # fmt: skip


def test_auto_batch_size_is_a_fifth_of_a_percent_of_the_examples_within_1_and_256() -> None:
    assert [auto_batch_size(n) for n in (10, 1000, 5000, 1_000_000)] == [1, 2, 10, 256]


def test_sampled_steps_keep_the_last_and_are_bounded() -> None:
    assert sampled_steps(5, 100) == [1, 2, 3, 4, 5]
    many = sampled_steps(100_000, 100)
    assert len(many) == 100 and many[-1] == 100_000 and many == sorted(set(many))


def test_a_pause_holds_work_until_resumed_and_then_requeues() -> None:
    pauses = [Pause(at=T0 + 50, work=50, resumed=T0 + 80)]
    assert work_time(T0, T0 + 50, pauses) == 50
    assert work_time(T0, T0 + 70, pauses) == 50
    assert work_time(T0, T0 + 80 + REQUEUE_SECONDS + 5, pauses) == 55
    assert wall_time(T0, 40, pauses) == T0 + 40
    assert wall_time(T0, 60, pauses) == T0 + 60 + 30 + REQUEUE_SECONDS
    assert interruption(T0 + 60, pauses) == "paused"
    assert interruption(T0 + 85, pauses) == "queued"
    assert interruption(T0 + 95, pauses) is None
    unresumed = [Pause(at=T0 + 50, work=50, resumed=None)]
    assert wall_time(T0, 60, unresumed) is None
    assert work_time(T0, T0 + 1000, unresumed) == 50


def job(**changes: Any) -> dict[str, Any]:
    """A record as the router makes it: 20 examples of 50 tokens, 3 epochs of batch 2 (30 steps)."""
    record: dict[str, Any] = {
        "id": "ftjob-abc",
        "created_at": T0,
        "organization_id": "org-x",
        "model": "gpt-4o-mini-2024-07-18",
        "base": "gpt-4o-mini-2024-07-18",
        "training_file": "file-train",
        "validation_file": None,
        "suffix": "s",
        "seed": 7,
        "integrations": [],
        "metadata": None,
        "method": {
            "type": "supervised",
            "supervised": {
                "hyperparameters": {
                    "batch_size": "auto",
                    "learning_rate_multiplier": "auto",
                    "n_epochs": 3,
                }
            },
        },
        "fine_tuned_model": "ft:gpt-4o-mini-2024-07-18:personal:s:abcd1234",
        "plan": {
            "examples": 20,
            "epoch_tokens": 1000,
            "hyperparameters": {"batch_size": 2, "learning_rate_multiplier": 1.8, "n_epochs": 3},
            "failure": None,
        },
        "pauses": [],
        "cancelled_at": None,
        "result_file": None,
    }
    record.update(changes)
    return record


def test_a_job_moves_through_its_statuses_on_the_clock() -> None:
    record = job()
    finish = T0 + 40 + 60 + 10  # validation 20 s, queue 20 s, training a minute at least, finishing 10 s
    assert fine_tuning.finish_time(record) == finish
    seen = [fine_tuning.status_at(record, T0 + t) for t in (0, 19, 20, 39, 40, 109, 110, 10_000)]
    assert seen == ["validating_files"] * 2 + ["queued"] * 2 + ["running"] * 2 + ["succeeded"] * 2
    done = fine_tuning.job_object(record, finish)
    assert (done["trained_tokens"], done["finished_at"], done["fine_tuned_model"]) == (
        3000,
        finish,
        record["fine_tuned_model"],
    )
    assert fine_tuning.job_object(record, T0 + 50)["estimated_finish"] == finish


def test_hyperparameters_show_auto_until_the_files_are_validated() -> None:
    record = job()
    assert fine_tuning.job_object(record, T0 + 5)["hyperparameters"]["batch_size"] == "auto"
    later = fine_tuning.job_object(record, T0 + 25)
    assert later["hyperparameters"] == {"batch_size": 2, "learning_rate_multiplier": 1.8, "n_epochs": 3}
    assert later["method"]["supervised"]["hyperparameters"] == later["hyperparameters"]


def test_the_events_of_a_job_that_succeeds_are_the_apis_in_order() -> None:
    record = job()
    events = fine_tuning.events_at(record, T0 + 1000)
    messages = [event["message"] for event in events]
    assert messages[:4] == [
        "Created fine-tuning job: ftjob-abc",
        "Validating training file: file-train",
        "Files validated, moving job to queued state",
        "Fine-tuning job started",
    ]
    assert messages[4] == f"Step 1/30: training loss={events[4]['data']['train_loss']:.2f}"
    assert [e["data"]["step"] for e in events if e["type"] == "metrics"] == list(range(1, 31))
    assert messages[-4:] == [
        "Checkpoint created at step 10 with Snapshot ID: "
        f"{fine_tuning.checkpoints_at(record, T0 + 1000)[2]['fine_tuned_model_checkpoint']}",
        "Checkpoint created at step 20 with Snapshot ID: "
        f"{fine_tuning.checkpoints_at(record, T0 + 1000)[1]['fine_tuned_model_checkpoint']}",
        f"New fine-tuned model created: {record['fine_tuned_model']}",
        "The job has successfully completed",
    ]
    times = [event["created_at"] for event in events]
    assert times == sorted(times) and len({event["id"] for event in events}) == len(events)
    # Only what has happened by then, with the same ids.
    early = fine_tuning.events_at(record, T0 + 45)
    assert [e["id"] for e in early] == [e["id"] for e in events[: len(early)]]
    assert early[-1]["message"].startswith("Step ")


def test_step_events_are_bounded() -> None:
    record = job(plan={**job()["plan"], "examples": 100_000, "epoch_tokens": 10_000_000})
    metrics = [e for e in fine_tuning.events_at(record, T0 + 10**9) if e["type"] == "metrics"]
    assert len(metrics) == MAX_STEP_EVENTS
    assert metrics[-1]["data"]["step"] == metrics[-1]["data"]["total_steps"]


def test_checkpoints_are_the_last_three_epochs_and_the_last_is_the_model() -> None:
    record = job(validation_file="file-valid")
    checkpoints = fine_tuning.checkpoints_at(record, T0 + 1000)
    assert [c["step_number"] for c in checkpoints] == [30, 20, 10]
    assert checkpoints[0]["fine_tuned_model_checkpoint"] == record["fine_tuned_model"]
    assert checkpoints[1]["fine_tuned_model_checkpoint"].endswith(":ckpt-step-20")
    assert set(checkpoints[0]["metrics"]) == {
        "step", "train_loss", "train_mean_token_accuracy", "valid_loss", "valid_mean_token_accuracy",
        "full_valid_loss", "full_valid_mean_token_accuracy",
    }  # fmt: skip
    # The first epoch's checkpoint exists once that epoch is done (a third of the way through training).
    assert [c["step_number"] for c in fine_tuning.checkpoints_at(record, T0 + 40 + 21)] == [10]


def test_a_paused_job_stops_and_resumes_where_it_was() -> None:
    record = job(pauses=[[T0 + 50, 50, None]])
    assert fine_tuning.status_at(record, T0 + 500) == "paused"
    assert fine_tuning.finish_time(record) is None
    frozen = fine_tuning.events_at(record, T0 + 500)
    assert frozen[-1]["message"] == "Fine-tuning job paused"
    resumed = job(pauses=[[T0 + 50, 50, T0 + 500]])
    assert fine_tuning.status_at(resumed, T0 + 505) == "queued"
    assert fine_tuning.status_at(resumed, T0 + 511) == "running"
    assert fine_tuning.finish_time(resumed) == T0 + 110 + 450 + REQUEUE_SECONDS


def test_a_cancelled_job_keeps_what_happened_before() -> None:
    record = job(cancelled_at=T0 + 45)
    assert fine_tuning.status_at(record, T0 + 44) == "running"
    assert fine_tuning.status_at(record, T0 + 1000) == "cancelled"
    events = fine_tuning.events_at(record, T0 + 1000)
    assert events[-1]["message"] == "Fine-tuning job cancelled"
    assert all(event["created_at"] <= T0 + 45 for event in events)
    assert fine_tuning.job_object(record, T0 + 1000)["fine_tuned_model"] is None


def test_a_job_whose_file_fails_validation_fails_with_its_error() -> None:
    message = "Training file has 3 example(s), but must have at least 10 examples"
    failure = {"code": "invalid_n_examples", "message": message, "param": "training_file"}
    record = job(plan={**job()["plan"], "failure": failure})
    assert fine_tuning.status_at(record, T0 + 19) == "validating_files"
    failed = fine_tuning.job_object(record, T0 + 20)
    assert (failed["status"], failed["error"], failed["finished_at"]) == ("failed", failure, None)
    assert failed["hyperparameters"]["batch_size"] == "auto"
    assert fine_tuning.events_at(record, T0 + 20)[-1] | {"id": None} == {
        "object": "fine_tuning.job.event", "id": None, "created_at": T0 + 20, "level": "error",
        "message": failure["message"], "data": {}, "type": "message",
    }  # fmt: skip
    assert fine_tuning.checkpoints_at(record, T0 + 1000) == []


def test_the_results_file_has_a_row_per_step() -> None:
    rows = fine_tuning.results_csv(job(validation_file="file-v")).decode().splitlines()
    assert rows[0] == "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy"
    assert len(rows) == 31 and rows[-1].startswith("30,")
    assert all(cell for cell in rows[5].split(","))


def legacy(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": "ft-abc",
        "created_at": T0,
        "organization_id": "org-x",
        "model": "curie",
        "base": "curie",
        "hyperparams": {
            "batch_size": None,
            "learning_rate_multiplier": None,
            "n_epochs": 4,
            "prompt_loss_weight": 0.01,
        },
        "fine_tuned_model": fine_tunes.model_name("curie", "personal", None, T0 + 100),
        "plan": {
            "examples": 10,
            "epoch_tokens": 500,
            "hyperparameters": {
                "batch_size": 1,
                "learning_rate_multiplier": 0.1,
                "n_epochs": 4,
                "prompt_loss_weight": 0.01,
            },
            "cost": "$0.01",
            "failure": None,
        },
        "training_files": [],
        "validation_files": [],
        "cancelled_at": None,
    }
    record.update(changes)
    return record


def test_a_2023_fine_tune_tells_its_story_in_the_2023_words() -> None:
    record = legacy()
    assert record["fine_tuned_model"] == "curie:ft-personal-2023-11-14-22-15-00"
    assert fine_tunes.model_name("ada", "acme", "my-model", T0) == "ada:ft-acme:my-model-2023-11-14-22-13-20"
    messages = [e["message"] for e in fine_tunes.events_at(record, T0 + 1000, "file-results")]
    assert messages == [
        "Created fine-tune: ft-abc",
        "Fine-tune costs $0.01",
        "Fine-tune enqueued. Queue number: 0",
        "Fine-tune started",
        "Completed epoch 1/4",
        "Completed epoch 2/4",
        "Completed epoch 3/4",
        "Completed epoch 4/4",
        "Uploaded model: curie:ft-personal-2023-11-14-22-15-00",
        "Uploaded result file: file-results",
        "Fine-tune succeeded",
    ]
    assert [fine_tunes.status_at(record, T0 + t) for t in (0, 29, 30, 100, 101)] == [
        "pending", "pending", "running", "running", "succeeded",
    ]  # fmt: skip


def test_a_2023_fine_tune_shows_null_for_chosen_hyperparameters_until_it_starts() -> None:
    record = legacy()
    assert fine_tunes.fine_tune_object(record, T0 + 5, [])["hyperparams"]["batch_size"] is None
    assert fine_tunes.fine_tune_object(record, T0 + 31, [])["hyperparams"]["batch_size"] == 1


@pytest.mark.parametrize("when", [5, 50])
def test_a_cancelled_2023_fine_tune_ends_with_its_cancellation(when: int) -> None:
    record = legacy(cancelled_at=T0 + when)
    body = fine_tunes.fine_tune_object(record, T0 + 1000, [])
    assert body["status"] == "cancelled"
    assert body["events"][-1] == {
        "object": "fine-tune-event",
        "level": "info",
        "message": "Fine-tune cancelled",
        "created_at": T0 + when,
    }
    assert body["updated_at"] == T0 + when


def test_a_2023_results_file_has_classification_columns_when_asked() -> None:
    asked = {**legacy()["hyperparams"], "compute_classification_metrics": True, "classification_positive_class": " yes"}
    record = legacy(hyperparams=asked, validation_files=[{"id": "file-v"}])
    rows = fine_tunes.results_csv(copy.deepcopy(record)).decode().splitlines()
    header = rows[0].split(",")
    assert header[:6] == [
        "step",
        "elapsed_tokens",
        "elapsed_examples",
        "training_loss",
        "training_sequence_accuracy",
        "training_token_accuracy",
    ]
    assert "validation_loss" in header and "classification/f1.0" in header
    epoch_end = rows[10].split(",")  # step 10: the first epoch's end (10 examples, batch 1)
    assert epoch_end[0] == "10" and epoch_end[-1] != ""
    assert rows[9].split(",")[-1] == ""
