"""Embedding vectors that mean something, and the /v1/embeddings response body.

A text's vector is the weighted sum of one seeded random vector per feature (lower-cased word, lightly
singularised, plus adjacent-word pairs at a lower weight), normalised to unit length. Each feature's vector
depends only on (server seed, model, feature), never on the request, so a text has the same vector in every
request and every process, and texts that share words have a higher cosine than unrelated ones: random
vectors in hundreds of dimensions are nearly orthogonal, so the cosine approximates the weighted overlap of
the two bags of words. Very common words weigh little so that topic words decide rankings.

`dimensions` keeps the first N components and renormalises, as the real API shortens text-embedding-3.
"""

from __future__ import annotations

import base64
import itertools
import re
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import orjson

from mockapi.caches import BoundedCache, kept_bytes
from mockapi.schemas.embeddings import MeasuredInput
from mockapi.seeding import Seeding

Vector = npt.NDArray[np.float32]
EncodingFormat = Literal["float", "base64"]

# Caches of per-feature vectors and of serialised embeddings, each held under this many bytes (LRU eviction).
CACHE_BYTES = 16 * 1024 * 1024

WORD = re.compile(r"\w+")

PAIR_WEIGHT = 0.35
STOP_WEIGHT = 0.08

# Common English function words: they appear in most texts, so they would make everything look alike.
_STOP_WORD_LIST = """
    a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each either few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just me might
    more most my myself no nor not now of off on once only or other our ours ourselves out over own same
    shall she should so some such than that the their theirs them themselves then there these they this
    those through to too under until up upon us very was we were what when where which while who whom why
    will with within without would yet you your yours yourself yourselves
"""
STOP_WORDS = frozenset(_STOP_WORD_LIST.split())


# Per-feature random vectors, and the serialised embedding of recently seen texts (re-embedding the same
# texts is common in test suites, and serialising 1536 floats is the costliest step of a request).
_feature_vectors = BoundedCache(CACHE_BYTES)
_wire_forms = BoundedCache(CACHE_BYTES)


def normal_form(word: str) -> str:
    """A crude singular, so that "cats" and "cat" are one feature."""
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def features(text: str) -> dict[str, float]:
    """Weighted features of a text: words, and adjacent pairs (so word order counts a little)."""
    words = [normal_form(w) for w in WORD.findall(text.lower())]
    weights: dict[str, float] = {}
    for word in words:
        weights[word] = weights.get(word, 0.0) + (STOP_WEIGHT if word in STOP_WORDS else 1.0)
    for first, second in itertools.pairwise(words):
        pair = f"{first} {second}"
        both_stop = first in STOP_WORDS and second in STOP_WORDS
        weights[pair] = weights.get(pair, 0.0) + PAIR_WEIGHT * (STOP_WEIGHT if both_stop else 1.0)
    return weights


def _feature_vector(seeding: Seeding, model: str, size: int, feature: str) -> Vector:
    key = (seeding.seed, model, size, feature)
    vector: Vector | None = _feature_vectors.get(key)
    if vector is None:
        # Independent components, uniform in [-1, 1): zero-mean, so unrelated features are near-orthogonal.
        raw = seeding.random_bytes("embeddings-feature", [model, feature], 4 * size)
        vector = np.frombuffer(raw, dtype="<i4").astype(np.float32) / np.float32(2**31)
        vector.flags.writeable = False
        # The feature (a word, which may be long) is held in the key: it counts against the budget too.
        _feature_vectors.put(key, vector, vector.nbytes + len(feature))
    return vector


def text_vector(seeding: Seeding, model: str, size: int, text: str) -> Vector:
    """The unit vector of `text` in the model's native dimensions."""
    weighted = features(text)
    if not weighted:
        # No words at all (punctuation, whitespace): the whole text is the one feature.
        weighted = {"\0" + text: 1.0}
    total = np.zeros(size, dtype=np.float32)
    for feature, weight in weighted.items():
        total += np.float32(weight) * _feature_vector(seeding, model, size, feature)
    total /= np.linalg.norm(total)
    return total


def text_vectors(seeding: Seeding, model: str, size: int, texts: Sequence[str]) -> npt.NDArray[np.float32]:
    """The unit vectors of many texts (one row each, in order), as `text_vector` makes them one at a time:
    each row is one product of its weights and its features' vectors rather than a sum added up feature
    by feature."""
    rows = np.empty((len(texts), size), dtype=np.float32)
    for row, text in enumerate(texts):
        weighted = features(text) or {"\0" + text: 1.0}
        matrix = np.stack([_feature_vector(seeding, model, size, feature) for feature in weighted])
        total = np.fromiter(weighted.values(), dtype=np.float32, count=len(weighted)) @ matrix
        rows[row] = total / np.linalg.norm(total)
    return rows


def shorten(vector: npt.NDArray[np.floating[Any]], dimensions: int) -> Vector:
    """The first `dimensions` components, renormalised (the text-embedding-3 `dimensions` parameter)."""
    if dimensions >= vector.shape[0]:
        return vector.astype(np.float32, copy=False)
    head = vector[:dimensions].astype(np.float32)
    norm = np.linalg.norm(head)
    return head / norm if norm > 0 else head


def encode(vector: Vector, encoding_format: EncodingFormat) -> bytes:
    """The JSON of an `embedding` value: float64 copies of the float32 values (so a JSON float parses back
    to exactly the number that base64 carries), or the little-endian float32 bytes in base64."""
    if encoding_format == "base64":
        return b'"' + base64.b64encode(vector.astype("<f4", copy=False).tobytes()) + b'"'
    return orjson.dumps(vector.astype(np.float64), option=orjson.OPT_SERIALIZE_NUMPY)


def text_embedding(
    seeding: Seeding, model: str, native_dimensions: int, size: int, text: str, encoding_format: EncodingFormat
) -> orjson.Fragment:
    """The serialised embedding of `text`, `size` components long, from the cache when recently seen."""
    key = (seeding.seed, model, native_dimensions, size, encoding_format, text)
    wire: orjson.Fragment | None = _wire_forms.get(key)
    if wire is None:
        serialised = kept_bytes(
            encode(shorten(text_vector(seeding, model, native_dimensions, text), size), encoding_format)
        )
        wire = orjson.Fragment(serialised)
        _wire_forms.put(key, wire, len(serialised) + len(text))
    return wire


def create_embedding_response(
    seeding: Seeding,
    model: str,
    inputs: Sequence[MeasuredInput],
    native_dimensions: int,
    dimensions: int | None = None,
    encoding_format: EncodingFormat = "float",
    fixed: Sequence[float] | None = None,
) -> dict[str, Any]:
    """The CreateEmbeddingResponse body, `data` in input order; `dimensions` is the requested shortening.

    `fixed` (a fixture rule's vector) answers every input instead, as written (shortened only when the
    request asks for fewer dimensions than it has). Embeddings are pre-serialised orjson Fragments.
    """
    size = dimensions or native_dimensions
    fixed_wire = None
    if fixed is not None:
        vector = np.asarray(fixed, dtype=np.float32)
        fixed_wire = orjson.Fragment(
            encode(shorten(vector, dimensions) if dimensions is not None else vector, encoding_format)
        )
    data = [
        {
            "object": "embedding",
            "embedding": text_embedding(seeding, model, native_dimensions, size, item.text, encoding_format)
            if fixed_wire is None
            else fixed_wire,
            "index": index,
        }
        for index, item in enumerate(inputs)
    ]
    used = sum(item.tokens for item in inputs)
    return {"object": "list", "data": data, "model": model, "usage": {"prompt_tokens": used, "total_tokens": used}}
