"""GET /v1/models, GET /v1/models/{model} and DELETE /v1/models/{model}: the catalogue's models, and the
caller's own fine-tuned ones (listed for their owner only; only they can be deleted, by their owner)."""

from __future__ import annotations

from starlette.requests import Request

from mockapi import errors
from mockapi.errors.fine_tuning import model_not_deletable
from mockapi.fine_tuned_models import is_fine_tuned_name
from mockapi.matching import Exchange
from mockapi.pipeline import Answer, JSONReply, caller_of, exchange_of, run, state_of
from mockapi.routing import Resource
from mockapi.schemas.models import DeleteModelResponse, ListModelsResponse, Model
from mockapi.wire import Rendered

router = Resource("models")


def _exchange(request: Request, model: str | None) -> Exchange:
    return exchange_of(request, {"model": model} if model else {}, model=model)


@router.get("/models", endpoint="models", answers=(ListModelsResponse,))
async def list_models(request: Request) -> Rendered:
    state = state_of(request)
    owner = caller_of(request).owner

    def produce(_: Answer) -> JSONReply:
        return JSONReply(state.catalogue.list_body(state.fine_tuned.objects(owner)))

    return await run(request, _exchange(request, None), produce)


@router.get("/models/{model:path}", endpoint="models", answers=(Model,))
async def retrieve_model(request: Request) -> Rendered:
    model = request.path_params["model"]
    state = state_of(request)
    owner = caller_of(request).owner

    def produce(_: Answer) -> JSONReply:
        owned = state.fine_tuned.object(owner, model) if is_fine_tuned_name(model) else None
        return JSONReply(owned if owned is not None else state.catalogue.object(model))

    return await run(request, _exchange(request, model), produce)


@router.delete("/models/{model:path}", endpoint="models", answers=(DeleteModelResponse,))
async def delete_model(request: Request) -> Rendered:
    """Deletes one of the caller's fine-tuned models; a model of the catalogue cannot be deleted, and
    anyone else's is as missing as one that never was."""
    model = request.path_params["model"]
    state = state_of(request)
    owner = caller_of(request).owner

    def produce(_: Answer) -> JSONReply:
        if is_fine_tuned_name(model) and state.fine_tuned.delete(owner, model):
            return JSONReply({"id": model, "object": "model", "deleted": True})
        if model in state.catalogue:
            raise model_not_deletable(model)
        raise errors.model_not_found(model)

    return await run(request, _exchange(request, model), produce)
