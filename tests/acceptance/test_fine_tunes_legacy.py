"""The 2023 fine-tunes through the 2023 SDK (openai 0.28) against a real server: a fine-tune created with every
parameter, its events streamed over SSE as the clock moves until it ends, its model answering completions and
deleted; cancellation, a file that fails the fine-tune, and the refusals."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import Any

import pytest

from tests.legacy import run_legacy
from tests.support import API_KEY, ServerProcess

pytestmark = pytest.mark.slow

T0 = 1_700_000_000
# Uploads a prompt/completion file of `count` examples; `ticker()` moves the server's clock in a thread.
UPLOAD = """
import io, threading, time, requests
control = openai.api_base[: -len("/v1")] + "/__mockapi"
def upload(count, words=3):
    examples = [{"prompt": f"Q{i} " + "word " * words + "->", "completion": f" A{i}\\n"} for i in range(count)]
    lines = "".join(json.dumps(example) + "\\n" for example in examples)
    return openai.File.create(file=io.BytesIO(lines.encode()), purpose="fine-tune")["id"]
def ticker(seconds=5, every=0.02, times=400):
    def run():
        for _ in range(times):
            time.sleep(every)
            requests.post(control + "/clock/advance", json={"seconds": seconds})
    threading.Thread(target=run, daemon=True).start()
def advance(seconds):
    requests.post(control + "/clock/advance", json={"seconds": seconds})
"""


def legacy(server: ServerProcess, code: str) -> Any:
    """Run `code` with the 2023 SDK, after the upload and clock helpers."""
    return run_legacy(server.base_url, API_KEY, UPLOAD + textwrap.dedent(code))


@pytest.fixture
def legacy_server(start_server: Callable[..., ServerProcess]) -> ServerProcess:
    return start_server("--fixed-time", str(T0))


def test_a_fine_tune_streams_its_events_to_the_end_and_its_model_answers_and_is_deleted(
    legacy_server: ServerProcess,
) -> None:
    result = legacy(
        legacy_server,
        """
        training, validation = upload(20), upload(5)
        created = openai.FineTune.create(
            training_file=training, validation_file=validation, model="ada", n_epochs=2, batch_size=4,
            learning_rate_multiplier=0.05, prompt_loss_weight=0.1, compute_classification_metrics=True,
            classification_positive_class=" A1", classification_betas=[0.5, 2], suffix="my-model",
        )
        ticker()
        streamed = [(e["created_at"], e["message"]) for e in openai.FineTune.stream_events(created["id"])]
        done = openai.FineTune.retrieve(created["id"])
        model = done["fine_tuned_model"]
        answer = openai.Completion.create(model=model, prompt="Q1 word ->", max_tokens=5)
        base = openai.Completion.create(model="ada", prompt="Q1 word ->", max_tokens=5)
        results = openai.File.download(done["result_files"][0]["id"]).decode()
        listed = [m["id"] for m in openai.Model.list()["data"]]
        deleted = openai.Model.delete(model)
        try:
            openai.Completion.create(model=model, prompt="x")
            gone = None
        except openai.error.InvalidRequestError as exc:
            gone = exc.http_status
        emit({
            "created": created, "streamed": streamed, "done": done, "model": model, "listed": model in listed,
            "answer": [answer["model"], answer["choices"][0]["text"], base["choices"][0]["text"]],
            "results": results.splitlines()[:2], "deleted": deleted, "gone": gone,
            "events": [e["message"] for e in openai.FineTune.list_events(created["id"])["data"]],
            "listed_jobs": [f["id"] for f in openai.FineTune.list()["data"]],
        })
        """,
    )
    created, done = result["created"], result["done"]
    assert created["status"] == "pending" and created["object"] == "fine-tune"
    assert created["hyperparams"] == {
        "batch_size": 4, "learning_rate_multiplier": 0.05, "n_epochs": 2, "prompt_loss_weight": 0.1,
        "compute_classification_metrics": True, "classification_positive_class": " A1",
        "classification_betas": [0.5, 2.0],
    }  # fmt: skip
    assert [e["message"] for e in created["events"]] == [f"Created fine-tune: {created['id']}"]
    messages = [message for _, message in result["streamed"]]
    assert messages[0] == f"Created fine-tune: {created['id']}"
    assert messages[1].startswith("Fine-tune costs $")
    assert messages[2:] == [
        "Fine-tune enqueued. Queue number: 0",
        "Fine-tune started",
        "Completed epoch 1/2",
        "Completed epoch 2/2",
        f"Uploaded model: {result['model']}",
        f"Uploaded result file: {done['result_files'][0]['id']}",
        "Fine-tune succeeded",
    ]
    times = [when for when, _ in result["streamed"]]
    assert times == sorted(times) and times[0] == T0
    assert result["events"] == messages
    assert done["status"] == "succeeded" and done["updated_at"] == times[-1]
    assert result["model"].startswith("ada:ft-personal:my-model-2023-11-14-")
    assert done["result_files"][0]["filename"] == "compiled_results.csv"
    assert done["result_files"][0]["purpose"] == "fine-tune-results"
    assert result["results"][0].startswith("step,elapsed_tokens,elapsed_examples,training_loss,")
    assert "classification/f0.5" in result["results"][0] and "validation_loss" in result["results"][0]
    assert result["listed"] and result["listed_jobs"] == [created["id"]]
    tuned_model, tuned, base = result["answer"]
    assert tuned_model == result["model"] and tuned != base
    assert result["deleted"] == {"id": result["model"], "object": "model", "deleted": True}
    assert result["gone"] == 404


def test_a_fine_tune_is_cancelled_and_a_file_too_long_for_the_model_fails_one(legacy_server: ServerProcess) -> None:
    result = legacy(
        legacy_server,
        """
        training = upload(10)
        job = openai.FineTune.create(training_file=training)
        advance(40)
        cancelled = openai.FineTune.cancel(job["id"])
        try:
            openai.FineTune.cancel(job["id"])
            again = None
        except openai.error.InvalidRequestError as exc:
            again = str(exc)
        failing = openai.FineTune.create(training_file=upload(2, words=2100), model="curie")
        ticker(times=10)
        failed = [e["message"] for e in openai.FineTune.stream_events(failing["id"])]
        failed_job = openai.FineTune.retrieve(failing["id"])
        emit({"cancelled": cancelled, "again": again, "failed": failed_job, "stream": failed})
        """,
    )
    cancelled = result["cancelled"]
    assert cancelled["status"] == "cancelled" and cancelled["fine_tuned_model"] is None
    assert cancelled["events"][-1]["message"] == "Fine-tune cancelled"
    assert cancelled["hyperparams"]["batch_size"] == 1  # it had started: what it chose shows
    assert result["again"] == f"Cannot cancel fine-tune {cancelled['id']}: it has already been cancelled."
    failed = result["failed"]
    assert failed["status"] == "failed" and failed["fine_tuned_model"] is None
    assert failed["events"][-1]["level"] == "error"
    assert "more than the 2049 tokens curie takes" in failed["events"][-1]["message"]
    assert result["stream"][-1] == failed["events"][-1]["message"]


def test_the_2023_refusals(legacy_server: ServerProcess) -> None:
    result = legacy(
        legacy_server,
        """
        training = upload(3)
        out = {}
        for name, params in {
            "model": {"training_file": training, "model": "text-davinci-003"},
            "file": {"training_file": "file-nope"},
            "suffix": {"training_file": training, "suffix": "x" * 41},
            "epochs": {"training_file": training, "n_epochs": 0},
            "classification": {"training_file": training, "compute_classification_metrics": True},
        }.items():
            try:
                openai.FineTune.create(**params)
            except openai.error.InvalidRequestError as exc:
                out[name] = [exc.http_status, exc.param, str(exc)]
        try:
            openai.FineTune.retrieve("ft-nope")
        except openai.error.InvalidRequestError as exc:
            out["missing"] = [exc.http_status, str(exc)]
        try:
            openai.Model.delete("curie")
        except openai.error.PermissionError as exc:
            out["delete"] = [exc.http_status, str(exc)]
        emit(out)
        """,
    )
    assert result["model"] == [
        400, "model",
        "Invalid base model: text-davinci-003 (model must be one of ada, babbage, curie, davinci) or a fine-tuned "
        "model created by your organization: org-mockapi",
    ]  # fmt: skip
    assert result["file"] == [400, "training_file", "No such File object: file-nope"]
    assert result["suffix"][:2] == [400, "suffix"]
    assert result["epochs"][:2] == [400, "n_epochs"]
    assert result["classification"][:2] == [400, "validation_file"]
    assert result["missing"] == [404, "No such fine-tune: ft-nope"]
    assert result["delete"] == [403, "You are not allowed to delete the model 'curie'."]
