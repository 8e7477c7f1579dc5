"""The pure embeddings generator and the request checks, without a server."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import orjson
import pytest

from mockapi import errors, tokens
from mockapi.generators import embeddings as gen
from mockapi.routing import parse
from mockapi.schemas.embeddings import INVALID_INPUT, CreateEmbeddingRequest, measure_inputs
from mockapi.seeding import Seeding

ADA = "text-embedding-ada-002"


def vec(text: str, seed: int = 0, model: str = ADA, size: int = 1536) -> np.ndarray[Any, Any]:
    return gen.text_vector(Seeding(seed), model, size, text)


def cosine(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def body_of(**kwargs: Any) -> dict[str, Any]:
    """A response body as a client sees it (the embeddings are pre-serialised fragments)."""
    return dict(orjson.loads(orjson.dumps(gen.create_embedding_response(Seeding(0), ADA, **kwargs))))


def test_features_lower_case_singularise_and_weigh_stop_words_down() -> None:
    weights = gen.features("The Cats and the cat")
    assert weights["cat"] == 2.0
    assert weights["the"] == pytest.approx(2 * gen.STOP_WEIGHT)
    assert weights["and"] == pytest.approx(gen.STOP_WEIGHT)
    assert weights["the cat"] == pytest.approx(2 * gen.PAIR_WEIGHT)
    assert weights["and the"] == pytest.approx(gen.PAIR_WEIGHT * gen.STOP_WEIGHT)
    assert "glas" not in gen.features("glass") and "bu" not in gen.features("bus")


def test_text_vector_is_unit_float32_and_depends_on_seed_model_and_text_only() -> None:
    v = vec("A quiet harbour at dawn")
    assert v.dtype == np.float32 and v.shape == (1536,)
    assert float(np.linalg.norm(v)) == pytest.approx(1.0, abs=1e-6)
    assert np.array_equal(v, vec("A quiet harbour at dawn"))
    assert np.array_equal(v, vec("a QUIET harbour, at dawn!"))  # case and punctuation are not words
    assert cosine(v, vec("A quiet harbour at dawn", seed=1)) < 0.2
    assert cosine(v, vec("A quiet harbour at dawn", model="text-embedding-3-small")) < 0.2
    assert cosine(v, vec("A noisy airport at night")) < 0.5


def test_texts_sharing_topic_words_are_closer_than_texts_sharing_stop_words() -> None:
    query = vec("How do I bake sourdough bread?")
    topical = vec("Sourdough bread wants a hot oven")
    function_words = vec("How do I reset my password?")
    assert cosine(query, topical) > 0.3
    assert cosine(query, topical) > cosine(query, function_words) + 0.2


def test_word_order_changes_the_vector_a_little() -> None:
    similarity = cosine(vec("dog bites man"), vec("man bites dog"))
    assert 0.7 < similarity < 0.999


def test_text_without_words_still_has_a_deterministic_unit_vector() -> None:
    v = vec("?!")
    assert float(np.linalg.norm(v)) == pytest.approx(1.0, abs=1e-6)
    assert np.array_equal(v, vec("?!")) and cosine(v, vec("...")) < 0.2


def test_shorten_keeps_the_prefix_direction_at_unit_length() -> None:
    v = vec("shorten me")
    short = gen.shorten(v, 256)
    assert short.shape == (256,) and float(np.linalg.norm(short)) == pytest.approx(1.0, abs=1e-6)
    assert cosine(short, v[:256]) == pytest.approx(1.0, abs=1e-6)
    assert np.array_equal(gen.shorten(v, 1536), v)


def test_float_and_base64_carry_the_same_float32_numbers() -> None:
    v = vec("round trip")
    as_floats = orjson.loads(gen.encode(v, "float"))
    as_bytes = np.frombuffer(base64.b64decode(orjson.loads(gen.encode(v, "base64"))), dtype="<f4")
    assert as_floats == v.tolist() == as_bytes.tolist()


def test_response_lists_inputs_in_order_with_true_usage() -> None:
    inputs = [gen.MeasuredInput("first text", 2), gen.MeasuredInput("second text", 5)]
    body = body_of(inputs=inputs, native_dimensions=1536, encoding_format="float")
    assert body["object"] == "list" and body["model"] == ADA
    assert body["usage"] == {"prompt_tokens": 7, "total_tokens": 7}
    assert [(d["object"], d["index"], list(d)) for d in body["data"]] == [
        ("embedding", 0, ["object", "embedding", "index"]),
        ("embedding", 1, ["object", "embedding", "index"]),
    ]
    assert body["data"][1]["embedding"] == vec("second text").tolist()


def test_fixed_vector_answers_every_input_and_is_shortened_only_on_request() -> None:
    inputs = [gen.MeasuredInput("a", 1), gen.MeasuredInput("b", 1)]
    fixed = [0.6, 0.8, 0.0]
    body = body_of(inputs=inputs, native_dimensions=1536, fixed=fixed)
    assert [d["embedding"] for d in body["data"]] == [np.float32(fixed).tolist()] * 2
    body = body_of(inputs=inputs, native_dimensions=1536, dimensions=1, fixed=fixed)
    assert body["data"][0]["embedding"] == [1.0]


# The request checks.


def request(**body: Any) -> CreateEmbeddingRequest:
    return parse(CreateEmbeddingRequest, {"model": ADA, **body})


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", INVALID_INPUT),
        ([], INVALID_INPUT),
        ([[]], INVALID_INPUT),
        (["ok", ""], INVALID_INPUT),
        (["x"] * 2049, INVALID_INPUT),
        (12, "12 is not valid under any of the given schemas - 'input'"),
        ([1, "a"], "[1, 'a'] is not valid under any of the given schemas - 'input'"),
        ([[1], ["a"]], "[[1], ['a']] is not valid under any of the given schemas - 'input'"),
        ([1.5], "[1.5] is not valid under any of the given schemas - 'input'"),
        ([True], "[True] is not valid under any of the given schemas - 'input'"),
    ],
)
def test_unusable_input_is_400_naming_input(value: Any, message: str) -> None:
    with pytest.raises(errors.OpenAIError) as caught:
        request(input=value)
    assert (caught.value.status, caught.value.param, caught.value.message) == (400, "input", message)


def test_input_shapes_are_measured_with_the_tokenizer() -> None:
    assert measure_inputs(request(input="hello world"), 8191) == [gen.MeasuredInput("hello world", 2)]
    assert measure_inputs(request(input=[15339, 1917]), 8191) == [gen.MeasuredInput("hello world", 2)]
    assert measure_inputs(request(input=[[15339], [1917]]), 8191) == [
        gen.MeasuredInput("hello", 1),
        gen.MeasuredInput(" world", 1),
    ]
    assert len(measure_inputs(request(input=["a"] * 2048), 8191)) == 2048
    # One flat token-id array is one input, even past 2048 ids.
    assert measure_inputs(request(input=[1] * 3000), 8191) == [gen.MeasuredInput(tokens.decode([1] * 3000), 3000)]


def test_input_over_the_context_window_is_the_real_message() -> None:
    with pytest.raises(errors.OpenAIError) as caught:
        measure_inputs(request(input=["short", "x" * 40]), 4)
    assert caught.value.param == "input"
    assert caught.value.message == (
        "This model's maximum context length is 4 tokens, however you requested 5 tokens "
        "(5 in your prompt; 0 for the completion). Please reduce your prompt; or completion length."
    )


@pytest.mark.parametrize("bad", [-1, 100256, 100276 + 1, 2**70])
def test_token_ids_outside_the_vocabulary_are_400(bad: int) -> None:
    with pytest.raises(errors.OpenAIError) as caught:
        measure_inputs(request(input=[[15339], [1917, bad]]), 8191)
    assert (caught.value.status, caught.value.param) == (400, "input")
    assert f"Invalid token id {bad} " in caught.value.message


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"encoding_format": "hex"}, "encoding_format"),
        ({"dimensions": 0}, "dimensions"),
        ({"dimensions": "8"}, "dimensions"),
        ({"user": 5}, "user"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_other_fields_are_validated(body: dict[str, Any], param: str) -> None:
    with pytest.raises(errors.OpenAIError) as caught:
        request(input="x", **body)
    assert (caught.value.status, caught.value.param) == (400, param)
