"""GET /v1/models and GET /v1/models/{model}."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from mockapi.edge import API_PREFIX
from mockapi.matching import Exchange
from mockapi.pipeline import Answer, JSONReply, exchange_of, run, state_of
from mockapi.routing import DirectRoute

router = APIRouter(prefix=API_PREFIX, tags=["models"], route_class=DirectRoute)


def _exchange(request: Request, model: str | None) -> Exchange:
    return exchange_of(request, "models", {"model": model} if model else {}, model=model)


@router.get("/models")
async def list_models(request: Request) -> Response:
    body = state_of(request).catalogue.list_body()
    return await run(request, _exchange(request, None), lambda _: JSONReply(body))


@router.get("/models/{model:path}")
async def retrieve_model(request: Request) -> Response:
    model = request.path_params["model"]
    catalogue = state_of(request).catalogue

    def produce(_: Answer) -> JSONReply:
        return JSONReply(catalogue.object(model))

    return await run(request, _exchange(request, model), produce)
