"""How well chunks answer a query: a score in [0, 1] that ranks the chunk about the query's subject first.

Two signals, as hybrid search combines them:
- meaning: the cosine of the query's and the chunk's embeddings (mockapi's own, generators/embeddings.py:
  text-embedding-3-large at 256 dimensions, the model and size vector stores embed with), below 0 taken as 0;
- keywords: BM25 (k1 = 1.2, b = 0.75, idf over the chunks searched), normalised to [0, 1]: each query term's
  saturated term frequency, tf (k1 + 1) / (tf + k1 (1 - b + b len / avglen)) / (k1 + 1), averaged with the
  terms' idf as weights, so a chunk holding every rare query word often scores near 1 and one holding none 0.

The `auto` ranker (and its dated name) reranks with both, half each; `none` keeps the embedding similarity
alone, as a first-stage vector search would answer.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt

from mockapi.generators.embeddings import STOP_WORDS, WORD, normal_form

Ranker = Literal["none", "auto", "default-2024-11-15"]
Scores = npt.NDArray[np.float64]

EMBEDDING_MODEL = "text-embedding-3-large"
EMBEDDING_DIMENSIONS = 256
K1 = 1.2
B = 0.75
MEANING_WEIGHT = 0.5


def terms(text: str) -> list[str]:
    """The text's words as the embeddings see them: lower case, lightly singularised."""
    return [normal_form(word) for word in WORD.findall(text.lower())]


def query_terms(query: str) -> list[str]:
    """The query's distinct terms in order, function words left out (unless it has nothing else)."""
    found = list(dict.fromkeys(terms(query)))
    content = [term for term in found if term not in STOP_WORDS]
    return content or found


def rewrite(query: str) -> str:
    """The query as keyword search wants it (`rewrite_query`): its content words, in order."""
    words = [word for word in WORD.findall(query.lower()) if normal_form(word) not in STOP_WORDS]
    return " ".join(dict.fromkeys(words)) or query.strip()


def keyword_scores(query: str, chunk_terms: Sequence[Counter[str]], lengths: Sequence[int]) -> Scores:
    """Normalised BM25 of every chunk for the query (see the module docstring)."""
    count = len(chunk_terms)
    wanted = query_terms(query)
    if not count or not wanted:
        return np.zeros(count)
    average = max(sum(lengths) / count, 1.0)
    scaled = np.array([K1 * (1 - B + B * length / average) for length in lengths])
    total = np.zeros(count)
    weights = 0.0
    for term in wanted:
        frequency = np.array([float(counts.get(term, 0)) for counts in chunk_terms])
        holding = int(np.count_nonzero(frequency))
        idf = math.log(1 + (count - holding + 0.5) / (holding + 0.5))
        total += idf * frequency / (frequency + scaled)
        weights += idf
    return np.asarray(total / weights if weights else total)


def meaning_scores(query_vector: npt.NDArray[np.float32], vectors: npt.NDArray[np.float32]) -> Scores:
    """Cosine similarity of unit vectors, clipped to [0, 1]."""
    if not len(vectors):
        return np.zeros(0)
    return np.clip((vectors @ query_vector).astype(np.float64), 0.0, 1.0)


def combined(meaning: Scores, keywords: Scores, ranker: Ranker) -> Scores:
    if ranker == "none":
        return meaning
    return np.clip(MEANING_WEIGHT * meaning + (1 - MEANING_WEIGHT) * keywords, 0.0, 1.0)
