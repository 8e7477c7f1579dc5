"""POST/GET /v1/fine_tuning/jobs, GET /v1/fine_tuning/jobs/{id}, POST .../cancel, .../pause, .../resume,
GET .../events and .../checkpoints.

A job is a record (kind "fine_tuning.jobs") of its owner, holding its plan, made when it is created (the
training file read and checked for its method and model, its tokens counted with the base model's tokenizer,
"auto" hyperparameters chosen), and what was done to it since (pauses, a cancellation). Its status, events,
checkpoints and trained tokens at any time are computed from that record on the clock
(generators/fine_tuning.py); a job that succeeds makes its model, which then answers its owner.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request

from mockapi import fine_tuning_plans as plans
from mockapi.errors import fine_tuning as refusals
from mockapi.fine_tuned_models import JOB_KINDS
from mockapi.generators import fine_tuning as jobs
from mockapi.generators.training_runs import pauses_of, work_time
from mockapi.matching import Exchange
from mockapi.pipeline import Answer, JSONReply, Reply, caller_of, exchange_of, run, state_of
from mockapi.records import UnknownCursor
from mockapi.routing import Resource
from mockapi.schemas.fine_tuning import (
    CreateFineTuningJobRequest,
    FineTuningJob,
    ListFineTuningJobCheckpointsResponse,
    ListFineTuningJobEventsResponse,
    ListFineTuningJobsParams,
    ListPageParams,
    ListPaginatedFineTuningJobsResponse,
)
from mockapi.state import AppState
from mockapi.training_jobs import (
    TRAINING_PURPOSE,
    find_file,
    organization_name,
    read_training_file,
    with_results_file,
)
from mockapi.wire import Rendered

router = Resource("fine-tuning")

KIND = JOB_KINDS["current"]
MAX_PAUSES = 10


def _exchange(request: Request, body: dict[str, Any], model: str | None = None) -> Exchange:
    return exchange_of(request, body, model=model)


@router.post(
    "/fine_tuning/jobs", endpoint="fine_tuning.jobs", body=CreateFineTuningJobRequest, answers=(FineTuningJob,)
)
async def create_job(request: Request, body: CreateFineTuningJobRequest) -> Rendered:
    state = state_of(request)
    caller = caller_of(request)
    owner = caller.owner
    base = plans.base_model(state, owner, body.model)
    if base is None:
        raise refusals.model_not_available(body.model)
    snapshot, entry = base
    method = body.method_type()
    if method not in plans.SNAPSHOTS[snapshot]:
        raise refusals.method_not_available(snapshot, method)
    for param, file_id in (("training_file", body.training_file), ("validation_file", body.validation_file)):
        if file_id is None:
            continue
        stored = await find_file(state.files, owner, file_id)
        if stored is None:
            raise refusals.invalid_file(param, file_id)
        if stored.purpose != TRAINING_PURPOSE:
            raise refusals.wrong_purpose(param, file_id, stored.purpose)
    answers = method != "reinforcement"
    training = await read_training_file(state.files, owner, body.training_file, entry, answers)
    validation = None
    if body.validation_file is not None:
        validation = await read_training_file(state.files, owner, body.validation_file, entry, answers)
    if training is None:
        raise refusals.invalid_file("training_file", body.training_file)

    def produce(answer: Answer) -> Reply:
        record = plans.new_record(answer.seeding, caller, body, snapshot, entry, training, validation)
        state.records(KIND).put(owner, record["id"], record, record["created_at"])
        if record["plan"]["failure"] is None:
            state.fine_tuned.add(
                owner, record["fine_tuned_model"], "current", record["id"], entry.id, organization_name(caller),
                record["created_at"],
            )  # fmt: skip
        return JSONReply(jobs.job_object(record, answer.seeding.clock.time()))

    return await run(request, _exchange(request, body.model_dump(exclude_none=True), body.model), produce)


async def _owned_job(request: Request, job_id: str, now: float) -> dict[str, Any]:
    """The caller's job, with its results file once it has succeeded by `now`."""
    state = state_of(request)
    owner = caller_of(request).owner
    record = state.records(KIND).get(owner, job_id)
    if record is None:
        raise refusals.job_not_found(job_id)
    return await _with_results(state, owner, record, now)


async def _with_results(state: AppState, owner: str, record: dict[str, Any], now: float) -> dict[str, Any]:
    finished = jobs.finish_time(record)
    if finished is None or now < finished:
        return record
    return await with_results_file(state, KIND, owner, record, finished, jobs.RESULTS_FILENAME, jobs.results_csv)


@router.get(
    "/fine_tuning/jobs",
    endpoint="fine_tuning.jobs",
    query=ListFineTuningJobsParams,
    answers=(ListPaginatedFineTuningJobsResponse,),
)
async def list_jobs(request: Request, params: ListFineTuningJobsParams) -> Rendered:
    state = state_of(request)
    owner = caller_of(request).owner
    wanted = params.metadata_filter()

    def matches(record: dict[str, Any]) -> bool:
        if wanted is False:
            return True
        held = record.get("metadata")
        if wanted is None:
            return not held
        return held is not None and all(held.get(key) == value for key, value in wanted.items())

    async def produce(answer: Answer) -> Reply:
        try:
            page = state.records(KIND).page(owner, limit=params.limit, after=params.after, where=matches)
        except UnknownCursor as exc:
            raise refusals.unknown_cursor("after", str(exc)) from exc
        now = answer.seeding.clock.time()
        data = [jobs.job_object(await _with_results(state, owner, record, now), now) for record in page.data]
        return JSONReply({"object": "list", "data": data, "has_more": page.has_more})

    return await run(request, _exchange(request, dict(request.query_params)), produce)


@router.get("/fine_tuning/jobs/{job_id}", endpoint="fine_tuning.jobs", answers=(FineTuningJob,))
async def retrieve_job(request: Request) -> Rendered:
    job_id = request.path_params["job_id"]

    async def produce(answer: Answer) -> Reply:
        now = answer.seeding.clock.time()
        return JSONReply(jobs.job_object(await _owned_job(request, job_id, now), now))

    return await run(request, _exchange(request, {"fine_tuning_job_id": job_id}), produce)


def _changed_job(request: Request, change: Callable[[dict[str, Any], float], dict[str, Any]]) -> Awaitable[Rendered]:
    job_id = request.path_params["job_id"]
    state = state_of(request)
    owner = caller_of(request).owner

    async def produce(answer: Answer) -> Reply:
        now = answer.seeding.clock.time()
        record = state.records(KIND).get(owner, job_id)
        if record is None:
            raise refusals.job_not_found(job_id)
        changed = change(record, now)
        state.records(KIND).put(owner, job_id, changed, changed["created_at"])
        return JSONReply(jobs.job_object(await _with_results(state, owner, changed, now), now))

    return run(request, _exchange(request, {"fine_tuning_job_id": job_id}), produce)


def _cancelled(record: dict[str, Any], now: float) -> dict[str, Any]:
    status = jobs.status_at(record, now)
    if status in jobs.TERMINAL:
        raise refusals.not_cancellable(record["id"], status)
    return {**record, "cancelled_at": now}


def _paused(record: dict[str, Any], now: float) -> dict[str, Any]:
    status = jobs.status_at(record, now)
    if status != "running":
        raise refusals.not_pausable(record["id"], status)
    pauses = list(record.get("pauses") or ())
    if len(pauses) >= MAX_PAUSES:
        raise refusals.too_many_pauses(record["id"], MAX_PAUSES)
    done = work_time(record["created_at"], now, pauses_of(record))
    return {**record, "pauses": [*pauses, [now, done, None]]}


def _resumed(record: dict[str, Any], now: float) -> dict[str, Any]:
    status = jobs.status_at(record, now)
    if status != "paused":
        raise refusals.not_resumable(record["id"], status)
    pauses = [list(pause) for pause in record["pauses"]]
    pauses[-1][2] = now
    return {**record, "pauses": pauses}


@router.post("/fine_tuning/jobs/{job_id}/cancel", endpoint="fine_tuning.jobs", answers=(FineTuningJob,))
async def cancel_job(request: Request) -> Rendered:
    return await _changed_job(request, _cancelled)


@router.post("/fine_tuning/jobs/{job_id}/pause", endpoint="fine_tuning.jobs", answers=(FineTuningJob,))
async def pause_job(request: Request) -> Rendered:
    return await _changed_job(request, _paused)


@router.post("/fine_tuning/jobs/{job_id}/resume", endpoint="fine_tuning.jobs", answers=(FineTuningJob,))
async def resume_job(request: Request) -> Rendered:
    return await _changed_job(request, _resumed)


def _page(items: list[dict[str, Any]], after: str | None, limit: int) -> tuple[list[dict[str, Any]], bool]:
    """Items after the one named `after` (newest first), `limit` of them, and whether more follow."""
    start = 0
    if after is not None:
        ids = [item["id"] for item in items]
        if after not in ids:
            raise refusals.unknown_cursor("after", after)
        start = ids.index(after) + 1
    chosen = items[start : start + limit]
    return chosen, start + limit < len(items)


@router.get(
    "/fine_tuning/jobs/{job_id}/events",
    endpoint="fine_tuning.jobs",
    query=ListPageParams,
    answers=(ListFineTuningJobEventsResponse,),
)
async def list_events(request: Request, params: ListPageParams) -> Rendered:
    job_id = request.path_params["job_id"]

    async def produce(answer: Answer) -> Reply:
        now = answer.seeding.clock.time()
        events = jobs.events_at(await _owned_job(request, job_id, now), now)
        events.reverse()
        data, more = _page(events, params.after, params.limit or 20)
        return JSONReply({"object": "list", "data": data, "has_more": more})

    return await run(request, _exchange(request, {"fine_tuning_job_id": job_id}), produce)


@router.get(
    "/fine_tuning/jobs/{job_id}/checkpoints",
    endpoint="fine_tuning.jobs",
    query=ListPageParams,
    answers=(ListFineTuningJobCheckpointsResponse,),
)
async def list_checkpoints(request: Request, params: ListPageParams) -> Rendered:
    job_id = request.path_params["job_id"]

    async def produce(answer: Answer) -> Reply:
        now = answer.seeding.clock.time()
        checkpoints = jobs.checkpoints_at(await _owned_job(request, job_id, now), now)
        data, more = _page(checkpoints, params.after, params.limit or 10)
        first, last = (data[0]["id"], data[-1]["id"]) if data else (None, None)
        return JSONReply({"object": "list", "data": data, "first_id": first, "last_id": last, "has_more": more})

    return await run(request, _exchange(request, {"fine_tuning_job_id": job_id}), produce)
