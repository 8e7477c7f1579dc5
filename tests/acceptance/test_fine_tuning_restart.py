"""Fine-tuning jobs on a served process: a job made from an uploaded file, and a restart with --data-dir that
resumes a running job where the clock left it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import openai

from tests.support import ServerProcess, sdk_client

T0 = 1_700_000_000
TRAINING = "".join(
    json.dumps({"prompt": f"Translate {word} ->", "completion": f" {word[::-1]}\n"}) + "\n"
    for word in ("cat", "dog", "bird", "fish", "horse", "mouse", "sheep", "goat", "duck", "frog", "bee")
).encode()


def advance(process: ServerProcess, seconds: float) -> None:
    httpx.post(process.url + "/__mockapi/clock/advance", json={"seconds": seconds}).raise_for_status()


def test_a_restart_with_a_data_dir_resumes_a_running_job(
    start_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    flags = ("--data-dir", str(tmp_path), "--fixed-time", str(T0))
    first = start_server(*flags)
    client = sdk_client(first)
    training = client.files.create(file=("words.jsonl", TRAINING), purpose="fine-tune")
    job = client.fine_tuning.jobs.create(model="babbage-002", training_file=training.id, suffix="words")
    advance(first, 70)
    before = client.fine_tuning.jobs.retrieve(job.id)
    events_before = [event.id for event in client.fine_tuning.jobs.list_events(job.id, limit=100)]
    assert before.status == "running"
    first.stop()

    second = start_server(*flags)
    client = sdk_client(second)
    resumed = client.fine_tuning.jobs.retrieve(job.id)
    assert (resumed.status, resumed.estimated_finish) == ("running", before.estimated_finish)
    assert [event.id for event in client.fine_tuning.jobs.list_events(job.id, limit=100)] == events_before
    assert httpx.get(second.url + "/__mockapi/clock").json()["now"] == T0 + 70
    advance(second, 600)
    done = client.fine_tuning.jobs.retrieve(job.id)
    assert done.status == "succeeded" and done.fine_tuned_model is not None
    assert done.fine_tuned_model.startswith("ft:babbage-002:personal:words:")
    answer = client.completions.create(model=done.fine_tuned_model, prompt="Translate cat ->", max_tokens=5)
    assert answer.model == done.fine_tuned_model and answer.choices[0].text
    assert client.files.content(done.result_files[0]).text.startswith("step,train_loss,")

    httpx.post(second.url + "/__mockapi/reset").raise_for_status()
    try:
        client.fine_tuning.jobs.retrieve(job.id)
    except openai.NotFoundError as missing:
        assert missing.body["message"] == f"Could not find fine-tuning job: {job.id}"  # type: ignore[index]
    else:
        raise AssertionError("reset keeps the job")
    assert httpx.get(second.url + "/__mockapi/clock").json()["now"] == T0
