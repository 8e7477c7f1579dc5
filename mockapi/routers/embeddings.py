"""POST /v1/embeddings."""

from __future__ import annotations

from starlette.requests import Request

from mockapi import errors
from mockapi.catalogue import ModelEntry
from mockapi.pipeline import Answer, JSONReply, exchange_of, run, state_of
from mockapi.routing import Resource
from mockapi.schemas.embeddings import CreateEmbeddingRequest, CreateEmbeddingResponse, measure_inputs
from mockapi.wire import Rendered

router = Resource("embeddings")

# Only the text-embedding-3 family can shorten its vectors.
SHORTENING_PREFIX = "text-embedding-3"
# For an embedding model that a user's catalogue lists without its dimensions.
DEFAULT_DIMENSIONS = 1536


def _embedding_model(request: Request, model_id: str) -> ModelEntry:
    """The catalogue entry; 404 for an unknown model, the real API's 403 for a model of another kind."""
    entry = state_of(request).catalogue.get(model_id)
    if entry.kind != "embedding":
        raise errors.not_an_embedding_model()
    return entry


def _check_dimensions(entry: ModelEntry, dimensions: int | None, native: int) -> None:
    if dimensions is None:
        return
    if not entry.id.startswith(SHORTENING_PREFIX):
        raise errors.invalid_param("This model does not support specifying dimensions.", "dimensions")
    if dimensions > native:
        raise errors.invalid_param(f"{dimensions} is greater than the maximum of {native} - 'dimensions'", "dimensions")


@router.post("/embeddings", endpoint="embeddings", body=CreateEmbeddingRequest, answers=(CreateEmbeddingResponse,))
async def create_embedding(request: Request, body: CreateEmbeddingRequest) -> Rendered:
    entry = _embedding_model(request, body.model)
    native = entry.dimensions or DEFAULT_DIMENSIONS
    _check_dimensions(entry, body.dimensions, native)
    inputs = measure_inputs(body, entry.context_window)
    exchange = exchange_of(request, model=body.model, text=inputs[0].text)

    def produce(answer: Answer) -> JSONReply:
        from mockapi.generators import embeddings  # numpy loads with the first embeddings request

        fixed = answer.respond.embedding if answer.respond else None
        return JSONReply(
            embeddings.create_embedding_response(
                answer.seeding, body.model, inputs, native, body.dimensions, body.encoding_format, fixed
            )
        )

    return await run(request, exchange, produce)
