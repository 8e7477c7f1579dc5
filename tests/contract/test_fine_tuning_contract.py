"""The fine-tuning bodies validated against the specs: today's jobs, events, checkpoints and lists in every
status against the current spec, the 2023 fine-tunes against the 2023 spec, and deleting a model against both."""

from __future__ import annotations

import io
from typing import Any

import httpx
import orjson
import pytest

from mockapi.pytest_plugin import Mockapi
from tests.contract import current_spec, spec

EXAMPLES = [
    {"messages": [{"role": "user", "content": f"Hi {i}"}, {"role": "assistant", "content": f"Hello {i}!"}]}
    for i in range(10)
]
PAIRS = [{"prompt": f"{i} ->", "completion": f" {i + 1}\n"} for i in range(10)]


@pytest.fixture
def http(mockapi: Mockapi) -> httpx.Client:
    return httpx.Client(base_url=mockapi.url, headers={"Authorization": f"Bearer {mockapi.api_key}"}, timeout=30)


def put_file(mockapi: Mockapi, records: list[dict[str, Any]]) -> str:
    data = b"".join(orjson.dumps(record) + b"\n" for record in records)
    owner = f"key:{mockapi.api_key}"
    return mockapi.state.files.add(
        owner, "t.jsonl", "fine-tune", mockapi.state.seeding.now(), io.BytesIO(data), len(data)
    ).id


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def test_todays_job_bodies_match_the_current_spec_in_every_status(mockapi: Mockapi, http: httpx.Client) -> None:
    training, validation = put_file(mockapi, EXAMPLES), put_file(mockapi, EXAMPLES)
    body = {
        "model": "gpt-4o-mini", "training_file": training, "validation_file": validation, "suffix": "c",
        "metadata": {"k": "v"}, "integrations": [{"type": "wandb", "wandb": {"project": "p", "tags": ["t"]}}],
    }  # fmt: skip
    created = ok(http.post("/v1/fine_tuning/jobs", json=body))
    current_spec.check("/fine_tuning/jobs", "post", created)
    job = f"/v1/fine_tuning/jobs/{created['id']}"
    statuses = set()
    for _ in range(40):
        retrieved = ok(http.get(job))
        current_spec.check("/fine_tuning/jobs/{fine_tuning_job_id}", "get", retrieved)
        current_spec.check("/fine_tuning/jobs/{fine_tuning_job_id}/events", "get", ok(http.get(job + "/events")))
        current_spec.check(
            "/fine_tuning/jobs/{fine_tuning_job_id}/checkpoints", "get", ok(http.get(job + "/checkpoints"))
        )
        statuses.add(retrieved["status"])
        if retrieved["status"] == "succeeded":
            break
        mockapi.advance(10)
    assert statuses == {"validating_files", "queued", "running", "succeeded"}
    assert len(ok(http.get(job + "/checkpoints"))["data"]) == 3
    current_spec.check("/fine_tuning/jobs", "get", ok(http.get("/v1/fine_tuning/jobs", params={"metadata[k]": "v"})))
    deleted = ok(http.delete(f"/v1/models/{retrieved['fine_tuned_model']}"))
    current_spec.check("/models/{model}", "delete", deleted)


def test_paused_resumed_cancelled_and_failed_jobs_match_the_current_spec(mockapi: Mockapi, http: httpx.Client) -> None:
    training = put_file(mockapi, EXAMPLES)
    job = (
        "/v1/fine_tuning/jobs/"
        + ok(http.post("/v1/fine_tuning/jobs", json={"model": "gpt-4o-mini", "training_file": training}))["id"]
    )
    mockapi.advance(45)
    paused = ok(http.post(job + "/pause"))
    # The spec's status enum leaves out `paused`, which its own example of this answer shows.
    assert paused["status"] == "paused"
    current_spec.check("/fine_tuning/jobs/{fine_tuning_job_id}/pause", "post", {**paused, "status": "running"})
    current_spec.check("/fine_tuning/jobs/{fine_tuning_job_id}/resume", "post", ok(http.post(job + "/resume")))
    current_spec.check("/fine_tuning/jobs/{fine_tuning_job_id}/cancel", "post", ok(http.post(job + "/cancel")))
    failing = ok(
        http.post(
            "/v1/fine_tuning/jobs", json={"model": "gpt-4o-mini", "training_file": put_file(mockapi, EXAMPLES[:2])}
        )
    )
    mockapi.advance(30)
    failed = ok(http.get(f"/v1/fine_tuning/jobs/{failing['id']}"))
    assert failed["status"] == "failed"
    current_spec.check("/fine_tuning/jobs/{fine_tuning_job_id}", "get", failed)


def test_the_2023_fine_tune_bodies_match_the_2023_spec(mockapi: Mockapi, http: httpx.Client) -> None:
    training = put_file(mockapi, PAIRS)
    created = ok(http.post("/v1/fine-tunes", json={"training_file": training, "model": "babbage"}))
    spec.check("/fine-tunes", "post", created)
    fine_tune = f"/v1/fine-tunes/{created['id']}"
    mockapi.advance(35)
    spec.check("/fine-tunes/{fine_tune_id}", "get", ok(http.get(fine_tune)))
    mockapi.advance(1000)
    done = ok(http.get(fine_tune))
    assert done["status"] == "succeeded" and len(done["result_files"]) == 1
    spec.check("/fine-tunes/{fine_tune_id}", "get", done)
    spec.check("/fine-tunes", "get", ok(http.get("/v1/fine-tunes")))
    spec.check("/fine-tunes/{fine_tune_id}/events", "get", ok(http.get(fine_tune + "/events")))
    other = ok(http.post("/v1/fine-tunes", json={"training_file": training}))
    spec.check("/fine-tunes/{fine_tune_id}/cancel", "post", ok(http.post(f"/v1/fine-tunes/{other['id']}/cancel")))
    spec.check("/models/{model}", "get", ok(http.get(f"/v1/models/{done['fine_tuned_model']}")))
    spec.check("/models", "get", ok(http.get("/v1/models")))
    spec.check("/models/{model}", "delete", ok(http.delete(f"/v1/models/{done['fine_tuned_model']}")))


PREFERENCES = [
    {
        "input": {"messages": [{"role": "user", "content": f"Greet customer {i}"}]},
        "preferred_output": [{"role": "assistant", "content": f"Hello, customer {i}!"}],
        "non_preferred_output": [{"role": "assistant", "content": "What do you want?"}],
    }
    for i in range(10)
]
PROMPTS = [{"messages": [{"role": "user", "content": f"What is {i}+{i}?"}], "answer": str(2 * i)} for i in range(10)]
GRADER = {
    "type": "string_check",
    "name": "exact",
    "operation": "eq",
    "input": "{{sample.output_text}}",
    "reference": "{{item.answer}}",
}


@pytest.mark.parametrize(
    ("model", "records", "method"),
    [
        ("gpt-4o-mini", PREFERENCES, {"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.2}}}),
        ("o4-mini", PROMPTS, {"type": "reinforcement", "reinforcement": {"grader": GRADER}}),
    ],
    ids=["dpo", "reinforcement"],
)
def test_dpo_and_reinforcement_job_bodies_match_the_current_spec(
    mockapi: Mockapi, http: httpx.Client, model: str, records: list[dict[str, Any]], method: dict[str, Any]
) -> None:
    created = ok(http.post("/v1/fine_tuning/jobs", json={"model": model, "training_file": put_file(mockapi, records),
                                                          "method": method}))  # fmt: skip
    current_spec.check("/fine_tuning/jobs", "post", created)
    assert created["method"]["type"] == method["type"]
    job = f"/v1/fine_tuning/jobs/{created['id']}"
    statuses = set()
    for _ in range(200):
        retrieved = ok(http.get(job))
        current_spec.check("/fine_tuning/jobs/{fine_tuning_job_id}", "get", retrieved)
        statuses.add(retrieved["status"])
        if retrieved["status"] == "succeeded":
            break
        mockapi.advance(30)
    assert {"running", "succeeded"} <= statuses
    current_spec.check("/fine_tuning/jobs/{fine_tuning_job_id}/events", "get", ok(http.get(job + "/events")))
    checkpoints = ok(http.get(job + "/checkpoints"))
    current_spec.check("/fine_tuning/jobs/{fine_tuning_job_id}/checkpoints", "get", checkpoints)
    assert checkpoints["data"]
