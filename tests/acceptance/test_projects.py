"""Projects through the official SDK: the OpenAI-Project header scopes what a caller stores within its
organization (files and every later store), is echoed in the answer, and project keys (sk-proj-...) work."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import httpx
import openai
import pytest

from mockapi.context import Caller
from tests.support import ServerProcess, error_of

TRAINING = b'{"prompt": "Hello ->", "completion": " world"}\n'


@pytest.fixture
def organization(request: pytest.FixtureRequest) -> str:
    """An organization of this test alone on the shared server."""
    return "org-" + hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:20]


def _client(server: ServerProcess, organization: str | None, project: str | None, key: str) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=server.base_url, api_key=key, organization=organization, project=project, max_retries=0
    )


def test_a_file_of_one_project_is_a_404_in_another_of_the_same_organization(
    server: ServerProcess, organization: str
) -> None:
    key = "sk-proj-" + "a" * 40
    alpha = _client(server, organization, "proj_alpha", key)
    beta = _client(server, organization, "proj_beta", key)
    stored = alpha.files.create(file=("train.jsonl", TRAINING), purpose="fine-tune")
    assert alpha.files.retrieve(stored.id).filename == "train.jsonl"
    with pytest.raises(openai.NotFoundError) as missing:
        beta.files.retrieve(stored.id)
    assert missing.value.message.endswith(f"No such File object: {stored.id}")
    with pytest.raises(openai.NotFoundError):
        beta.files.content(stored.id)
    with pytest.raises(openai.NotFoundError):
        beta.files.delete(stored.id)
    assert [file.id for file in beta.files.list()] == []
    # The organization without a project is another scope too, and so is the same project of another one.
    with pytest.raises(openai.NotFoundError):
        _client(server, organization, None, key).files.retrieve(stored.id)
    with pytest.raises(openai.NotFoundError):
        _client(server, organization + "-other", "proj_alpha", key).files.retrieve(stored.id)
    assert [file.id for file in alpha.files.list()] == [stored.id]
    assert alpha.files.delete(stored.id).deleted is True


def test_the_project_is_shared_by_every_key_of_the_organization(server: ServerProcess, organization: str) -> None:
    stored = _client(server, organization, "proj_shared", "sk-proj-one").files.create(
        file=("a.jsonl", TRAINING), purpose="fine-tune"
    )
    other_key = _client(server, organization, "proj_shared", "sk-proj-two")
    assert other_key.files.retrieve(stored.id).id == stored.id


def test_the_project_is_echoed_like_the_organization(server: ServerProcess, organization: str) -> None:
    raw = _client(server, organization, "proj_echo", "sk-proj-echo").models.with_raw_response.list()
    assert raw.headers["openai-project"] == "proj_echo" and raw.headers["openai-organization"] == organization
    plain = _client(server, None, None, "sk-proj-echo").models.with_raw_response.list()
    assert "openai-project" not in plain.headers and "openai-organization" not in plain.headers


def test_project_keys_are_accepted(start_server: Callable[..., ServerProcess]) -> None:
    key = "sk-proj-" + "Z9" * 70 + "SeoA"
    process = start_server("--api-key", key)
    client = _client(process, None, None, key)
    assert client.chat.completions.create(
        model="gpt-3.5-turbo", messages=[{"role": "user", "content": "hi"}], max_tokens=3
    ).choices
    stranger = "sk-proj-" + "Q" * 140 + "Zz12"
    response = httpx.get(process.base_url + "/models", headers={"Authorization": f"Bearer {stranger}"})
    assert response.status_code == 401
    error = error_of(response)
    assert error["code"] == "invalid_api_key"
    assert error["message"] == (
        f"Incorrect API key provided: sk-proj-{'*' * 140}Zz12. You can find your API key at "
        "https://platform.openai.com/account/api-keys."
    )


def test_owners_of_projects_are_disjoint() -> None:
    owners = {
        Caller("sk-a", "org-1").owner,
        Caller("sk-a", "org-1", "proj_x").owner,
        Caller("sk-a", "org-1", "proj_y").owner,
        Caller("sk-a", None, "proj_x").owner,
        Caller("sk-a", None).owner,
        Caller("sk-b", None, "proj_x").owner,
    }
    assert len(owners) == 6
    assert Caller("sk-a", "org-1").owner == "org:org-1"  # stores written before projects keep their owner
