"""The 2023 fine-tunes: POST/GET /v1/fine-tunes, GET /v1/fine-tunes/{id}, POST .../cancel and
GET .../events (with `stream=true`: the events as they happen on the clock, as server-sent events, ending
with `data: [DONE]` when the job ends, which openai 0.28's `FineTune.stream_events` reads).

A fine-tune is a record (kind "fine-tunes") of its owner holding its plan, made when it is created (the
training file read, its tokens counted, the hyperparameters chosen, what fails it), and its cancellation;
its status and events at any time are computed from it (generators/fine_tunes.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request

from mockapi.catalogue import ModelEntry
from mockapi.context import Caller
from mockapi.errors import fine_tuning as refusals
from mockapi.errors.fine_tuning import LEGACY_BASE_MODELS
from mockapi.fine_tuned_models import JOB_KINDS
from mockapi.generators import fine_tunes
from mockapi.generators.files import file_object
from mockapi.generators.training_data import Dataset
from mockapi.generators.training_runs import auto_batch_size
from mockapi.pipeline import Answer, JSONReply, Reply, StreamReply, caller_of, exchange_of, run, state_of
from mockapi.routing import Resource
from mockapi.schemas.fine_tunes import (
    CreateFineTuneRequest,
    FineTune,
    FineTuneEvent,
    ListFineTuneEventsParams,
    ListFineTuneEventsResponse,
    ListFineTunesResponse,
)
from mockapi.seeding import Seeding
from mockapi.state import AppState
from mockapi.training_jobs import (
    TRAINING_PURPOSE,
    find_file,
    organization_id,
    organization_name,
    read_training_file,
    with_results_file,
)
from mockapi.wire import Rendered

router = Resource("fine-tunes")

KIND = JOB_KINDS["2023"]
# How often a stream of events looks at the clock again (real seconds).
POLL_SECONDS = 0.05


def _base(state: AppState, owner: str, model: str) -> tuple[str, ModelEntry] | None:
    """The base model a fine-tune trains and its entry: a 2023 base model, or one of the owner's 2023
    fine-tuned models (trained further)."""
    if ":ft-" in model:
        entry = state.fine_tuned.find(owner, model)
        base = model.split(":", 1)[0]
        return (base, entry) if entry is not None and base in LEGACY_BASE_MODELS else None
    found = state.catalogue.find(model) if model in LEGACY_BASE_MODELS else None
    return (model, found) if found is not None else None


def _check_classification(body: CreateFineTuneRequest) -> None:
    if not body.compute_classification_metrics:
        return
    if body.validation_file is None:
        raise refusals.classification_needs("a validation_file", "validation_file")
    if body.classification_n_classes is None and body.classification_positive_class is None:
        raise refusals.classification_needs(
            "classification_n_classes (multiclass) or classification_positive_class (binary)",
            "classification_n_classes",
        )
    if body.classification_betas is not None and body.classification_positive_class is None:
        raise refusals.classification_needs(
            "classification_positive_class for classification_betas", "classification_positive_class"
        )


@router.post("/fine-tunes", endpoint="fine-tunes", body=CreateFineTuneRequest, answers=(FineTune,))
async def create_fine_tune(request: Request, body: CreateFineTuneRequest) -> Rendered:
    state = state_of(request)
    caller = caller_of(request)
    owner = caller.owner
    model = body.model or "curie"
    base = _base(state, owner, model)
    if base is None:
        raise refusals.invalid_base_model(model, organization_id(caller))
    base_name, entry = base
    _check_classification(body)
    files: list[list[dict[str, Any]]] = []
    for param, file_id in (("training_file", body.training_file), ("validation_file", body.validation_file)):
        if file_id is None:
            files.append([])
            continue
        stored = await find_file(state.files, owner, file_id)
        if stored is None:
            raise refusals.legacy_file_not_found(param, file_id)
        if stored.purpose != TRAINING_PURPOSE:
            raise refusals.wrong_purpose(param, file_id, stored.purpose)
        files.append([file_object(stored)])
    training = await read_training_file(state.files, owner, body.training_file, entry)
    if training is None:
        raise refusals.legacy_file_not_found("training_file", body.training_file)
    validation = None
    if body.validation_file is not None:
        validation = await read_training_file(state.files, owner, body.validation_file, entry)

    def produce(answer: Answer) -> Reply:
        record = _new_record(answer.seeding, caller, body, model, base_name, entry, training, validation)
        record["training_files"], record["validation_files"] = files
        state.records(KIND).put(owner, record["id"], record, record["created_at"])
        if record["plan"]["failure"] is None:
            state.fine_tuned.add(
                owner, record["fine_tuned_model"], "2023", record["id"], entry.id, organization_id(caller),
                record["created_at"],
            )  # fmt: skip
        return JSONReply(fine_tunes.fine_tune_object(record, answer.seeding.clock.time(), []))

    return await run(request, exchange_of(request, body.model_dump(exclude_none=True), model=model), produce)


def _new_record(
    seeding: Seeding, caller: Caller, body: CreateFineTuneRequest, model: str, base: str, entry: ModelEntry,
    training: Dataset, validation: Dataset | None,
) -> dict[str, Any]:  # fmt: skip
    requested = body.hyperparams()
    epochs = int(requested["n_epochs"])
    batch = body.batch_size or auto_batch_size(training.examples)
    resolved = {
        **requested,
        "batch_size": batch,
        "learning_rate_multiplier": body.learning_rate_multiplier or (0.1 if batch <= 32 else 0.2),
    }
    created = seeding.now()
    run = fine_tunes.schedule_of(epochs, training.tokens * epochs)
    uploaded = created + run.uploaded
    return {
        "id": seeding.next_id("ft-", 24),
        "created_at": created,
        "organization_id": organization_id(caller),
        "model": model,
        "base": base,
        "hyperparams": requested,
        "fine_tuned_model": fine_tunes.model_name(base, organization_name(caller), body.suffix, uploaded),
        "plan": {
            "examples": training.examples,
            "epoch_tokens": training.tokens,
            "hyperparameters": resolved,
            "cost": fine_tunes.cost(base, training.tokens * epochs),
            "failure": _failure(body, entry, training, validation),
        },
        "cancelled_at": None,
        "result_file": None,
    }


def _failure(
    body: CreateFineTuneRequest, entry: ModelEntry, training: Dataset, validation: Dataset | None
) -> str | None:
    """Why the file fails the fine-tune once it is looked at (None: it does not)."""
    window = entry.context_window or 2049
    for file_id, dataset in ((body.training_file, training), (body.validation_file, validation)):
        if dataset is None or file_id is None:
            continue
        if dataset.problem is not None:
            return f"File {file_id} is invalid. {dataset.problem}"
        if dataset.format != "prompt-completion":
            return f"File {file_id} is in the {dataset.format} format; {entry.id} trains on prompt-completion pairs."
        if dataset.longest > window:
            return (
                f"File {file_id} has an example of {dataset.longest} tokens, more than the {window} tokens "
                f"{entry.id} takes (its prompt and completion together)."
            )
        if dataset.examples == 0:
            return f"File {file_id} has no examples."
    return None


async def _owned(request: Request, fine_tune_id: str, now: float) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The caller's fine-tune and its results files (written once it has succeeded by `now`)."""
    state = state_of(request)
    owner = caller_of(request).owner
    record = state.records(KIND).get(owner, fine_tune_id)
    if record is None:
        raise refusals.fine_tune_not_found(fine_tune_id)
    return await _with_results(state, owner, record, now)


async def _with_results(
    state: AppState, owner: str, record: dict[str, Any], now: float
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    finished = fine_tunes.finish_time(record)
    if finished is None or now < finished:
        return record, []
    record = await with_results_file(
        state, KIND, owner, record, finished, fine_tunes.RESULTS_FILENAME, fine_tunes.results_csv
    )
    return record, [record["result_object"]] if record.get("result_object") else []


@router.get("/fine-tunes", endpoint="fine-tunes", answers=(ListFineTunesResponse,))
async def list_fine_tunes(request: Request) -> Rendered:
    state = state_of(request)
    owner = caller_of(request).owner

    async def produce(answer: Answer) -> Reply:
        now = answer.seeding.clock.time()
        data = []
        for record in state.records(KIND).page(owner, limit=state.records.bounds.count, order="asc").data:
            current, results = await _with_results(state, owner, record, now)
            data.append(fine_tunes.fine_tune_object(current, now, results, with_events=False))
        return JSONReply({"object": "list", "data": data})

    return await run(request, exchange_of(request, {}), produce)


@router.get("/fine-tunes/{fine_tune_id}", endpoint="fine-tunes", answers=(FineTune,))
async def retrieve_fine_tune(request: Request) -> Rendered:
    fine_tune_id = request.path_params["fine_tune_id"]

    async def produce(answer: Answer) -> Reply:
        now = answer.seeding.clock.time()
        record, results = await _owned(request, fine_tune_id, now)
        return JSONReply(fine_tunes.fine_tune_object(record, now, results))

    return await run(request, exchange_of(request, {"fine_tune_id": fine_tune_id}), produce)


@router.post("/fine-tunes/{fine_tune_id}/cancel", endpoint="fine-tunes", answers=(FineTune,))
async def cancel_fine_tune(request: Request) -> Rendered:
    fine_tune_id = request.path_params["fine_tune_id"]
    state = state_of(request)
    owner = caller_of(request).owner

    async def produce(answer: Answer) -> Reply:
        now = answer.seeding.clock.time()
        record, results = await _owned(request, fine_tune_id, now)
        status = fine_tunes.status_at(record, now)
        if status in fine_tunes.TERMINAL:
            raise refusals.legacy_not_cancellable(fine_tune_id, status)
        record = {**record, "cancelled_at": now}
        state.records(KIND).put(owner, fine_tune_id, record, record["created_at"])
        return JSONReply(fine_tunes.fine_tune_object(record, now, results))

    return await run(request, exchange_of(request, {"fine_tune_id": fine_tune_id}), produce)


@router.get(
    "/fine-tunes/{fine_tune_id}/events",
    endpoint="fine-tunes",
    query=ListFineTuneEventsParams,
    answers=(ListFineTuneEventsResponse,),
    events=FineTuneEvent,
)
async def list_fine_tune_events(request: Request, params: ListFineTuneEventsParams) -> Rendered:
    fine_tune_id = request.path_params["fine_tune_id"]
    state = state_of(request)

    async def produce(answer: Answer) -> Reply:
        now = answer.seeding.clock.time()
        record, results = await _owned(request, fine_tune_id, now)
        if params.stream:
            return StreamReply(_live_events(request, fine_tune_id, state))
        events = fine_tunes.events_at(record, now, results[0]["id"] if results else None)
        return JSONReply({"object": "list", "data": events})

    return await run(request, exchange_of(request, {"fine_tune_id": fine_tune_id, "stream": params.stream}), produce)


async def _live_events(request: Request, fine_tune_id: str, state: AppState) -> AsyncIterator[dict[str, Any]]:
    """Each event once its time comes on the clock, until the fine-tune ends (it is read again each time:
    a cancellation made meanwhile ends the stream)."""
    sent = 0
    while True:
        now = state.seeding.clock.time()
        record, results = await _owned(request, fine_tune_id, now)
        events = fine_tunes.events_at(record, now, results[0]["id"] if results else None)
        for event in events[sent:]:
            yield event
        sent = max(sent, len(events))
        if fine_tunes.status_at(record, now) in fine_tunes.TERMINAL:
            return
        await asyncio.sleep(POLL_SECONDS)
