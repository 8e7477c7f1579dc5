"""GET /v1/models and GET /v1/models/{model}."""

from __future__ import annotations

from starlette.requests import Request

from mockapi.matching import Exchange
from mockapi.pipeline import Answer, JSONReply, exchange_of, run, state_of
from mockapi.routing import Resource
from mockapi.schemas.models import ListModelsResponse, Model
from mockapi.wire import Rendered

router = Resource("models")


def _exchange(request: Request, model: str | None) -> Exchange:
    return exchange_of(request, {"model": model} if model else {}, model=model)


@router.get("/models", endpoint="models", answers=(ListModelsResponse,))
async def list_models(request: Request) -> Rendered:
    body = state_of(request).catalogue.list_body()
    return await run(request, _exchange(request, None), lambda _: JSONReply(body))


@router.get("/models/{model:path}", endpoint="models", answers=(Model,))
async def retrieve_model(request: Request) -> Rendered:
    model = request.path_params["model"]
    catalogue = state_of(request).catalogue

    def produce(_: Answer) -> JSONReply:
        return JSONReply(catalogue.object(model))

    return await run(request, _exchange(request, model), produce)
