"""Azure's paths in process: which /v1 route each reaches (for its body limits), the routes made, and the
--azure-deployment setting."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from mockapi.azure import DATED_API_VERSIONS, alias_routes, canonical_path
from mockapi.registry import RouteTable, resource_routes
from mockapi.settings import Settings


@pytest.mark.parametrize(
    ("path", "reached"),
    [
        ("/openai/deployments/gpt-4o/chat/completions", "/v1/chat/completions"),
        ("/openai/deployments/whisper/audio/transcriptions", "/v1/audio/transcriptions"),
        ("/openai/files", "/v1/files"),
        ("/openai/files/file-1/content", "/v1/files/file-1/content"),
        ("/openai/v1/files", "/v1/files"),
        ("/v1/files", "/v1/files"),
        ("/health", "/health"),
    ],
)
def test_an_azure_path_reaches_its_v1_route(path: str, reached: str) -> None:
    assert canonical_path(path) == reached


def test_azure_paths_have_their_routes_body_limits() -> None:
    table = RouteTable(resource_routes(), Settings(max_body_bytes=2048, max_file_bytes=10_000))
    for path in ("/openai/files", "/openai/v1/files"):
        assert table.body_rule("POST", path).limit == 10_000 + 1024 * 1024
    audio = table.body_rule("POST", "/openai/deployments/whisper-1/audio/transcriptions")
    assert "Maximum content size limit" in audio.too_large(4096).message
    assert table.body_rule("POST", "/openai/deployments/gpt-4o/chat/completions").limit == 2048


def test_each_route_has_its_azure_paths_and_the_public_links_none() -> None:
    routes = alias_routes(resource_routes(), Settings())
    aliases = {(method, route.path) for route in routes for method in route.methods}
    assert ("POST", "/openai/deployments/{deployment}/chat/completions") in aliases
    assert ("POST", "/openai/v1/chat/completions") in aliases
    assert ("POST", "/openai/chat/completions") not in aliases  # a deployment serves it
    assert {("GET", "/openai/models"), ("GET", "/openai/v1/files/{file_id}/content")} <= aliases
    assert not [path for _, path in aliases if "images/files" in path]  # links need no key, and stay /v1's
    assert not [path for _, path in aliases if path.endswith("/edits") and "images" not in path]  # never Azure's


def test_the_known_api_versions_run_from_the_first_previews_to_2025() -> None:
    assert {"2023-05-15", "2024-02-01", "2024-06-01", "2024-10-21", "2025-04-01-preview"} <= set(DATED_API_VERSIONS)
    assert list(DATED_API_VERSIONS) == sorted(DATED_API_VERSIONS) and len(set(DATED_API_VERSIONS)) == len(
        DATED_API_VERSIONS
    )


def test_a_deployment_is_name_equals_model() -> None:
    settings = Settings.load(environ={"MOCKAPI_AZURE_DEPLOYMENTS": "chat = gpt-4o, search=text-embedding-3-small"})
    assert settings.azure_deployments == ("chat=gpt-4o", "search=text-embedding-3-small")
    for bad in ("chat", "=gpt-4o", "chat="):
        with pytest.raises(ValidationError, match="is not NAME=MODEL"):
            Settings(azure_deployments=(bad,))
