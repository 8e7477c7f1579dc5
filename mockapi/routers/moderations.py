"""POST /v1/moderations."""

from __future__ import annotations

from starlette.requests import Request

from mockapi import errors
from mockapi.generators import moderations as generate
from mockapi.pipeline import Answer, JSONReply, exchange_of, require_model, run
from mockapi.routing import Resource
from mockapi.schemas.moderations import CreateModerationRequest, CreateModerationResponse
from mockapi.wire import Rendered

router = Resource("moderations")

MODERATION_ID_PREFIX = "modr-"


@router.post("/moderations", endpoint="moderations", body=CreateModerationRequest, answers=(CreateModerationResponse,))
async def create_moderation(request: Request, body: CreateModerationRequest) -> Rendered:
    entry = require_model(request, body.model, ("moderation",))
    if body.has_images and not (entry.moderation and entry.moderation.image_input):
        raise errors.invalid_param(
            f"The model '{body.model}' does not accept image inputs; use omni-moderation-latest for images.", "input"
        )
    family = generate.family(body.model)
    exchange = exchange_of(request, model=body.model, text=body.text())

    def produce(answer: Answer) -> JSONReply:
        results = generate.moderate(body.input, family, answer.seeding)
        pin = answer.respond.moderation if answer.respond is not None else None
        if pin is not None:
            results = [generate.pinned(r, pin.flagged, pin.categories, pin.category_scores) for r in results]
        response_id = answer.seeding.next_id(MODERATION_ID_PREFIX, 29)
        return JSONReply(generate.response(response_id, generate.model_answered(body.model), results))

    return await run(request, exchange, produce)
