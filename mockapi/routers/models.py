"""GET /v1/models and GET /v1/models/{model}."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from mockapi.pipeline import json_response, state_of

router = APIRouter(tags=["models"])


@router.get("/models")
async def list_models(request: Request) -> Response:
    return json_response(state_of(request).catalogue.list_body())


@router.get("/models/{model:path}")
async def retrieve_model(request: Request, model: str) -> Response:
    return json_response(state_of(request).catalogue.object(model), headers={"openai-model": model})
