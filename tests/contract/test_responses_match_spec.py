"""Every 2xx body of every route, validated against the 2023 spec's response schemas."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.contract import spec

# (spec path, method, our path, request kwargs for httpx)
CASES: list[tuple[str, str, str, dict[str, Any]]] = [
    ("/models", "get", "/v1/models", {}),
    ("/models/{model}", "get", "/v1/models/gpt-3.5-turbo", {}),
    ("/models/{model}", "get", "/v1/models/text-embedding-ada-002", {}),
]


@pytest.mark.parametrize(("spec_path", "method", "path", "kwargs"), CASES, ids=[f"{c[1]} {c[2]}" for c in CASES])
def test_2xx_body_matches_the_spec(
    http: httpx.Client, spec_path: str, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    response = http.request(method.upper(), path, **kwargs)
    assert 200 <= response.status_code < 300, response.text
    spec.check(spec_path, method, response.json())


def test_the_checker_rejects_a_wrong_body() -> None:
    with pytest.raises(AssertionError, match="required property"):
        spec.check("/models/{model}", "get", {"id": "x", "object": "model"})
