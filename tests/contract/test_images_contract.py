"""The images endpoints' 2xx bodies against the 2023 spec's ImagesResponse, in both response formats."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.contract import spec
from tests.images_support import checkerboard, encode, with_transparent_square

TRANSPARENT = encode(with_transparent_square(checkerboard(64), (0, 0, 32, 32)))

CASES: list[tuple[str, dict[str, Any]]] = [
    ("/images/generations", {"json": {"prompt": "otter", "n": 2, "size": "256x256"}}),
    ("/images/generations", {"json": {"prompt": "otter", "size": "256x256", "response_format": "b64_json"}}),
    ("/images/edits", {"files": {"image": ("a.png", TRANSPARENT)}, "data": {"prompt": "hat", "size": "256x256"}}),
    (
        "/images/variations",
        {"files": {"image": ("a.png", TRANSPARENT)}, "data": {"size": "256x256", "response_format": "b64_json"}},
    ),
]


@pytest.mark.parametrize(("spec_path", "kwargs"), CASES, ids=[f"{p} {i}" for i, (p, _) in enumerate(CASES)])
def test_images_body_matches_the_spec(http: httpx.Client, spec_path: str, kwargs: dict[str, Any]) -> None:
    response = http.post("/v1" + spec_path, **kwargs)
    assert response.status_code == 200, response.text
    body = response.json()
    spec.check(spec_path, "post", body)
    assert set(body) == {"created", "data"}
    assert all(len(item) == 1 for item in body["data"])


def test_the_checker_rejects_a_body_without_data() -> None:
    with pytest.raises(AssertionError, match="required property"):
        spec.check("/images/generations", "post", {"created": 1})
