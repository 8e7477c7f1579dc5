"""The 2023-era Python SDK (openai 0.28) against a real server."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.legacy import run_legacy
from tests.support import API_KEY, ServerProcess

pytestmark = pytest.mark.slow


def test_legacy_sdk_lists_and_retrieves_models(server: ServerProcess) -> None:
    result = run_legacy(
        server.base_url,
        API_KEY,
        """
        models = openai.Model.list()
        model = openai.Model.retrieve("text-davinci-003")
        emit({"count": len(models["data"]), "id": model["id"], "perm": model["permission"][0]["object"]})
        """,
    )
    assert result["id"] == "text-davinci-003"
    assert result["perm"] == "model_permission"
    assert result["count"] > 40


def test_legacy_sdk_maps_errors_to_its_exception_classes(server: ServerProcess) -> None:
    result = run_legacy(
        server.base_url,
        API_KEY,
        """
        out = {}
        try:
            openai.Model.retrieve("gpt-9")
        except openai.error.InvalidRequestError as exc:
            out["not_found"] = [exc.http_status, exc.param, exc.code, str(exc)]
        emit(out)
        """,
    )
    assert result["not_found"] == [404, "model", "model_not_found", "The model 'gpt-9' does not exist"]


def test_legacy_sdk_raises_authentication_error_for_a_wrong_key(start_server: Callable[..., ServerProcess]) -> None:
    process = start_server("--api-key", "sk-right-000000000000")
    result = run_legacy(
        process.base_url,
        "sk-wrong-111111111111",
        """
        try:
            openai.Model.list()
        except openai.error.AuthenticationError as exc:
            emit([exc.http_status, exc.json_body["error"]["code"]])
        """,
    )
    assert result == [401, "invalid_api_key"]
