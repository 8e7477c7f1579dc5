"""Today's fine-tuning jobs through the official SDK against a real server: each method's job created,
advanced on the clock, polled to its end, its events and checkpoints listed; the model it makes answering
chat for its owner alone and deleted; pauses, cancellation, failures and refusals.

The server is the pytest plugin's (the clock moves with `mockapi.advance`). Training files are put in its
files store directly: which files an upload accepts is the files router's concern, not the jobs'.
"""

from __future__ import annotations

import io
import re
from typing import Any

import openai
import orjson
import pytest

from mockapi import accounting
from mockapi.pytest_plugin import Mockapi
from mockapi.tokens import tokenizer_for

MODEL_NAME = re.compile(r"ft:gpt-4o-mini-2024-07-18:personal:support:[A-Za-z0-9]{8}")
OTHER_KEY = "sk-someone-else-000000000000"


def put_file(
    mockapi: Mockapi, records: list[dict[str, Any]], purpose: str = "fine-tune", key: str | None = None
) -> str:
    data = b"".join(orjson.dumps(record) + b"\n" for record in records)
    owner = f"key:{key or mockapi.api_key}"
    stored = mockapi.state.files.add(
        owner, "train.jsonl", purpose, mockapi.state.seeding.now(), io.BytesIO(data), len(data)
    )
    return stored.id


def conversations(count: int) -> list[dict[str, Any]]:
    return [
        {"messages": [
            {"role": "system", "content": "You are a terse support agent."},
            {"role": "user", "content": f"Where is order {i}?"},
            {"role": "assistant", "content": f"Order {i} ships tomorrow."},
        ]}
        for i in range(count)
    ]  # fmt: skip


def preferences(count: int) -> list[dict[str, Any]]:
    return [
        {
            "input": {"messages": [{"role": "user", "content": f"Greet customer {i}"}]},
            "preferred_output": [{"role": "assistant", "content": f"Hello, customer {i}! How can I help?"}],
            "non_preferred_output": [{"role": "assistant", "content": "What do you want?"}],
        }
        for i in range(count)
    ]


def finish(mockapi: Mockapi, client: openai.OpenAI, job_id: str, step: float = 30, most: int = 200) -> Any:
    """Advance the clock until the job ends, polling as a client does; the statuses seen, and the job."""
    seen: list[str] = []
    for _ in range(most):
        job = client.fine_tuning.jobs.retrieve(job_id)
        if not seen or seen[-1] != job.status:
            seen.append(job.status)
        if job.status in ("succeeded", "failed", "cancelled"):
            return seen, job
        mockapi.advance(step)
    raise AssertionError(f"the job did not end: {seen}")


def test_a_supervised_job_succeeds_with_exact_tokens_and_its_model_answers_its_owner_alone(mockapi: Mockapi) -> None:
    client = mockapi.openai_client()
    examples = conversations(12)
    training = put_file(mockapi, examples)
    created = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=training, suffix="support", seed=42)
    assert (created.status, created.model, created.seed) == ("validating_files", "gpt-4o-mini-2024-07-18", 42)
    assert created.hyperparameters.n_epochs == "auto"

    seen, job = finish(mockapi, client, created.id, step=15)
    assert seen == ["validating_files", "queued", "running", "succeeded"]
    entry = mockapi.state.catalogue.get("gpt-4o-mini")
    per_epoch = sum(
        accounting.model_prompt_tokens(entry, accounting.chat_messages(e["messages"])).total for e in examples
    )
    assert tokenizer_for(entry.tokenizer).name == "o200k_base"
    assert job.hyperparameters.n_epochs == 8  # 100 // 12 examples: the guide's "auto"
    assert job.trained_tokens == 8 * per_epoch
    assert MODEL_NAME.fullmatch(job.fine_tuned_model or "")
    assert job.finished_at is not None and job.estimated_finish is None

    events = list(client.fine_tuning.jobs.list_events(job.id, limit=100))  # pages on by cursor
    assert len(events) == 2 + 2 + 96 + 2 + 2  # created, validating; validated, started; steps; checkpoints; model, done
    assert events[0].message == "The job has successfully completed"
    assert events[1].message == f"New fine-tuned model created: {job.fine_tuned_model}"
    assert events[-1].message == f"Created fine-tuning job: {job.id}"
    assert [e.created_at for e in events] == sorted((e.created_at for e in events), reverse=True)
    checkpoints = client.fine_tuning.jobs.checkpoints.list(job.id).data
    assert [c.step_number for c in checkpoints] == [96, 84, 72]
    assert checkpoints[0].fine_tuned_model_checkpoint == job.fine_tuned_model
    results = client.files.content(job.result_files[0]).text.splitlines()
    assert results[0] == "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy" and len(results) == 97
    assert client.files.retrieve(job.result_files[0]).purpose == "fine-tune-results"

    model = job.fine_tuned_model
    assert model is not None
    assert model in [m.id for m in client.models.list().data]
    assert client.models.retrieve(model).owned_by == "personal"
    other = mockapi.openai_client(api_key=OTHER_KEY)
    assert model not in [m.id for m in other.models.list().data]
    messages: Any = [{"role": "user", "content": "Where is order 3?"}]
    tuned = client.chat.completions.create(model=model, messages=messages)
    base = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    assert tuned.model == model and tuned.choices[0].message.content
    assert tuned.choices[0].message.content != base.choices[0].message.content
    with pytest.raises(openai.NotFoundError) as missing:
        other.chat.completions.create(model=model, messages=messages)
    assert missing.value.code == "model_not_found"
    answered = client.responses.create(model=model, input="Where is order 3?")
    assert answered.model == model and answered.status == "completed" and answered.output_text
    counted = client.responses.input_tokens.count(model=model, input="Where is order 3?")
    assert counted.input_tokens == answered.usage.input_tokens  # type: ignore[union-attr]
    with pytest.raises(openai.BadRequestError) as unowned:
        other.responses.create(model=model, input="Where is order 3?")
    assert unowned.value.body["param"] == "model"  # type: ignore[index]

    with pytest.raises(openai.NotFoundError) as refused:
        other.models.delete(model)
    assert refused.value.body["message"] == f"The model '{model}' does not exist"  # type: ignore[index]
    deleted = client.models.delete(model)
    assert (deleted.id, deleted.deleted) == (model, True)
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model=model, messages=messages)
    with pytest.raises(openai.PermissionDeniedError):
        client.models.delete("gpt-4o-mini")
    assert client.fine_tuning.jobs.retrieve(job.id).fine_tuned_model == model


def test_a_dpo_job_trains_on_preference_pairs_with_its_beta(mockapi: Mockapi) -> None:
    client = mockapi.openai_client()
    training = put_file(mockapi, preferences(20))
    validation = put_file(mockapi, preferences(5))
    created = client.fine_tuning.jobs.create(
        model="gpt-4o-mini-2024-07-18",
        training_file=training,
        validation_file=validation,
        method={"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.2, "n_epochs": 2}}},
    )
    seen, job = finish(mockapi, client, created.id)
    assert seen[-1] == "succeeded"
    assert job.method is not None and job.method.type == "dpo" and job.method.dpo is not None
    assert job.method.dpo.hyperparameters is not None
    assert (job.method.dpo.hyperparameters.beta, job.method.dpo.hyperparameters.n_epochs) == (0.2, 2)
    events = client.fine_tuning.jobs.list_events(job.id, limit=100).data
    assert events[-2].message == f"Validating training file: {training} and validation file: {validation}"
    last_step = next(e for e in events if e.type == "metrics")
    assert last_step.message.startswith("Step 40/40: training loss=") and "full validation loss=" in last_step.message
    assert set(client.fine_tuning.jobs.checkpoints.list(job.id).data[0].metrics.to_dict()) >= {
        "valid_loss",
        "full_valid_loss",
    }


def test_a_reinforcement_job_trains_o4_mini_with_its_grader(mockapi: Mockapi) -> None:
    client = mockapi.openai_client()
    prompts = [
        {"messages": [{"role": "user", "content": f"What is {i}+{i}?"}], "answer": str(2 * i)} for i in range(10)
    ]
    grader = {"type": "string_check", "name": "exact", "operation": "eq"}
    grader.update(input="{{sample.output_text}}", reference="{{item.answer}}")
    created = client.fine_tuning.jobs.create(
        model="o4-mini",
        training_file=put_file(mockapi, prompts),
        method={
            "type": "reinforcement",
            "reinforcement": {"grader": grader, "hyperparameters": {"reasoning_effort": "low"}},
        },  # type: ignore[typeddict-item]
    )
    assert created.model == "o4-mini-2025-04-16"
    seen, job = finish(mockapi, client, created.id)
    assert seen[-1] == "succeeded"
    assert job.method is not None and job.method.reinforcement is not None
    assert job.method.reinforcement.grader.to_dict() == grader
    assert job.method.reinforcement.hyperparameters is not None
    assert job.method.reinforcement.hyperparameters.reasoning_effort == "low"
    assert (job.fine_tuned_model or "").startswith("ft:o4-mini-2025-04-16:personal::")
    events = list(client.fine_tuning.jobs.list_events(job.id, limit=100))
    assert events[0].message == "The job has successfully completed"
    assert events[-1].message == f"Created fine-tuning job: {job.id}"
    assert any(e.type == "metrics" for e in events)
    checkpoints = client.fine_tuning.jobs.checkpoints.list(job.id).data
    steps = [c.step_number for c in checkpoints]
    assert steps and steps == sorted(steps, reverse=True)
    assert checkpoints[0].fine_tuned_model_checkpoint == job.fine_tuned_model


def test_a_job_is_paused_resumed_and_another_cancelled(mockapi: Mockapi) -> None:
    client = mockapi.openai_client()
    training = put_file(mockapi, conversations(10))
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=training)
    with pytest.raises(openai.BadRequestError):
        client.fine_tuning.jobs.pause(job.id)  # only a running job pauses
    mockapi.advance(45)
    planned = client.fine_tuning.jobs.retrieve(job.id).estimated_finish
    assert client.fine_tuning.jobs.pause(job.id).status == "paused"
    mockapi.advance(3600)
    paused = client.fine_tuning.jobs.retrieve(job.id)
    assert (paused.status, paused.estimated_finish) == ("paused", None)
    assert client.fine_tuning.jobs.resume(job.id).status == "queued"
    mockapi.advance(11)
    resumed = client.fine_tuning.jobs.retrieve(job.id)
    assert resumed.status == "running"
    assert planned is not None and resumed.estimated_finish is not None
    assert resumed.estimated_finish - planned == pytest.approx(3600 + 10, abs=2)
    messages = [e.message for e in client.fine_tuning.jobs.list_events(job.id, limit=100).data]
    assert messages.index("Fine-tuning job resumed") < messages.index("Fine-tuning job paused")
    assert finish(mockapi, client, job.id)[0][-1] == "succeeded"

    other = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=training)
    mockapi.advance(50)
    cancelled = client.fine_tuning.jobs.cancel(other.id)
    assert (cancelled.status, cancelled.fine_tuned_model) == ("cancelled", None)
    mockapi.advance(10_000)
    assert client.fine_tuning.jobs.retrieve(other.id).status == "cancelled"
    assert client.fine_tuning.jobs.list_events(other.id).data[0].message == "Fine-tuning job cancelled"
    with pytest.raises(openai.BadRequestError) as again:
        client.fine_tuning.jobs.cancel(other.id)
    assert again.value.body["message"] == f"Cannot cancel job {other.id}: it has already been cancelled."  # type: ignore[index]


@pytest.mark.parametrize(
    ("records", "model", "method", "code", "message"),
    [
        (
            conversations(3), "gpt-4o-mini", None, "invalid_n_examples",
            "Training file has 3 example(s), but must have at least 10 examples",
        ),
        (
            [{"prompt": "p", "completion": "c"}] * 10, "gpt-4o-mini", None, "invalid_training_file",
            "The job failed due to an invalid training file. Invalid file format. Input file {file} is in the "
            "prompt-completion format, but the specified model gpt-4o-mini-2024-07-18 is a chat model and requires "
            "chat-formatted data.",
        ),
        (
            conversations(10), "gpt-4o-2024-08-06", {"type": "dpo"}, "invalid_training_file",
            "The job failed due to an invalid training file. Invalid file format. Input file {file} is in the "
            "fine-tune-chat format, but the specified fine-tuning job is not using 'supervised' as the training "
            "method (provided method=dpo). ",
        ),
    ],
    ids=["too-few-examples", "prompt-completion-for-chat", "chat-for-dpo"],
)  # fmt: skip
def test_a_job_whose_file_fails_validation_fails_with_the_apis_error(
    mockapi: Mockapi, records: list[dict[str, Any]], model: str, method: Any, code: str, message: str
) -> None:
    client = mockapi.openai_client()
    training = put_file(mockapi, records)
    extra = {"method": method} if method else {}
    job = client.fine_tuning.jobs.create(model=model, training_file=training, **extra)
    seen, failed = finish(mockapi, client, job.id, step=10)
    assert seen == ["validating_files", "failed"]
    assert failed.error is not None
    assert (failed.error.code, failed.error.param) == (code, "training_file")
    assert failed.error.message == message.format(file=training)
    assert client.fine_tuning.jobs.list_events(job.id).data[0].level == "error"
    assert failed.fine_tuned_model is None and failed.trained_tokens is None


def test_creating_a_job_refuses_what_the_api_refuses(mockapi: Mockapi) -> None:
    client = mockapi.openai_client()
    training = put_file(mockapi, conversations(10))

    def refusal(**body: Any) -> tuple[int, Any, Any, str]:
        with pytest.raises(openai.APIStatusError) as caught:
            client.fine_tuning.jobs.create(**{"model": "gpt-4o-mini", "training_file": training, **body})
        error = caught.value
        return error.status_code, error.body["param"], error.body["code"], error.body["message"]  # type: ignore[index]

    assert refusal(model="gpt-4") == (
        400,
        "model",
        "model_not_available",
        "Model gpt-4 is not available for fine-tuning or does not exist.",
    )
    assert refusal(model="babbage-002", method={"type": "dpo"})[:2] == (400, "method.type")
    assert refusal(training_file="file-nope") == (400, "training_file", None, "invalid training_file: file-nope")
    assistants = put_file(mockapi, conversations(10), purpose="assistants")
    assert refusal(training_file=assistants)[1] == "training_file"
    assert refusal(validation_file="file-nope")[1] == "validation_file"
    assert refusal(suffix="x" * 65)[:2] == (400, "suffix")
    assert refusal(hyperparameters={"n_epochs": 0})[:2] == (400, "hyperparameters.n_epochs")
    assert refusal(seed=-1)[:2] == (400, "seed")
    assert refusal(metadata={f"k{i}": "v" for i in range(17)})[:2] == (400, "metadata")
    assert refusal(method={"type": "reinforcement"}, model="o4-mini")[:2] == (400, "method.reinforcement")
    assert refusal(integrations=[{"type": "wandb", "wandb": {}}])[:2] == (400, "integrations.0.wandb.project")
    someone_else = put_file(mockapi, conversations(10), key=OTHER_KEY)
    assert refusal(training_file=someone_else)[3] == f"invalid training_file: {someone_else}"
    with pytest.raises(openai.NotFoundError):
        mockapi.openai_client(api_key=OTHER_KEY).fine_tuning.jobs.retrieve(
            client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=training).id
        )


def test_jobs_are_listed_newest_first_by_cursor_and_filtered_by_metadata(mockapi: Mockapi) -> None:
    client = mockapi.openai_client()
    training = put_file(mockapi, conversations(10))
    made = []
    for index in range(5):
        made.append(
            client.fine_tuning.jobs.create(
                model="gpt-4o-mini", training_file=training, metadata={"batch": str(index % 2)}
            ).id
        )
        mockapi.advance(1)
    first = client.fine_tuning.jobs.list(limit=2)
    assert [job.id for job in first.data] == made[::-1][:2] and first.has_more
    assert [job.id for job in client.fine_tuning.jobs.list(limit=2)] == made[::-1]  # the SDK pages on by cursor
    assert [job.id for job in client.fine_tuning.jobs.list(metadata={"batch": "1"})] == [made[3], made[1]]
    assert [job.id for job in client.fine_tuning.jobs.list(limit=2, after=made[1]).data] == [made[0]]
    assert client.fine_tuning.jobs.list(after=made[0]).data == []
    assert list(mockapi.openai_client(api_key=OTHER_KEY).fine_tuning.jobs.list()) == []
    mockapi.reset()
    assert list(client.fine_tuning.jobs.list()) == []
