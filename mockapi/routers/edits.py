"""POST /v1/edits."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from mockapi.edge import API_PREFIX
from mockapi.generators.edits import edit
from mockapi.pipeline import Answer, JSONReply, Reply, exchange_of, parse, read_json, require_model, run
from mockapi.routing import DirectRoute
from mockapi.schemas.edits import CreateEditRequest

router = APIRouter(prefix=API_PREFIX, tags=["edits"], route_class=DirectRoute)


@router.post("/edits")
async def create_edit(request: Request) -> Response:
    raw = await read_json(request)
    body = parse(CreateEditRequest, raw)
    require_model(request, body.model, ["edit"])
    exchange = exchange_of(request, "edits", raw, model=body.model, text=body.input or "")

    def produce(answer: Answer) -> Reply:
        return JSONReply(edit(body, answer))

    # top_p only decides whether the model is greedy (see drafting.is_greedy), not which text it draws.
    return await run(request, exchange, produce, seed_body=body.model_dump(exclude={"n", "top_p"}))
