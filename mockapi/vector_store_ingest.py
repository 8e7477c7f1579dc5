"""Ingesting one uploaded file into a vector store: read it, parse it, chunk it, embed the chunks.

The work is done when the file is attached (so what the store will hold is decided then, from the file as
it is then); what the API shows of it follows the server's clock: the file is `in_progress` until its
ingestion time has passed (INGEST_SECONDS plus a second per TOKENS_PER_SECOND tokens), then `completed`, or
`failed` with its `last_error`. Chunks are kept as one record per attached file: the parsed text, each
chunk's character span, and the chunks' embeddings (float32, base64) with the seed they were made with.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from mockapi.generators import documents

if TYPE_CHECKING:
    from mockapi.state import AppState

INGEST_SECONDS = 1.0
TOKENS_PER_SECOND = 100_000


@dataclass(frozen=True)
class Ingested:
    filename: str
    seconds: float  # how long ingestion takes on the server's clock
    error: dict[str, str] | None  # the `last_error` it ends with
    usage_bytes: int
    chunks: dict[str, Any] | None  # the chunk record, when it succeeds


def strategy_object(max_tokens: int, overlap: int) -> dict[str, Any]:
    """The chunking strategy as a file object reports it (auto shows as the static one it is)."""
    return {"type": "static", "static": {"max_chunk_size_tokens": max_tokens, "chunk_overlap_tokens": overlap}}


def ingest(state: AppState, owner: str, file_id: str, max_tokens: int, overlap: int) -> Ingested:
    """Blocking (disk and numpy work): run in a worker thread. FileNotFound for a file not the owner's."""
    stored, stream = state.files.open_content(owner, file_id)
    try:
        data = stream.read(documents.MAX_PARSED_BYTES + 1)
    finally:
        stream.close()
    parsed = documents.parse(stored.filename, data)
    if isinstance(parsed, documents.Unparsable):
        return _failed(stored.filename, parsed)
    chunked = documents.chunk(parsed.text, max_tokens, overlap)
    if isinstance(chunked, documents.Unparsable):
        return _failed(stored.filename, chunked)
    texts = [parsed.text[start:end] for start, end in chunked.spans]
    from mockapi.generators import ranking
    from mockapi.generators.embeddings import text_vectors

    seeding = state.seeding
    vectors = text_vectors(seeding, ranking.EMBEDDING_MODEL, ranking.EMBEDDING_DIMENSIONS, texts)
    spans = [list(span) for span in chunked.spans]
    # What the record holds follows from the seed, the text and the spans: their digest names it for caches.
    digest = hashlib.blake2b(orjson.dumps([seeding.seed, ranking.EMBEDDING_DIMENSIONS, spans]), digest_size=16)
    digest.update(parsed.text.encode("utf-8", "surrogatepass"))
    record = {
        "seed": seeding.seed,
        "ingest": digest.hexdigest(),
        "text": parsed.text,
        "spans": spans,
        "dimensions": ranking.EMBEDDING_DIMENSIONS,
        "vectors": base64.b64encode(vectors.astype("<f4").tobytes()).decode("ascii"),
    }
    seconds = INGEST_SECONDS + chunked.tokens / TOKENS_PER_SECOND
    return Ingested(stored.filename, seconds, None, sum(len(text.encode("utf-8")) for text in texts), record)


def _failed(filename: str, why: documents.Unparsable) -> Ingested:
    return Ingested(filename, INGEST_SECONDS, {"code": why.code, "message": why.message}, 0, None)
