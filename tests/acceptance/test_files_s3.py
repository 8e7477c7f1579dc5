"""Two replicas sharing their state through Redis (--state-url) and their files and image links through an
S3-compatible bucket (--files-url, --s3-endpoint-url), with no directory in common: what one stores, the
other serves, lists and deletes, through the official SDK. Worker processes (--workers 2) share it too."""

from __future__ import annotations

import io
from collections.abc import Callable

import httpx
import openai
import pytest
import redis

from tests.s3_support import keys
from tests.support import API_KEY, ServerProcess, sdk_client


@pytest.fixture(params=["replicas", "workers"])
def replicas(
    request: pytest.FixtureRequest, start_server: Callable[..., ServerProcess], s3_endpoint: str, s3_url: str
) -> tuple[ServerProcess, ServerProcess]:
    """Two replicas; or one server of two workers (twice: each request on a new connection, so either worker
    may answer), which share the bucket rather than a temporary directory."""
    bucket = ("--files-url", s3_url, "--s3-endpoint-url", s3_endpoint)
    if request.param == "workers":
        process = start_server("--workers", "2", *bucket)
        return process, process
    redis_url = request.getfixturevalue("redis_url")
    with redis.Redis.from_url(redis_url) as fresh:
        fresh.flushdb()  # the server outlives the test; its state must not
    return start_server("--state-url", redis_url, *bucket), start_server("--state-url", redis_url, *bucket)


def sdk(process: ServerProcess) -> openai.OpenAI:
    return sdk_client(process, default_headers={"Connection": "close"})


def test_a_file_uploaded_through_one_replica_is_served_listed_and_deleted_by_the_other(
    replicas: tuple[ServerProcess, ServerProcess], s3_endpoint: str, s3_url: str
) -> None:
    first, second = sdk(replicas[0]), sdk(replicas[1])
    data = bytes(range(256)) * 40 + b"\r\n\x00end"
    made = first.files.create(file=("answers.bin", io.BytesIO(data)), purpose="assistants")
    assert second.files.retrieve(made.id) == made
    assert second.files.content(made.id).content == data
    assert [f.id for f in second.files.list()] == [made.id]
    later = second.files.create(file=("later.txt", io.BytesIO(b"later")), purpose="user_data")
    assert [f.id for f in first.files.list(order="asc")] == [made.id, later.id]
    # In the bucket, under the prefix, named by ids and a digest of the owner only.
    stored = [key for key in keys(s3_endpoint, s3_url) if key.startswith("files/owner-")]
    assert sorted(key.rpartition("/")[2] for key in stored) == sorted(
        f"{file_id}.{end}" for file_id in (made.id, later.id) for end in ("content", "json")
    )

    assert second.files.delete(made.id).deleted is True
    with pytest.raises(openai.NotFoundError):
        first.files.retrieve(made.id)
    with pytest.raises(openai.NotFoundError):
        first.files.content(made.id)
    with pytest.raises(openai.NotFoundError):
        first.files.delete(made.id)
    assert [f.id for f in first.files.list()] == [later.id]


def test_an_image_link_made_on_one_replica_is_served_by_the_other(
    replicas: tuple[ServerProcess, ServerProcess],
) -> None:
    made = sdk(replicas[0]).images.generate(model="dall-e-2", prompt="A lighthouse", size="256x256", n=1)
    url = made.data[0].url if made.data else None
    assert url is not None and url.startswith(replicas[0].url)
    through_first = httpx.get(url, timeout=30)
    through_second = httpx.get(replicas[1].url + url.removeprefix(replicas[0].url), timeout=30)
    assert through_first.status_code == through_second.status_code == 200
    assert through_second.headers["content-type"] == "image/png"
    assert through_second.content == through_first.content and through_second.content.startswith(b"\x89PNG")
    missing = httpx.get(replicas[1].url + "/v1/images/files/img-missing.png", timeout=30)
    assert missing.status_code == 404


def test_a_reset_through_one_replica_clears_the_files_of_both(
    replicas: tuple[ServerProcess, ServerProcess], s3_endpoint: str, s3_url: str
) -> None:
    file_id = sdk(replicas[0]).files.create(file=("a.txt", io.BytesIO(b"a")), purpose="user_data").id
    reset = httpx.post(replicas[1].url + "/__mockapi/reset", headers={"Authorization": f"Bearer {API_KEY}"})
    assert reset.status_code == 200, reset.text
    with pytest.raises(openai.NotFoundError):
        sdk(replicas[0]).files.retrieve(file_id)
    assert [key for key in keys(s3_endpoint, s3_url) if key.startswith("files/owner-")] == []
