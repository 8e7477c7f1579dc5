"""POST /v1/edits."""

from __future__ import annotations

from starlette.requests import Request

from mockapi.generators.edits import edit
from mockapi.pipeline import Answer, JSONReply, Reply, exchange_of, require_model, run
from mockapi.routing import Resource
from mockapi.schemas.edits import CreateEditRequest, CreateEditResponse
from mockapi.wire import Rendered

router = Resource("edits")


@router.post("/edits", endpoint="edits", body=CreateEditRequest, answers=(CreateEditResponse,))
async def create_edit(request: Request, body: CreateEditRequest) -> Rendered:
    require_model(request, body.model, ["edit"])
    exchange = exchange_of(request, model=body.model, text=body.input or "")

    def produce(answer: Answer) -> Reply:
        return JSONReply(edit(body, answer))

    # top_p only decides whether the model is greedy (see drafting.is_greedy), not which text it draws.
    return await run(request, exchange, produce, seed_body=body.model_dump(exclude={"n", "top_p"}))
