"""The foundation through the official SDK and raw httpx against a real server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import openai
import pytest
import yaml

from mockapi.settings import builtin_fixtures_dir
from tests.support import API_KEY, ServerProcess, error_of, sdk_client

CATALOGUE = yaml.safe_load((builtin_fixtures_dir() / "models.yaml").read_text())["models"]


def test_models_list_returns_the_whole_catalogue(client: openai.OpenAI) -> None:
    models = client.models.list()
    ids = [m.id for m in models.data]
    assert ids == [entry["id"] for entry in CATALOGUE]
    for required in ("gpt-3.5-turbo", "text-davinci-003", "text-embedding-ada-002", "whisper-1", "gpt-4o"):
        assert required in ids
    first = models.data[0]
    assert first.object == "model"
    assert first.owned_by == CATALOGUE[0]["owned_by"]
    assert first.created == CATALOGUE[0]["created"]


def test_model_retrieve_has_the_reference_shape(http: httpx.Client) -> None:
    response = http.get("/v1/models/text-davinci-003")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == "text-davinci-003"
    assert body["object"] == "model"
    assert body["owned_by"] == "openai-internal"
    (permission,) = body["permission"]
    assert permission["object"] == "model_permission"
    assert permission["id"].startswith("modelperm-") and len(permission["id"]) == len("modelperm-") + 24
    assert permission["allow_sampling"] is True and permission["organization"] == "*"
    assert response.headers["openai-model"] == "text-davinci-003"


def test_model_retrieve_through_sdk(client: openai.OpenAI) -> None:
    model = client.models.retrieve("gpt-3.5-turbo")
    assert (model.id, model.owned_by, model.created) == ("gpt-3.5-turbo", "openai", 1677610602)


def test_unknown_model_is_404_model_not_found(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve("gpt-9")
    assert caught.value.status_code == 404
    assert caught.value.body == {
        "message": "The model 'gpt-9' does not exist",
        "type": "invalid_request_error",
        "param": "model",
        "code": "model_not_found",
    }


def test_missing_key_is_401(server: ServerProcess) -> None:
    response = httpx.get(server.base_url + "/models")
    assert response.status_code == 401
    error = error_of(response)
    assert str(error["message"]).startswith("You didn't provide an API key.")
    assert error["type"] == "invalid_request_error"
    assert response.headers["x-request-id"].startswith("req_")


def test_wrong_key_is_401_with_masked_key(start_server: Callable[..., ServerProcess]) -> None:
    process = start_server("--api-key", "sk-good-key-000000000000", "--api-key", "sk-other-key-11111111111")
    assert sdk_client(process, "sk-good-key-000000000000").models.retrieve("ada").id == "ada"
    assert sdk_client(process, "sk-other-key-11111111111").models.retrieve("ada").id == "ada"
    with pytest.raises(openai.AuthenticationError) as caught:
        sdk_client(process, "sk-abcdefgh12345678wxyz").models.list()
    body = caught.value.body
    assert isinstance(body, dict)
    assert body["code"] == "invalid_api_key"
    assert body["message"].startswith("Incorrect API key provided: sk-abcde***********wxyz.")
    assert "12345678" not in body["message"]


def test_api_keys_come_from_the_environment(start_server: Callable[..., ServerProcess]) -> None:
    process = start_server(env={"MOCKAPI_API_KEYS": "sk-env-a,sk-env-b"})
    assert httpx.get(process.base_url + "/models", headers={"Authorization": "Bearer sk-env-b"}).status_code == 200
    assert httpx.get(process.base_url + "/models", headers={"Authorization": "Bearer sk-env-c"}).status_code == 401


def test_unknown_route_is_404_invalid_url(http: httpx.Client) -> None:
    response = http.post("/v1/foo", json={})
    assert response.status_code == 404
    assert error_of(response) == {
        "message": "Invalid URL (POST /v1/foo)",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }


@pytest.mark.parametrize("path", ["/v1/chat/completions/", "/v1/embeddings/", "/v1/completions/"])
def test_a_trailing_slash_is_another_url_not_a_redirect(http: httpx.Client, path: str) -> None:
    response = http.post(path, json={"model": "gpt-3.5-turbo"})
    assert response.status_code == 404
    assert error_of(response)["message"] == f"Invalid URL (POST {path})"


def test_wrong_method_is_405(http: httpx.Client) -> None:
    response = http.delete("/v1/models")
    assert response.status_code == 405
    assert error_of(response)["message"] == "Invalid method for URL (DELETE /v1/models)"


def test_headers_on_every_response(http: httpx.Client) -> None:
    ids = set()
    for path in ("/v1/models", "/v1/models/ada", "/v1/models/nope", "/v1/nope"):
        response = http.get(path, headers={"OpenAI-Organization": "org-acme"})
        assert response.headers["openai-version"] == "2020-10-01"
        assert response.headers["openai-organization"] == "org-acme"
        assert int(response.headers["openai-processing-ms"]) >= 0
        request_id = response.headers["x-request-id"]
        assert request_id.startswith("req_") and len(request_id) == 36
        int(request_id[4:], 16)
        ids.add(request_id)
    assert len(ids) == 4
    assert "openai-organization" not in http.get("/v1/models").headers


def test_health_needs_no_key_and_docs_are_served(server: ServerProcess) -> None:
    assert httpx.get(server.url + "/health").json() == {"status": "ok"}
    assert httpx.get(server.url + "/docs").status_code == 200
    assert "/v1/models" in httpx.get(server.url + "/openapi.json").json()["paths"]


def test_cors_preflight_allows_any_origin(server: ServerProcess) -> None:
    response = httpx.options(
        server.base_url + "/chat/completions",
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] in ("*", "http://localhost:3000")
    simple = httpx.get(
        server.base_url + "/models", headers={"Origin": "http://x.test", "Authorization": f"Bearer {API_KEY}"}
    )
    assert simple.headers["access-control-allow-origin"] == "*"
    assert "x-request-id" in simple.headers["access-control-expose-headers"]


def test_cors_origins_restrict(start_server: Callable[..., ServerProcess]) -> None:
    process = start_server("--cors-origins", "http://allowed.test")
    headers = {"Access-Control-Request-Method": "GET"}
    ok = httpx.options(process.base_url + "/models", headers={**headers, "Origin": "http://allowed.test"})
    refused = httpx.options(process.base_url + "/models", headers={**headers, "Origin": "http://evil.test"})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == "http://allowed.test"
    assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers


def test_a_user_fixtures_directory_adds_and_replaces_models(
    start_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    (tmp_path / "models.yaml").write_text(
        "models:\n"
        "  - {id: my-finetune, kind: chat, context_window: 2048, owned_by: user-acme, created: 1700000000}\n"
        "  - {id: gpt-4, kind: chat, context_window: 8192, owned_by: acme-mirror, created: 1}\n"
    )
    client = sdk_client(start_server("--fixtures", str(tmp_path)))
    ids = [model.id for model in client.models.list().data]
    assert ids.count("gpt-4") == 1 and "my-finetune" in ids and "gpt-3.5-turbo" in ids
    assert len(ids) == len(CATALOGUE) + 1
    added = client.models.retrieve("my-finetune")
    assert (added.owned_by, added.created) == ("user-acme", 1700000000)
    assert client.models.retrieve("gpt-4").owned_by == "acme-mirror"
    reply = client.chat.completions.create(model="my-finetune", messages=[{"role": "user", "content": "Hi"}])
    assert reply.model == "my-finetune" and reply.choices[0].message.content


def test_same_request_gives_the_same_answer_in_two_processes(start_server: Callable[..., ServerProcess]) -> None:
    """The seeding helper: answers depend on (seed, route, body, index) only, not on the process."""
    request = {"model": "gpt-3.5-turbo", "messages": [{"role": "user", "content": "Tell me a story"}], "n": 2}
    first, second = (sdk_client(start_server()).chat.completions.create(**request) for _ in range(2))
    assert [c.message.content for c in first.choices] == [c.message.content for c in second.choices]
    assert first.choices[0].message.content != first.choices[1].message.content
    other_seed = sdk_client(start_server("--seed", "7")).chat.completions.create(**request)
    assert other_seed.choices[0].message.content != first.choices[0].message.content


def test_workers_serve_the_same_answers_with_distinct_request_ids(start_server: Callable[..., ServerProcess]) -> None:
    process = start_server("--workers", "2")
    request = {"model": "gpt-3.5-turbo", "messages": [{"role": "user", "content": "Tell me a story"}]}
    ids, answers = set(), set()
    with httpx.Client(base_url=process.base_url, headers={"Authorization": f"Bearer {API_KEY}"}) as http:
        for _ in range(30):
            # A new connection each time, so that both workers answer some of them.
            response = http.post("/chat/completions", json=request, headers={"Connection": "close"})
            assert response.status_code == 200
            ids.add(response.headers["x-request-id"])
            answers.add(response.json()["choices"][0]["message"]["content"])
    assert len(ids) == 30
    assert len(answers) == 1
