"""Search over vector stores: the ranked chunks of a query, for `POST /v1/vector_stores/{id}/search` and the
Responses API's `file_search` tool alike.

    hits = search(state, owner, ["vs_..."], "how do volcanoes erupt?", max_num_results=5)
    hits[0].file_id, hits[0].filename, hits[0].score, hits[0].text, hits[0].attributes

Only files ingested by now (on the server's clock) are searched, those whose attributes pass `filters`.
Each chunk is scored against each query (generators/ranking.py: embeddings and BM25, in [0, 1]) and keeps
its best score; chunks under `score_threshold` are left out; the rest come best first (ties in store, file
and chunk order), at most `max_num_results` of them. Searching does not mark a store active: the caller
does (`VectorStores.touch`), as it answers a request.

Blocking (records, numpy): async callers run it in a worker thread.
"""

from __future__ import annotations

import base64
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mockapi.attribute_filters import Comparison, Compound, Filter, matches, parse_filter
from mockapi.caches import BoundedCache
from mockapi.records import Record
from mockapi.schemas.current_models import validated
from mockapi.schemas.vector_stores import RankingOptions
from mockapi.seeding import Seeding
from mockapi.vector_stores import VectorStores

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from mockapi.state import AppState

# Chunk records decoded for scoring (vectors, term counts), by ingestion: searching a store again skips it.
DECODED_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Hit:
    """One chunk found: the file it is of, its score in [0, 1], its text, the file's attributes."""

    file_id: str
    filename: str
    score: float
    text: str
    attributes: dict[str, Any] = field(default_factory=dict)
    vector_store_id: str = ""

    def as_result(self) -> dict[str, Any]:
        """The search endpoint's result item (VectorStoreSearchResultItem)."""
        return {
            "file_id": self.file_id,
            "filename": self.filename,
            "score": self.score,
            "attributes": self.attributes,
            "content": [{"type": "text", "text": self.text}],
        }


@dataclass(frozen=True)
class _Decoded:
    texts: list[str]
    vectors: npt.NDArray[np.float32]
    counts: list[Counter[str]]
    lengths: list[int]


_decoded = BoundedCache(DECODED_BYTES)
_decoded_lock = threading.Lock()


def _decode(chunks: Record) -> _Decoded:
    key = chunks["ingest"]
    with _decoded_lock:
        found: _Decoded | None = _decoded.get(key)
    if found is not None:
        return found
    # Imported with the first search: a server that never searches starts without numpy.
    import numpy as np

    from mockapi.generators import ranking

    text = chunks["text"]
    texts = [text[start:end] for start, end in chunks["spans"]]
    raw = base64.b64decode(chunks["vectors"])
    vectors = np.frombuffer(raw, dtype="<f4").reshape(len(texts), int(chunks["dimensions"]))
    words = [ranking.terms(piece) for piece in texts]
    decoded = _Decoded(texts, vectors, [Counter(w) for w in words], [len(w) for w in words])
    with _decoded_lock:
        _decoded.put(key, decoded, len(raw) + 4 * sum(len(piece) for piece in texts))
    return decoded


def queries_of(query: str | Sequence[str]) -> list[str]:
    return [query] if isinstance(query, str) else list(query)


def search(
    state: AppState,
    owner: str,
    store_ids: Sequence[str],
    query: str | Sequence[str],
    max_num_results: int = 10,
    filters: Mapping[str, Any] | Filter | None = None,
    ranking_options: Mapping[str, Any] | RankingOptions | None = None,
    *,
    filters_param: str = "filters",
) -> list[Hit]:
    """The best chunks of the owner's stores for the query (or each of several queries), best first.

    An unknown store is the API's 404, an expired one its 400; `filters` and `ranking_options` may be
    given as the request's JSON (then validated, failures naming `filters_param` or `ranking_options`).
    """
    condition = filters if filters is None or isinstance(filters, Comparison | Compound) else None
    if filters is not None and condition is None:
        condition = parse_filter(filters, filters_param)
    options = (
        ranking_options
        if isinstance(ranking_options, RankingOptions)
        else validated(RankingOptions, ranking_options or {}, ("ranking_options",))
    )
    library = VectorStores(state, owner)
    found: list[tuple[Record, _Decoded, int]] = []  # (file record, its chunks, seed)
    for store_id in store_ids:
        library.usable(store_id)
        for record, chunks in library.searchable(store_id):
            if condition is None or matches(condition, record["attributes"]):
                found.append((record, _decode(chunks), int(chunks["seed"])))
    if not found:
        return []
    import numpy as np

    from mockapi.generators import ranking
    from mockapi.generators.embeddings import text_vector

    owners = [(record, index) for record, decoded, _ in found for index in range(len(decoded.texts))]
    texts = [text for _, decoded, _ in found for text in decoded.texts]
    counts = [c for _, decoded, _ in found for c in decoded.counts]
    lengths = [n for _, decoded, _ in found for n in decoded.lengths]
    vectors = np.concatenate([decoded.vectors for _, decoded, _ in found])
    seeds = np.concatenate([np.full(len(decoded.texts), seed) for _, decoded, seed in found])
    best = np.zeros(len(texts))
    for text in queries_of(query):
        meaning = np.zeros(len(texts))
        for seed in np.unique(seeds):
            rows = seeds == seed
            seeding = state.seeding if seed == state.seeding.seed else Seeding(int(seed))
            vector = text_vector(seeding, ranking.EMBEDDING_MODEL, ranking.EMBEDDING_DIMENSIONS, text)
            meaning[rows] = ranking.meaning_scores(vector, vectors[rows])
        keywords = ranking.keyword_scores(text, counts, lengths)
        best = np.maximum(best, ranking.combined(meaning, keywords, options.ranker))
    order = sorted(range(len(texts)), key=lambda row: -best[row])
    hits: list[Hit] = []
    for row in order:
        score = float(best[row])
        if score < options.score_threshold or len(hits) == max_num_results:
            break
        record, _ = owners[row]
        hits.append(
            Hit(record["id"], record["_filename"], score, texts[row], record["attributes"], record["vector_store_id"])
        )
    return hits
