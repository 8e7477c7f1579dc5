"""POST/GET /v1/batches, GET /v1/batches/{batch_id}, POST /v1/batches/{batch_id}/cancel.

Batches belong to the caller's owner (organization, else API key), as files do; anyone else's id is the same
404 as an unknown one. Every read first brings the batches it shows up to the clock (batch_runner.py).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from mockapi import errors, errors_current
from mockapi.batch_runner import BatchRunner, served_endpoints
from mockapi.generators.batches import batch_object
from mockapi.pipeline import Answer, JSONReply, Reply, caller_of, exchange_of, run, state_of
from mockapi.records import Record, UnknownCursor
from mockapi.routing import Resource
from mockapi.schemas.batches import Batch, CreateBatchRequest, ListBatchesParams, ListBatchesResponse
from mockapi.wire import Rendered

router = Resource("batches")

CANCELLABLE = ("validating", "in_progress")


def _runner(request: Request) -> BatchRunner:
    runner = state_of(request).batches
    assert runner is not None, "create_app makes the batch runner"
    return runner


@router.post("/batches", endpoint="batches", body=CreateBatchRequest, answers=(Batch,))
async def create_batch(request: Request, body: CreateBatchRequest) -> Rendered:
    served = served_endpoints()
    if body.endpoint not in served:
        raise errors_current.invalid_value(body.endpoint, served, "endpoint")
    runner, caller = _runner(request), caller_of(request)
    given = body.model_dump()

    async def produce(answer: Answer) -> Reply:
        return JSONReply(batch_object(await runner.create(caller, given, answer.now())))

    return await run(request, exchange_of(request), produce)


@router.get("/batches", endpoint="batches", query=ListBatchesParams, answers=(ListBatchesResponse,))
async def list_batches(request: Request, params: ListBatchesParams) -> Rendered:
    runner, owner = _runner(request), caller_of(request).owner

    async def produce(_: Answer) -> Reply:
        await runner.catch_up(owner, runner.batches_of(owner))
        try:
            page = runner.records.page(owner, limit=params.limit, after=params.after)
        except UnknownCursor as exc:
            raise errors.batch_not_found(str(exc)) from exc
        data = [batch_object(_shown(runner, owner, record)) for record in page.data]
        first, last = (data[0]["id"], data[-1]["id"]) if data else (None, None)
        return JSONReply(
            {"object": "list", "data": data, "first_id": first, "last_id": last, "has_more": page.has_more}
        )

    return await run(request, exchange_of(request, dict(request.query_params)), produce)


@router.get("/batches/{batch_id}", endpoint="batches", answers=(Batch,))
async def retrieve_batch(request: Request) -> Rendered:
    batch_id = request.path_params["batch_id"]
    runner, owner = _runner(request), caller_of(request).owner

    async def produce(_: Answer) -> Reply:
        return JSONReply(batch_object(_shown(runner, owner, await _caught_up(runner, owner, batch_id))))

    return await run(request, exchange_of(request, {"batch_id": batch_id}), produce)


@router.post("/batches/{batch_id}/cancel", endpoint="batches", answers=(Batch,))
async def cancel_batch(request: Request) -> Rendered:
    batch_id = request.path_params["batch_id"]
    runner, owner = _runner(request), caller_of(request).owner

    async def produce(answer: Answer) -> Reply:
        record = await _caught_up(runner, owner, batch_id)
        if record["status"] in CANCELLABLE:
            runner.cancel(owner, record, answer.now())
            record = await _caught_up(runner, owner, batch_id)
        elif record["status"] not in ("cancelling", "cancelled"):
            raise errors.batch_cannot_be_cancelled(record["status"])
        return JSONReply(batch_object(_shown(runner, owner, record)))

    return await run(request, exchange_of(request, {"batch_id": batch_id}), produce)


async def _caught_up(runner: BatchRunner, owner: str, batch_id: str) -> Record:
    await runner.catch_up(owner, [batch_id])
    record = runner.records.get(owner, batch_id)
    if record is None:
        raise errors.batch_not_found(batch_id)
    return record


def _shown(runner: BatchRunner, owner: str, record: Record) -> dict[str, Any]:
    """The batch as it is: a cancel another process has not applied yet already shows."""
    if record["status"] in CANCELLABLE:
        cancel = runner.cancels.get(owner, record["id"])
        if cancel is not None:
            return {**record, "status": "cancelling", "cancelling_at": cancel["at"]}
    return record
