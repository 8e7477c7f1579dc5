"""Azure OpenAI's paths through the official SDK's `AzureOpenAI` client (and `OpenAI` on Azure's v1 API) against
a real server: deployments named after a model or mapped by --azure-deployment, the api-key header, and the
errors Azure's gateway answers itself in its own shape."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from PIL import Image

from tests.images_support import checkerboard, encode, with_transparent_square
from tests.support import ServerProcess, error_of, silent_wav

KEY = "sk-azure-test-0000000000000000"
VERSION = "2024-10-21"
MESSAGES: list[Any] = [{"role": "user", "content": "Name three rivers of Europe."}]
DEPLOYMENT_NOT_FOUND = (
    "The API deployment for this resource does not exist. If you created the deployment within the last 5 "
    "minutes, please wait a moment and try again."
)
ACCESS_DENIED = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for "
    "an active subscription and use a correct regional API endpoint for your resource."
)


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    flags = ["--api-key", KEY, "--azure-deployment", "support-bot=gpt-4o-mini"]
    with ServerProcess([*flags, "--azure-deployment", "search=text-embedding-3-small"]) as process:
        yield process


@pytest.fixture
def azure(server: ServerProcess) -> openai.AzureOpenAI:
    return openai.AzureOpenAI(azure_endpoint=server.url, api_key=KEY, api_version=VERSION, max_retries=0)


@pytest.fixture
def direct(server: ServerProcess) -> openai.OpenAI:
    """The same server through its OpenAI paths (/v1)."""
    return openai.OpenAI(base_url=server.base_url, api_key=KEY, max_retries=0)


@pytest.fixture
def control(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url + "/__mockapi", timeout=10) as client:
        yield client
        client.delete("/rules")


def _azure_error(response: httpx.Response) -> dict[str, Any]:
    """The error of Azure's gateway: `code` and `message`, nothing else."""
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    return dict(body["error"])


def test_chat_through_a_deployment_named_after_a_model_is_the_v1_answer(
    azure: openai.AzureOpenAI, direct: openai.OpenAI
) -> None:
    raw = azure.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=MESSAGES, max_tokens=40)
    completion = raw.parse()
    assert completion.object == "chat.completion" and completion.model == "gpt-4o-mini"
    assert completion.choices[0].message.content
    assert raw.headers["openai-model"] == "gpt-4o-mini" and raw.headers["x-request-id"].startswith("req_")
    same = direct.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_tokens=40)
    assert completion.choices[0].message.content == same.choices[0].message.content
    assert completion.usage == same.usage


def test_a_streamed_chat_through_a_deployment_adds_up_to_the_answer(azure: openai.AzureOpenAI) -> None:
    whole = azure.chat.completions.create(model="support-bot", messages=MESSAGES, max_tokens=30)
    stream = azure.chat.completions.create(model="support-bot", messages=MESSAGES, max_tokens=30, stream=True)
    chunks = list(stream)
    assert {chunk.model for chunk in chunks} == {"gpt-4o-mini"}
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert text == whole.choices[0].message.content and text
    assert chunks[-1].choices[0].finish_reason == whole.choices[0].finish_reason


def test_a_mapped_deployment_serves_its_model(azure: openai.AzureOpenAI, direct: openai.OpenAI) -> None:
    completion = azure.chat.completions.create(model="support-bot", messages=MESSAGES, max_tokens=20)
    assert completion.model == "gpt-4o-mini"
    mapped = direct.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_tokens=20)
    assert completion.choices[0].message.content == mapped.choices[0].message.content


def test_embeddings_through_a_mapped_deployment(azure: openai.AzureOpenAI, direct: openai.OpenAI) -> None:
    vectors = azure.embeddings.create(model="search", input=["the Danube", "the Rhine"])
    assert vectors.model == "text-embedding-3-small" and len(vectors.data) == 2
    assert len(vectors.data[0].embedding) == 1536 and vectors.usage.prompt_tokens > 0
    same = direct.embeddings.create(model="text-embedding-3-small", input=["the Danube", "the Rhine"])
    assert [item.embedding for item in vectors.data] == [item.embedding for item in same.data]


def test_an_image_through_a_deployment(azure: openai.AzureOpenAI, direct: openai.OpenAI, server: ServerProcess) -> None:
    request: dict[str, Any] = {"prompt": "A lighthouse at dusk", "size": "1024x1024"}
    made = azure.images.generate(model="dall-e-3", response_format="b64_json", **request)
    png = base64.b64decode(made.data[0].b64_json or "")
    assert Image.open(io.BytesIO(png)).size == (1024, 1024)
    assert png == base64.b64decode(
        direct.images.generate(model="dall-e-3", response_format="b64_json", **request).data[0].b64_json or ""
    )
    linked = azure.images.generate(model="dall-e-3", **request).data[0].url or ""
    assert linked.startswith(server.url + "/v1/images/files/") and httpx.get(linked).content == png


def test_an_image_edit_through_a_deployment_is_a_multipart_form(azure: openai.AzureOpenAI) -> None:
    source = encode(with_transparent_square(checkerboard(256), (64, 64, 192, 192)))
    edited = azure.images.edit(
        model="dall-e-2", image=("otter.png", source, "image/png"), prompt="A hat", size="256x256", n=2
    )
    assert len(edited.data) == 2 and all((item.url or "").endswith(".png") for item in edited.data)


def test_a_transcription_through_a_deployment_with_no_model_in_the_form(server: ServerProcess) -> None:
    response = httpx.post(
        f"{server.url}/openai/deployments/whisper-1/audio/transcriptions",
        params={"api-version": VERSION},
        headers={"api-key": KEY},
        files={"file": ("note.wav", silent_wav(2.0), "audio/wav")},
        data={"response_format": "verbose_json"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["duration"] == pytest.approx(2.0)


def test_the_body_may_leave_the_model_to_the_deployment(server: ServerProcess) -> None:
    response = httpx.post(
        f"{server.url}/openai/deployments/support-bot/chat/completions",
        params={"api-version": "2025-04-01-preview"},
        headers={"api-key": KEY},
        json={"messages": MESSAGES, "max_tokens": 5},
    )
    assert response.status_code == 200, response.text
    assert response.json()["model"] == "gpt-4o-mini" and response.headers["openai-model"] == "gpt-4o-mini"


def test_the_sdk_sends_its_key_as_api_key_and_a_token_as_a_bearer(server: ServerProcess, control: httpx.Client) -> None:
    control.delete("/requests")
    with_key = openai.AzureOpenAI(azure_endpoint=server.url, api_key=KEY, api_version=VERSION, max_retries=0)
    with_token = openai.AzureOpenAI(azure_endpoint=server.url, azure_ad_token=KEY, api_version=VERSION, max_retries=0)
    for client in (with_key, with_token):
        assert client.chat.completions.create(model="gpt-4o", messages=MESSAGES, max_tokens=3).model == "gpt-4o"
    sent = [entry["headers"] for entry in control.get("/requests").json()["data"]]
    assert sent[0]["api-key"] == "sk-azure" + "*" * (len(KEY) - 12) + KEY[-4:] and "authorization" not in sent[0]
    assert sent[1]["authorization"].startswith("Bearer sk-azure") and "api-key" not in sent[1]


def test_a_wrong_key_or_token_is_azures_401(server: ServerProcess) -> None:
    wrong = openai.AzureOpenAI(azure_endpoint=server.url, api_key="sk-nope", api_version=VERSION, max_retries=0)
    with pytest.raises(openai.AuthenticationError) as refused:
        wrong.models.list()
    assert refused.value.body == {"code": "401", "message": ACCESS_DENIED}
    url = f"{server.url}/openai/deployments/gpt-4o/chat/completions?api-version={VERSION}"
    missing = httpx.post(url, json={"messages": MESSAGES})
    assert missing.status_code == 401 and _azure_error(missing) == {"code": "401", "message": ACCESS_DENIED}
    token = httpx.post(url, json={"messages": MESSAGES}, headers={"Authorization": "Bearer nope"})
    assert token.status_code == 401 and _azure_error(token)["message"].startswith("Unauthorized. Access token is")


def test_an_unknown_deployment_is_deployment_not_found(azure: openai.AzureOpenAI, server: ServerProcess) -> None:
    with pytest.raises(openai.NotFoundError) as missing:
        azure.chat.completions.create(model="gpt-4o-prod", messages=MESSAGES)
    assert missing.value.code == "DeploymentNotFound" and missing.value.message.endswith(DEPLOYMENT_NOT_FOUND)
    # Refused before the body is read: even an empty one.
    raw = httpx.post(
        f"{server.url}/openai/deployments/nobody/embeddings?api-version={VERSION}", headers={"api-key": KEY}
    )
    assert raw.status_code == 404
    assert _azure_error(raw) == {"code": "DeploymentNotFound", "message": DEPLOYMENT_NOT_FOUND}


def test_a_missing_api_version_is_resource_not_found(server: ServerProcess) -> None:
    for path in ("/openai/deployments/gpt-4o/chat/completions", "/openai/models"):
        response = httpx.post(server.url + path, headers={"api-key": KEY}, json={"messages": MESSAGES})
        if path == "/openai/models":
            response = httpx.get(server.url + path, headers={"api-key": KEY})
        assert response.status_code == 404, path
        assert _azure_error(response) == {"code": "404", "message": "Resource not found"}


def test_an_unknown_api_version_is_not_supported(server: ServerProcess) -> None:
    client = openai.AzureOpenAI(azure_endpoint=server.url, api_key=KEY, api_version="2023-13-45", max_retries=0)
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert refused.value.body == {"code": "BadRequest", "message": "API version not supported"}
    v1 = httpx.get(f"{server.url}/openai/v1/models?api-version={VERSION}", headers={"api-key": KEY})
    assert v1.status_code == 400 and _azure_error(v1)["message"] == "API version not supported"


def test_a_path_azure_does_not_serve_is_its_404(server: ServerProcess) -> None:
    for method, path in [("POST", "/openai/deployments/gpt-4o/chat"), ("GET", "/openai/deployments/gpt-4o/embeddings")]:
        response = httpx.request(method, f"{server.url}{path}?api-version={VERSION}", headers={"api-key": KEY})
        assert response.status_code == 404, path
        assert _azure_error(response) == {"code": "404", "message": "Resource not found"}
    edits = httpx.post(f"{server.url}/openai/v1/edits", headers={"api-key": KEY}, json={})
    assert edits.status_code == 404 and _azure_error(edits)["message"] == "Resource not found"


def test_what_the_model_refuses_keeps_openais_shape(azure: openai.AzureOpenAI, server: ServerProcess) -> None:
    response = httpx.post(
        f"{server.url}/openai/deployments/gpt-4o/chat/completions?api-version={VERSION}",
        headers={"api-key": KEY},
        json={"messages": MESSAGES, "temperature": 7},
    )
    assert response.status_code == 400 and error_of(response)["param"] == "temperature"
    with pytest.raises(openai.PermissionDeniedError):
        azure.embeddings.create(model="gpt-4o", input="x")  # a chat model's deployment has no embeddings


def test_the_v1_api_with_the_openai_client(server: ServerProcess, direct: openai.OpenAI) -> None:
    v1 = openai.OpenAI(base_url=server.url + "/openai/v1", api_key=KEY, max_retries=0)
    completion = v1.chat.completions.create(model="support-bot", messages=MESSAGES, max_tokens=20)
    assert completion.model == "gpt-4o-mini"
    same = direct.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_tokens=20)
    assert completion.choices[0].message.content == same.choices[0].message.content
    assert v1.embeddings.create(model="text-embedding-3-small", input="x").model == "text-embedding-3-small"
    assert [model.id for model in v1.models.list()] == [model.id for model in direct.models.list()]
    with pytest.raises(openai.NotFoundError) as missing:
        v1.chat.completions.create(model="no-such-deployment", messages=MESSAGES)
    assert missing.value.code == "DeploymentNotFound"
    preview = openai.OpenAI(
        base_url=server.url + "/openai/v1", api_key=KEY, max_retries=0, default_query={"api-version": "preview"}
    )
    assert preview.models.retrieve("gpt-4o").id == "gpt-4o"


def test_files_on_the_resource_path(azure: openai.AzureOpenAI) -> None:
    stored = azure.files.create(file=("notes.jsonl", b'{"prompt": "a", "completion": "b"}\n'), purpose="fine-tune")
    assert stored.id.startswith("file-") and stored.bytes == 35
    assert stored.id in [file.id for file in azure.files.list(purpose="fine-tune")]
    assert azure.files.content(stored.id).content == b'{"prompt": "a", "completion": "b"}\n'
    assert azure.files.delete(stored.id).deleted is True


def test_rules_match_the_endpoint_and_the_journal_keeps_the_path_as_sent(
    azure: openai.AzureOpenAI, control: httpx.Client
) -> None:
    rule = {"id": "azure-rule", "match": {"endpoint": "chat.completions"}, "respond": {"content": "From a rule."}}
    assert control.post("/rules", json=rule).status_code == 201
    control.delete("/requests")
    completion = azure.chat.completions.create(model="support-bot", messages=MESSAGES)
    assert completion.choices[0].message.content == "From a rule."
    (entry,) = control.get("/requests").json()["data"]
    assert entry["path"] == "/openai/deployments/support-bot/chat/completions"
    assert entry["query"] == f"api-version={VERSION}" and entry["rule_id"] == "azure-rule"
